#include "hub/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_database.h"

namespace hub::scheduler {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

/// Polls `pred` until it holds or `timeout` passes; returns its last value.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

router::ScheduleEntry entry(std::string job, std::string cron, std::string zone = "UTC",
                            int line = 1) {
  router::ScheduleEntry e;
  e.job = std::move(job);
  e.cron = std::move(cron);
  e.time_zone = std::move(zone);
  e.line = line;
  return e;
}

int count(const testing::TestDatabase& db, const std::string& where) {
  return std::stoi(db.scalar("SELECT count(*) FROM hub.schedule_run WHERE " + where));
}

TEST(Scheduler, RecordsEveryRunWithStatusNodeAndTrigger) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  std::atomic<int> calls{0};
  Scheduler s(
      *pool,
      [&](const std::string& job) {
        ++calls;
        if (job == "a.fail") return plugin::JobResult::failure("upstream said no");
        if (job == "a.throw") throw std::runtime_error("adapter blew up");
        return plugin::JobResult::success("3 files");
      },
      [](const std::string& job) { return job.rfind("a.", 0) == 0; }, "node-a");
  s.set_schedules({entry("a.ok", "* * * * * *"), entry("a.fail", "* * * * * *"),
                   entry("a.throw", "* * * * * *")});
  s.start();
  ASSERT_TRUE(eventually([&] {
    return count(db, "job = 'a.ok' AND status = 'ok'") >= 2 &&
           count(db, "job = 'a.fail' AND status = 'failed'") >= 1 &&
           count(db, "job = 'a.throw' AND status = 'failed'") >= 1;
  }));
  s.stop();
  EXPECT_EQ(count(db, "node <> 'node-a' OR trigger <> 'cron' OR status = 'running'"), 0);
  EXPECT_EQ(count(db, "job = 'a.ok' AND (summary <> '3 files' OR error IS NOT NULL)"), 0);
  EXPECT_EQ(count(db, "job = 'a.fail' AND error <> 'upstream said no'"), 0);
  EXPECT_EQ(count(db, "job = 'a.throw' AND error <> 'adapter blew up'"), 0);
  // Slots are whole seconds, runs start no earlier than their slot and end after they start.
  EXPECT_EQ(count(db,
                  "scheduled_for <> date_trunc('second', scheduled_for) OR "
                  "started_at < scheduled_for OR finished_at < started_at"),
            0);
  const auto runs = s.runs("a.ok", 1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "ok");
  EXPECT_EQ(runs[0].summary, "3 files");
  ASSERT_TRUE(runs[0].scheduled_for.has_value());
  EXPECT_LE(*runs[0].scheduled_for, runs[0].started_at);
}

TEST(Scheduler, SameJobNeverOverlapsItself) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  std::atomic<int> running{0}, max_running{0}, runs{0};
  SchedulerOptions options;
  options.workers = 3;
  Scheduler s(
      *pool,
      [&](const std::string&) {
        const int now = ++running;
        int seen = max_running.load();
        while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(2500ms);
        --running;
        ++runs;
        return plugin::JobResult::success();
      },
      nullptr, "node-a", options);
  s.set_schedules({entry("slow.job", "* * * * * *")});
  s.start();
  ASSERT_TRUE(eventually([&] { return runs.load() >= 2; }, 30s));
  s.stop();
  EXPECT_EQ(max_running.load(), 1);
  // Runs do not overlap in time, and the slots in between were recorded as skipped.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.schedule_run a JOIN hub.schedule_run b "
                      "ON a.id < b.id AND a.status = 'ok' AND b.status = 'ok' "
                      "AND tstzrange(a.started_at, a.finished_at) && "
                      "tstzrange(b.started_at, b.finished_at)"),
            "0");
  EXPECT_GE(count(db, "status = 'skipped' AND error = 'previous run still in progress'"), 1);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM (SELECT scheduled_for FROM hub.schedule_run "
                      "GROUP BY 1 HAVING count(*) > 1) d"),
            "0");
}

