#pragma once
// The interface every adapter plugin implements. Everything is optional but the constructor:
// a source uses Context::emitter(), a sink overrides deliver(), a batch system offers jobs().

#include <string>
#include <vector>

#include "hub/plugin/context.h"
#include "hub/plugin/delivery_result.h"
#include "hub/plugin/envelope.h"
#include "hub/plugin/job_spec.h"

namespace hub::plugin {

struct Health {
  bool ok = true;
  std::string detail;
};

class Adapter {
 public:
  virtual ~Adapter() = default;

  /// Called once after every adapter is created; may register parsers and periodic tasks.
  virtual void start() {}
  /// Called before the hub stops the adapter's periodic tasks and destroys it.
  virtual void stop() {}
  virtual Health health() { return {}; }

  /// Jobs offered to the scheduler as `<instance>.<job>`.
  virtual std::vector<JobSpec> jobs() { return {}; }
  virtual JobResult run_job(const std::string& job) {
    return JobResult::failure("adapter offers no job '" + job + "'");
  }

  /// True when routes may name this adapter instance as a target.
  virtual bool is_sink() const { return false; }
  /// One delivery; called from the target's worker pool, possibly concurrently.
  virtual DeliveryResult deliver(const Envelope& message) {
    return DeliveryResult::rejected("adapter is not a sink");
  }
  /// The hub gave up on delivering `message` here: it is now a dead letter (rejected, or out of
  /// attempts), with `reason` the last error. A sink that keeps its own state per delivery (an
  /// exchange waiting for the next attempt) closes it here; an operator's replay calls deliver()
  /// again. Called after the dead letter is recorded; must not throw.
  virtual void abandoned(const Envelope& message, const std::string& reason) {}
};

}  // namespace hub::plugin
