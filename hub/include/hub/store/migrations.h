#pragma once
// Numbered SQL migrations (hub/migrations/NNNN_name.sql, compiled into the binary) and the
// migrator that applies the missing ones in order, each in its own transaction, under an advisory
// lock so that two nodes starting together do not race.

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace hub::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& embedded_migrations();

struct MigrationReport {
  std::vector<std::string> applied;  ///< names applied by this call
  int current_version = 0;
};

/// Applies every embedded migration not yet recorded in hub.schema_migrations.
MigrationReport migrate(pqxx::connection& conn);

}  // namespace hub::store
