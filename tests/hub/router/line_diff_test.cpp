// unified_diff: the output `routes apply` shows, checked against hand-made expectations.

#include "hub/router/line_diff.h"

#include <gtest/gtest.h>

namespace hub::router {
namespace {

TEST(LineDiff, IdenticalIsEmpty) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "old", "new"), "");
  EXPECT_EQ(unified_diff("", "", "old", "new"), "");
}

TEST(LineDiff, FromNothing) {
  EXPECT_EQ(unified_diff("", "a\nb\n", "old", "new"),
            "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n");
}

TEST(LineDiff, OneLineChangedWithContext) {
  const std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(unified_diff(before, after, "v1", "routes.yaml"),
            "--- v1\n+++ routes.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(LineDiff, DistantChangesMakeTwoHunksCloseOnesOne) {
  std::string before, after;
  for (int i = 1; i <= 20; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 ? "two" : i == 18 ? "eighteen" : std::to_string(i)) + "\n";
  }
  const auto d = unified_diff(before, after, "a", "b");
  EXPECT_EQ(d,
            "--- a\n+++ b\n"
            "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
            "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n");

  std::string near_after;
  for (int i = 1; i <= 20; ++i) near_after += (i == 5 || i == 10 ? "x" : std::to_string(i)) + "\n";
  const auto n = unified_diff(before, near_after, "a", "b");
  // One hunk only: 5 and 10 are 4 unchanged lines apart, within 2 * context.
  std::size_t hunks = 0;
  for (std::size_t p = n.find("\n@@"); p != std::string::npos; p = n.find("\n@@", p + 1)) ++hunks;
  EXPECT_EQ(hunks, 1u) << n;
  EXPECT_NE(n.find("@@ -2,12 +2,12 @@"), std::string::npos) << n;
}

TEST(LineDiff, InsertionAndDeletion) {
  const auto d = unified_diff("a\nb\nc\n", "a\nc\nd\n", "x", "y", 0);
  EXPECT_EQ(d, "--- x\n+++ y\n@@ -2 +1,0 @@\n-b\n@@ -3,0 +3 @@\n+d\n");
}

TEST(LineDiff, RouteAdded) {
  const std::string before = "routes:\n  - name: a\n    to: [x]\n";
  const std::string after = "routes:\n  - name: a\n    to: [x]\n  - name: b\n    to: [y]\n";
  EXPECT_EQ(unified_diff(before, after, "version 1", "new.yaml"),
            "--- version 1\n+++ new.yaml\n@@ -1,3 +1,5 @@\n routes:\n   - name: a\n     to: [x]\n"
            "+  - name: b\n+    to: [y]\n");
}

}  // namespace
}  // namespace hub::router
