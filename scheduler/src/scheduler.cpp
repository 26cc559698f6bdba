#include "hub/scheduler/scheduler.h"

#include <algorithm>
#include <atomic>
#include <pqxx/pqxx>

#include "hub/metrics/registry.h"

namespace hub::scheduler {
namespace {

using Clock = std::chrono::system_clock;

// The lock key is shared by every node and by the CLI: keep the text exactly as documented.
constexpr const char* kLockSql = "SELECT pg_try_advisory_lock(hashtext('zhkh-job:' || $1))";
constexpr const char* kUnlockSql = "SELECT pg_advisory_unlock(hashtext('zhkh-job:' || $1))";
// Only valid while holding the job's lock: nobody else can be running it, so 'running' rows are
// leftovers of a process that died mid-run.
constexpr const char* kReapSql =
    "UPDATE hub.schedule_run SET status = 'failed', finished_at = clock_timestamp(), "
    "error = 'interrupted: the process running it stopped before the run finished' "
    "WHERE job = $1 AND status = 'running'";
constexpr const char* kClaimSlotSql =
    "INSERT INTO hub.schedule_run (job, scheduled_for, started_at, status, trigger, node) "
    "VALUES ($1, to_timestamp($2::float8), clock_timestamp(), 'running', $3, $4) "
    "ON CONFLICT DO NOTHING RETURNING id";
// A busy lock means either an earlier run is still going (this slot is skipped) or another node
// is claiming this very slot right now (it will run it: recording 'skipped' would steal the slot
// from it). Only a 'running' row for an earlier slot, or a manual run, tells the first case.
constexpr const char* kSkipSlotSql =
    "INSERT INTO hub.schedule_run (job, scheduled_for, started_at, finished_at, status, trigger, "
    "node, error) SELECT $1, to_timestamp($2::float8), clock_timestamp(), clock_timestamp(), "
    "'skipped', $3, $4, 'previous run still in progress' WHERE EXISTS (SELECT 1 FROM "
    "hub.schedule_run WHERE job = $1 AND status = 'running' AND (scheduled_for IS NULL OR "
    "scheduled_for < to_timestamp($2::float8))) ON CONFLICT DO NOTHING RETURNING id";
constexpr const char* kManualSql =
    "INSERT INTO hub.schedule_run (job, started_at, finished_at, status, trigger, node, error, "
    "triggered_by) VALUES ($1, clock_timestamp(), CASE WHEN $2 = 'skipped' THEN clock_timestamp() "
    "END, $2, 'manual', $3, NULLIF($4, ''), $5) RETURNING id";
constexpr const char* kFinishSql =
    "UPDATE hub.schedule_run SET finished_at = clock_timestamp(), status = $2, "
    "error = NULLIF($3, ''), summary = NULLIF($4, '') WHERE id = $1";
// The finish and the lock's release in one statement on the lock's connection, the update first
// (the FROM subquery runs before the unlock): a manual run asked for the moment a run is recorded
// finished finds the lock free, instead of being recorded 'skipped' behind a run that is over. A
// run that takes the lock in the instant before this commits waits on the row for its reap and
// then sees it finished.
constexpr const char* kFinishAndUnlockSql =
    "WITH f AS (UPDATE hub.schedule_run SET finished_at = clock_timestamp(), status = $2, "
    "error = NULLIF($3, ''), summary = NULLIF($4, '') WHERE id = $1 RETURNING id) "
    "SELECT pg_advisory_unlock(hashtext('zhkh-job:' || $5)) FROM (SELECT count(*) FROM f) done";
constexpr const char* kRunColumns =
    "id, job, (extract(epoch FROM scheduled_for) * 1000000)::bigint, "
    "(extract(epoch FROM started_at) * 1000000)::bigint, "
    "(extract(epoch FROM finished_at) * 1000000)::bigint, status, trigger, coalesce(node, ''), "
    "coalesce(error, ''), coalesce(summary, ''), coalesce(triggered_by, '')";

std::int64_t epoch_seconds(Clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

Clock::time_point from_micros(std::int64_t us) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(us)));
}