TEST(Scheduler, ManualTriggerRecordsActorAndSkipsWhileRunning) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  Scheduler s(
      *pool,
      [&](const std::string& job) {
        ++started;
        if (job == "a.block")
          while (!release) std::this_thread::sleep_for(10ms);
        return plugin::JobResult::success("done " + job);
      },
      [](const std::string& job) { return job == "a.once" || job == "a.block"; }, "node-m");
  // Works without a schedule and before start(): the CLI and API can always run a job.
  const auto id = s.trigger("a.once", "alice");
  ASSERT_TRUE(eventually([&] {
    auto r = s.run(id);
    return r && r->status == "ok";
  }));
  auto rec = *s.run(id);
  EXPECT_EQ(rec.trigger, "manual");
  EXPECT_EQ(rec.triggered_by, "alice");
  EXPECT_EQ(rec.node, "node-m");
  EXPECT_EQ(rec.summary, "done a.once");
  EXPECT_FALSE(rec.scheduled_for.has_value());

  EXPECT_THROW(s.trigger("nobody.offers.this", "alice"), UnknownJobError);

  const auto blocked = s.trigger("a.block", "bob");
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  const auto second = s.trigger("a.block", "carol");
  EXPECT_EQ(s.run(second)->status, "skipped");
  EXPECT_EQ(s.run(second)->triggered_by, "carol");
  EXPECT_EQ(s.run(blocked)->status, "running");
  release = true;
  ASSERT_TRUE(eventually([&] { return s.run(blocked)->status == "ok"; }));

  // Another node (any session) holding the job's documented lock key also makes it skip.
  pqxx::connection other(db.conninfo());
  pqxx::nontransaction tx(other);
  ASSERT_TRUE(
      tx.exec1("SELECT pg_try_advisory_lock(hashtext('zhkh-job:' || 'a.once'))")[0].as<bool>());
  EXPECT_EQ(s.run(s.trigger("a.once", "dave"))->status, "skipped");
  tx.exec("SELECT pg_advisory_unlock(hashtext('zhkh-job:' || 'a.once'))");
  s.stop();
  EXPECT_THROW(s.trigger("a.once", "erin"), Error);
}

TEST(Scheduler, ARunAskedForTheMomentThePreviousOneIsRecordedFinishedIsNotSkipped) {
  // The finish is recorded and the job's lock released in one statement, so once a run reads as
  // finished the job is free: asking again at once starts a run every time.
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  Scheduler s(
      *pool, [](const std::string&) { return plugin::JobResult::success("done"); },
      [](const std::string& job) { return job == "a.quick"; }, "node-q");
  for (int i = 0; i < 20; ++i) {
    const auto id = s.trigger("a.quick", "loop");
    ASSERT_TRUE(eventually([&] { return s.run(id)->status != "running"; }));
    ASSERT_EQ(s.run(id)->status, "ok") << "run " << i << ": " << s.run(id)->error;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.schedule_run WHERE status = 'skipped'"), "0");
  s.stop();
}

TEST(Scheduler, StaleRunningRowOfADeadProcessIsFailedByTheNextRun) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  db.exec(
      "INSERT INTO hub.schedule_run (job, scheduled_for, status, trigger, node) "
      "VALUES ('a.job', now() - interval '1 hour', 'running', 'cron', 'dead-node')");
  Scheduler s(
      *pool, [](const std::string&) { return plugin::JobResult::success(); }, nullptr, "n");
  const auto id = s.trigger("a.job", "ops");
  ASSERT_TRUE(eventually([&] { return s.run(id)->status == "ok"; }));
  EXPECT_EQ(
      db.scalar("SELECT status || ': ' || error FROM hub.schedule_run WHERE node = 'dead-node'"),
      "failed: interrupted: the process running it stopped before the run finished");
}

