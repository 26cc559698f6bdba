#pragma once
// A manual job run on a running hub, waited for. `zhkh-hub schedules run JOB` only starts the run
// (the API answers 202 with the run's id) and the job goes on inside the hub, so a test that
// reads the job's effects, or asks for the job again, must first wait for the run to end. A run
// asked for while the job's lock is still held (the previous run records its end before it lets
// go of the lock) is recorded as 'skipped' and does nothing; this asks again until a run really
// took place.

#include <chrono>
#include <string>
#include <thread>

#include "hub_process.h"
#include "test_database.h"

namespace hub::testing {

/// One finished run of a job (hub.schedule_run), or what went wrong asking for it.
struct JobRun {
  long long id = 0;
  std::string status;  ///< ok, failed; "" when the run could not be started or did not end
  std::string error;   ///< the run's error; for status "" why there is no run
  std::string summary;
  bool finished() const { return status == "ok" || status == "failed"; }
};

/// Runs `job` on `hub` (`zhkh-hub schedules run`) and waits until that run has finished.
inline JobRun run_job(const HubProcess& hub, const TestDatabase& db, const std::string& job,
                      std::chrono::seconds timeout = std::chrono::seconds(60)) {
  JobRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int code = -1;
    const auto out = hub.cli("schedules run " + job, &code);
    if (code == 1 && out.find(" skipped: ") != std::string::npos) {
      // The previous run still holds the job (its end is being recorded): ask again.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const auto at = out.find("started run ");
    if (code != 0 || at == std::string::npos) {
      run.error = "schedules run " + job + " failed (" + std::to_string(code) + "): " + out;
      return run;
    }
    run.id = std::stoll(out.substr(at + 12));
    const std::string where = " FROM hub.schedule_run WHERE id = " + std::to_string(run.id);
    for (;;) {
      run.status = db.scalar("SELECT status" + where);
      if (run.status != "running" || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (run.status != "skipped") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string where = " FROM hub.schedule_run WHERE id = " + std::to_string(run.id);
  run.error = db.scalar("SELECT coalesce(error, '')" + where);
  run.summary = db.scalar("SELECT coalesce(summary, '')" + where);
  if (!run.finished()) {
    run.error = "run " + std::to_string(run.id) + " of " + job + " is '" + run.status + "' after " +
                std::to_string(timeout.count()) + " s: " + run.error;
    run.status.clear();
  }
  return run;
}

}  // namespace hub::testing
