#pragma once
// Sinks that ship with the hub: `noop` accepts everything at once (benchmarks, dry runs) and `log`
// writes one structured line per message (type, id, correlation) and accepts it.

#include <memory>

#include "hub/core/log.h"
#include "hub/dispatcher/sink.h"

namespace hub::dispatcher {

class NoopSink : public Sink {
 public:
  DeliveryResult deliver(const Envelope&) override { return DeliveryResult::delivered(); }
  std::vector<DeliveryResult> deliver_batch(const std::vector<Envelope>& messages) override {
    return std::vector<DeliveryResult>(messages.size(), DeliveryResult::delivered());
  }
  // No effect at all, so nothing is lost by taking the batch inside the claim transaction.
  bool delivers_in_transaction() const override { return true; }
  std::vector<DeliveryResult> deliver_batch_in(pqxx::dbtransaction&,
                                               const std::vector<Envelope>& messages) override {
    return deliver_batch(messages);
  }
};

class LoggingSink : public Sink {
 public:
  explicit LoggingSink(std::string name = "log") : log_("sink." + name) {}
  DeliveryResult deliver(const Envelope& message) override;

 private:
  Log log_;
};

/// Adds "noop" and "log" to `registry` (existing entries of those names are replaced).
void register_builtin_sinks(SinkRegistry& registry);

}  // namespace hub::dispatcher
