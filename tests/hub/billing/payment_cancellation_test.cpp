// payment.cancelled: kept as sent, and the payment it names (agent + transaction id / registry
// line) is marked cancelled — whether the payment was there first or arrives after.

#include <gtest/gtest.h>

#include "billing_fixture.h"

namespace hub::billing {
namespace {

using testing::BillingTest;
using testing::envelope;
using testing::replace;
using testing::sample;

TEST_F(BillingTest, ACancellationMarksThePaymentItNamesInEitherOrder) {
  const auto payment = sample("payment.received");
  const auto p = store.apply(envelope("payment.received", payment, "p1"));
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(db.scalar("SELECT cancelled_on IS NULL FROM billing.payment"), "t");

  const auto c = store.apply(envelope("payment.cancelled", sample("payment.cancelled"), "c1"));
  ASSERT_TRUE(c.ok()) << c.error;
  EXPECT_EQ(c.outcome, ApplyResult::Outcome::kInserted);
  EXPECT_EQ(c.table, "payment_cancellation");
  EXPECT_EQ(
      db.scalar("SELECT cancelled_on::text || ' ' || (cancellation_id = " + std::to_string(c.id) +
                ")::text FROM billing.payment WHERE id = " + std::to_string(p.id)),
      "2026-11-23 true");
  EXPECT_EQ(db.scalar("SELECT reason FROM billing.payment_cancellation"),
            "Возврат платежа плательщику по заявлению");
  // The payment's earlier state is history; the same cancellation again changes nothing.
  EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = 'payment'"), 1);
  EXPECT_EQ(store.apply(envelope("payment.cancelled", sample("payment.cancelled"), "c2")).outcome,
            ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = 'payment'"), 1);
  // The payment delivered again stays cancelled.
  const auto again = replace(payment, "<c:registryRef>sber_20261120.txt#17</c:registryRef>",
                             "<c:registryRef>sber_20261120_resent.txt#17</c:registryRef>");
  ASSERT_TRUE(store.apply(envelope("payment.received", again, "p1-again")).ok());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM billing.payment WHERE cancelled_on IS NOT NULL"), "1");

  // A cancellation that comes before its payment is kept, and the payment is marked on arrival.
  const auto early =
      replace(sample("payment.cancelled"), "<c:transactionId>2026112012345678</c:transactionId>",
              "<c:transactionId>2026112099999999</c:transactionId>");
  ASSERT_TRUE(store.apply(envelope("payment.cancelled", early, "c3")).ok());
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment_cancellation"), 2);
  const auto later = replace(payment, "<c:transactionId>2026112012345678</c:transactionId>",
                             "<c:transactionId>2026112099999999</c:transactionId>");
  const auto p2 = store.apply(envelope("payment.received", later, "p2"));
  ASSERT_TRUE(p2.ok()) << p2.error;
  EXPECT_EQ(db.scalar("SELECT cancelled_on::text FROM billing.payment WHERE id = " +
                      std::to_string(p2.id)),
            "2026-11-23");
  // GIS's answer to the cancellation names it agent:payment_ref: its GUID lands on it.
  const auto st = store.apply(envelope(
      "external.state",
      "<c:externalState xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:system>gis_zhkh</c:system>"
      "<c:requestId>5a1b2c3d-0000-4000-8000-000000000009</c:requestId><c:state>done</c:state>"
      "<c:checkedAt>2026-11-25T00:40:00Z</c:checkedAt><c:result><c:transportGuid>"
      "9a1b2c3d-0000-4000-8000-000000000009</c:transportGuid><c:objectKind>payment_cancellation"
      "</c:objectKind><c:objectRef>sber:tx:2026112012345678</c:objectRef><c:externalGuid>"
      "ba010000-0000-4000-8000-000000000001</c:externalGuid><c:updatedAt>2026-11-25T00:39:58Z"
      "</c:updatedAt></c:result></c:externalState>",
      "x1"));
  ASSERT_TRUE(st.ok()) << st.error;
  EXPECT_EQ(db.scalar("SELECT coalesce(string_agg(gis_cancellation_guid, ','), '-') FROM "
                      "billing.payment_cancellation"),
            "ba010000-0000-4000-8000-000000000001");
  // A payment no cancellation names is not touched.
  const auto other = replace(payment, "<c:transactionId>2026112012345678</c:transactionId>",
                             "<c:transactionId>2026112011111111</c:transactionId>");
  const auto p3 = store.apply(envelope("payment.received", other, "p3"));
  ASSERT_TRUE(p3.ok()) << p3.error;
  EXPECT_EQ(db.scalar("SELECT cancelled_on IS NULL FROM billing.payment WHERE id = " +
                      std::to_string(p3.id)),
            "t");
}

}  // namespace
}  // namespace hub::billing
