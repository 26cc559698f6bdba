#pragma once
// A delivery target: an adapter that is a sink, a built-in store, a canonical queue. The
// dispatcher calls deliver() from the target's worker pool and owns retry, backoff, circuit
// breaking and dead letters.
//
// Most sinks talk to another system, so the dispatcher leases their rows, delivers outside any
// transaction and records the results afterwards. A sink whose whole effect is in the hub's own
// database (the billing store) or that has none (noop) says so with delivers_in_transaction():
// it is handed the batch inside the dispatcher's claim transaction, so claim, effect and result
// commit together — one write per outbox row instead of two, and a crash anywhere leaves the
// rows pending with nothing of their effect kept.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/core/envelope.h"
#include "hub/plugin/delivery_result.h"

namespace pqxx {
class dbtransaction;
}

namespace hub::dispatcher {

using plugin::DeliveryResult;

class Sink {
 public:
  virtual ~Sink() = default;
  /// One message; may be called concurrently from the target's workers.
  virtual DeliveryResult deliver(const Envelope& message) = 0;
  /// A batch, in order. The default calls deliver() for each; a sink that can do better (one
  /// transaction for the batch) overrides it. Returns one result per message.
  virtual std::vector<DeliveryResult> deliver_batch(const std::vector<Envelope>& messages) {
    std::vector<DeliveryResult> out;
    out.reserve(messages.size());
    for (const auto& m : messages) out.push_back(deliver(m));
    return out;
  }
  /// True when deliver_batch_in() is how this sink delivers (see the file comment). Such a sink
  /// must be quick: its rows stay locked while it runs.
  virtual bool delivers_in_transaction() const { return false; }
  /// deliver_batch() writing through `tx`, the dispatcher's open transaction, which the sink
  /// never commits or aborts (it may set savepoints in it: store::Savepoint). The dispatcher calls
  /// this inside a savepoint: when it throws, its writes are undone and the batch is recorded for
  /// retry.
  virtual std::vector<DeliveryResult> deliver_batch_in(pqxx::dbtransaction& tx,
                                                       const std::vector<Envelope>& messages) {
    return deliver_batch(messages);
  }
  /// `message` became a dead letter at this target (see plugin::Adapter::abandoned). Called once
  /// its dead-letter record is written; exceptions are logged and ignored.
  virtual void abandoned(const Envelope& message, const std::string& reason) {}
};

/// Targets by name, as routes name them.
class SinkRegistry {
 public:
  void add(const std::string& name, std::shared_ptr<Sink> sink) {
    std::lock_guard lock(mu_);
    sinks_[name] = std::move(sink);
  }
  std::shared_ptr<Sink> find(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = sinks_.find(name);
    return it == sinks_.end() ? nullptr : it->second;
  }
  std::vector<std::string> names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [n, _] : sinks_) out.push_back(n);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Sink>> sinks_;
};

}  // namespace hub::dispatcher