// A daily slot 6 hours ago (UTC): the previous fire time is far from now and the next one far
// in the future, so nothing here depends on the moment the test runs.
router::ScheduleEntry daily_six_hours_ago(const std::string& job) {
  const std::time_t t = Clock::to_time_t(Clock::now() - 6h);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return entry(job, std::to_string(tm.tm_min) + " " + std::to_string(tm.tm_hour) + " * * *");
}

TEST(Scheduler, MissedRunsAfterDowntimeRunOnceAtStart) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  // The hub last ran the job's slot five days ago: five slots were missed while it was down.
  const auto e = daily_six_hours_ago("a.daily");
  const auto previous =
      CronExpr::parse(e.cron).last_at_or_before(Clock::now(), *TimeZone::locate("UTC"));
  ASSERT_TRUE(previous);
  db.exec(
      "INSERT INTO hub.schedule_run (job, scheduled_for, finished_at, status, trigger, node) "
      "VALUES ('a.daily', to_timestamp(" +
      std::to_string(Clock::to_time_t(*previous) - 5 * 86400) + "), now(), 'ok', 'cron', 'old')");
  // A job that never ran before has nothing to catch up on.
  std::atomic<int> calls{0};
  auto make = [&](const std::string& node) {
    auto s = std::make_unique<Scheduler>(
        *pool,
        [&](const std::string&) {
          ++calls;
          return plugin::JobResult::success();
        },
        nullptr, node);
    s->set_schedules({e, daily_six_hours_ago("a.new")});
    return s;
  };
  auto first = make("n1");
  first->start();
  ASSERT_TRUE(eventually([&] { return count(db, "trigger = 'misfire' AND status = 'ok'") == 1; }));
  std::this_thread::sleep_for(1500ms);  // nothing else is coming
  first->stop();
  EXPECT_EQ(count(db, "trigger = 'misfire'"), 1);
  EXPECT_EQ(count(db, "job = 'a.new'"), 0);
  EXPECT_EQ(db.scalar("SELECT extract(epoch FROM scheduled_for)::bigint FROM hub.schedule_run "
                      "WHERE trigger = 'misfire'"),
            std::to_string(Clock::to_time_t(*previous)));
  EXPECT_EQ(calls.load(), 1);

  // A restart after the catch-up finds nothing missed.
  auto second = make("n2");
  second->start();
  std::this_thread::sleep_for(1500ms);
  second->stop();
  EXPECT_EQ(count(db, "trigger = 'misfire'"), 1);
  EXPECT_EQ(calls.load(), 1);
}

TEST(Scheduler, MisfiresCanBeTurnedOff) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  const auto e = daily_six_hours_ago("a.daily");
  db.exec(
      "INSERT INTO hub.schedule_run (job, scheduled_for, status, trigger) "
      "VALUES ('a.daily', now() - interval '3 days', 'ok', 'cron')");
  SchedulerOptions options;
  options.run_misfires = false;
  Scheduler s(
      *pool, [](const std::string&) { return plugin::JobResult::success(); }, nullptr, "n",
      options);
  s.set_schedules({e});
  s.start();
  std::this_thread::sleep_for(1s);
  s.stop();
  EXPECT_EQ(count(db, "trigger = 'misfire'"), 0);
}

