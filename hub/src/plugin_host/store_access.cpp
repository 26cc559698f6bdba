#include "hub/plugin_host/store_access.h"

#include <stdexcept>

namespace hub::plugin_host {

std::optional<plugin::Checkpoint> PgStoreAccess::find_checkpoint(const std::string& source,
                                                                 const std::string& key) {
  auto lease = pool_.lease();
  // One read, no BEGIN/COMMIT around it.
  pqxx::nontransaction tx(lease.conn());
  auto r = tx.exec_params(
      "SELECT source, key, coalesce(file_name, ''), position, status, coalesce(report, '')"
      " FROM hub.file_checkpoint WHERE source = $1 AND key = $2",
      source, key);
  if (r.empty()) return std::nullopt;
  plugin::Checkpoint cp;
  cp.source = r[0][0].c_str();
  cp.key = r[0][1].c_str();
  cp.file_name = r[0][2].c_str();
  cp.position = r[0][3].as<std::int64_t>();
  cp.status = r[0][4].c_str();
  cp.report = r[0][5].c_str();
  return cp;
}

void PgStoreAccess::log_exchange(const std::string& operation, const std::string& direction,
                                 const std::string& correlation_id, const std::string& status,
                                 const std::string& payload) {
  if (direction != "in" && direction != "out") {
    throw std::invalid_argument("exchange direction must be 'in' or 'out', got '" + direction +
                                "'");
  }
  auto lease = pool_.lease();
  // The log is a diagnostic record of what went out and came in; the state it belongs to is
  // written by the adapter (an exchange record, a checkpoint) after it. Waiting for the disk
  // here cost a GIS request four fsyncs of its ~ten; unsynced, a later durable commit flushes
  // the log line with it (WAL is written in order), and a database crash before that loses the
  // line together with the step, which the adapter then redoes and logs again. One statement in
  // its own implicit transaction (no BEGIN/COMMIT round trips); set_config's is_local scopes
  // synchronous_commit to it.
  lease.conn().prepare(
      "hub_exchange_log_insert",
      "WITH unsynced AS (SELECT set_config('synchronous_commit', 'off', true))"
      " INSERT INTO hub.exchange_log (adapter, operation, direction, correlation_id, status,"
      " payload) SELECT $1, $2, $3, $4, $5, $6 FROM unsynced");
  pqxx::nontransaction tx(lease.conn());
  tx.exec_prepared("hub_exchange_log_insert", adapter_, operation, direction,
                   correlation_id.empty() ? std::optional<std::string>() : correlation_id,
                   status.empty() ? std::optional<std::string>() : status, payload);
}

}  // namespace hub::plugin_host