std::string iso(Clock::time_point t) {
  const std::time_t s = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

RunRecord read_run(const pqxx::row& r) {
  RunRecord rec;
  rec.id = r[0].as<std::int64_t>();
  rec.job = r[1].c_str();
  if (!r[2].is_null()) rec.scheduled_for = from_micros(r[2].as<std::int64_t>());
  rec.started_at = from_micros(r[3].as<std::int64_t>());
  if (!r[4].is_null()) rec.finished_at = from_micros(r[4].as<std::int64_t>());
  rec.status = r[5].c_str();
  rec.trigger = r[6].c_str();
  rec.node = r[7].c_str();
  rec.error = r[8].c_str();
  rec.summary = r[9].c_str();
  rec.triggered_by = r[10].c_str();
  return rec;
}

bool try_lock(pqxx::connection& conn, const std::string& job) {
  pqxx::nontransaction tx(conn);
  return tx.exec_params1(kLockSql, job)[0].as<bool>();
}

void unlock(pqxx::connection& conn, const std::string& job) {
  pqxx::nontransaction tx(conn);
  tx.exec_params(kUnlockSql, job);
}

}  // namespace

Scheduler::Scheduler(store::Pool& pool, JobInvoker invoke, JobExists job_exists,
                     std::string node_id, SchedulerOptions options)
    : pool_(pool),
      invoke_(std::move(invoke)),
      job_exists_(std::move(job_exists)),
      node_id_(std::move(node_id)),
      options_(options) {
  if (options_.workers == 0) options_.workers = 1;
  metrics::Registry::global().describe("zhkh_schedule_runs_total",
                                       "Scheduled job runs handled by this node, by status");
  metrics::Registry::global().describe("zhkh_schedule_run_seconds", "Duration of job runs");
}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::refresh_next(Slot& slot, TimePoint now) {
  slot.next.reset();
  if (slot.entry.enabled && slot.job_known && slot.cron)
    slot.next = slot.cron->next_after(now, *slot.zone);
}

void Scheduler::validate(const std::vector<router::ScheduleEntry>& entries,
                         const std::string& file) {
  for (const auto& e : entries) {
    try {
      CronExpr::parse(e.cron);
    } catch (const CronError& err) {
      throw ConfigError(file, e.line, "cron", std::string("job '") + e.job + "': " + err.what());
    }
    try {
      TimeZone::locate(e.time_zone.empty() ? kDefaultTimeZone : e.time_zone);
    } catch (const TimeZoneError& err) {
      throw ConfigError(file, e.line, "time_zone",
                        std::string("job '") + e.job + "': " + err.what());
    }
  }
}

void Scheduler::set_schedules(std::vector<router::ScheduleEntry> entries) {
  validate(entries);  // throws before anything changes
  std::vector<Slot> fresh;
  fresh.reserve(entries.size());
  for (auto& e : entries) {
    Slot s;
    if (e.time_zone.empty()) e.time_zone = kDefaultTimeZone;
    s.cron = CronExpr::parse(e.cron);
    s.zone = TimeZone::locate(e.time_zone);
    s.job_known = !job_exists_ || job_exists_(e.job);
    s.entry = std::move(e);
    fresh.push_back(std::move(s));
  }
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  for (auto& s : fresh) {
    const auto same = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& old) {
      return old.entry.job == s.entry.job && old.entry.cron == s.entry.cron &&
             old.entry.time_zone == s.entry.time_zone && old.entry.enabled == s.entry.enabled &&
             old.job_known == s.job_known;
    });
    if (same != slots_.end() && started_) {
      s.next = same->next;
    } else {
      refresh_next(s, now);
    }
    if (!s.job_known)
      log_.warn("schedule_unknown_job",
                {{"job", s.entry.job}, {"line", std::to_string(s.entry.line)}});
  }
  slots_ = std::move(fresh);
  log_.info("schedules_set", {{"count", std::to_string(slots_.size())}});
  timer_cv_.notify_all();
}

