#pragma once
// The dispatcher: per-target worker pools that take due rows from the outbox (hub.delivery) and
// hand them to the target's Sink.
//
// A worker claims a batch with one UPDATE over `SELECT ... FOR UPDATE SKIP LOCKED`, setting
// lease_owner/lease_until; a row whose lease expired (its node died) is free to claim again, so
// work is taken over without any coordination beyond PostgreSQL. Results are written back in one
// statement per batch: delivered; retry (attempts+1, next_attempt_at = now + backoff with full
// jitter); dead (rejected, or attempts exhausted) with a hub.dead_letter row holding the last
// error. Delivery is at least once: a node that dies after the sink accepted but before the
// result was written has its rows delivered again by another node.
//
// A sink that delivers inside the transaction (Sink::delivers_in_transaction: the billing store,
// noop) is served differently: the worker opens a transaction, locks the batch with the same
// SKIP LOCKED choice but writes no lease, lets the sink write on that transaction (in a
// savepoint), records the results and commits. Each row is written once, not twice, and the
// sink's effect commits with its "delivered" or not at all.
//
// Workers wake on NOTIFY zhkh_delivery (payload = target, sent by Ingress and DLQ replay after
// commit) and otherwise poll every `poll_interval`. A per-target circuit breaker stops claims
// while the target keeps failing. A target with pending rows but no registered sink keeps its
// rows pending; it is logged once and shown in zhkh_dispatcher_target_without_sink.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hub/dispatcher/circuit_breaker.h"
#include "hub/dispatcher/sink.h"
#include "hub/store/pool.h"

namespace hub::dispatcher {

/// The LISTEN/NOTIFY channel that wakes dispatchers; the payload is the target name.
inline constexpr const char* kDeliveryChannel = "zhkh_delivery";

struct TargetConfig {
  int workers = 2;
  int batch_size = 500;   ///< rows per claim
  int max_attempts = 10;  ///< the attempt that reaches this and fails makes a dead letter
  std::chrono::milliseconds backoff_base{1000};   ///< cap of the first retry delay
  std::chrono::milliseconds backoff_max{600000};  ///< no delay cap grows beyond this
  bool full_jitter = true;  ///< delay uniform in [0, cap]; false = exactly cap (tests, tuning)
  std::chrono::milliseconds lease{60000};         ///< must exceed the sink's time for one batch
  int breaker_failures = 5;                       ///< consecutive failures that open the breaker
  std::chrono::milliseconds breaker_open{30000};  ///< cool-down before a half-open probe
  std::chrono::milliseconds poll_interval{1000};  ///< fallback when no NOTIFY arrives
  /// After a claim that was not full, wait this long before the next one so rows accumulate
  /// into bigger batches (fewer claims under a steady trickle) at the cost of that much latency.
  /// 0 here, for the library's own users; `zhkh-hub run` defaults it to 50 ms (hub_config.h).
  std::chrono::milliseconds linger{0};
};

struct DispatcherOptions {
  /// Unique per running process; leases are owned by "<node_id>#<target>#<worker>".
  std::string node_id;
  TargetConfig defaults;
  std::map<std::string, TargetConfig> targets;  ///< overrides per target name
  /// How often queue-depth gauges are refreshed and unknown targets discovered.
  std::chrono::milliseconds housekeeping_interval{5000};
  bool listen = true;  ///< LISTEN on kDeliveryChannel (off: poll only)
  /// Wait for the WAL flush when recording results. Off (default): a database crash may forget
  /// the last few hundred milliseconds of results, so those rows are delivered again: the same
  /// at-least-once guarantee as a node crash, for one fsync less per batch.
  bool synchronous_results = false;
};

/// The retry delay after failed attempt number `attempt` (1-based): cap = min(backoff_max,
/// backoff_base * 2^(attempt-1)); with full jitter the delay is `uniform01 * cap`.
std::chrono::milliseconds backoff_delay(const TargetConfig& config, int attempt, double uniform01);

/// Counters of one Dispatcher object (process-wide metrics are in metrics::Registry).
struct DispatcherStats {
  std::uint64_t claimed = 0;
  std::uint64_t delivered = 0;
  std::uint64_t retried = 0;
  std::uint64_t dead = 0;
  std::uint64_t lease_lost = 0;  ///< results dropped because another worker had taken the row
  std::uint64_t batches = 0;
};

class Dispatcher {
 public:
  /// `pool` serves claims and results; the LISTEN connection is opened separately from
  /// pool.conninfo(). Sinks are looked up in `sinks` at every claim, so they may be added later.
  Dispatcher(store::Pool& pool, std::shared_ptr<SinkRegistry> sinks, DispatcherOptions options);
  ~Dispatcher();  ///< stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Starts a worker pool for every registered sink and every configured target, the listener
  /// and the housekeeper. Pools for targets seen later (rows pending, sink registered) are
  /// started by the housekeeper.
  void start();
  /// Stops claiming, lets every in-flight batch finish and record its results, then releases any
  /// lease this node still holds. Idempotent.
  void stop();

  /// Wakes the workers of `target` now (what a NOTIFY does).
  void wake(const std::string& target);
  /// Starts a pool for `target` if there is none yet.
  void ensure_target(const std::string& target);

  BreakerState breaker_state(const std::string& target) const;
  DispatcherStats stats() const;
  const TargetConfig& config_for(const std::string& target) const;
  const std::string& node_id() const { return options_.node_id; }

 private:
  struct Target;
  struct Row;

  struct Batch;

  void run_worker(Target& target, int index);
  /// Claims at most `limit` rows, delivers them and records the results; returns rows claimed.
  std::size_t run_batch(Target& target, Sink& sink, const std::string& owner, int limit);
  /// run_batch() for a sink that delivers inside the transaction: claim (locking, no lease),
  /// delivery and results are one transaction.
  std::size_t run_batch_in_transaction(Target& target, Sink& sink, int limit);
  static std::vector<Row> read_rows(const pqxx::result& claimed);
  void take(Batch& batch);
  /// Calls the sink through `call`; an exception or a short answer becomes retries.
  void deliver(
      Target& target, Batch& batch,
      const std::function<std::vector<DeliveryResult>(const std::vector<Envelope>&)>& call);
  /// Writes the batch's results (and its dead letters) on `tx`; returns the rows recorded.
  pqxx::result record(Target& target, pqxx::transaction_base& tx, Batch& batch,
                      const std::string& owner);
  /// Counters, metrics, logs and Sink::abandoned() once the results are recorded.
  void account(Target& target, Sink& sink, const Batch& batch, const pqxx::result& done,
               const std::string& owner);
  std::string commit_mode() const;
  void run_listener();
  void run_housekeeper();
  void refresh_depth();
  void note_missing_sink(const std::string& target);
  void wait_for_work(Target& target, std::uint64_t seen, std::chrono::milliseconds timeout);
  void publish_breaker(const Target& target);
  void release_leases();

  store::Pool& pool_;
  std::shared_ptr<SinkRegistry> sinks_;
  DispatcherOptions options_;

  mutable std::mutex mu_;  // targets_, missing_sinks_
  std::map<std::string, std::unique_ptr<Target>> targets_;
  std::set<std::string> missing_sinks_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  std::thread listener_;
  std::thread housekeeper_;
  std::mutex housekeeper_mu_;
  std::condition_variable housekeeper_cv_;

  std::atomic<std::uint64_t> claimed_{0}, delivered_{0}, retried_{0}, dead_{0}, lease_lost_{0},
      batches_{0};
};

}  // namespace hub::dispatcher
