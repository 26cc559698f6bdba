#include "hub/dispatcher/dispatcher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "hub/dispatcher/builtin_sinks.h"
#include "hub/dispatcher/dead_letters.h"
#include "hub/metrics/registry.h"
#include "test_database.h"
#include "test_paths.h"
#include "wait_for.h"

namespace hub::dispatcher {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Polls `pred` every 10 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 30s) {
  return testing::wait_for(pred, timeout, 10ms);
}

/// Journals `n` messages with one delivery each to `target`; returns nothing, ids by key prefix.
void insert_deliveries(const testing::TestDatabase& db, const std::string& target, int n,
                       const std::string& delivery_body = "") {
  db.exec(
      "INSERT INTO hub.message (id, type, source, occurred_at, correlation_id,"
      " idempotency_key, headers, body)"
      " SELECT gen_random_uuid(), 'payment.received', 'test-src', now(), 'corr-' || g,"
      " '" +
      target +
      "-' || g, '{\"channel\":\"inbox\"}', '<p n=\"' || g || '\"/>'"
      " FROM generate_series(1, " +
      std::to_string(n) +
      ") g;"
      "INSERT INTO hub.delivery (message_id, route, target, body)"
      " SELECT id, 'route-1', '" +
      target + "', " + (delivery_body.empty() ? std::string("NULL") : "'" + delivery_body + "'") +
      " FROM hub.message WHERE idempotency_key LIKE '" + target + "-%'");
}

long long count(const testing::TestDatabase& db, const std::string& sql) {
  return std::stoll(db.scalar(sql));
}

/// A sink whose answers the test scripts. Records every call per message id.
class ScriptedSink : public Sink {
 public:
  using Script = std::function<DeliveryResult(const Envelope&, int nth_call_for_message)>;
  explicit ScriptedSink(Script script = {}) : script_(std::move(script)) {}

  DeliveryResult deliver(const Envelope& m) override {
    int nth;
    {
      std::lock_guard lock(mu_);
      nth = ++per_message_[m.id];
      call_times_.push_back(Clock::now());
      last_ = m;
    }
    ++calls_;
    std::function<DeliveryResult(const Envelope&, int)> script;
    {
      std::lock_guard lock(mu_);
      script = script_;
    }
    return script ? script(m, nth) : DeliveryResult::delivered();
  }
  std::vector<DeliveryResult> deliver_batch(const std::vector<Envelope>& batch) override {
    const int now_in = ++in_flight_;
    int seen = max_in_flight_.load();
    while (now_in > seen && !max_in_flight_.compare_exchange_weak(seen, now_in)) {
    }
    const auto delay = batch_delay_.load();
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    ++batches_;
    auto out = Sink::deliver_batch(batch);
    --in_flight_;
    return out;
  }

