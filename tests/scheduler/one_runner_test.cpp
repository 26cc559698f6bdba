#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "test_database.h"
#include "test_paths.h"

extern char** environ;

namespace hub::scheduler {
namespace {

pid_t spawn_runner(const std::string& conninfo, const std::string& node, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {SCHEDULER_ONE_RUNNER, conninfo, node, "8"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, SCHEDULER_ONE_RUNNER, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "posix_spawn " << SCHEDULER_ONE_RUNNER;
  return rc == 0 ? pid : -1;
}

/// Waits for the child; kills it after `timeout`. Returns its exit code, or -1.
int wait_child(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Two processes, one per-second job that takes 1.5 s: the job never overlaps itself across the
// processes, and every second (slot) is handled by at most one of them.
TEST(OneRunner, TwoProcessesNeverOverlapAndShareEachSecond) {
  testing::TestDatabase db;
  db.exec(
      "CREATE TABLE public.job_trace (node text, pid int, started_at timestamptz, "
      "finished_at timestamptz)");
  const auto dir = testing::make_temp_dir("zhkh-one-runner");
  const pid_t a = spawn_runner(db.conninfo(), "node-1", (dir / "node-1.log").string());
  const pid_t b = spawn_runner(db.conninfo(), "node-2", (dir / "node-2.log").string());
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  EXPECT_EQ(wait_child(a, std::chrono::seconds(50)), 0) << "see " << dir / "node-1.log";
  EXPECT_EQ(wait_child(b, std::chrono::seconds(50)), 0) << "see " << dir / "node-2.log";

  const int traced = std::stoi(db.scalar("SELECT count(*) FROM public.job_trace"));
  // How many runs fit in 8 s depends on machine load; the test only needs runs to compare.
  EXPECT_GE(traced, 1) << "the job never ran";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM public.job_trace a JOIN public.job_trace b "
                      "ON (a.started_at, a.pid) < (b.started_at, b.pid) "
                      "AND tstzrange(a.started_at, a.finished_at) && "
                      "tstzrange(b.started_at, b.finished_at)"),
            "0")
      << "two runs of the job overlapped in time";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM (SELECT scheduled_for FROM hub.schedule_run "
                      "WHERE job = 'shared.tick' GROUP BY 1 HAVING count(*) > 1) d"),
            "0")
      << "a second was handled by both processes";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM (SELECT scheduled_for FROM hub.schedule_run "
                      "WHERE job = 'shared.tick' AND status IN ('ok', 'failed', 'running') "
                      "GROUP BY 1 HAVING count(DISTINCT node) > 1) d"),
            "0");
  EXPECT_EQ(std::stoi(db.scalar("SELECT count(*) FROM hub.schedule_run WHERE job = 'shared.tick' "
                                "AND status = 'ok'")),
            traced);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.schedule_run WHERE status = 'running'"), "0");
  // Both processes were really there and competing: their runs and skips are in the table.
  std::cout << "runs per node: "
            << db.scalar(
                   "SELECT string_agg(node || '=' || n, ', ') FROM (SELECT node || ':' || "
                   "status AS node, count(*) AS n FROM hub.schedule_run GROUP BY 1 "
                   "ORDER BY 1) s")
            << "\n";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hub::scheduler
