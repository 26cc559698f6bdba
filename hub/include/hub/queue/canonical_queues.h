#pragma once
// Canonical queues: how billing engines (1С:Биллинг, Стек, АИС Город) consume canonical messages.
// A subscription has a name and a filter on type and source; every message Ingress commits that
// passes the filter is queued for it. Consumers pull batches and ack them; a pulled message not
// acked within the subscription's visibility timeout is delivered again (at-least-once), so a
// consumer that dies mid-batch loses nothing. Competing consumers of one subscription get
// disjoint batches. pull() long-polls: with nothing visible it waits up to `wait`, woken by
// LISTEN/NOTIFY when Ingress commits.
//
// This header is the contract the admin API routes (queue_routes) and the SOAP endpoint
// (hub/soap) use; the implementation lives in hub/src/queue/.
//
// How it is built (decisions written down here because they are the contract's fine print):
// - Storage: a subscription's items are ordinary outbox rows, hub.delivery with target
//   "queue:<name>" and route "subscription:<name>", written by Ingress in the same transaction
//   as the message (fan_out(), installed with Ingress::set_fan_out). So an item exists exactly
//   when its message is journalled, and duplicates by idempotency key queue nothing. The
//   dispatcher never pushes queue:* targets (it has no sink for them). Every node must declare
//   the same subscriptions.
// - Filter: fan_out() queues only messages whose type and source pass the filter; pull() checks
//   the filter again on what it claimed and marks rows that fail (written by other nodes or
//   versions, replayed dead letters) state 'filtered' instead of delivering them.
// - Pull: one UPDATE over SELECT ... FOR UPDATE SKIP LOCKED in (next_attempt_at, id) order
//   (index delivery_due), so competing consumers get disjoint batches. It sets a fresh random
//   lease token, lease_until = now + visibility timeout, attempts + 1 (= delivery_count) and
//   `consumer` (who pulled it: the admin API passes the token name; this replaces the audit row
//   per pull). A row whose lease expired unacked is visible again: that is redelivery.
// - Receipt: "<delivery id>.<lease token>" (128 random bits per pull). Ack matches both and
//   requires the lease still running, so a receipt can never ack a copy re-leased by someone
//   else, nor a message after its timeout (it is rejected; the message comes again).
// - Durability: leases and acks are committed with synchronous_commit off (one fsync less per
//   call). A database crash may forget the last ~0.2 s of them; those messages are delivered
//   again, which at-least-once allows anyway (a consumer can die at the same point). The items
//   themselves were committed durably by Ingress. QueueOptions::synchronous_acks turns it on.
// - Wake-up: one LISTEN connection on zhkh_delivery (Ingress NOTIFYs "queue:<name>" after its
//   commit) wakes waiting pulls; they also look again every QueueOptions::poll_interval, which
//   is what brings back expired leases and covers a lost NOTIFY.
// - Metrics (hub/metrics): zhkh_queue_pulled_total, zhkh_queue_acked_total,
//   zhkh_queue_redeliveries_total, zhkh_queue_ack_rejected_total, zhkh_queue_filtered_total
//   (counters) and zhkh_queue_depth, zhkh_queue_in_flight, zhkh_queue_oldest_unacked_seconds
//   (gauges, refreshed every QueueOptions::stats_interval), all labelled {subscription}.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "hub/core/envelope.h"
#include "hub/router/router.h"
#include "hub/store/pool.h"