  void set_script(Script s) {
    std::lock_guard lock(mu_);
    script_ = std::move(s);
  }
  void set_batch_delay(std::chrono::milliseconds d) { batch_delay_ = d; }
  int calls() const { return calls_; }
  int batches() const { return batches_; }
  std::map<std::string, int> per_message() const {
    std::lock_guard lock(mu_);
    return per_message_;
  }
  std::vector<Clock::time_point> call_times() const {
    std::lock_guard lock(mu_);
    return call_times_;
  }
  Envelope last() const {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  mutable std::mutex mu_;
  Script script_;
  std::map<std::string, int> per_message_;
  std::vector<Clock::time_point> call_times_;
  Envelope last_;
  std::atomic<int> calls_{0}, batches_{0}, in_flight_{0}, max_in_flight_{0};
  std::atomic<std::chrono::milliseconds> batch_delay_{0ms};
};

DispatcherOptions fast_options(const std::string& node) {
  DispatcherOptions o;
  o.node_id = node;
  o.defaults.workers = 1;
  o.defaults.batch_size = 100;
  o.defaults.backoff_base = 1ms;
  o.defaults.backoff_max = 1ms;
  o.defaults.full_jitter = false;
  o.defaults.poll_interval = 50ms;
  o.defaults.lease = 30s;
  o.housekeeping_interval = 100ms;
  return o;
}

struct Harness {
  testing::TestDatabase db;
  std::unique_ptr<store::Pool> pool = db.make_pool(8);
  std::shared_ptr<SinkRegistry> sinks = std::make_shared<SinkRegistry>();
};

TEST(Backoff, DoublesUpToTheCapAndJitterStaysInside) {
  TargetConfig c;
  c.backoff_base = 100ms;
  c.backoff_max = 1000ms;
  c.full_jitter = false;
  EXPECT_EQ(backoff_delay(c, 1, 0.5), 100ms);
  EXPECT_EQ(backoff_delay(c, 2, 0.5), 200ms);
  EXPECT_EQ(backoff_delay(c, 4, 0.5), 800ms);
  EXPECT_EQ(backoff_delay(c, 5, 0.5), 1000ms);
  EXPECT_EQ(backoff_delay(c, 500, 0.5), 1000ms);
  c.full_jitter = true;
  EXPECT_EQ(backoff_delay(c, 3, 0.0), 0ms);
  EXPECT_EQ(backoff_delay(c, 3, 0.5), 200ms);
  EXPECT_EQ(backoff_delay(c, 3, 1.0), 400ms);
}

TEST(CircuitBreakerUnit, OpensHalfOpensWithOneProbeAndCloses) {
  CircuitBreaker b(3, 1000ms);
  const auto t0 = CircuitBreaker::Clock::now();
  EXPECT_EQ(b.acquire(t0), CircuitBreaker::Permit::kNormal);
  b.on_failure(t0);
  b.on_failure(t0);
  b.on_success(t0);  // not consecutive any more
  b.on_failure(t0);
  b.on_failure(t0);
  EXPECT_EQ(b.state(t0), BreakerState::kClosed);
  b.on_failure(t0);
  EXPECT_EQ(b.state(t0), BreakerState::kOpen);
  EXPECT_EQ(b.acquire(t0 + 999ms), CircuitBreaker::Permit::kDenied);
  EXPECT_EQ(b.state(t0 + 1000ms), BreakerState::kHalfOpen);
  EXPECT_EQ(b.acquire(t0 + 1000ms), CircuitBreaker::Permit::kProbe);
  EXPECT_EQ(b.acquire(t0 + 1001ms), CircuitBreaker::Permit::kDenied);  // one probe at a time
  b.on_failure(t0 + 1100ms);
  EXPECT_EQ(b.state(t0 + 1500ms), BreakerState::kOpen);
  EXPECT_EQ(b.acquire(t0 + 2100ms), CircuitBreaker::Permit::kProbe);
  b.end_probe();  // claimed nothing
  EXPECT_EQ(b.acquire(t0 + 2100ms), CircuitBreaker::Permit::kProbe);
  b.on_success(t0 + 2200ms);
  EXPECT_EQ(b.state(t0 + 2200ms), BreakerState::kClosed);
  EXPECT_EQ(b.opened_count(), 2);
}

TEST(Dispatcher, DeliversWithEnvelopeFieldsAndBodyOverride) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>();
  h.sinks->add("t-ok", sink);
  insert_deliveries(h.db, "t-ok", 30);
  insert_deliveries(h.db, "t-ok-override", 1, "<override/>");
  h.sinks->add("t-ok-override", sink);
  const double before = metrics::Registry::global().value(
      "zhkh_deliveries_total", {{"target", "t-ok"}, {"result", "delivered"}});
  Dispatcher d(*h.pool, h.sinks, fast_options("node-a"));
  d.start();
  ASSERT_TRUE(wait_until([&] {
    return count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") == 31;
  }));
  d.stop();
  EXPECT_EQ(sink->calls(), 31);
  EXPECT_EQ(count(h.db,
                  "SELECT count(*) FROM hub.delivery WHERE attempts = 1 AND delivered_at"
                  " IS NOT NULL AND lease_owner IS NULL AND lease_until IS NULL"),
            31);
  // The last call was the override row (its own target's pool; wait it out on the row itself).
  const auto per = sink->per_message();
  for (const auto& [id, n] : per) EXPECT_EQ(n, 1) << id;
  const std::string override_id =
      h.db.scalar("SELECT message_id::text FROM hub.delivery WHERE target = 't-ok-override'");
  EXPECT_EQ(per.count(override_id), 1u);
  EXPECT_EQ(metrics::Registry::global().value("zhkh_deliveries_total",
                                              {{"target", "t-ok"}, {"result", "delivered"}}) -
                before,
            30);
}

