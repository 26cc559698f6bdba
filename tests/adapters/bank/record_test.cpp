// RoleValues (registry/record.h): the reader clears one per line and keeps its entries, so what
// an earlier line left behind must never be seen as the next line's.

#include "registry/record.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace hub::bank {
namespace {

TEST(RoleValues, ClearForgetsEveryValueOfTheLineBefore) {
  RoleValues v;
  v["account"] = "1234567890";
  v["payer_name"] = "Иванова Мария Петровна, длиннее короткой строки";
  v["amount"] = "10001";
  ASSERT_EQ(v.size(), 3u);

  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.begin(), v.end());
  EXPECT_EQ(v.count("account"), 0u);
  EXPECT_EQ(v.find("payer_name"), v.end());
  EXPECT_THROW(v.at("amount"), std::out_of_range);

  // The next line names other roles in another order: each starts empty, under its own name.
  auto [it, made] = v.try_emplace("amount");
  EXPECT_TRUE(made);
  EXPECT_EQ(it->first, "amount");
  EXPECT_EQ(it->second, "");
  it->second = "500";
  v["els"] = "00АБ123456";
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.at("amount"), "500");
  EXPECT_EQ(v.at("els"), "00АБ123456");
  EXPECT_EQ(v.count("account"), 0u);
  EXPECT_EQ(v.count("payer_name"), 0u);
  EXPECT_FALSE(v.try_emplace("els").second);

  // A line with more roles than any before grows past the kept entries.
  v.clear();
  for (const char* role : {"a", "b", "c", "d", "e"}) v[role] = role;
  EXPECT_EQ(v.size(), 5u);
  std::string order;
  for (const auto& [role, value] : v) {
    EXPECT_EQ(role, value);
    order += role;
  }
  EXPECT_EQ(order, "abcde");
}

TEST(RoleValues, EqualityLooksOnlyAtTheCurrentLine) {
  RoleValues reused;
  reused["account"] = "1";
  reused["period"] = "2026-11";
  reused.clear();
  reused["account"] = "2";

  RoleValues fresh;
  fresh["account"] = "2";
  EXPECT_TRUE(reused == fresh);
  fresh["period"] = "2026-11";
  EXPECT_FALSE(reused == fresh);
}

TEST(RoleValues, AMovedFromOneIsEmptyAndUsable) {
  RoleValues a;
  a["account"] = "1";
  a["amount"] = "100";
  RoleValues b(std::move(a));
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.at("amount"), "100");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): what the test is about
  a["period"] = "2026-11";
  EXPECT_EQ(a.size(), 1u);

  RoleValues c;
  c = std::move(b);
  EXPECT_EQ(c.at("account"), "1");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.begin(), b.end());
}

}  // namespace
}  // namespace hub::bank
