#pragma once
// The job runner: fires adapter jobs ("<adapter instance>.<job>") on their cron schedules, on one
// node at a time across the cluster, and records every run in hub.schedule_run.
//
// Contract:
//  - One runner across nodes, no overlap: a run holds pg_try_advisory_lock(hashtext('zhkh-job:'
//    || job)) on a dedicated connection (not a pooled one) for its whole duration. Every node
//    fires every slot; the lock plus the unique slot index of migration 0005 make exactly one
//    node handle each slot: it either runs it (status running → ok|failed) or, when the
//    previous run of the job still holds the lock, records it 'skipped'. A node that loses the
//    race for a slot records nothing.
//  - A run whose process died stays 'running' only until the next run of that job takes the
//    lock: holding the lock proves no one runs it, so stale 'running' rows become 'failed'.
//  - Misfire: at start(), a job whose last recorded slot is older than its latest fire time
//    (the hub was down over a slot) runs ONCE (trigger 'misfire'), whatever the number of
//    missed slots. A job with no recorded slot at all has missed nothing we can know of.
//  - A timer that wakes late (suspend, overload) fires the slot it was waiting for once and
//    resumes from "now"; it does not replay the slots in between.
//  - Jobs run on a small worker pool, never on the timer thread; a job already queued on this
//    node is not queued again. stop() lets running jobs finish (they are not interrupted) and
//    drops queued ones (the next start treats them as a misfire).
//  - Manual runs (trigger) are not bound to a slot and take the same lock; a manual run while
//    the job is running is recorded 'skipped'.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hub/core/error.h"
#include "hub/core/log.h"
#include "hub/plugin/job_spec.h"
#include "hub/router/routing_config.h"
#include "hub/scheduler/cron.h"
#include "hub/store/pool.h"

namespace hub::scheduler {

/// Runs the named job synchronously on the calling (worker) thread; may throw (→ failed run).
using JobInvoker = std::function<plugin::JobResult(const std::string& job)>;
/// True when some loaded adapter offers the job.
using JobExists = std::function<bool(const std::string& job)>;

/// trigger() for a job no adapter offers. The API maps it to 404.
class UnknownJobError : public Error {
 public:
  using Error::Error;
};

struct SchedulerOptions {
  std::size_t workers = 2;   ///< threads running cron and misfire runs
  bool run_misfires = true;  ///< false: missed slots are simply skipped
};

/// One row of hub.schedule_run.
struct RunRecord {
  using TimePoint = std::chrono::system_clock::time_point;
  std::int64_t id = 0;
  std::string job;
  std::optional<TimePoint> scheduled_for;  ///< the slot; empty for manual runs
  TimePoint started_at;
  std::optional<TimePoint> finished_at;
  std::string status;   ///< running | ok | failed | skipped
  std::string trigger;  ///< cron | manual | misfire
  std::string node;
  std::string error;
  std::string summary;       ///< JobResult::message of a successful run
  std::string triggered_by;  ///< manual runs: who asked
};

struct ScheduleStatus {
  router::ScheduleEntry entry;
  bool job_known = true;  ///< false: no adapter offers this job; it is not fired
  std::optional<std::chrono::system_clock::time_point> next_fire;  ///< empty: disabled/unknown
  std::optional<RunRecord> last_run;  ///< most recent run of the job, from any node
};

class Scheduler {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// `node_id` names this process in hub.schedule_run.node (e.g. "host:pid").
  Scheduler(store::Pool& pool, JobInvoker invoke, JobExists job_exists, std::string node_id,
            SchedulerOptions options = {});
  ~Scheduler();  ///< stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Replaces the schedule (a new route version may arrive at any time). All entries are
  /// validated first; on error nothing changes and ConfigError names the entry's line and the
  /// key ('cron' or 'time_zone'). Entries whose job and cron are unchanged keep their next fire
  /// time, so a reload never loses or repeats a slot.
  void set_schedules(std::vector<router::ScheduleEntry> entries);

  /// The validation set_schedules does (cron syntax, never-firing expressions, time zone), for
  /// `routes apply` to refuse a bad version before it is published. Throws ConfigError naming
  /// `file`, the entry's line and the key.
  static void validate(const std::vector<router::ScheduleEntry>& entries,
                       const std::string& file = "schedules");

  /// Starts the timer and the workers, and queues misfire runs. Once per object.
  void start();
  /// Stops firing; waits for running jobs (including manual ones) to finish. Idempotent.
  void stop();

  /// Runs `job` now, outside its schedule, for `actor`. Returns the hub.schedule_run id as soon
  /// as the run is recorded ('running', or 'skipped' when the job is running elsewhere); the job
  /// itself runs on its own thread. Throws UnknownJobError, or Error after stop().
  std::int64_t trigger(const std::string& job, const std::string& actor);

  /// Every schedule entry with its next fire time and its last run.
  std::vector<ScheduleStatus> list() const;
  /// Most recent runs of `job` (any node), newest first.
  std::vector<RunRecord> runs(const std::string& job, std::size_t limit = 20) const;
  std::optional<RunRecord> run(std::int64_t id) const;

  const std::string& node_id() const { return node_id_; }

 private:
  struct Slot {
    router::ScheduleEntry entry;
    std::optional<CronExpr> cron;
    std::shared_ptr<const TimeZone> zone;
    bool job_known = true;
    std::optional<TimePoint> next;
  };
  struct Due {
    std::string job;
    TimePoint scheduled_for;
    std::string trigger;  // cron | misfire
  };

  void timer_loop();
  void worker_loop();
  void queue_misfires();
  void execute_due(const Due& due, std::unique_ptr<pqxx::connection>& conn);
  /// Runs an already claimed run (lock held on `conn`), records the result, releases the lock.
  void finish_run(pqxx::connection& conn, const std::string& job, std::int64_t run_id);
  void refresh_next(Slot& slot, TimePoint now);
  void enqueue_locked(Due due);

  store::Pool& pool_;
  JobInvoker invoke_;
  JobExists job_exists_;
  std::string node_id_;
  SchedulerOptions options_;
  Log log_{"scheduler"};

  mutable std::mutex mu_;
  std::condition_variable timer_cv_;
  std::condition_variable queue_cv_;
  std::vector<Slot> slots_;
  std::deque<Due> queue_;
  bool started_ = false;
  bool stopping_ = false;
  std::thread timer_;
  std::vector<std::thread> workers_;
  std::vector<std::thread> manual_;  ///< manual runs, joined by stop()
  std::vector<std::shared_ptr<std::atomic<bool>>> manual_done_;
};

}  // namespace hub::scheduler