TEST(Dispatcher, SinkSeesEnvelopeAndRouteBody) {
  Harness h;
  std::mutex mu;
  std::vector<Envelope> got;
  auto sink = std::make_shared<ScriptedSink>([&](const Envelope& e, int) {
    std::lock_guard lock(mu);
    got.push_back(e);
    return DeliveryResult::delivered();
  });
  h.sinks->add("t-env", sink);
  insert_deliveries(h.db, "t-env", 1, "<override/>");
  Dispatcher d(*h.pool, h.sinks, fast_options("node-a"));
  d.start();
  ASSERT_TRUE(wait_until([&] { return sink->calls() == 1; }));
  d.stop();
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "<override/>");
  EXPECT_EQ(got[0].type, "payment.received");
  EXPECT_EQ(got[0].source, "test-src");
  EXPECT_EQ(got[0].correlation_id, "corr-1");
  EXPECT_EQ(got[0].idempotency_key, "t-env-1");
  EXPECT_EQ(got[0].headers.at("channel"), "inbox");
  EXPECT_EQ(got[0].id, h.db.scalar("SELECT id::text FROM hub.message"));
  const auto age = std::chrono::system_clock::now() - got[0].occurred_at;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5));
}

TEST(Dispatcher, RetryBackoffGrowsExponentiallyUpToTheCap) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>([](const Envelope&, int n) {
    return DeliveryResult::retry("peer busy #" + std::to_string(n));
  });
  h.sinks->add("t-backoff", sink);
  insert_deliveries(h.db, "t-backoff", 1);
  auto o = fast_options("node-a");
  o.defaults.backoff_base = 2000ms;
  o.defaults.backoff_max = 8000ms;
  o.defaults.max_attempts = 10;
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  const long long expected[] = {2000, 4000, 8000, 8000};
  for (int attempt = 1; attempt <= 4; ++attempt) {
    ASSERT_TRUE(wait_until([&] {
      return count(h.db, "SELECT attempts FROM hub.delivery") == attempt;
    })) << "attempt "
        << attempt;
    EXPECT_EQ(count(h.db,
                    "SELECT round(extract(epoch FROM next_attempt_at - last_attempt_at)"
                    " * 1000) FROM hub.delivery"),
              expected[attempt - 1])
        << "attempt " << attempt;
    EXPECT_EQ(h.db.scalar("SELECT last_error FROM hub.delivery"),
              "peer busy #" + std::to_string(attempt));
    EXPECT_EQ(h.db.scalar("SELECT state FROM hub.delivery"), "pending");
    // Not due yet: fast-forward instead of sleeping through the backoff.
    h.db.exec("UPDATE hub.delivery SET next_attempt_at = now()");
    d.wake("t-backoff");
  }
  d.stop();
}

TEST(Dispatcher, FullJitterDelaysStayWithinTheCap) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>(
      [](const Envelope&, int) { return DeliveryResult::retry("busy"); });
  h.sinks->add("t-jitter", sink);
  insert_deliveries(h.db, "t-jitter", 40);
  auto o = fast_options("node-a");
  o.defaults.backoff_base = 60000ms;
  o.defaults.backoff_max = 60000ms;
  o.defaults.full_jitter = true;
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  ASSERT_TRUE(wait_until(
      [&] { return count(h.db, "SELECT count(*) FROM hub.delivery WHERE attempts = 1") == 40; }));
  d.stop();
  EXPECT_EQ(count(h.db,
                  "SELECT count(*) FROM hub.delivery WHERE next_attempt_at - last_attempt_at"
                  " BETWEEN interval '0' AND interval '60 seconds'"),
            40);
  // Spread out, not all the same: at least 30 distinct delays among 40 draws.
  EXPECT_GE(
      count(h.db, "SELECT count(DISTINCT next_attempt_at - last_attempt_at) FROM hub.delivery"),
      30);
}

