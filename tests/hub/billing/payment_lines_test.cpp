// payment.lines in the billing store: each line is expanded into the paymentReceived its XSD's
// comment gives and applied as that payment.received, under the line's own key, in one
// transaction with the rest; the message's result names the first line the store refused.

#include "billing_fixture.h"
#include "hub/billing/payment_batches.h"
#include "hub/plugin/registry_ref.h"
#include "hub/xml/document.h"
#include "xml_difference.h"

namespace hub::billing::testing {
namespace {

Envelope lines_envelope(const std::string& body) {
  auto e = envelope("payment.lines", body, "bank:sber:file:abc:lines:17-18");
  e.id = "01a23187-836b-7dbf-8584-c63b8433832c";
  return e;
}

struct Split {
  std::vector<Envelope> items;
  std::vector<BillingStore::ParsedBody> bodies;
};

Split split(const Envelope& e) {
  Split s;
  split_payment_batch(e, s.items, s.bodies);
  return s;
}

// The two samples hold the same two payments: the lines expand into exactly the payment.batch's
// paymentReceived elements, under the same keys.
TEST(PaymentLines, ExpandIntoThePaymentsTheBatchSampleHolds) {
  const auto lines = split(lines_envelope(sample("payment.lines")));
  auto batch_env = envelope("payment.batch", sample("payment.batch"), "b");
  const auto batch = split(batch_env);
  ASSERT_EQ(lines.items.size(), 2u);
  ASSERT_EQ(batch.items.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(lines.items[i].type, "payment.received");
    EXPECT_EQ(lines.items[i].idempotency_key, batch.items[i].idempotency_key);
    EXPECT_EQ(lines.items[i].id, "01a23187-836b-7dbf-8584-c63b8433832c");
    EXPECT_EQ(hub::testing::xml_difference(lines.bodies[i].root, batch.bodies[i].root), "")
        << "payment " << i + 1;
  }
}

// Every part of a line: services, several readings, the payer's name, address and phone, escaped
// text, an agent with all its parts; and the cut of an over-long registry reference. The one-line
// attributes (c:LineName) come as XSD reads them: each CR, LF and TAB a space.
TEST(PaymentLines, ExpandEveryPartOfALineInPaymentReceivedsOrder) {
  const std::string file(250, 'r');
  const std::string body =
      "<c:paymentLines xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:agent><c:code>post</c:code>"
      "<c:name>АО «Почта &amp; Ко»</c:name><c:inn>7724261610</c:inn><c:bik>044525225</c:bik>"
      "</c:agent><c:registryRef>" +
      file +
      "</c:registryRef>"
      "<c:line n=\"123456\" key=\"k&quot;1\" tx=\"T-1&#13;&#10;2\" paidAt=\"2026-11-20\" "
      "period=\"2026-10\" amount=\"1500\" commission=\"20\" payerName=\"Петров &lt;П.П.&gt;\" "
      "payerAddress=\"ул. Ленина, 1&#9;кв. 2\" payerPhone=\"+79161234567\">"
      "<c:ipd>34АА011432-01-6101</c:ipd>"
      "<c:service code=\"heat\" amount=\"1000\" name=\"Отопление&#10;\"/>"
      "<c:service code=\"water\" amount=\"500\"/>"
      "<c:meter><c:meterId>HW-1</c:meterId><c:value zone=\"day\">1.5</c:value>"
      "<c:value zone=\"night\">2</c:value></c:meter>"
      "<c:meter><c:meterId>CW-1</c:meterId><c:value zone=\"total\">3</c:value></c:meter>"
      "</c:line></c:paymentLines>";
  const auto lines = split(lines_envelope(body));
  ASSERT_EQ(lines.items.size(), 1u);
  EXPECT_EQ(lines.items[0].idempotency_key, "k\"1");
  // 257 characters: "…" and the last 200 bytes.
  const std::string ref = "…" + (file + "#123456").substr(57);
  const auto expected = xml::parse_xml(
      "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:agent><c:code>post</c:code>"
      "<c:name>АО «Почта &amp; Ко»</c:name><c:inn>7724261610</c:inn><c:bik>044525225</c:bik>"
      "</c:agent><c:registryRef>" +
          ref +
          "</c:registryRef><c:transactionId>T-1  2</c:transactionId>"
          "<c:paidAt>2026-11-20</c:paidAt><c:ipd>34АА011432-01-6101</c:ipd><c:period>2026-10</"
          "c:period>"
          "<c:amountKopecks>1500</c:amountKopecks><c:commissionKopecks>20</c:commissionKopecks>"
          "<c:services><c:service><c:code>heat</c:code><c:amountKopecks>1000</c:amountKopecks>"
          "<c:name>Отопление </c:name></c:service><c:service><c:code>water</"
          "c:code><c:amountKopecks>500"
          "</c:amountKopecks></c:service></c:services><c:readings><c:meter><c:meterId>HW-1</"
          "c:meterId>"
          "<c:value zone=\"day\">1.5</c:value><c:value "
          "zone=\"night\">2</c:value></c:meter><c:meter>"
          "<c:meterId>CW-1</c:meterId><c:value zone=\"total\">3</c:value></c:meter></c:readings>"
          "<c:payer><c:name>Петров &lt;П.П.&gt;</c:name><c:address>ул. Ленина, 1 кв. 2</c:address>"
          "<c:phone>+79161234567</c:phone></c:payer></c:paymentReceived>",
      "expected");
  EXPECT_EQ(hub::testing::xml_difference(lines.bodies[0].root, expected.root()), "");
}

// The cut keeps UTF-8 whole: of a Cyrillic name (2 bytes a letter) it keeps whole letters only.
TEST(PaymentLines, AnOverLongRegistryReferenceIsCutAtALetter) {
  std::string file;
  for (int i = 0; i < 300; ++i) file += "р";
  EXPECT_EQ(plugin::registry_line_ref("реестр.txt", 7), "реестр.txt#7");
  const auto ref = plugin::registry_line_ref(file, 7);
  EXPECT_EQ(ref, "…" + file.substr(file.size() - 198) + "#7");
}

TEST_F(BillingTest, PaymentLinesApplyAsThePaymentsOfTheSameBatch) {
  const auto r = store.apply(lines_envelope(sample("payment.lines")));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.outcome, ApplyResult::Outcome::kInserted);
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"
                  " WHERE message_id = '01a23187-836b-7dbf-8584-c63b8433832c'"),
            2);
  EXPECT_EQ(db.scalar("SELECT string_agg(source_key || ' ' || registry_ref, ',' ORDER BY "
                      "amount_kopecks) FROM billing.payment"),
            "bank:sber:2026-11-20:8626:2026112012345679:98000 sber_20261120.txt#18,"
            "bank:sber:2026-11-20:8626:2026112012345678:152340 sber_20261120.txt#17");
  EXPECT_EQ(db.scalar("SELECT payer_els FROM billing.payment WHERE amount_kopecks = 98000"),
            "34АА011432");
  // The same payments as a payment.batch, or the first as a payment.received, are no new ones.
  auto batch = envelope("payment.batch", sample("payment.batch"), "bank:sber:file:abc:batch:1");
  const auto again = store.apply(batch);
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.outcome, ApplyResult::Outcome::kUnchanged);
  const auto alone = store.apply(envelope("payment.received", sample("payment.received"), "x"));
  ASSERT_TRUE(alone.ok()) << alone.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 2);
}

