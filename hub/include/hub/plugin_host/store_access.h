#pragma once
// The narrow store access an adapter gets (plugin::StoreAccess): checkpoint look-ups in
// hub.file_checkpoint and raw exchange records in hub.exchange_log, over the hub's pool. Each call
// leases a connection for its own short transaction.

#include <string>

#include "hub/plugin/context.h"
#include "hub/store/pool.h"

namespace hub::plugin_host {

class PgStoreAccess : public plugin::StoreAccess {
 public:
  /// `adapter` is the instance name recorded in hub.exchange_log.adapter.
  PgStoreAccess(store::Pool& pool, std::string adapter)
      : pool_(pool), adapter_(std::move(adapter)) {}

  std::optional<plugin::Checkpoint> find_checkpoint(const std::string& source,
                                                    const std::string& key) override;
  /// `direction` is "in" or "out" (std::invalid_argument otherwise).
  void log_exchange(const std::string& operation, const std::string& direction,
                    const std::string& correlation_id, const std::string& status,
                    const std::string& payload) override;

 private:
  store::Pool& pool_;
  std::string adapter_;
};

}  // namespace hub::plugin_host
