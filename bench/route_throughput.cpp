// End-to-end throughput of the hub's message path on a real PostgreSQL:
// Ingress (validate, route, journal, outbox, commit) -> Dispatcher (claim, sink, complete) with
// every payment.received routed to the built-in `noop` sink.
//
//   bench_route_throughput [--messages N] [--single N] [--rate R] [--seconds S] [--producers P]
//                          [--steady-producers P]
//                          [--schemas DIR]   (default: schemas/canonical of the checkout)
//
// Phases: (0) diagnostics, each half alone: Ingress of N messages with no dispatcher, then the
// dispatcher draining them (noop delivers inside the claim transaction, like the billing store),
// then N more drained through the leased path that sinks talking to other systems take;
// (1) N messages in Ingress batches of 100, msgs/s until the last one is delivered;
// (2) --single messages in batches of 1; (3) a steady offered load of R msgs/s (batches of 1)
// for S seconds, p50/p99 of submit -> delivered_at; (4) COPY of N rows of the same size into a
// plain table on the same server. The last output line is one JSON object.
//
// PostgreSQL: ZHKH_BENCH_PG (an admin conninfo; a fresh database is created in it), else a
// private cluster is started with deploy/lib-pg.sh under /tmp and stopped at the end.

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hub/core/log.h"
#include "hub/dispatcher/builtin_sinks.h"
#include "hub/dispatcher/dispatcher.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/store/migrations.h"
#include "hub/store/pool.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "pg_cluster.h"
#include "process_usage.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Options {
  int messages = 60000;
  int single = 6000;
  int rate = 1000;
  int seconds = 10;
  int producers = 8;          ///< submitting threads for the batched and single phases
  int steady_producers = 48;  ///< threads sharing the steady schedule (commits overlap)
  int workers = 2;            ///< dispatcher workers for the noop target
  bool leased = false;        ///< --leased 1: phases 1-3 take the leased path too (A/B)
  bool settle = true;         ///< --settle 0: no VACUUM/CHECKPOINT before phase 3 (A/B)
  int claim = 1000;           ///< dispatcher batch size
  int linger_ms = 0;          ///< dispatcher linger after a partial claim
  fs::path source = HUB_SOURCE_DIR;
  fs::path schemas;  ///< default: <source>/schemas/canonical
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr const char* kRoutes = R"(routes:
  - name: payments-to-noop
    match: {type: [payment.received]}
    to: [noop]
)";

struct Rig {
  std::string body;
  std::unique_ptr<hub::store::Pool> pool;
  hub::router::RouterHolder router;
  std::unique_ptr<hub::ingress::Ingress> ingress;
  std::unique_ptr<hub::dispatcher::Dispatcher> dispatcher;
};

/// Submits `count` messages in batches of `batch` from `producers` threads; keys are
/// "<prefix>-<n>". Returns when every submit returned.
void produce(Rig& rig, const std::string& prefix, int count, int batch, int producers) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      for (;;) {
        const int start = next.fetch_add(batch);
        if (start >= count) return;
        const int end = std::min(count, start + batch);
        std::vector<hub::Envelope> envs;
        envs.reserve(end - start);
        const auto now = std::chrono::system_clock::now();
        for (int i = start; i < end; ++i) {
          hub::Envelope e;
          e.type = "payment.received";
          e.source = "bench";
          e.idempotency_key = prefix + "-" + std::to_string(i);
          e.occurred_at = now;
          e.body = rig.body;
          envs.push_back(std::move(e));
        }
        rig.ingress->submit(std::move(envs));
      }
    });
  }
  for (auto& t : threads) t.join();
}

void wait_delivered(Rig& rig, std::uint64_t target_total) {
  const auto deadline = Clock::now() + 10min;
  while (rig.dispatcher->stats().delivered < target_total) {
    if (Clock::now() > deadline) throw std::runtime_error("deliveries did not finish in 10 min");
    std::this_thread::sleep_for(1ms);
  }
}