TEST_F(BillingTest, ABadValueInPaymentLinesIsNamedByItsLine) {
  auto body =
      replace(sample("payment.lines"), "paidAt=\"2026-11-20\" period=\"2026-10\" amount=\"98000\"",
              "paidAt=\"2026-02-30\" period=\"2026-10\" amount=\"98000\"");
  const auto r = store.apply(lines_envelope(body));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("1 of 2 payments refused"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("payment 2 (key 'bank:sber:2026-11-20:8626:2026112012345679:98000'): "
                         "/c:paymentLines/c:line[2]/c:paymentReceived/c:paidAt"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 1);
}

TEST_F(BillingTest, PaymentLinesThatAreNotOneAreRefusedWhole) {
  const auto wrong = store.apply(lines_envelope(sample("payment.batch")));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error.find("the root element of payment.lines is c:paymentLines"),
            std::string::npos)
      << wrong.error;
  const auto empty = store.apply(lines_envelope(
      "<c:paymentLines xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:agent><c:code>sber</c:code>"
      "</c:agent><c:registryRef>r</c:registryRef></c:paymentLines>"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error.find("/c:paymentLines: no lines"), std::string::npos) << empty.error;
  EXPECT_TRUE(BillingStore::handles("payment.lines"));
}

// A payment.lines message of `lines` payments numbered from `first`, each with its own key.
Envelope numbered_lines(int message, int first, int lines) {
  std::string body =
      "<c:paymentLines xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:agent><c:code>sber</c:code>"
      "</c:agent><c:registryRef>sber_20261120.txt</c:registryRef>";
  for (int n = first; n < first + lines; ++n) {
    const auto tx = std::to_string(2026112000000000LL + n);
    body += "<c:line n=\"" + std::to_string(n) + "\" key=\"bank:sber:2026-11-20:8626:" + tx +
            ":1000\" tx=\"" + tx +
            "\" paidAt=\"2026-11-20\" period=\"2026-10\" amount=\"1000\" commission=\"0\">"
            "<c:account>100234</c:account></c:line>";
  }
  body += "</c:paymentLines>";
  auto e = envelope("payment.lines", body, "bank:sber:file:abc:lines:" + std::to_string(message));
  e.id = "01a23187-836b-7dbf-8584-c63b843383" + std::to_string(10 + message);
  return e;
}

// A claim of big payment.lines messages is applied in groups of payments (the bound on the
// memory an apply holds), and each message's result is its own, whichever group it fell in: five
// messages, 2,001 payments applied in the first four, so the fifth goes in a second group; the
// third is not XML and is refused alone; the second is a single payment.received between them.
TEST_F(BillingTest, AClaimOfManyPaymentLinesIsAppliedInGroupsWithEachMessagesOwnResult) {
  std::vector<Envelope> claim = {numbered_lines(1, 1, 1000),
                                 envelope("payment.received", sample("payment.received"), "single"),
                                 numbered_lines(3, 1001, 1000), numbered_lines(4, 2001, 1000),
                                 numbered_lines(5, 3001, 600)};
  claim[2].body.resize(claim[2].body.size() / 2);  // cut in the middle of a line
  const auto results = store.apply_batch(claim);
  ASSERT_EQ(results.size(), 5u);
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    EXPECT_TRUE(results[i].ok()) << "message " << i + 1 << ": " << results[i].error;
    EXPECT_EQ(results[i].outcome, ApplyResult::Outcome::kInserted) << "message " << i + 1;
  }
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].error.rfind("/: ", 0), 0u) << results[2].error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 1000 + 1 + 1000 + 600);
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment WHERE message_id = '" + claim[4].id + "'"),
            600);
  // Applied again (the same claim redelivered), nothing is new.
  const auto again = store.apply_batch(claim);
  EXPECT_EQ(again[4].outcome, ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 1000 + 1 + 1000 + 600);
}

}  // namespace
}  // namespace hub::billing::testing
