#pragma once
// Shared set-up for billing tests: a fresh migrated database, a pool, the store, and helpers to
// make envelopes from the canonical samples.

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "hub/billing/billing_store.h"
#include "hub/core/envelope.h"
#include "test_database.h"
#include "test_paths.h"

namespace hub::billing::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string sample(const std::string& type) {
  const auto p = hub::testing::source_dir() / "schemas/canonical/samples" / (type + ".xml");
  return read_text(p);
}

inline Envelope envelope(const std::string& type, const std::string& body, const std::string& key) {
  Envelope e;
  e.type = type;
  e.source = "test";
  e.idempotency_key = key;
  e.body = body;
  return e;
}

/// Replaces the first occurrence of `from` in `s` (the test fails when there is none).
inline std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' not in the text";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

/// `s` without the element `<c:name>...</c:name>` (first occurrence).
inline std::string without(std::string s, const std::string& name) {
  const auto a = s.find("<c:" + name + ">");
  const auto close = "</c:" + name + ">";
  const auto b = s.find(close, a);
  EXPECT_TRUE(a != std::string::npos && b != std::string::npos) << name;
  if (a != std::string::npos && b != std::string::npos) s.erase(a, b + close.size() - a);
  return s;
}

class BillingTest : public ::testing::Test {
 protected:
  hub::testing::TestDatabase db;
  std::unique_ptr<store::Pool> pool = db.make_pool(4);
  BillingStore store{*pool};

  long long count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
};

}  // namespace hub::billing::testing