TEST(Dispatcher, DeadLetterAfterMaxAttemptsKeepsTheLastError) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>(
      [](const Envelope&, int n) { return DeliveryResult::retry("boom #" + std::to_string(n)); });
  h.sinks->add("t-dead", sink);
  insert_deliveries(h.db, "t-dead", 1);
  auto o = fast_options("node-a");
  o.defaults.max_attempts = 3;
  o.defaults.breaker_failures = 100;
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  ASSERT_TRUE(wait_until([&] { return h.db.scalar("SELECT state FROM hub.delivery") == "dead"; }));
  d.stop();
  EXPECT_EQ(sink->calls(), 3);
  EXPECT_EQ(count(h.db, "SELECT attempts FROM hub.delivery"), 3);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.dead_letter"), 1);
  EXPECT_EQ(h.db.scalar("SELECT last_error FROM hub.dead_letter"), "boom #3");
  EXPECT_EQ(count(h.db, "SELECT attempts FROM hub.dead_letter"), 3);
  EXPECT_EQ(h.db.scalar("SELECT target FROM hub.dead_letter"), "t-dead");
}

TEST(Dispatcher, RejectedIsDeadAtOnce) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>(
      [](const Envelope&, int) { return DeliveryResult::rejected("unknown account 42"); });
  h.sinks->add("t-reject", sink);
  insert_deliveries(h.db, "t-reject", 1);
  Dispatcher d(*h.pool, h.sinks, fast_options("node-a"));
  d.start();
  ASSERT_TRUE(wait_until([&] { return h.db.scalar("SELECT state FROM hub.delivery") == "dead"; }));
  d.stop();
  EXPECT_EQ(sink->calls(), 1);
  EXPECT_EQ(count(h.db, "SELECT attempts FROM hub.delivery"), 1);
  EXPECT_EQ(h.db.scalar("SELECT last_error FROM hub.dead_letter"), "unknown account 42");
}

TEST(Dispatcher, ThrowingSinkIsARetry) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>([](const Envelope&, int n) -> DeliveryResult {
    if (n == 1) throw std::runtime_error("socket closed");
    return DeliveryResult::delivered();
  });
  h.sinks->add("t-throw", sink);
  insert_deliveries(h.db, "t-throw", 1);
  Dispatcher d(*h.pool, h.sinks, fast_options("node-a"));
  d.start();
  ASSERT_TRUE(
      wait_until([&] { return h.db.scalar("SELECT state FROM hub.delivery") == "delivered"; }));
  d.stop();
  EXPECT_EQ(sink->calls(), 2);
  EXPECT_EQ(count(h.db, "SELECT attempts FROM hub.delivery"), 2);
  EXPECT_EQ(h.db.scalar("SELECT last_error FROM hub.delivery"), "sink threw: socket closed");
}

TEST(DeadLetters, ReplayBringsItBackAndItIsDeliveredOnNotify) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>([](const Envelope&, int n) {
    return n == 1 ? DeliveryResult::rejected("schema mismatch at peer")
                  : DeliveryResult::delivered();
  });
  h.sinks->add("t-replay", sink);
  insert_deliveries(h.db, "t-replay", 1);
  auto o = fast_options("node-a");
  o.defaults.poll_interval = 60s;  // only the NOTIFY from replay can wake the worker in time
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  ASSERT_TRUE(wait_until([&] { return h.db.scalar("SELECT state FROM hub.delivery") == "dead"; }));

  DeadLetters dlq(*h.pool);
  auto open = dlq.list(10, 0, true);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].target, "t-replay");
  EXPECT_EQ(open[0].route, "route-1");
  EXPECT_EQ(open[0].message_type, "payment.received");
  EXPECT_EQ(open[0].last_error, "schema mismatch at peer");
  EXPECT_EQ(open[0].attempts, 1);
  EXPECT_FALSE(open[0].replayed_at.has_value());
  EXPECT_EQ(dlq.count(true), 1);

  EXPECT_EQ(dlq.replay(open[0].id, "alice"), ReplayOutcome::kReplayed);
  EXPECT_EQ(dlq.replay(open[0].id, "bob"), ReplayOutcome::kAlreadyReplayed);
  EXPECT_EQ(dlq.replay(987654321, "bob"), ReplayOutcome::kNotFound);
  ASSERT_TRUE(wait_until(
      [&] { return h.db.scalar("SELECT state FROM hub.delivery") == "delivered"; }, 20s));
  d.stop();
  EXPECT_EQ(sink->calls(), 2);
  EXPECT_EQ(count(h.db, "SELECT attempts FROM hub.delivery"), 1);  // counted again from 0
  EXPECT_TRUE(dlq.list(10, 0, true).empty());
  auto all = dlq.list(10, 0, false);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].replayed_by, "alice");
  EXPECT_TRUE(all[0].replayed_at.has_value());
  EXPECT_EQ(dlq.get(open[0].id)->replayed_by, "alice");
  EXPECT_EQ(count(h.db,
                  "SELECT count(*) FROM hub.audit WHERE actor = 'alice' AND action ="
                  " 'dlq.replay' AND object = 'dead_letter:" +
                      std::to_string(open[0].id) + "' AND details->>'target' = 't-replay'"),
            1);
}

