#pragma once
// A fresh PostgreSQL database per test fixture, with every migration applied, on the throwaway
// cluster that deploy/test.sh starts (ZHKH_TEST_PG). Dropped when the object goes away.

#include <memory>
#include <string>

#include "hub/store/pool.h"

namespace hub::testing {

class TestDatabase {
 public:
  /// Creates database `t_<random>` and migrates it. Fails the test when ZHKH_TEST_PG is unset.
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }
  std::unique_ptr<store::Pool> make_pool(std::size_t size = 4) const;

  /// Runs one statement and returns the first column of the first row as text ("" for NULL).
  std::string scalar(const std::string& sql) const;
  void exec(const std::string& sql) const;

 private:
  std::string admin_conninfo_;
  std::string name_;
  std::string conninfo_;
};

/// The admin connection string from ZHKH_TEST_PG; empty when unset.
std::string test_pg_admin_conninfo();

}  // namespace hub::testing
