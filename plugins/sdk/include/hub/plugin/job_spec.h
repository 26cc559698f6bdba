#pragma once
// Operations an adapter offers to the scheduler, named `<adapter instance>.<job>`.

#include <string>

namespace hub::plugin {

struct JobSpec {
  std::string name;             ///< job name within the adapter, e.g. "scan"
  std::string description;
  std::string default_schedule; ///< cron expression used when config sets none; empty = manual only
};

struct JobResult {
  bool ok = true;
  std::string message;  ///< summary for hub.schedule_run (counts, or the error)

  static JobResult success(std::string msg = {}) { return {true, std::move(msg)}; }
  static JobResult failure(std::string msg) { return {false, std::move(msg)}; }
};

}  // namespace hub::plugin
