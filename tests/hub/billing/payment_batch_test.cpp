// payment.batch in the billing store: each payment of the batch is applied as the payment.received
// it holds, under its own key, in one transaction with the rest; the batch's result says how it
// went and names the first payment the store refused.

#include "billing_fixture.h"

namespace hub::billing::testing {
namespace {

Envelope batch_envelope(const std::string& body) {
  auto e = envelope("payment.batch", body, "bank:sber:file:abc:batch:1");
  e.id = "01a23187-836b-7dbf-8584-c63b8433832b";
  return e;
}

TEST_F(BillingTest, APaymentBatchAppliesEachPaymentUnderItsOwnKey) {
  const auto r = store.apply(batch_envelope(sample("payment.batch")));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.outcome, ApplyResult::Outcome::kInserted);
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 2);
  EXPECT_EQ(db.scalar("SELECT string_agg(source_key, ',' ORDER BY amount_kopecks)"
                      " FROM billing.payment"),
            "bank:sber:2026-11-20:8626:2026112012345679:98000,"
            "bank:sber:2026-11-20:8626:2026112012345678:152340");
  // Every payment points at the journalled batch it came in.
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"
                  " WHERE message_id = '01a23187-836b-7dbf-8584-c63b8433832b'"),
            2);
  EXPECT_EQ(db.scalar("SELECT payer_account FROM billing.payment WHERE amount_kopecks = 152340"),
            "100234");
  EXPECT_EQ(db.scalar("SELECT payer_els FROM billing.payment WHERE amount_kopecks = 98000"),
            "34АА011432");

  // The same batch again, or one of its payments on its own (the payment.received sample is the
  // batch's first payment: same agent, transaction and day), is no new payment.
  const auto again = store.apply(batch_envelope(sample("payment.batch")));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.outcome, ApplyResult::Outcome::kUnchanged);
  const auto alone = store.apply(envelope("payment.received", sample("payment.received"), "x"));
  ASSERT_TRUE(alone.ok()) << alone.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 2);
}

TEST_F(BillingTest, APaymentBatchWithARefusedPaymentAppliesTheOthersAndNamesIt) {
  // The store's invariants refuse a services split that does not add up to the amount.
  auto body = replace(sample("payment.batch"), "<c:amountKopecks>98000</c:amountKopecks>",
                      "<c:amountKopecks>98000</c:amountKopecks><c:services><c:service><c:code>"
                      "maintenance</c:code><c:amountKopecks>1</c:amountKopecks></c:service>"
                      "</c:services>");
  const auto r = store.apply(batch_envelope(body));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("1 of 2 payments refused"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("payment 2 (key 'bank:sber:2026-11-20:8626:2026112012345679:98000')"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 1);
}

// A payment is read where it stands in the batch, so a bad value is named by its place there.
TEST_F(BillingTest, ABadValueInABatchIsNamedByItsPlaceInTheBatch) {
  auto body = sample("payment.batch");
  const std::string paid = "<c:paidAt>2026-11-20</c:paidAt>";
  const auto second = body.find(paid, body.find(paid) + 1);
  ASSERT_NE(second, std::string::npos);
  body.replace(second, paid.size(), "<c:paidAt>2026-02-30</c:paidAt>");
  const auto r = store.apply(batch_envelope(body));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("payment 2 (key 'bank:sber:2026-11-20:8626:2026112012345679:98000'): "
                         "/c:paymentBatch/c:payment[2]/c:paymentReceived/c:paidAt"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("2026-02-30"), std::string::npos) << r.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 1);
}

TEST_F(BillingTest, APaymentBatchThatIsNotOneIsRefusedWhole) {
  const auto r =
      store.apply(batch_envelope("<c:paymentBatch xmlns:c=\"urn:zhkh-hub:canonical:1\">"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind("/: ", 0), 0u) << r.error;
  const auto empty = store.apply(batch_envelope(
      "<c:paymentBatch xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:registryRef>r</c:registryRef>"
      "</c:paymentBatch>"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error.find("no payments"), std::string::npos) << empty.error;
  EXPECT_TRUE(BillingStore::handles("payment.batch"));
}

}  // namespace
}  // namespace hub::billing::testing