TEST(Dispatcher, CircuitBreakerOpensStopsCallsAndHalfOpensAfterCoolDown) {
  Harness h;
  std::atomic<bool> healthy{false};
  auto sink = std::make_shared<ScriptedSink>([&](const Envelope&, int) {
    return healthy ? DeliveryResult::delivered() : DeliveryResult::retry("503");
  });
  h.sinks->add("t-breaker", sink);
  insert_deliveries(h.db, "t-breaker", 5);
  auto o = fast_options("node-a");
  o.defaults.batch_size = 1;
  o.defaults.max_attempts = 1000;
  o.defaults.breaker_failures = 3;
  o.defaults.breaker_open = 3000ms;
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  // The sink counts a call when it starts; the breaker hears of the failure only once the worker
  // has recorded the batch, so wait for the breaker itself.
  ASSERT_TRUE(wait_until([&] {
    return sink->calls() >= 3 && d.breaker_state("t-breaker") == BreakerState::kOpen;
  })) << sink->calls()
      << " calls";
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(sink->calls(), 3) << "no calls while the breaker is open";
  EXPECT_EQ(
      metrics::Registry::global().value("zhkh_dispatcher_breaker_state", {{"target", "t-breaker"}}),
      1);
  // After the cool-down exactly one probe goes through; it fails, so open again (half-open until
  // the worker has recorded the probe's failure).
  ASSERT_TRUE(wait_until([&] {
    return sink->calls() >= 4 && d.breaker_state("t-breaker") == BreakerState::kOpen;
  })) << sink->calls()
      << " calls";
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink->calls(), 4);
  EXPECT_EQ(d.breaker_state("t-breaker"), BreakerState::kOpen);
  const auto times = sink->call_times();
  EXPECT_GE(times[3] - times[2], 2900ms);
  // The target recovers: the next probe succeeds, the breaker closes and everything flows.
  healthy = true;
  ASSERT_TRUE(wait_until([&] {
    return count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") == 5;
  }));
  EXPECT_EQ(d.breaker_state("t-breaker"), BreakerState::kClosed);
  const auto times2 = sink->call_times();
  EXPECT_GE(times2[4] - times2[3], 2900ms);
  d.stop();
}

/// Two nodes (two workers each, claims of 50) drain the `n` deliveries already pending: both run
/// until every one is delivered, then stop. Returns each node's counters.
std::pair<DispatcherStats, DispatcherStats> drain_on_two_nodes(Harness& h, int n) {
  auto o = fast_options("node-a");
  o.defaults.workers = 2;
  o.defaults.batch_size = 50;
  auto o2 = o;
  o2.node_id = "node-b";
  auto pool2 = h.db.make_pool(4);
  Dispatcher a(*h.pool, h.sinks, o);
  Dispatcher b(*pool2, h.sinks, o2);
  a.start();
  b.start();
  const bool drained = wait_until(
      [&] {
        return count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") == n;
      },
      60s);
  a.stop();
  b.stop();
  EXPECT_TRUE(drained) << "not every delivery was made within 60 s";
  return {a.stats(), b.stats()};
}

