// Account identification: each key kind, the address + name fallback with its scoring, ambiguity
// and not found; and what the store records for a payment it cannot identify.

#include <gtest/gtest.h>

#include "billing_fixture.h"
#include "hub/billing/account_identifier.h"
#include "hub/billing/address.h"
#include "hub/metrics/registry.h"

namespace hub::billing {
namespace {

using testing::BillingTest;
using testing::envelope;
using testing::replace;
using testing::sample;

constexpr const char* kHouse = "5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69";

std::string account_body(const std::string& number, const std::string& els,
                         const std::string& izhku, const std::string& flat,
                         const std::string& last_name, const std::string& address = "") {
  std::string b = R"(<c:accountUpsert xmlns:c="urn:zhkh-hub:canonical:1"><c:account>)" + number +
                  "</c:account>";
  if (!els.empty()) b += "<c:els>" + els + "</c:els>";
  b += std::string("<c:houseFiasGuid>") + kHouse + "</c:houseFiasGuid><c:premise><c:number>" +
       flat + "</c:number></c:premise><c:area>54.3</c:area><c:residents>2</c:residents>";
  if (!izhku.empty()) b += "<c:izhku>" + izhku + "</c:izhku>";
  if (!last_name.empty())
    b += "<c:payer><c:person><c:lastName>" + last_name +
         "</c:lastName><c:firstName>Иван</c:firstName></c:person></c:payer>";
  if (!address.empty()) b += "<c:address>" + address + "</c:address>";
  return b + "</c:accountUpsert>";
}

class IdentificationTest : public BillingTest {
 protected:
  void SetUp() override {
    auto house = replace(sample("house.upsert"), "<c:fiasGuid>", "<c:fiasGuid>");
    ASSERT_TRUE(store.apply(envelope("house.upsert", house, "h")).ok());
    ASSERT_TRUE(
        store
            .apply(envelope("account.upsert",
                            account_body("100234", "34АА011432", "34АА011432-01", "12А", "Петров"),
                            "a1"))
            .ok());
    ASSERT_TRUE(
        store
            .apply(envelope("account.upsert",
                            account_body("100235", "34АА011433", "", "13", "Сидорова"), "a2"))
            .ok());
    // Two accounts in flat 14 (a divided flat) with the same surname: address+name can't choose.
    ASSERT_TRUE(store
                    .apply(envelope("account.upsert",
                                    account_body("100236", "", "", "14", "Кузнецов"), "a3"))
                    .ok());
    ASSERT_TRUE(store
                    .apply(envelope("account.upsert",
                                    account_body("100237", "", "", "14", "Кузнецов"), "a4"))
                    .ok());
    house_address_ = db.scalar("SELECT address FROM billing.house");
  }

