// external.state: the results set the named objects' GIS ids and errors; an upsert from an engine
// that does not know the GIS id keeps it.

#include <gtest/gtest.h>

#include <cstdio>

#include "billing_fixture.h"

namespace hub::billing {
namespace {

using testing::BillingTest;
using testing::envelope;
using testing::replace;
using testing::sample;
using testing::without;

TEST_F(BillingTest, ExternalStateSetsGisIdsAndErrorsOnTheObjectsItNames) {
  const auto a = without(sample("account.upsert"), "gisAccountGuid");
  ASSERT_TRUE(store.apply(envelope("account.upsert", a, "a1")).ok());
  const auto b = replace(a, "<c:account>100234</c:account>", "<c:account>100235</c:account>");
  ASSERT_TRUE(store.apply(envelope("account.upsert", b, "a2")).ok());

  const auto r = store.apply(envelope("external.state", sample("external.state"), "x"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(db.scalar("SELECT gis_account_guid FROM billing.account WHERE number = '100234'"),
            "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(db.scalar("SELECT ext_error_code IS NULL FROM billing.account WHERE number = '100234'"),
            "t");
  EXPECT_EQ(db.scalar("SELECT ext_error_code FROM billing.account WHERE number = '100235'"),
            "INT002000");
  EXPECT_EQ(db.scalar("SELECT ext_state_at = '2026-11-25T00:39:58Z' FROM billing.account WHERE "
                      "number = '100234'"),
            "t");
  // GIS's ids and errors are the objects' link state, not their data: no account history (the
  // answer itself is in billing.external_state and the exchange log).
  EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = 'account'"), 0);

  // The engine sends the account again without the GIS id: the id stays, and nothing changes.
  const auto again = store.apply(envelope("account.upsert", a, "a3"));
  EXPECT_EQ(again.outcome, ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(db.scalar("SELECT gis_account_guid FROM billing.account WHERE number = '100234'"),
            "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  // The same external.state again changes nothing either.
  EXPECT_EQ(store.apply(envelope("external.state", sample("external.state"), "x2")).outcome,
            ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 0);
}

TEST_F(BillingTest, APaymentNoticesResultLandsOnThePaymentItsMessageBrought) {
  // GIS answers importNotificationsOfOrderExecution naming each payment by the id of the
  // payment.received message that was routed to it.
  const std::string accepted_id = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
  const std::string refused_id = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c";
  auto paid = envelope("payment.received", sample("payment.received"), "p1");
  paid.id = accepted_id;
  ASSERT_TRUE(store.apply(paid).ok());
  auto other = envelope(
      "payment.received",
      replace(sample("payment.received"), "<c:transactionId>", "<c:transactionId>9"), "p2");
  other.id = refused_id;
  ASSERT_TRUE(store.apply(other).ok());
  const std::string state =
      "<c:externalState xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:system>gis_zhkh</c:system>"
      "<c:operation>importNotificationsOfOrderExecution</c:operation>"
      "<c:requestId>7f1e2d3c-4b5a-4697-8877-665544332299</c:requestId><c:state>done</c:state>"
      "<c:checkedAt>2026-11-25T03:40:12+03:00</c:checkedAt>"
      "<c:result><c:transportGuid>11111111-2222-4333-8444-555555555599</c:transportGuid>"
      "<c:objectKind>payment</c:objectKind><c:objectRef>" +
      accepted_id +
      "</c:objectRef><c:externalGuid>5d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d</c:externalGuid>"
      "</c:result>"
      "<c:result><c:transportGuid>11111111-2222-4333-8444-555555555598</c:transportGuid>"
      "<c:objectKind>payment</c:objectKind><c:objectRef>" +
      refused_id +
      "</c:objectRef><c:error><c:code>INT004120</c:code><c:text>Лицевой счет не найден</c:text>"
      "</c:error></c:result>"
      "<c:result><c:transportGuid>11111111-2222-4333-8444-555555555597</c:transportGuid>"
      "<c:objectKind>payment</c:objectKind><c:objectRef>not-a-message-id</c:objectRef>"
      "<c:error><c:code>INT004120</c:code><c:text>x</c:text></c:error></c:result>"
      "</c:externalState>";
  const auto r = store.apply(envelope("external.state", state, "x-pay"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(db.scalar("SELECT gis_notification_guid FROM billing.payment WHERE message_id = '" +
                      accepted_id + "'"),
            "5d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(db.scalar("SELECT ext_error_code IS NULL AND ext_state_at IS NOT NULL"
                      " FROM billing.payment WHERE message_id = '" +
                      accepted_id + "'"),
            "t");
  EXPECT_EQ(db.scalar("SELECT ext_error_code || ' ' || ext_error_text FROM billing.payment"
                      " WHERE message_id = '" +
                      refused_id + "'"),
            "INT004120 Лицевой счет не найден");
  EXPECT_EQ(db.scalar("SELECT gis_notification_guid IS NULL FROM billing.payment"
                      " WHERE message_id = '" +
                      refused_id + "'"),
            "t");
}

TEST_F(BillingTest, TheGuidWriteBackOfAnExportLeavesEveryAccountOnItsPage) {
  // Migration 0022: the pages of the placed objects' tables keep room for the write-back's new
  // versions, so that it is a HOT update (no index entries). 300 accounts as a bulk load lays
  // them out (as bench_gis_export seeds them), all placed by one answer, as an export's are.
  constexpr int kAccounts = 300;
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area,"
      " residents, payer_last_name, payer_first_name, payer_middle_name)"
      " SELECT 'H' || g, 'H' || g, '5e4a1c2b-8f3d-4c6a-9b2e-' || lpad((g / 300)::text, 12, '0'),"
      " (g % 300)::text, 30 + (g % 70) + 0.25, g % 6, 'Иванова', 'Мария', 'Петровна'"
      " FROM generate_series(1, " + std::to_string(kAccounts) + ") g");
  db.exec("CREATE TABLE before_write_back AS"
          " SELECT number, (ctid::text::point)[0] AS page FROM billing.account");
  std::string state =
      "<c:externalState xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:system>gis_zhkh</c:system>"
      "<c:operation>importAccountData</c:operation>"
      "<c:requestId>7f1e2d3c-4b5a-4697-8877-665544332299</c:requestId><c:state>done</c:state>"
      "<c:checkedAt>2026-11-25T03:40:12+03:00</c:checkedAt>";
  for (int i = 1; i <= kAccounts; ++i) {
    char tail[13];
    std::snprintf(tail, sizeof tail, "%012d", i);
    state += std::string("<c:result><c:transportGuid>11111111-2222-4333-8444-") + tail +
             "</c:transportGuid><c:objectKind>account</c:objectKind><c:objectRef>H" +
             std::to_string(i) + "</c:objectRef><c:externalGuid>1d2c3b4a-5e6f-4a7b-8c9d-" + tail +
             "</c:externalGuid><c:updatedAt>2026-11-25T03:39:58+03:00</c:updatedAt></c:result>";
  }
  state += "</c:externalState>";
  const auto r = store.apply(envelope("external.state", state, "x-many"));
  ASSERT_TRUE(r.ok()) << r.error;

  EXPECT_EQ(count("SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT NULL"),
            kAccounts);
  // More than one page, or there was nothing to fill.
  EXPECT_GT(count("SELECT count(DISTINCT page) FROM before_write_back"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM billing.account a JOIN before_write_back b USING (number)"
                  " WHERE (a.ctid::text::point)[0] <> b.page"),
            0);
  EXPECT_EQ(db.scalar("SELECT array_to_string(reloptions, ',') FROM pg_class"
                      " WHERE oid = 'billing.account'::regclass"),
            "fillfactor=45");
}

}  // namespace
}  // namespace hub::billing
