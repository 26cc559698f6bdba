// PgBillingExport::find: the stored objects one message names, by ref, whatever their placement
// (how the GIS adapter finds a meter's accounts and premise), across more than one page.

#include <gtest/gtest.h>

#include <set>

#include "hub/billing/billing_export.h"
#include "test_database.h"

TEST(BillingExportFind, ReturnsExactlyTheNamedObjectsWithTheirGisIdsAcrossPages) {
  hub::testing::TestDatabase db;
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, area, residents,"
      " gis_account_guid) SELECT 'A' || g, 'A' || g, '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', 50,"
      " 1, CASE WHEN g % 2 = 0 THEN '00000000-0000-4000-8000-' || lpad(g::text, 12, '0') END"
      " FROM generate_series(1, 3000) g");
  auto pool = db.make_pool(1);
  hub::billing::PgBillingExport store(*pool);
  // 1,200 refs: more than one page of 1000; one is not stored at all.
  std::vector<std::string> refs;
  for (int i = 1; i <= 1199; ++i) refs.push_back("A" + std::to_string(i * 2));
  refs.push_back("NOT-STORED");
  const auto found = store.find("account.upsert", refs);
  ASSERT_EQ(found.size(), 1199u);
  std::set<std::string> seen;
  for (const auto& o : found) {
    seen.insert(o.ref);
    EXPECT_EQ(o.external_id.size(), 36u) << o.ref;
    EXPECT_NE(o.body.find("<c:account>" + o.ref + "</c:account>"), std::string::npos);
  }
  EXPECT_EQ(seen.size(), 1199u);
  EXPECT_TRUE(seen.count("A2398"));
  EXPECT_FALSE(seen.count("A1"));
  // Objects without a GIS id are found too; no refs, nothing; a type the store cannot export is
  // an error naming it.
  const auto one = store.find("account.upsert", {"A1"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].external_id, "");
  EXPECT_TRUE(store.find("account.upsert", {}).empty());
  EXPECT_THROW(store.find("ticket.created", {"x"}), std::invalid_argument);
}
