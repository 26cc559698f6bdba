#pragma once
// Durable state of asynchronous exchanges with an external system (GIS ZhKH: request sent →
// AckRequest → getState polls → result), kept by the hub in PostgreSQL (hub.gis_exchange) so that a
// restart loses nothing. Each adapter instance sees only its own records.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hub::plugin {

/// One request and where it stands. The adapter owns the meaning of `state`; the hub only treats
/// "done" and "failed" as final (see ExchangeStore::in_flight).
struct ExchangeRecord {
  std::int64_t id = 0;     ///< assigned by the store
  std::string key;         ///< what caused it, unique per instance: a message id, job chunk
  std::string operation;   ///< e.g. "importAccountData"
  std::string state;       ///< e.g. "new", "sent", "done", "failed"
  std::string request_id;  ///< our MessageGUID of the current send
  std::string ack_guid;    ///< the system's MessageGUID from its acknowledgement
  std::chrono::system_clock::time_point next_poll_at{};  ///< when it is due next
  int polls = 0;        ///< getState calls since the last send (drives the cadence)
  int sends = 0;        ///< sends so far (a transient error resends)
  std::string request;  ///< the request document as built (before signing)
  std::string context;  ///< the adapter's own data (e.g. transport GUID → object lines)
  std::vector<std::string> objects;  ///< refs "<kind>:<ref>" of the objects it carries
  std::string result;                ///< outcome summary
  std::string error_code;            ///< whole-message error code when failed
  std::string error_text;
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point updated_at{};
};

/// Counts for reports: operation, state, how many.
struct ExchangeCount {
  std::string operation;
  std::string state;
  std::string error_code;
  std::int64_t count = 0;
};

class ExchangeStore {
 public:
  virtual ~ExchangeStore() = default;
  /// Inserts `record` unless one with its key exists; returns the stored one (new or existing,
  /// which the caller tells apart by comparing request_id).
  virtual ExchangeRecord create(const ExchangeRecord& record) = 0;
  virtual std::optional<ExchangeRecord> find_by_key(const std::string& key) = 0;
  virtual std::optional<ExchangeRecord> find(std::int64_t id) = 0;
  /// Records in one of `states` whose next_poll_at has come, oldest due first, at most `limit`;
  /// each is leased for `lease` (no other claim returns it until the lease ends or update()).
  /// A record that has an ack_guid comes without its request (empty): it was acknowledged, so
  /// its next step is a poll; an adapter that sends it again reads the request with find().
  /// No claimed record brings its objects (empty; find() reads them): none of the steps after
  /// the creation needs them, and update() keeps them.
  virtual std::vector<ExchangeRecord> claim_due(const std::vector<std::string>& states,
                                                std::size_t limit,
                                                std::chrono::milliseconds lease) = 0;
  /// Writes every mutable field of the record with this id and releases its lease; an empty
  /// request, context or objects keeps the stored one.
  virtual void update(const ExchangeRecord& record) = 0;
  /// As update(), but its commit does not wait for the disk (synchronous_commit off): a crash of
  /// the database (not of the hub) can lose it, together with whatever else committed since the
  /// last durable commit. Only for a step that the caller redoes from the record's previous
  /// durable state with the same effect: a poll, an acknowledged send (sent again under the same
  /// MessageGUID, which the system deduplicates), a result whose effects were committed durably
  /// elsewhere (an Ingress checkpoint). Any later durable commit makes it durable too.
  virtual void update_unsynced(const ExchangeRecord& record) { update(record); }
  /// Those of `refs` that an exchange not yet done or failed carries.
  virtual std::vector<std::string> in_flight(const std::vector<std::string>& refs) = 0;
  /// Counts by operation, state and error code.
  virtual std::vector<ExchangeCount> counts() = 0;
  /// Records in `state` (all when empty), newest first.
  virtual std::vector<ExchangeRecord> list(const std::string& state, std::size_t limit) = 0;
};

}  // namespace hub::plugin
