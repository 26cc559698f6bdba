#pragma once
// A recording plugin::Emitter for host tests that need no journal.

#include <mutex>
#include <vector>

#include "hub/plugin/context.h"

namespace hub::plugin_host::testing {

class RecordingEmitter : public plugin::Emitter {
 public:
  plugin::EmitResult emit(std::vector<plugin::Envelope> batch,
                          const std::optional<plugin::Checkpoint>& checkpoint) override {
    std::lock_guard lock(mu_);
    plugin::EmitResult r;
    r.accepted = batch.size();
    for (auto& e : batch) messages.push_back(std::move(e));
    if (checkpoint) checkpoints.push_back(*checkpoint);
    return r;
  }
  std::mutex mu_;
  std::vector<plugin::Envelope> messages;
  std::vector<plugin::Checkpoint> checkpoints;
};

}  // namespace hub::plugin_host::testing