void Scheduler::start() {
  std::vector<std::string> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) throw Error("scheduler: start() called twice");
    if (stopping_) throw Error("scheduler: start() after stop()");
    started_ = true;
    for (const auto& s : slots_) jobs.push_back(s.entry.job);
  }
  // Adapters may have been loaded after set_schedules: look again which jobs exist.
  std::vector<bool> known;
  for (const auto& j : jobs) known.push_back(!job_exists_ || job_exists_(j));
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    for (std::size_t i = 0; i < slots_.size() && i < known.size(); ++i) {
      if (slots_[i].entry.job != jobs[i]) continue;  // replaced meanwhile; already fresh
      slots_[i].job_known = known[i];
      refresh_next(slots_[i], now);
    }
  }
  for (std::size_t i = 0; i < options_.workers; ++i)
    workers_.emplace_back([this] { worker_loop(); });
  if (options_.run_misfires) {
    try {
      queue_misfires();
    } catch (const std::exception& e) {
      // Not fatal: the schedule itself still runs; the missed slot is just not caught up.
      log_.error("schedule_misfire_check_failed", {{"error", e.what()}});
    }
  }
  timer_ = std::thread([this] { timer_loop(); });
  log_.info("scheduler_started",
            {{"node", node_id_}, {"workers", std::to_string(options_.workers)}});
}

void Scheduler::queue_misfires() {
  struct Candidate {
    std::string job;
    CronExpr cron;
    std::shared_ptr<const TimeZone> zone;
  };
  std::vector<Candidate> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : slots_)
      if (s.entry.enabled && s.job_known && s.cron)
        candidates.push_back({s.entry.job, *s.cron, s.zone});
  }
  if (candidates.empty()) return;
  const auto now = Clock::now();
  auto lease = pool_.lease();
  for (const auto& c : candidates) {
    pqxx::nontransaction tx(*lease);
    const auto r = tx.exec_params1(
        "SELECT extract(epoch FROM max(scheduled_for))::bigint FROM hub.schedule_run "
        "WHERE job = $1 AND trigger <> 'manual'",
        c.job);
    tx.commit();
    if (r[0].is_null()) continue;  // never scheduled before: nothing we know of was missed
    const std::int64_t last = r[0].as<std::int64_t>();
    const auto previous = c.cron.last_at_or_before(now, *c.zone);
    if (!previous || epoch_seconds(*previous) <= last) continue;
    log_.info("schedule_misfire", {{"job", c.job},
                                   {"last_slot", iso(Clock::from_time_t(last))},
                                   {"missed_slot", iso(*previous)}});
    std::lock_guard<std::mutex> lock(mu_);
    enqueue_locked({c.job, *previous, "misfire"});
  }
}

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !timer_.joinable() && workers_.empty() && manual_.empty()) return;
    stopping_ = true;
    queue_.clear();
  }
  timer_cv_.notify_all();
  queue_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& w : workers_) w.join();
  workers_.clear();
  std::vector<std::thread> manual;
  {
    std::lock_guard<std::mutex> lock(mu_);
    manual.swap(manual_);
    manual_done_.clear();
  }
  for (auto& t : manual) t.join();
}

void Scheduler::enqueue_locked(Due due) {
  // One queued run per job is enough: a second would only be skipped behind the first.
  for (const auto& q : queue_)
    if (q.job == due.job) {
      log_.debug("schedule_run_coalesced", {{"job", due.job}, {"slot", iso(due.scheduled_for)}});
      return;
    }
  queue_.push_back(std::move(due));
  queue_cv_.notify_one();
}

void Scheduler::timer_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const auto now = Clock::now();
    std::optional<TimePoint> earliest;
    for (auto& s : slots_) {
      if (s.next && *s.next <= now) {
        enqueue_locked({s.entry.job, *s.next, "cron"});
        auto next = s.cron->next_after(*s.next, *s.zone);
        if (next && *next <= now) {
          // We woke up late (suspend, overload): resume from now instead of replaying slots.
          log_.warn("schedule_timer_late", {{"job", s.entry.job}, {"slot", iso(*s.next)}});
          next = s.cron->next_after(now, *s.zone);
        }
        s.next = next;
      }
      if (s.next && (!earliest || *s.next < *earliest)) earliest = s.next;
    }
    // Wake at least every 30 s so a wall-clock jump is noticed even without a due slot.
    auto wake = now + std::chrono::seconds(30);
    if (earliest && *earliest < wake) wake = *earliest;
    timer_cv_.wait_until(lock, wake);
  }
}

void Scheduler::worker_loop() {
  std::unique_ptr<pqxx::connection> conn;  // dedicated: it holds the job's advisory lock
  while (true) {
    Due due;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      due = std::move(queue_.front());
      queue_.pop_front();
    }
    execute_due(due, conn);
  }
}

