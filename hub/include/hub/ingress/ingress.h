#pragma once
// Ingress is the only way into the hub. For a batch it validates every body against its
// canonical XSD, routes it, and in ONE transaction journals the messages (deduplicated on
// idempotency key), writes one outbox row per (route, target), and records the source's
// checkpoint. A crash at any point keeps all of it or none of it. A small batch is checked before
// its transaction opens; a big one (256 KB of bodies and more) is checked on two threads while its
// journal is written in parts, and a refusal found after a part was written rolls it back.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/core/envelope.h"
#include "hub/plugin/context.h"
#include "hub/router/router.h"
#include "hub/store/pool.h"
#include "hub/xml/schema_registry.h"

namespace hub::ingress {

/// Points inside submit(), for crash tests and tracing.
enum class Step {
  kValidated,         ///< every body parsed and validated, nothing written
  kRouted,            ///< routing decided, nothing written
  kMessagesInserted,  ///< journal rows written, transaction open
  kDeliveriesInserted,
  kCheckpointWritten,
  kCommitted,
};
const char* to_string(Step step);

class Ingress : public plugin::Emitter {
 public:
  Ingress(store::Pool& pool, std::shared_ptr<const xml::SchemaRegistry> schemas,
          router::RouterHolder& router);

  /// Validates, deduplicates, journals and routes `batch` with `checkpoint`, all or nothing.
  /// Throws plugin::RejectedInput naming the message (index, type, idempotency key) and the line
  /// or XPath of the first problem; nothing is written then. Empty batch + checkpoint records
  /// only the checkpoint (e.g. a file finished or quarantined).
  plugin::EmitResult submit(std::vector<Envelope> batch,
                            const std::optional<plugin::Checkpoint>& checkpoint = std::nullopt);

  plugin::EmitResult emit(std::vector<Envelope> batch,
                          const std::optional<plugin::Checkpoint>& checkpoint) override {
    return submit(std::move(batch), checkpoint);
  }

  /// Called at each step; tests use it to crash the process at a chosen point.
  void set_step_hook(std::function<void(Step)> hook) { step_hook_ = std::move(hook); }

  /// Deliveries beyond the routes, decided per valid message right after routing and written in
  /// the same transaction (canonical queue subscriptions: queue::CanonicalQueues::fan_out). Set
  /// before the first submit; it must be thread-safe and do no I/O.
  using FanOut = std::function<void(const Envelope&, router::RoutingDecision&)>;
  void set_fan_out(FanOut fan_out) { fan_out_ = std::move(fan_out); }

 private:
  void step(Step s) {
    if (step_hook_) step_hook_(s);
  }

  store::Pool& pool_;
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  router::RouterHolder& router_;
  std::function<void(Step)> step_hook_;
  FanOut fan_out_;
};

/// One instance's view of Ingress: stamps `source` on envelopes and checkpoints that leave it
/// empty. The plugin host gives each adapter one of these as its emitter.
class SourceEmitter : public plugin::Emitter {
 public:
  SourceEmitter(plugin::Emitter& ingress, std::string source)
      : ingress_(ingress), source_(std::move(source)) {}
  plugin::EmitResult emit(std::vector<Envelope> batch,
                          const std::optional<plugin::Checkpoint>& checkpoint) override;

 private:
  plugin::Emitter& ingress_;
  std::string source_;
};

}  // namespace hub::ingress
