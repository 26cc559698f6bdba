#include "hub/plugin_host/store_access.h"

#include <stdexcept>

namespace hub::plugin_host {

std::optional<plugin::Checkpoint> PgStoreAccess::find_checkpoint(const std::string& source,
                                                                 const std::string& key) {
  auto lease = pool_.lease();
  pqxx::work tx(lease.conn());
  auto r = tx.exec_params(
      "SELECT source, key, coalesce(file_name, ''), position, status, coalesce(report, '')"
      " FROM hub.file_checkpoint WHERE source = $1 AND key = $2",
      source, key);
  tx.commit();
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
  pqxx::work tx(lease.conn());
  tx.exec_params(
      "INSERT INTO hub.exchange_log (adapter, operation, direction, correlation_id, status, "
      "payload)"
      " VALUES ($1, $2, $3, $4, $5, $6)",
      adapter_, operation, direction,
      correlation_id.empty() ? std::optional<std::string>() : correlation_id,
      status.empty() ? std::optional<std::string>() : status, payload);
  tx.commit();
}

}  // namespace hub::plugin_host