void Scheduler::execute_due(const Due& due, std::unique_ptr<pqxx::connection>& conn) {
  const auto slot = epoch_seconds(due.scheduled_for);
  try {
    if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(pool_.conninfo());
    if (!try_lock(*conn, due.job)) {
      pqxx::nontransaction tx(*conn);
      const auto r = tx.exec_params(kSkipSlotSql, due.job, slot, due.trigger, node_id_);
      tx.commit();
      if (!r.empty()) {
        metrics::Registry::global().add("zhkh_schedule_runs_total",
                                        {{"job", due.job}, {"status", "skipped"}});
        log_.warn("schedule_run_skipped", {{"job", due.job},
                                           {"slot", iso(due.scheduled_for)},
                                           {"trigger", due.trigger},
                                           {"reason", "previous run still in progress"}});
      }
      return;
    }
    std::optional<std::int64_t> id;
    try {
      pqxx::nontransaction tx(*conn);
      tx.exec_params(kReapSql, due.job);
      const auto r = tx.exec_params(kClaimSlotSql, due.job, slot, due.trigger, node_id_);
      tx.commit();
      if (!r.empty()) id = r[0][0].as<std::int64_t>();
    } catch (...) {
      unlock(*conn, due.job);
      throw;
    }
    if (!id) {  // another node ran this slot already
      unlock(*conn, due.job);
      log_.debug("schedule_slot_taken", {{"job", due.job}, {"slot", iso(due.scheduled_for)}});
      return;
    }
    log_.info("schedule_run_started", {{"job", due.job},
                                       {"run_id", std::to_string(*id)},
                                       {"slot", iso(due.scheduled_for)},
                                       {"trigger", due.trigger}});
    finish_run(*conn, due.job, *id);
  } catch (const std::exception& e) {
    // Dropping the connection releases any advisory lock it held.
    log_.error("schedule_run_error",
               {{"job", due.job}, {"slot", iso(due.scheduled_for)}, {"error", e.what()}});
    conn.reset();
  }
}