  AccountIdentifier ident{*pool};
  std::string house_address_;
};

TEST_F(IdentificationTest, ExactKeysFindTheirAccount) {
  auto by_ls = ident.identify({"100234", "", "", "", "", ""});
  EXPECT_TRUE(by_ls.identified());
  EXPECT_EQ(by_ls.account, "100234");
  EXPECT_EQ(by_ls.method, "account");
  EXPECT_DOUBLE_EQ(by_ls.score, 1.0);

  auto by_els = ident.identify({"", "34АА011433", "", "", "", ""});
  EXPECT_EQ(by_els.account, "100235");
  EXPECT_EQ(by_els.method, "els");

  auto by_izhku = ident.identify({"", "", "34АА011432-01", "", "", ""});
  EXPECT_EQ(by_izhku.account, "100234");
  EXPECT_EQ(by_izhku.method, "izhku");

  // An ИЖКУ the store does not hold still names its ЕЛС.
  auto by_izhku_els = ident.identify({"", "", "34АА011433-02", "", "", ""});
  EXPECT_EQ(by_izhku_els.account, "100235");
  EXPECT_EQ(by_izhku_els.method, "izhku");
}

TEST_F(IdentificationTest, IpdFindsItsPaymentDocumentsAccountOrItsEls) {
  // The sample payment document is for account 100234 with ИПД 34АА011432-01-2611.
  ASSERT_TRUE(
      store.apply(envelope("payment_document.issued", sample("payment_document.issued"), "pd"))
          .ok());
  const auto ipd = db.scalar("SELECT ipd FROM billing.payment_document");
  ASSERT_FALSE(ipd.empty());
  auto by_doc = ident.identify({"", "", "", ipd, "", ""});
  EXPECT_TRUE(by_doc.identified()) << by_doc.reason_text;
  EXPECT_EQ(by_doc.account, db.scalar("SELECT account FROM billing.payment_document"));
  EXPECT_EQ(by_doc.method, "ipd");

  auto by_prefix = ident.identify({"", "", "", "34АА011433-01-2611", "", ""});
  EXPECT_EQ(by_prefix.account, "100235");
  EXPECT_EQ(by_prefix.method, "ipd");
}

TEST_F(IdentificationTest, AddressAndSurnameIdentifyWhenTheKeyDoesNot) {
  // A registry that wrote a wrong ЛС, the street differently, and the flat with a Latin letter.
  const std::string address = "Волгоград, ул. " + parse_address(house_address_).street + ", д. " +
                              parse_address(house_address_).house + ", кв. 12A";
  auto r = ident.identify({"999999", "", "", "", "ПЕТРОВ И.И.", address});
  ASSERT_TRUE(r.identified()) << r.reason_text;
  EXPECT_EQ(r.account, "100234");
  EXPECT_EQ(r.method, "address");
  EXPECT_GE(r.score, 0.85);

  // One typo in the surname still passes, with a lower score.
  auto typo = ident.identify({"", "", "", "", "Петроф Иван", address});
  ASSERT_TRUE(typo.identified()) << typo.reason_text;
  EXPECT_EQ(typo.account, "100234");
  EXPECT_LT(typo.score, r.score);
}

TEST_F(IdentificationTest, AddressWithoutMatchingNameStaysUnidentifiedWithCandidates) {
  const auto a = parse_address(house_address_);
  const std::string address = a.street + " " + a.house + " кв 13";
  auto r = ident.identify({"", "", "", "", "Смирнов", address});
  EXPECT_FALSE(r.identified());
  EXPECT_EQ(r.reason, "not_found");
  ASSERT_FALSE(r.candidates.empty());
  EXPECT_EQ(r.candidates[0].account, "100235");
  EXPECT_LT(r.candidates[0].score, 0.85);
  EXPECT_NE(r.reason_text.find("best score"), std::string::npos) << r.reason_text;
}

TEST_F(IdentificationTest, TwoAccountsFittingEquallyAreAmbiguous) {
  const auto a = parse_address(house_address_);
  auto r = ident.identify({"", "", "", "", "Кузнецов", a.street + ", д." + a.house + ", кв.14"});
  EXPECT_FALSE(r.identified());
  EXPECT_EQ(r.reason, "ambiguous");
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].account, "100236");
  EXPECT_EQ(r.candidates[1].account, "100237");
}

TEST_F(IdentificationTest, UnknownKeyWithoutAddressIsNotFoundNamingTheKey) {
  auto r = ident.identify({"777", "", "", "", "", ""});
  EXPECT_FALSE(r.identified());
  EXPECT_EQ(r.reason, "not_found");
  EXPECT_NE(r.reason_text.find("ЛС 777"), std::string::npos) << r.reason_text;
  auto nothing = ident.identify({});
  EXPECT_EQ(nothing.reason, "not_found");
}

TEST_F(IdentificationTest, BatchIdentifiesEachPayerOnOneTransaction) {
  auto lease = pool->lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = ident.identify_batch(tx, {{"100234", "", "", "", "", ""},
                                           {"", "34АА011433", "", "", "", ""},
                                           {"nope", "", "", "", "", ""}});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].account, "100234");
  EXPECT_EQ(r[1].account, "100235");
  EXPECT_FALSE(r[2].identified());
}

TEST_F(IdentificationTest, UnidentifiedPaymentIsStoredWithReasonAndCandidates) {
  const auto a = parse_address(house_address_);
  auto body = replace(testing::without(sample("payment.received"), "payer"),
                      "<c:account>100234</c:account>", "<c:account>555</c:account>");
  body = replace(body, "</c:paymentReceived>",
                 "<c:payer><c:name>Кузнецов</c:name><c:address>" + a.street + " " + a.house +
                     " кв 14</c:address></c:payer></c:paymentReceived>");
  const auto r = store.apply(envelope("payment.received", body, "p-unknown"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.payment_status, "unidentified");
  EXPECT_EQ(db.scalar("SELECT unidentified_reason FROM billing.payment"), "ambiguous");
  EXPECT_EQ(db.scalar("SELECT jsonb_array_length(candidates) FROM billing.payment"), "2");
  EXPECT_EQ(db.scalar("SELECT account_id IS NULL FROM billing.payment"), "t");
  // Its payment.unidentified form is a valid canonical message carrying the reason.
  const auto u = store.build("payment.unidentified", r.id);
  ASSERT_TRUE(u.has_value());
  EXPECT_NE(u->body.find("<c:reason>ambiguous</c:reason>"), std::string::npos) << u->body;
  EXPECT_NE(u->body.find("<c:account>100236</c:account>"), std::string::npos) << u->body;

  // The same payment with a known ЛС is identified.
  const auto ok = store.apply(envelope("payment.received", sample("payment.received"), "p-ok"));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.payment_status, "identified");
}