TEST(Dispatcher, TwoDispatchersNeverDeliverTheSameRowTwice) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>();
  sink->set_batch_delay(2ms);
  h.sinks->add("t-race", sink);
  const int n = 3000;
  insert_deliveries(h.db, "t-race", n);
  const auto [a, b] = drain_on_two_nodes(h, n);
  if (::testing::Test::HasFailure()) return;
  EXPECT_EQ(sink->calls(), n);
  const auto per = sink->per_message();
  EXPECT_EQ(per.size(), static_cast<std::size_t>(n));
  for (const auto& [id, c] : per) ASSERT_EQ(c, 1) << id;
  EXPECT_EQ(a.delivered + b.delivered, static_cast<std::uint64_t>(n));
  EXPECT_GT(a.delivered, 0u);
  EXPECT_GT(b.delivered, 0u);
  EXPECT_EQ(a.lease_lost + b.lease_lost, 0u);
}

TEST(Dispatcher, KilledNodesLeasesExpireAndAreTakenOverExactlyOnce) {
  Harness h;
  const int n = 40;
  insert_deliveries(h.db, "t-lease", n);
  const auto dir = testing::make_temp_dir("zhkh-lease");
  const std::string marker = (dir / "claimed").string();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::execl(DISPATCHER_LEASE_CHILD, DISPATCHER_LEASE_CHILD, h.db.conninfo().c_str(), "t-lease",
            "3000", marker.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const bool claimed = wait_until([&] { return std::filesystem::exists(marker); }, 30s);
  if (!claimed) ::kill(child, SIGKILL);
  ASSERT_TRUE(claimed) << "child never reached its sink";
  std::string batch;
  std::ifstream(marker) >> batch;
  EXPECT_EQ(batch, std::to_string(n));
  EXPECT_EQ(count(h.db,
                  "SELECT count(*) FROM hub.delivery WHERE lease_owner LIKE 'child-%'"
                  " AND lease_until > now() AND state = 'pending'"),
            n);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  const std::string lease_until = h.db.scalar("SELECT max(lease_until) FROM hub.delivery");

  auto sink = std::make_shared<ScriptedSink>();
  h.sinks->add("t-lease", sink);
  Dispatcher d(*h.pool, h.sinks, fast_options("survivor"));
  d.start();
  ASSERT_TRUE(wait_until(
      [&] {
        return count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") == n;
      },
      30s));
  d.stop();
  EXPECT_EQ(sink->calls(), n);
  for (const auto& [id, c] : sink->per_message()) EXPECT_EQ(c, 1) << id;
  // Nothing was taken before the dead node's lease ran out.
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE delivered_at < '" + lease_until +
                            "'::timestamptz"),
            0);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE attempts = 1"), n);
  std::filesystem::remove_all(dir);
}

