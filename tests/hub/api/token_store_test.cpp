#include "hub/api/token_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_database.h"

namespace hub::api {
namespace {

using namespace std::chrono_literals;

TEST(TokenStore, AuthenticatesActiveTokensOnly) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  TokenStore store(*pool);
  const auto token = store.create("billing-engine", Role::kOperator);
  const auto who = store.authenticate(token);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->name, "billing-engine");
  EXPECT_EQ(who->role, Role::kOperator);
  EXPECT_FALSE(store.authenticate(token + "x").has_value());
  EXPECT_FALSE(store.authenticate("").has_value());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.api_token WHERE token_hash = '" + token + "'"),
            "0");  // only the hash is stored
  EXPECT_TRUE(store.revoke("billing-engine"));
  EXPECT_FALSE(store.authenticate(token).has_value());
}

TEST(TokenStore, CacheSparesTheDatabaseAndForgetsOnLocalRevoke) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  TokenStore store(*pool);
  store.set_cache_ttl(60s);
  const auto token = store.create("consumer", Role::kOperator);
  ASSERT_TRUE(store.authenticate(token).has_value());
  // The row is gone, yet the cached check still answers: no round trip per request.
  db.exec("UPDATE hub.api_token SET role = 'viewer' WHERE name = 'consumer'");
  EXPECT_EQ(store.authenticate(token)->role, Role::kOperator);
  // Revoking through this store takes effect at once.
  EXPECT_TRUE(store.revoke("consumer"));
  EXPECT_FALSE(store.authenticate(token).has_value());
}

TEST(TokenStore, TokenRevokedElsewhereStopsWorkingWithinTheTtl) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  TokenStore here(*pool), other_node(*pool);
  // Long enough that the revoke below and the check after it fit inside it on a loaded machine.
  here.set_cache_ttl(1000ms);
  const auto token = here.create("consumer", Role::kOperator);
  ASSERT_TRUE(here.authenticate(token).has_value());
  EXPECT_TRUE(other_node.revoke("consumer"));
  EXPECT_TRUE(here.authenticate(token).has_value());  // still cached
  std::this_thread::sleep_for(1100ms);
  EXPECT_FALSE(here.authenticate(token).has_value());
  // Unknown tokens are never cached: each one asks the database.
  EXPECT_FALSE(here.authenticate("zhkh_unknown").has_value());
}

}  // namespace
}  // namespace hub::api
