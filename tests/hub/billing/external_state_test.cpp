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
  // The change is account history.
  EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = 'account'"), 2);

  // The engine sends the account again without the GIS id: the id stays, and nothing changes.
  const auto again = store.apply(envelope("account.upsert", a, "a3"));
  EXPECT_EQ(again.outcome, ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(db.scalar("SELECT gis_account_guid FROM billing.account WHERE number = '100234'"),
            "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  // The same external.state again changes nothing either.
  EXPECT_EQ(store.apply(envelope("external.state", sample("external.state"), "x2")).outcome,
            ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 2);
}

}  // namespace
}  // namespace hub::billing