TEST(Dispatcher, TargetWithoutSinkStaysPendingAndIsCounted) {
  Harness h;
  insert_deliveries(h.db, "t-nowhere", 3);
  Dispatcher d(*h.pool, h.sinks, fast_options("node-a"));
  d.start();
  auto& m = metrics::Registry::global();
  ASSERT_TRUE(wait_until([&] {
    return m.value("zhkh_dispatcher_target_without_sink", {{"target", "t-nowhere"}}) == 1 &&
           m.value("zhkh_delivery_queue_depth", {{"target", "t-nowhere"}}) == 3;
  }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(count(h.db,
                  "SELECT count(*) FROM hub.delivery WHERE state = 'pending' AND attempts = 0"
                  " AND lease_owner IS NULL"),
            3);
  // A sink registered later is picked up by the housekeeper.
  auto sink = std::make_shared<ScriptedSink>();
  h.sinks->add("t-nowhere", sink);
  ASSERT_TRUE(wait_until([&] {
    return count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") == 3;
  }));
  d.stop();
}

TEST(Dispatcher, StopFinishesTheInFlightBatchAndLeavesNoLeases) {
  Harness h;
  auto sink = std::make_shared<ScriptedSink>();
  sink->set_batch_delay(700ms);
  h.sinks->add("t-stop", sink);
  insert_deliveries(h.db, "t-stop", 20);
  auto o = fast_options("node-a");
  o.defaults.batch_size = 5;
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  ASSERT_TRUE(wait_until([&] {
    return count(h.db, "SELECT count(*) FROM hub.delivery WHERE lease_owner IS NOT NULL") == 5;
  }));
  d.stop();
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE lease_owner IS NOT NULL"), 0);
  const auto delivered = count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'");
  EXPECT_EQ(delivered, sink->calls());
  EXPECT_GE(delivered, 5);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'pending'"),
            20 - delivered);
}

/// A sink whose effect is a row per message in test_effect, written on the dispatcher's
/// transaction. `script` decides each message's answer before its row is written (a rejected or
/// retried message writes nothing); `throw_on_call` makes that call (1-based) throw after writing;
/// `hold` keeps the first batch inside the sink until released.
class TransactionalSink : public Sink {
 public:
  using Script = std::function<DeliveryResult(const Envelope&)>;
  explicit TransactionalSink(Script script = {}) : script_(std::move(script)) {}

  DeliveryResult deliver(const Envelope&) override {
    ADD_FAILURE() << "a sink that delivers in the transaction was called outside it";
    return DeliveryResult::retry("outside the transaction");
  }
  bool delivers_in_transaction() const override { return true; }
  std::vector<DeliveryResult> deliver_batch_in(pqxx::dbtransaction& tx,
                                               const std::vector<Envelope>& batch) override {
    const int call = ++calls_;
    if (call == 1 && hold_) {
      entered_ = true;
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !hold_; });
    }
    std::vector<DeliveryResult> out;
    std::vector<std::string> written;
    for (const auto& m : batch) {
      out.push_back(script_ ? script_(m) : DeliveryResult::delivered());
      if (out.back().kind == DeliveryResult::Kind::kDelivered) written.push_back(m.id);
    }
    for (const auto& id : written)
      tx.exec_params("INSERT INTO test_effect (message_id, call) VALUES ($1, $2)", id, call);
    if (call == throw_on_call_) throw std::runtime_error("disk full after writing");
    return out;
  }
  void abandoned(const Envelope& m, const std::string& reason) override {
    std::lock_guard lock(mu_);
    abandoned_[m.id] = reason;
  }

  void throw_on_call(int n) { throw_on_call_ = n; }
  void hold() { hold_ = true; }
  void release() {
    {
      std::lock_guard lock(mu_);
      hold_ = false;
    }
    cv_.notify_all();
  }
  bool entered() const { return entered_; }
  int calls() const { return calls_; }
  std::map<std::string, std::string> abandoned_messages() const {
    std::lock_guard lock(mu_);
    return abandoned_;
  }

 private:
  Script script_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  std::atomic<bool> entered_{false};
  std::atomic<int> calls_{0}, throw_on_call_{0};
  std::map<std::string, std::string> abandoned_;
};

void create_effect_table(const testing::TestDatabase& db) {
  db.exec("CREATE TABLE test_effect (message_id uuid NOT NULL, call int NOT NULL)");
}

TEST(DispatcherInTransaction, EachRowIsDeliveredOnceWithItsEffectAndNeverLeased) {
  Harness h;
  create_effect_table(h.db);
  auto sink = std::make_shared<TransactionalSink>();
  h.sinks->add("t-tx", sink);
  const int n = 2000;
  insert_deliveries(h.db, "t-tx", n);
  const auto [a, b] = drain_on_two_nodes(h, n);
  if (::testing::Test::HasFailure()) return;
  // Four workers on two nodes, and every message has exactly one effect row.
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM test_effect"), n);
  EXPECT_EQ(count(h.db, "SELECT count(DISTINCT message_id) FROM test_effect"), n);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE attempts <> 1"), 0);
  EXPECT_EQ(count(h.db,
                  "SELECT count(*) FROM hub.delivery WHERE lease_owner IS NOT NULL"
                  " OR lease_until IS NOT NULL"),
            0);
  EXPECT_EQ(a.delivered + b.delivered, static_cast<std::uint64_t>(n));
  EXPECT_EQ(a.lease_lost + b.lease_lost, 0u);
}

