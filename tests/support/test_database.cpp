#include "test_database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "hub/store/migrations.h"

namespace hub::testing {

std::string test_pg_admin_conninfo() {
  const char* env = std::getenv("ZHKH_TEST_PG");
  return env ? env : "";
}

namespace {
std::string replace_dbname(const std::string& conninfo, const std::string& db) {
  const auto pos = conninfo.find("dbname=");
  if (pos == std::string::npos) return conninfo + " dbname=" + db;
  const auto end = conninfo.find(' ', pos);
  return conninfo.substr(0, pos) + "dbname=" + db +
         (end == std::string::npos ? "" : conninfo.substr(end));
}
}  // namespace

TestDatabase::TestDatabase() : admin_conninfo_(test_pg_admin_conninfo()) {
  if (admin_conninfo_.empty()) {
    ADD_FAILURE() << "ZHKH_TEST_PG is not set: run the tests through deploy/test.sh";
    throw std::runtime_error("ZHKH_TEST_PG is not set");
  }
  std::random_device rd;
  name_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 100000000);
  {
    pqxx::connection admin(admin_conninfo_);
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + name_);
  }
  conninfo_ = replace_dbname(admin_conninfo_, name_);
  pqxx::connection conn(conninfo_);
  store::migrate(conn);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(admin_conninfo_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

std::unique_ptr<store::Pool> TestDatabase::make_pool(std::size_t size) const {
  return std::make_unique<store::Pool>(conninfo_, size);
}

std::string TestDatabase::scalar(const std::string& sql) const {
  pqxx::connection conn(conninfo_);
  pqxx::work tx(conn);
  auto r = tx.exec(sql);
  tx.commit();
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

void TestDatabase::exec(const std::string& sql) const {
  pqxx::connection conn(conninfo_);
  pqxx::work tx(conn);
  tx.exec(sql);
  tx.commit();
}

}  // namespace hub::testing
