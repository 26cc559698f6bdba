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

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "hub/core/envelope.h"
#include "hub/store/pool.h"

namespace hub::queue {

struct Subscription {
  std::string name;                  ///< [a-z0-9_.-]+, used in URLs
  std::vector<std::string> types;    ///< message types; empty = every type
  std::vector<std::string> sources;  ///< source instances; empty = every source
  std::chrono::seconds visibility_timeout{60};
  int line = 0;  ///< where it was configured, for errors
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

class CanonicalQueues {
 public:
  /// `pool` serves pulls and acks; `conninfo` is for the LISTEN connection.
  CanonicalQueues(store::Pool& pool, std::string conninfo, std::vector<Subscription> subscriptions);
  ~CanonicalQueues();
  CanonicalQueues(const CanonicalQueues&) = delete;
  CanonicalQueues& operator=(const CanonicalQueues&) = delete;

  /// Up to `max` visible messages of `subscription`, oldest first; waits up to `wait` for the
  /// first one. Throws api::NotFound for an unknown subscription.
  std::vector<QueuedMessage> pull(const std::string& subscription, int max,
                                  std::chrono::milliseconds wait);
  /// Acknowledges processed messages by receipt. Throws api::NotFound for an unknown subscription.
  AckResult ack(const std::string& subscription, const std::vector<std::string>& receipts);

  const std::vector<Subscription>& subscriptions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub::queue