void Scheduler::finish_run(pqxx::connection& conn, const std::string& job, std::int64_t run_id) {
  const auto began = std::chrono::steady_clock::now();
  plugin::JobResult result;
  try {
    result = invoke_(job);
  } catch (const std::exception& e) {
    result = plugin::JobResult::failure(e.what());
  } catch (...) {
    result = plugin::JobResult::failure("unknown exception");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  const std::string status = result.ok ? "ok" : "failed";
  if (!result.ok && result.message.empty()) result.message = "failed without a message";
  const std::string error = result.ok ? "" : result.message;
  const std::string summary = result.ok ? result.message : "";
  bool recorded = false;
  try {
    pqxx::nontransaction tx(conn);
    tx.exec_params(kFinishAndUnlockSql, run_id, status, error, summary, job);
    tx.commit();
    recorded = true;
  } catch (const std::exception& e) {
    log_.warn("schedule_run_record_retry", {{"job", job}, {"error", e.what()}});
  }
  if (!recorded) {
    // The lock connection broke during the run (its lock is gone with it); record through the
    // pool so the run does not stay 'running' until the next run reaps it.
    try {
      auto lease = pool_.lease(std::chrono::seconds(10));
      pqxx::work tx(*lease);
      tx.exec_params(kFinishSql, run_id, status, error, summary);
      tx.commit();
    } catch (const std::exception& e) {
      log_.error("schedule_run_record_failed",
                 {{"job", job}, {"run_id", std::to_string(run_id)}, {"error", e.what()}});
    }
  }
  if (!recorded) {
    try {
      unlock(conn, job);
    } catch (const std::exception&) {
      // A broken connection has released the lock already.
    }
  }
  metrics::Registry::global().add("zhkh_schedule_runs_total", {{"job", job}, {"status", status}});
  metrics::Registry::global().observe("zhkh_schedule_run_seconds", {{"job", job}}, seconds);
  log_.log(result.ok ? LogLevel::kInfo : LogLevel::kWarn, "schedule_run_finished",
           {{"job", job},
            {"run_id", std::to_string(run_id)},
            {"status", status},
            {"seconds", std::to_string(seconds)},
            {result.ok ? "summary" : "error", result.message}});
}

std::int64_t Scheduler::trigger(const std::string& job, const std::string& actor) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) throw Error("scheduler is stopped; cannot run '" + job + "'");
  }
  if (job_exists_ && !job_exists_(job))
    throw UnknownJobError("unknown job '" + job + "': no loaded adapter offers it");

  auto conn = std::make_unique<pqxx::connection>(pool_.conninfo());
  if (!try_lock(*conn, job)) {
    pqxx::nontransaction tx(*conn);
    const auto id = tx.exec_params1(kManualSql, job, "skipped", node_id_,
                                    "already running (here or on another node)", actor)[0]
                        .as<std::int64_t>();
    tx.commit();
    log_.warn("schedule_manual_skipped",
              {{"job", job}, {"actor", actor}, {"run_id", std::to_string(id)}});
    return id;
  }
  std::int64_t id = 0;
  try {
    pqxx::nontransaction tx(*conn);
    tx.exec_params(kReapSql, job);
    id = tx.exec_params1(kManualSql, job, "running", node_id_, "", actor)[0].as<std::int64_t>();
    tx.commit();
  } catch (...) {
    unlock(*conn, job);
    throw;
  }
  log_.info(
      "schedule_run_started",
      {{"job", job}, {"run_id", std::to_string(id)}, {"trigger", "manual"}, {"actor", actor}});

  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {  // stop() began meanwhile and will not join a new thread
    pqxx::nontransaction tx(*conn);
    tx.exec_params(kFinishSql, id, "failed", "scheduler stopped before the run began", "");
    tx.commit();
    unlock(*conn, job);
    return id;
  }
  // Join manual runs that have finished, so the list does not grow with every trigger.
  for (std::size_t i = 0; i < manual_.size();) {
    if (manual_done_[i]->load()) {
      manual_[i].join();
      manual_.erase(manual_.begin() + static_cast<std::ptrdiff_t>(i));
      manual_done_.erase(manual_done_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  manual_done_.push_back(done);
  manual_.emplace_back(
      [this, c = std::shared_ptr<pqxx::connection>(std::move(conn)), job, id, done] {
        finish_run(*c, job, id);
        done->store(true);
      });
  return id;
}

std::vector<ScheduleStatus> Scheduler::list() const {
  std::vector<ScheduleStatus> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : slots_) {
      ScheduleStatus st;
      st.entry = s.entry;
      st.job_known = s.job_known;
      st.next_fire = s.next;
      if (!started_ && !s.next && s.entry.enabled && s.job_known && s.cron)
        st.next_fire = s.cron->next_after(Clock::now(), *s.zone);
      out.push_back(std::move(st));
    }
  }
  auto lease = pool_.lease();
  pqxx::nontransaction tx(*lease);
  for (auto& st : out) {
    const auto r = tx.exec_params(std::string("SELECT ") + kRunColumns +
                                      " FROM hub.schedule_run WHERE job = $1 "
                                      "ORDER BY started_at DESC, id DESC LIMIT 1",
                                  st.entry.job);
    if (!r.empty()) st.last_run = read_run(r[0]);
  }
  tx.commit();
  return out;
}

std::vector<RunRecord> Scheduler::runs(const std::string& job, std::size_t limit) const {
  auto lease = pool_.lease();
  pqxx::nontransaction tx(*lease);
  const auto r = tx.exec_params(std::string("SELECT ") + kRunColumns +
                                    " FROM hub.schedule_run WHERE job = $1 "
                                    "ORDER BY started_at DESC, id DESC LIMIT $2",
                                job, static_cast<std::int64_t>(limit));
  tx.commit();
  std::vector<RunRecord> out;
  for (const auto& row : r) out.push_back(read_run(row));
  return out;
}

std::optional<RunRecord> Scheduler::run(std::int64_t id) const {
  auto lease = pool_.lease();
  pqxx::nontransaction tx(*lease);
  const auto r = tx.exec_params(
      std::string("SELECT ") + kRunColumns + " FROM hub.schedule_run WHERE id = $1", id);
  tx.commit();
  if (r.empty()) return std::nullopt;
  return read_run(r[0]);
}

}  // namespace hub::scheduler
