// scheduler_one_runner CONNINFO NODE SECONDS
// Runs a Scheduler for SECONDS with the job "shared.tick" every second; the job takes 1.5 s and
// records (node, pid, start, end) in public.job_trace, which the test created. Exit 0 when done.

#include <unistd.h>

#include <iostream>
#include <pqxx/pqxx>
#include <thread>

#include "hub/scheduler/scheduler.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: scheduler_one_runner CONNINFO NODE SECONDS\n";
    return 2;
  }
  const std::string conninfo = argv[1], node = argv[2];
  const int seconds = std::stoi(argv[3]);
  try {
    hub::store::Pool pool(conninfo, 2);
    hub::scheduler::Scheduler scheduler(
        pool,
        [&](const std::string&) {
          pqxx::connection c(conninfo);
          std::string started;
          {
            pqxx::nontransaction tx(c);
            started = tx.exec1("SELECT clock_timestamp()::text")[0].c_str();
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1500));
          pqxx::work tx(c);
          tx.exec_params(
              "INSERT INTO public.job_trace (node, pid, started_at, finished_at) "
              "VALUES ($1, $2, $3::timestamptz, clock_timestamp())",
              node, static_cast<int>(::getpid()), started);
          tx.commit();
          return hub::plugin::JobResult::success("traced");
        },
        nullptr, node);
    hub::router::ScheduleEntry tick;
    tick.job = "shared.tick";
    tick.cron = "*/1 * * * * *";
    scheduler.set_schedules({tick});
    scheduler.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    scheduler.stop();
  } catch (const std::exception& e) {
    std::cerr << "scheduler_one_runner: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