namespace hub::queue {

struct Subscription {
  std::string name;                  ///< [a-z0-9_.-]+, used in URLs
  std::vector<std::string> types;    ///< message types; empty = every type
  std::vector<std::string> sources;  ///< source instances; empty = every source
  std::chrono::seconds visibility_timeout{60};
  int line = 0;  ///< where it was configured, for errors
  /// A message pulled this many times without an ack is not handed out again but moved to the
  /// dead letters (hub.dead_letter, replayable like any other), so a message the consumer
  /// cannot process does not come back forever. 0 = no limit.
  int max_deliveries = 20;
};

struct QueuedMessage {
  std::string receipt;     ///< opaque ack handle; valid until the visibility timeout passes
  int delivery_count = 1;  ///< 1 on the first delivery, more after redeliveries
  Envelope message;
};

struct AckResult {
  int acked = 0;
  /// Receipts that were unknown, already acked or expired (the message will come again).
  std::vector<std::string> rejected;
};

/// What pull_and_ack() did: the ack of the previous batch, then the next batch.
struct PullResult {
  AckResult acked;
  std::vector<QueuedMessage> messages;
};

/// Tuning beyond the contract's constructor; defaults fit production.
struct QueueOptions {
  /// How often a waiting pull looks again without a NOTIFY (expired leases, lost NOTIFY).
  std::chrono::milliseconds poll_interval{1000};
  /// How often the depth / in-flight / oldest-age gauges are refreshed; 0 = never (tests).
  std::chrono::milliseconds stats_interval{5000};
  /// Commit leases and acks with synchronous_commit on (see "Durability" above).
  bool synchronous_acks = false;
  bool listen = true;  ///< LISTEN for wake-ups (off: poll only)
  /// Connections of the queues' own pool (opened from `conninfo`) for pulls and acks: they run
  /// with plan_cache_mode=force_generic_plan, which must not leak into other parts' statements.
  int connections = 4;
};

/// One subscription's state, for GET /api/v1/queues and the gauges.
struct QueueStats {
  std::string name;
  long long depth = 0;                ///< unacked items: visible + in flight
  long long in_flight = 0;            ///< pulled, lease still running
  double oldest_unacked_seconds = 0;  ///< age of the oldest unacked item; 0 when empty
};

/// The hub.delivery target of `subscription`'s items: "queue:<name>".
std::string queue_target(const std::string& subscription);
/// True when `s`'s filter lets `message` through (empty list = any).
bool passes_filter(const Subscription& s, const std::string& type, const std::string& source);
/// Throws ConfigError(file, s.line, "queues.<name>...") for a bad name, duplicate names, a
/// visibility timeout outside 1 s .. 12 h or empty filter entries.
void validate_subscriptions(const std::vector<Subscription>& subscriptions,
                            const std::string& file);

class CanonicalQueues {
 public:
  /// `pool` serves the depth / in-flight queries; pulls and acks run on the queues' own pool of
  /// QueueOptions::connections opened from `conninfo`, which also gives the LISTEN connection.
  CanonicalQueues(store::Pool& pool, std::string conninfo, std::vector<Subscription> subscriptions);
  CanonicalQueues(store::Pool& pool, std::string conninfo, std::vector<Subscription> subscriptions,
                  QueueOptions options);
  ~CanonicalQueues();
  CanonicalQueues(const CanonicalQueues&) = delete;
  CanonicalQueues& operator=(const CanonicalQueues&) = delete;

  /// Up to `max` visible messages of `subscription`, oldest first; waits up to `wait` for the
  /// first one. Throws api::NotFound for an unknown subscription.
  std::vector<QueuedMessage> pull(const std::string& subscription, int max,
                                  std::chrono::milliseconds wait);
  /// The same, recording `consumer` (e.g. the API token's name) on the claimed rows.
  std::vector<QueuedMessage> pull(const std::string& subscription, int max,
                                  std::chrono::milliseconds wait, const std::string& consumer);
  /// ack(receipts) and then pull(), in one database round trip when the receipts come from one
  /// pull (the usual consumer loop: ack the batch just processed, take the next). The ack
  /// happens once, before any waiting. Throws api::NotFound for an unknown subscription.
  PullResult pull_and_ack(const std::string& subscription, const std::vector<std::string>& receipts,
                          int max, std::chrono::milliseconds wait,
                          const std::string& consumer = {});
  /// Acknowledges processed messages by receipt. Throws api::NotFound for an unknown subscription.
  AckResult ack(const std::string& subscription, const std::vector<std::string>& receipts);

  const std::vector<Subscription>& subscriptions() const;
  /// nullptr for an unknown name.
  const Subscription* find(const std::string& name) const;

  /// Adds one delivery to queue:<name> for every subscription `message` passes, unless a route
  /// already delivers it there. Ingress calls it (Ingress::set_fan_out) for every valid message
  /// inside its transaction. Thread-safe, no I/O.
  void fan_out(const Envelope& message, router::RoutingDecision& decision) const;

  /// Depth, in-flight and oldest age per subscription, read now (also refreshes the gauges).
  /// Moves every message of every subscription that reached its max_deliveries and whose last
  /// lease has run out to the dead letters; returns how many. The housekeeper calls it each
  /// stats_interval.
  long long bury_exhausted();

  std::vector<QueueStats> stats();

  /// Wakes pulls waiting on `subscription` (what a NOTIFY does).
  void wake(const std::string& subscription);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub::queue