TEST(DispatcherInTransaction, ASinkThatThrowsKeepsNothingOfItsEffectAndIsRetried) {
  Harness h;
  create_effect_table(h.db);
  auto sink = std::make_shared<TransactionalSink>();
  sink->throw_on_call(1);
  h.sinks->add("t-tx-throw", sink);
  insert_deliveries(h.db, "t-tx-throw", 10);
  auto o = fast_options("node-a");
  o.defaults.breaker_failures = 100;  // ten retries at once must not open it for 30 s
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  ASSERT_TRUE(wait_until([&] {
    return count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") == 10;
  }));
  d.stop();
  // The first call wrote its ten rows and threw: its savepoint took them back, and the claim
  // transaction recorded the retry.
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM test_effect"), 10);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM test_effect WHERE call = 1"), 0);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE attempts = 2"), 10);
  EXPECT_EQ(h.db.scalar("SELECT DISTINCT last_error FROM hub.delivery"),
            "sink threw: disk full after writing");
}

TEST(DispatcherInTransaction, ClaimedRowsAreLockedNotLeasedAndAStopWaitsForTheBatch) {
  Harness h;
  create_effect_table(h.db);
  auto sink = std::make_shared<TransactionalSink>();
  sink->hold();
  h.sinks->add("t-tx-lock", sink);
  insert_deliveries(h.db, "t-tx-lock", 30);
  auto o = fast_options("node-a");
  o.defaults.batch_size = 10;
  Dispatcher d(*h.pool, h.sinks, o);
  d.start();
  ASSERT_TRUE(wait_until([&] { return sink->entered(); }));
  // While the sink holds its batch, nothing is leased and its ten rows are locked: another
  // claimer skips them and sees only the other twenty.
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE lease_owner IS NOT NULL"), 0);
  EXPECT_EQ(count(h.db,
                  "SELECT count(*) FROM (SELECT id FROM hub.delivery"
                  " FOR UPDATE SKIP LOCKED) free"),
            20);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM test_effect"), 0);
  std::thread stopper([&] { d.stop(); });
  std::this_thread::sleep_for(100ms);
  sink->release();
  stopper.join();
  // The held batch finished and committed with its effect; stop claimed nothing more.
  const auto delivered = count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'delivered'");
  EXPECT_GE(delivered, 10);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM test_effect"), delivered);
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'pending'"),
            30 - delivered);
}

TEST(DispatcherInTransaction, ARejectedMessageIsADeadLetterTheSinkHearsOfAndTheRestGoIn) {
  Harness h;
  create_effect_table(h.db);
  auto sink = std::make_shared<TransactionalSink>([](const Envelope& m) {
    return m.correlation_id == "corr-2" ? DeliveryResult::rejected("no such account")
                                        : DeliveryResult::delivered();
  });
  h.sinks->add("t-tx-reject", sink);
  insert_deliveries(h.db, "t-tx-reject", 3);
  Dispatcher d(*h.pool, h.sinks, fast_options("node-a"));
  d.start();
  ASSERT_TRUE(wait_until([&] {
    return count(h.db, "SELECT count(*) FROM hub.delivery WHERE state <> 'pending'") == 3;
  }));
  d.stop();
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM hub.delivery WHERE state = 'dead'"), 1);
  EXPECT_EQ(h.db.scalar("SELECT last_error FROM hub.dead_letter"), "no such account");
  EXPECT_EQ(count(h.db, "SELECT count(*) FROM test_effect"), 2);
  const auto abandoned = sink->abandoned_messages();
  ASSERT_EQ(abandoned.size(), 1u);
  EXPECT_EQ(abandoned.begin()->first, h.db.scalar("SELECT message_id FROM hub.dead_letter"));
  EXPECT_EQ(abandoned.begin()->second, "no such account");
}

TEST(BuiltinSinks, NoopAndLogDeliver) {
  SinkRegistry r;
  register_builtin_sinks(r);
  Envelope e;
  e.id = "x";
  e.type = "payment.received";
  ASSERT_TRUE(r.find("noop"));
  ASSERT_TRUE(r.find("log"));
  EXPECT_EQ(r.find("noop")->deliver_batch({e, e}).size(), 2u);
  EXPECT_EQ(r.find("log")->deliver(e).kind, DeliveryResult::Kind::kDelivered);
}

}  // namespace
}  // namespace hub::dispatcher