TEST(Address, ParsesTheUsualWaysOfWritingOneFlat) {
  const auto a =
      parse_address("400005, Волгоградская обл., г. Волгоград, ул. им. Ленина, д.10 к.2, кв.12А");
  EXPECT_EQ(a.street, "ленина");
  EXPECT_EQ(a.house, "10к2");
  EXPECT_EQ(a.flat, "12а");
  const auto b = parse_address("ЛЕНИНА 10к2-12a");
  EXPECT_EQ(b.house, "10к2");
  EXPECT_EQ(b.flat, "12а");
  const auto c = parse_address("пр-т Мира, дом 5 строение 1, квартира 7");
  EXPECT_EQ(c.street, "мира");
  EXPECT_EQ(c.house, "5с1");
  EXPECT_EQ(c.flat, "7");
  const auto d = parse_address("Ёлочная ул, 3, 45");
  EXPECT_EQ(d.street, "елочная");
  EXPECT_EQ(d.house, "3");
  EXPECT_EQ(d.flat, "45");
  EXPECT_EQ(surname_of("ИВАНОВ И.И."), "иванов");
  EXPECT_EQ(normalise_number(" 12 A "), "12а");
  EXPECT_EQ(edit_distance("петров", "петроф"), 1);
}

}  // namespace
}  // namespace hub::billing

namespace hub::billing {
namespace {

// The hub often hears of an account after its first payment: the account's arrival identifies
// the payments waiting for it; the same for a payment document and payments by its ИПД.
TEST_F(BillingTest, AccountArrivingLaterIdentifiesThePaymentsWaitingForIt) {
  const auto payment = testing::without(sample("payment.received"), "payer");
  const auto p = store.apply(envelope("payment.received", payment, "p1"));
  ASSERT_EQ(p.payment_status, "unidentified");
  const auto by_ipd = store.apply(envelope("payment.received",
                                           replace(replace(payment, "<c:account>100234</c:account>",
                                                           "<c:ipd>77ББ000001-01-2610</c:ipd>"),
                                                   "2026112012345678", "T-IPD"),
                                           "p2"));
  ASSERT_EQ(by_ipd.payment_status, "unidentified");

  auto& m = metrics::Registry::global();
  const double before = m.value("zhkh_billing_payments_reidentified_total");
  ASSERT_TRUE(store.apply(envelope("account.upsert", sample("account.upsert"), "a")).ok());
  EXPECT_EQ(m.value("zhkh_billing_payments_reidentified_total"), before + 1);
  EXPECT_GE(m.value("zhkh_billing_payments_total", {{"status", "unidentified"}}), 2);
  EXPECT_EQ(db.scalar("SELECT status || ' ' || ident_method || ' ' || (account_id IS NOT NULL) || "
                      "' ' || (unidentified_reason IS NULL) FROM billing.payment WHERE id = " +
                      std::to_string(p.id)),
            "identified account true true");
  EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = 'payment'"), 1);
  // Its readings are the account's now.
  EXPECT_EQ(count("SELECT count(*) FROM billing.reading WHERE account = '100234'"), 1);
  // The original delivered again changes nothing.
  EXPECT_EQ(store.apply(envelope("payment.received", payment, "p1")).outcome,
            ApplyResult::Outcome::kUnchanged);

  // A payment document with that ИПД for the account identifies the second payment.
  EXPECT_EQ(db.scalar("SELECT status FROM billing.payment WHERE id = " + std::to_string(by_ipd.id)),
            "unidentified");
  auto doc = replace(sample("payment_document.issued"), "<c:ipd>34АА011432-01-2610</c:ipd>",
                     "<c:ipd>77ББ000001-01-2610</c:ipd>");
  ASSERT_TRUE(store.apply(envelope("payment_document.issued", doc, "d")).ok());
  EXPECT_EQ(db.scalar("SELECT status || ' ' || ident_method FROM billing.payment WHERE id = " +
                      std::to_string(by_ipd.id)),
            "identified ipd");
}

}  // namespace
}  // namespace hub::billing