TEST(Scheduler, SetSchedulesValidatesAndListShowsNextFireAndLastRun) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  Scheduler s(
      *pool, [](const std::string&) { return plugin::JobResult::success("fine"); },
      [](const std::string& job) { return job != "gone.job"; }, "n");
  try {
    s.set_schedules({entry("a.x", "* * * * *"), entry("a.y", "61 * * * *", "UTC", 7)});
    ADD_FAILURE() << "accepted a bad cron";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 7);
    EXPECT_EQ(e.key(), "cron");
    EXPECT_NE(std::string(e.what()).find("'61'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a.y"), std::string::npos) << e.what();
  }
  try {
    s.set_schedules({entry("a.x", "* * * * *", "Europe/Atlantis", 9)});
    ADD_FAILURE() << "accepted a bad zone";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 9);
    EXPECT_EQ(e.key(), "time_zone");
    EXPECT_NE(std::string(e.what()).find("Europe/Atlantis"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(s.list().empty());  // a rejected set changes nothing

  auto disabled = entry("a.off", "* * * * *");
  disabled.enabled = false;
  s.set_schedules({entry("a.hourly", "0 * * * *", "Asia/Vladivostok"), disabled,
                   entry("gone.job", "* * * * *")});
  const auto id = s.trigger("a.hourly", "op");
  ASSERT_TRUE(eventually([&] { return s.run(id)->status == "ok"; }));
  const auto list = s.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].entry.job, "a.hourly");
  ASSERT_TRUE(list[0].next_fire.has_value());
  const auto until = *list[0].next_fire - Clock::now();
  EXPECT_GT(until, 0s);
  EXPECT_LE(until, 3600s);
  EXPECT_EQ(Clock::to_time_t(*list[0].next_fire) % 3600, 0);
  ASSERT_TRUE(list[0].last_run.has_value());
  EXPECT_EQ(list[0].last_run->id, id);
  EXPECT_EQ(list[0].last_run->summary, "fine");
  EXPECT_FALSE(list[1].next_fire.has_value());  // disabled
  EXPECT_FALSE(list[1].last_run.has_value());
  EXPECT_FALSE(list[2].job_known);
  EXPECT_FALSE(list[2].next_fire.has_value());
}

TEST(Scheduler, ReloadingTheSameScheduleKeepsTheSlotAndANewOneFires) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  std::atomic<int> b_runs{0};
  Scheduler s(
      *pool,
      [&](const std::string& job) {
        if (job == "a.b") ++b_runs;
        return plugin::JobResult::success();
      },
      nullptr, "n");
  s.set_schedules({entry("a.a", "0 0 0 1 1 *")});
  s.start();
  const auto before = s.list().at(0).next_fire;
  s.set_schedules({entry("a.a", "0 0 0 1 1 *"), entry("a.b", "* * * * * *")});
  EXPECT_EQ(s.list().at(0).next_fire, before);
  ASSERT_TRUE(eventually([&] { return b_runs.load() >= 1; }));
  s.set_schedules({});
  s.stop();
  EXPECT_EQ(count(db, "job = 'a.a'"), 0);
}

TEST(Scheduler, TwoSchedulersInOneProcessShareEachSlot) {
  testing::TestDatabase db;
  auto pool = db.make_pool(4);
  std::atomic<int> runs{0};
  auto job = [&](const std::string&) {
    ++runs;
    return plugin::JobResult::success();
  };
  Scheduler a(*pool, job, nullptr, "node-a"), b(*pool, job, nullptr, "node-b");
  a.set_schedules({entry("fast.job", "* * * * * *")});
  b.set_schedules({entry("fast.job", "* * * * * *")});
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return runs.load() >= 3; }));
  a.stop();
  b.stop();
  EXPECT_EQ(db.scalar("SELECT count(*) FROM (SELECT scheduled_for FROM hub.schedule_run "
                      "GROUP BY 1 HAVING count(*) > 1) d"),
            "0");
  EXPECT_EQ(std::stoi(db.scalar("SELECT count(*) FROM hub.schedule_run WHERE status = 'ok'")),
            runs.load());
}

}  // namespace
}  // namespace hub::scheduler

namespace hub::scheduler {
namespace {

TEST(SchedulerValidate, NamesFileLineAndKeyWithoutADatabase) {
  router::ScheduleEntry ok;
  ok.job = "a.x";
  ok.cron = "@daily";
  router::ScheduleEntry never = ok;
  never.cron = "0 0 31 2 *";
  never.line = 12;
  EXPECT_NO_THROW(Scheduler::validate({ok}, "routes.yaml"));
  try {
    Scheduler::validate({ok, never}, "routes.yaml");
    ADD_FAILURE() << "accepted 31 February";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "routes.yaml");
    EXPECT_EQ(e.line(), 12);
    EXPECT_EQ(e.key(), "cron");
    EXPECT_NE(std::string(e.what()).find("never fires"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hub::scheduler
