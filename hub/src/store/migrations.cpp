#include "hub/store/migrations.h"

#include <algorithm>
#include <set>

#include "hub/core/error.h"

namespace hub::store {
namespace {
// Any constant shared by all nodes; distinct from the scheduler's job locks.
constexpr long long kMigrationLock = 0x7a686b6801LL;
}

MigrationReport migrate(pqxx::connection& conn) {
  MigrationReport report;
  {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  }
  try {
    {
      pqxx::work tx(conn);
      tx.exec(
          "CREATE SCHEMA IF NOT EXISTS hub;"
          "CREATE TABLE IF NOT EXISTS hub.schema_migrations ("
          " version int PRIMARY KEY, name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      tx.commit();
    }
    // Applied by set, not by "above the highest": a lower number landing later still runs.
    std::set<int> applied;
    {
      pqxx::work tx(conn);
      for (const auto& row : tx.exec("SELECT version FROM hub.schema_migrations")) {
        applied.insert(row[0].as<int>());
      }
    }
    int current = applied.empty() ? 0 : *applied.rbegin();
    for (const auto& m : embedded_migrations()) {
      if (applied.count(m.version)) continue;
      try {
        pqxx::work tx(conn);
        tx.exec(m.sql);
        tx.exec_params("INSERT INTO hub.schema_migrations (version, name) VALUES ($1, $2)",
                       m.version, std::string(m.name));
        tx.commit();
      } catch (const std::exception& e) {
        throw StoreError(std::string("migration ") + m.name + " failed: " + e.what());
      }
      report.applied.emplace_back(m.name);
      current = std::max(current, m.version);
    }
    report.current_version = current;
  } catch (...) {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    throw;
  }
  pqxx::nontransaction tx(conn);
  tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
  return report;
}

}  // namespace hub::store