double peak_rss_mb() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;  // kilobytes on Linux
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* s = std::getenv("ZHKH_SOURCE_DIR")) o.source = s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--schemas")
      o.schemas = argv[i + 1];
    else if (k == "--messages")
      o.messages = v;
    else if (k == "--single")
      o.single = v;
    else if (k == "--rate")
      o.rate = v;
    else if (k == "--seconds")
      o.seconds = v;
    else if (k == "--producers")
      o.producers = v;
    else if (k == "--steady-producers")
      o.steady_producers = v;
    else if (k == "--workers")
      o.workers = v;
    else if (k == "--claim")
      o.claim = v;
    else if (k == "--linger-ms")
      o.linger_ms = v;
    else if (k == "--leased")
      o.leased = v != 0;
    else if (k == "--settle")
      o.settle = v != 0;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (o.schemas.empty()) o.schemas = o.source / "schemas/canonical";
  hub::LogSink::instance().set_min_level(hub::LogLevel::kWarn);
  try {
    std::unique_ptr<TempCluster> cluster;
    std::string admin;
    // CPU of the private cluster (0 with ZHKH_BENCH_PG: its processes are not ours to read).
    auto pg_cpu = [&] { return cluster ? cluster_cpu_seconds(cluster->data_dir()) : 0.0; };
    if (const char* env = std::getenv("ZHKH_BENCH_PG"); env && *env) {
      admin = env;
    } else {
      cluster = std::make_unique<TempCluster>(o.source);
      admin = cluster->conninfo();
    }
    const std::string db = "bench_" + std::to_string(::getpid());
    {
      pqxx::connection c(admin);
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE " + db);
    }
    const std::string conninfo = with_dbname(admin, db);
    {
      pqxx::connection c(conninfo);
      hub::store::migrate(c);
    }

    Rig rig;
    rig.body = read_file(o.schemas / "samples/payment.received.xml");
    rig.pool =
        std::make_unique<hub::store::Pool>(conninfo, std::max(o.producers, o.steady_producers) + 8);
    auto schemas = hub::xml::SchemaRegistry::load(o.schemas);
    auto config = std::make_shared<hub::router::RoutingConfig>(
        hub::router::parse_routing_config(kRoutes, "bench-routes.yaml"));
    auto xslt = std::make_shared<hub::xml::StylesheetCache>(o.source / "mappings");
    rig.router.set(std::make_shared<hub::router::Router>(config, xslt, 1));
    rig.ingress = std::make_unique<hub::ingress::Ingress>(*rig.pool, schemas, rig.router);
    auto sinks = std::make_shared<hub::dispatcher::SinkRegistry>();
    hub::dispatcher::register_builtin_sinks(*sinks);
    hub::dispatcher::DispatcherOptions dopt;
    dopt.node_id = "bench-" + std::to_string(::getpid());
    dopt.defaults.workers = o.workers;
    dopt.defaults.batch_size = o.claim;
    dopt.defaults.linger = std::chrono::milliseconds(o.linger_ms);
    dopt.defaults.poll_interval = 1s;
    // `noop` delivers inside the claim transaction (Sink::delivers_in_transaction), as the
    // billing store does. A sink that talks to another system is leased instead: claim, deliver
    // outside any transaction, record. This one measures that path.
    struct LeasedNoopSink : hub::dispatcher::NoopSink {
      bool delivers_in_transaction() const override { return false; }
    };
    auto leased_sinks = std::make_shared<hub::dispatcher::SinkRegistry>();
    leased_sinks->add("noop", std::make_shared<LeasedNoopSink>());
    auto make_dispatcher = [&] {
      rig.dispatcher = std::make_unique<hub::dispatcher::Dispatcher>(
          *rig.pool, o.leased ? leased_sinks : sinks, dopt);
      rig.dispatcher->start();
    };

    // 0. Diagnostics: each half on its own. Ingress with no dispatcher running, then the
    // dispatcher draining what Ingress left.
    rig.dispatcher.reset();
    auto t0 = Clock::now();
    double hub0 = cpu_seconds(), pg0 = pg_cpu();
    produce(rig, "alone", o.messages, 100, o.producers);
    const double ingress_only = o.messages / seconds_since(t0);
    const double ingress_hub_us = (cpu_seconds() - hub0) * 1e6 / o.messages;
    const double ingress_pg_us = (pg_cpu() - pg0) * 1e6 / o.messages;
    t0 = Clock::now();
    hub0 = cpu_seconds();
    pg0 = pg_cpu();
    make_dispatcher();
    wait_delivered(rig, o.messages);
    const double dispatch_only = o.messages / seconds_since(t0);
    const double dispatch_hub_us = (cpu_seconds() - hub0) * 1e6 / o.messages;
    const double dispatch_pg_us = (pg_cpu() - pg0) * 1e6 / o.messages;
    rig.dispatcher.reset();
    produce(rig, "leased", o.messages, 100, o.producers);
    t0 = Clock::now();
    hub0 = cpu_seconds();
    pg0 = pg_cpu();
    rig.dispatcher = std::make_unique<hub::dispatcher::Dispatcher>(*rig.pool, leased_sinks, dopt);
    rig.dispatcher->start();
    wait_delivered(rig, o.messages);
    const double leased_only = o.messages / seconds_since(t0);
    const double leased_hub_us = (cpu_seconds() - hub0) * 1e6 / o.messages;
    const double leased_pg_us = (pg_cpu() - pg0) * 1e6 / o.messages;
    std::printf(
        "diagnostics: ingress alone %.0f msgs/s (batches of 100; CPU per msg: hub %.1f us,"
        " PostgreSQL %.1f us); dispatcher alone %.0f msgs/s (claims of %d; hub %.1f us,"
        " PostgreSQL %.1f us); leased dispatch alone %.0f msgs/s (hub %.1f us, PostgreSQL"
        " %.1f us)\n",
        ingress_only, ingress_hub_us, ingress_pg_us, dispatch_only, dopt.defaults.batch_size,
        dispatch_hub_us, dispatch_pg_us, leased_only, leased_hub_us, leased_pg_us);
    rig.dispatcher.reset();
    make_dispatcher();
    {
      auto lease = rig.pool->lease();
      pqxx::nontransaction tx(lease.conn());
      tx.exec("VACUUM ANALYZE hub.delivery");
      tx.exec("VACUUM ANALYZE hub.message");
    }

    std::uint64_t done = 0;
    // Warm-up: compiled statements, schema caches, connections.
    produce(rig, "warm", 500, 100, o.producers);
    done += 500;
    wait_delivered(rig, done);

    // 1. Batches of 100.
    const double cpu0 = cpu_seconds();
    const double pg_cpu0 = pg_cpu();
    t0 = Clock::now();
    produce(rig, "batched", o.messages, 100, o.producers);
    const double enqueue_batched = seconds_since(t0);
    done += o.messages;
    wait_delivered(rig, done);
    const double batched_s = seconds_since(t0);
    const double msgs_per_s_batched = o.messages / batched_s;
    const double hub_cpu = cpu_seconds() - cpu0;
    const double pg_cpu_batched = pg_cpu() - pg_cpu0;
    const double hub_us = hub_cpu * 1e6 / o.messages, pg_us = pg_cpu_batched * 1e6 / o.messages;
    // On 2 cores, 2e6 / (hub + PostgreSQL us per message) is the rate this CPU cost allows when
    // nothing else runs: the figure to compare across runs on a busy machine.
    const double cpu_bound = hub_us + pg_us > 0 ? 2e6 / (hub_us + pg_us) : 0;
    std::printf(
        "batched (100/submit): %d msgs in %.3f s (enqueued in %.3f s) = %.0f msgs/s;"
        " CPU per msg: hub %.1f us, PostgreSQL %.1f us (2 cores allow %.0f msgs/s)\n",
        o.messages, batched_s, enqueue_batched, msgs_per_s_batched, hub_us, pg_us, cpu_bound);

    // 2. Batches of 1.
    t0 = Clock::now();
    produce(rig, "single", o.single, 1, o.producers);
    done += o.single;
    wait_delivered(rig, done);
    const double single_s = seconds_since(t0);
    const double msgs_per_s_single = o.single / single_s;
    std::printf("single (1/submit):    %d msgs in %.3f s = %.0f msgs/s\n", o.single, single_s,
                msgs_per_s_single);

    // 3. Steady offered load: each producer has a fixed schedule; a late one catches up, so the
    // offered load stays at `rate` rather than slowing down with the system. Phases 0-2 leave
    // the server work of their own (autovacuum of some 200,000 rows, the checkpoint their WAL
    // volume brought on); this phase measures latency under a steady load, not that clean-up, so
    // it starts on a settled cluster.
    if (o.settle) {
      auto lease = rig.pool->lease();
      pqxx::nontransaction tx(lease.conn());
      tx.exec("VACUUM ANALYZE hub.delivery");
      tx.exec("VACUUM ANALYZE hub.message");
      tx.exec("CHECKPOINT");
    }
    const int total = o.rate * o.seconds;
    {
      std::vector<std::thread> threads;
      const auto start = Clock::now() + 50ms;
      const auto interval = std::chrono::nanoseconds(1'000'000'000LL / o.rate);
      for (int p = 0; p < o.steady_producers; ++p) {
        threads.emplace_back([&, p] {
          for (int i = p; i < total; i += o.steady_producers) {
            std::this_thread::sleep_until(start + interval * i);
            hub::Envelope e;
            e.type = "payment.received";
            e.source = "bench";
            e.idempotency_key = "steady-" + std::to_string(i);
            e.occurred_at = std::chrono::system_clock::now();
            e.body = rig.body;
            std::vector<hub::Envelope> one;
            one.push_back(std::move(e));
            rig.ingress->submit(std::move(one));
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    done += total;
    wait_delivered(rig, done);
    double p50 = 0, p99 = 0, p50_rx = 0, p99_rx = 0, offered = 0;
    {
      auto lease = rig.pool->lease();
      pqxx::nontransaction tx(lease.conn());
      // occurred_at travels with millisecond precision (truncated), so these figures are at
      // most 1 ms pessimistic; received_at is the journal transaction's start.
      const auto r = tx.exec1(
          "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at -"
          "         m.occurred_at) * 1000),"
          "       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at -"
          "         m.occurred_at) * 1000),"
          "       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at -"
          "         m.received_at) * 1000),"
          "       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at -"
          "         m.received_at) * 1000),"
          "       count(*) / greatest(extract(epoch FROM max(m.occurred_at) - min(m.occurred_at)),"
          "         0.001)"
          "  FROM hub.message m JOIN hub.delivery d ON d.message_id = m.id"
          " WHERE m.idempotency_key LIKE 'steady-%'");
      p50 = r[0].as<double>();
      p99 = r[1].as<double>();
      p50_rx = r[2].as<double>();
      p99_rx = r[3].as<double>();
      offered = r[4].as<double>();
    }
    std::printf(
        "steady %d msgs/s offered (%.0f achieved) for %d s: submit->delivered p50 %.2f ms,"
        " p99 %.2f ms; received->delivered p50 %.2f ms, p99 %.2f ms\n",
        o.rate, offered, o.seconds, p50, p99, p50_rx, p99_rx);
    rig.dispatcher->stop();

    // 4. COPY of as many rows of the same shape and size into a plain table.
    double copy_rows_per_s = 0;
    {
      auto lease = rig.pool->lease();
      {
        pqxx::nontransaction tx(lease.conn());
        tx.exec(
            "CREATE TABLE bench_copy (id uuid, type text, source text, occurred_at timestamptz,"
            " correlation_id text, idempotency_key text, headers jsonb, body text)");
      }
      const auto now = hub::xml::format_timestamp(std::chrono::system_clock::now());
      t0 = Clock::now();
      pqxx::work tx(lease.conn());
      pqxx::stream_to copy(
          tx, "bench_copy",
          std::vector<std::string>{"id", "type", "source", "occurred_at", "correlation_id",
                                   "idempotency_key", "headers", "body"});
      char uuid[40];
      for (int i = 0; i < o.messages; ++i) {
        std::snprintf(uuid, sizeof uuid, "00000000-0000-7000-8000-%012d", i);
        copy << std::make_tuple(std::string(uuid), std::string("payment.received"),
                                std::string("bench"), now, std::string(uuid),
                                "copy-" + std::to_string(i), std::string("{}"), rig.body);
      }
      copy.complete();
      tx.commit();
      copy_rows_per_s = o.messages / seconds_since(t0);
    }
    const double ratio = msgs_per_s_batched / copy_rows_per_s;
    const double rss = peak_rss_mb();
    std::printf(
        "COPY: %d rows of %zu-byte bodies = %.0f rows/s; hub/COPY ratio %.3f; peak RSS %.1f MB\n",
        o.messages, rig.body.size(), copy_rows_per_s, ratio, rss);

    rig.dispatcher.reset();
    rig.ingress.reset();
    rig.pool.reset();
    if (!std::getenv("ZHKH_BENCH_KEEP_DB")) {  // kept: to look at the journal afterwards
      pqxx::connection c(admin);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
    std::printf(
        "{\"msgs_per_s_batched\":%.0f,\"msgs_per_s_single\":%.0f,\"p50_ms_at_1000\":%.2f,"
        "\"p99_ms_at_1000\":%.2f,\"copy_rows_per_s\":%.0f,\"ratio_vs_copy\":%.3f,"
        "\"peak_rss_mb\":%.1f,\"messages\":%d,\"single_messages\":%d,\"offered_rate\":%d,"
        "\"achieved_rate\":%.0f,\"producers\":%d,\"body_bytes\":%zu,"
        "\"ingress_only_msgs_per_s\":%.0f,\"dispatch_only_msgs_per_s\":%.0f,"
        "\"hub_cpu_us_per_msg\":%.1f,\"pg_cpu_us_per_msg\":%.1f,\"ingress_pg_cpu_us\":%.1f,"
        "\"dispatch_pg_cpu_us\":%.1f,\"leased_dispatch_only_msgs_per_s\":%.0f,"
        "\"leased_dispatch_pg_cpu_us\":%.1f,\"cpu_bound_msgs_per_s_2_cores\":%.0f}\n",
        msgs_per_s_batched, msgs_per_s_single, p50, p99, copy_rows_per_s, ratio, rss, o.messages,
        o.single, o.rate, offered, o.producers, rig.body.size(), ingress_only, dispatch_only,
        hub_us, pg_us, ingress_pg_us, dispatch_pg_us, leased_only, leased_pg_us, cpu_bound);
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_route_throughput: %s\n", e.what());
    return 1;
  }
}
