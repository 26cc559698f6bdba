// external.state: the results set the named objects' GIS ids and errors; an upsert from an engine
// that does not know the GIS id keeps it.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hub::billing
