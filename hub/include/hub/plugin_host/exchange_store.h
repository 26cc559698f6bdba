#pragma once
// plugin::ExchangeStore over hub.gis_exchange (migration 0010): one adapter instance's durable
// asynchronous exchanges. Each call leases a pool connection for its own short transaction;
// claim_due() takes rows with FOR UPDATE SKIP LOCKED and a lease, so several nodes (or a poll
// task and a job) never work on the same request at once.

#include <string>

#include "hub/plugin/exchange_state.h"
#include "hub/store/pool.h"

namespace hub::plugin_host {

class PgExchangeStore : public plugin::ExchangeStore {
 public:
  PgExchangeStore(store::Pool& pool, std::string adapter)
      : pool_(pool), adapter_(std::move(adapter)) {}

  plugin::ExchangeRecord create(const plugin::ExchangeRecord& record) override;
  std::optional<plugin::ExchangeRecord> find_by_key(const std::string& key) override;
  std::optional<plugin::ExchangeRecord> find(std::int64_t id) override;
  std::vector<plugin::ExchangeRecord> claim_due(const std::vector<std::string>& states,
                                                std::size_t limit,
                                                std::chrono::milliseconds lease) override;
  /// Throws std::runtime_error when no record of this instance has the id.
  void update(const plugin::ExchangeRecord& record) override;
  /// The same statement, committed with synchronous_commit off.
  void update_unsynced(const plugin::ExchangeRecord& record) override;
  std::vector<std::string> in_flight(const std::vector<std::string>& refs) override;
  std::vector<plugin::ExchangeCount> counts() override;
  std::vector<plugin::ExchangeRecord> list(const std::string& state, std::size_t limit) override;

 private:
  void write(const plugin::ExchangeRecord& record, bool synced);

  store::Pool& pool_;
  std::string adapter_;
};

}  // namespace hub::plugin_host
