#include "hub/store/migrations.h"

#include <gtest/gtest.h>

#include "hub/store/pool.h"
#include "test_database.h"

namespace hub::store {
namespace {

TEST(Migrations, CreateEveryHubTableAndAreIdempotent) {
  testing::TestDatabase db;  // already migrated once
  for (const char* table : {"message", "delivery", "dead_letter", "exchange_log", "file_checkpoint",
                            "schedule_run", "route_version", "api_token", "audit"}) {
    EXPECT_EQ(db.scalar(std::string("SELECT to_regclass('hub.") + table + "') IS NOT NULL"), "t")
        << table;
  }
  pqxx::connection conn(db.conninfo());
  const auto again = migrate(conn);
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.current_version, embedded_migrations().back().version);
}

TEST(Pool, LeasesUpToItsSizeThenTimesOut) {
  testing::TestDatabase db;
  Pool pool(db.conninfo(), 2);
  auto a = pool.lease();
  auto b = pool.lease();
  EXPECT_EQ(pool.stats().in_use, 2u);
  EXPECT_THROW(pool.lease(std::chrono::milliseconds(50)), std::exception);
  { auto moved = std::move(a); }
  auto c = pool.lease(std::chrono::milliseconds(50));
  pqxx::work tx(c.conn());
  EXPECT_EQ(tx.exec1("SELECT 1")[0].as<int>(), 1);
}

}  // namespace
}  // namespace hub::store
