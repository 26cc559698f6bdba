// RouteStore and RouteWatcher against a real PostgreSQL: versions, diffs, audit rows, NOTIFY,
// a watcher following applies made from other connections, and its reconnect after the server
// drops it.

#include "hub/router/route_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "hub/core/error.h"
#include "test_database.h"

namespace hub::router {
namespace {

using namespace std::chrono_literals;

const std::string kV1 = "routes:\n  - name: a\n    to: [x]\n";
const std::string kV2 = "routes:\n  - name: a\n    to: [x, y]\n";
const std::string kV3 = "routes:\n  - name: a\n    to: [x, y]\n  - name: b\n    to: [z]\n";

/// Polls `pred` until true or the deadline; generous so a loaded machine never fails a test.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = 20s) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

TEST(RouteStore, ApplyVersionsDiffsAndAudits) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(2);
  RouteStore store(*pool);
  EXPECT_FALSE(store.current().has_value());

  const auto r1 = store.apply(kV1, "routes.yaml", "alice", false);
  EXPECT_TRUE(r1.changed);
  EXPECT_GT(r1.version, 0);
  EXPECT_EQ(r1.config.routes.size(), 1u);
  EXPECT_EQ(r1.digest, sha256_hex(kV1));
  EXPECT_EQ(r1.digest.size(), 64u);
  EXPECT_EQ(
      r1.diff,
      "--- (no version)\n+++ routes.yaml\n@@ -0,0 +1,3 @@\n+routes:\n+  - name: a\n+    to: [x]\n");

  auto cur = store.current();
  ASSERT_TRUE(cur.has_value());
  EXPECT_EQ(cur->version, r1.version);
  EXPECT_EQ(cur->config, kV1);
  EXPECT_EQ(cur->applied_by, "alice");
  EXPECT_EQ(cur->source, "routes.yaml");
  EXPECT_EQ(cur->digest, r1.digest);
  EXPECT_EQ(cur->applied_at.size(), 24u) << cur->applied_at;  // 2026-11-23T08:55:39.123Z

  // The same text again: nothing stored, nothing audited.
  const auto same = store.apply(kV1, "routes.yaml", "bob", false);
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(same.diff, "no changes");
  EXPECT_EQ(same.version, r1.version);

  // A dry run shows the diff but stores nothing.
  const auto dry = store.apply(kV2, "routes-new.yaml", "bob", true);
  EXPECT_TRUE(dry.changed);
  EXPECT_TRUE(dry.dry_run);
  EXPECT_EQ(dry.version, r1.version);
  EXPECT_NE(dry.diff.find("-    to: [x]\n+    to: [x, y]\n"), std::string::npos) << dry.diff;
  EXPECT_EQ(store.current()->version, r1.version);

  const auto r2 = store.apply(kV2, "routes-new.yaml", "bob", false);
  EXPECT_TRUE(r2.changed);
  EXPECT_GT(r2.version, r1.version);
  EXPECT_EQ(r2.diff,
            "--- version " + std::to_string(r1.version) + " (alice, " + cur->applied_at +
                ")\n+++ routes-new.yaml\n@@ -1,3 +1,3 @@\n routes:\n   - name: a\n-    to: "
                "[x]\n+    to: [x, y]\n");
  EXPECT_EQ(store.current()->config, kV2);

  // An invalid file is refused before anything is written.
  EXPECT_THROW(store.apply("routes:\n  - name: a\n", "bad.yaml", "eve", false), ConfigError);
  EXPECT_EQ(store.current()->version, r2.version);

  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.route_version"), "2");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.audit WHERE action = 'routes.apply'"), "2");
  EXPECT_EQ(db.scalar("SELECT actor || ' ' || object || ' ' || (details->>'version') || ' ' ||"
                      " (details->>'digest') FROM hub.audit ORDER BY id DESC LIMIT 1"),
            "bob routes-new.yaml " + std::to_string(r2.version) + " " + r2.digest);

  const auto versions = store.list_versions();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, r2.version);
  EXPECT_EQ(versions[1].version, r1.version);
  EXPECT_EQ(versions[1].config, kV1);
  EXPECT_EQ(store.list_versions(1).size(), 1u);
  ASSERT_TRUE(store.get(r1.version).has_value());
  EXPECT_EQ(store.get(r1.version)->applied_by, "alice");
  EXPECT_FALSE(store.get(r2.version + 100).has_value());
}

TEST(RouteStore, ApplyNotifiesOnCommit) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(2);
  RouteStore store(*pool);

  pqxx::connection listener(db.conninfo());
  struct Rx : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  } rx(listener, kRoutesChannel);

  const auto r = store.apply(kV1, "routes.yaml", "alice", false);
  store.apply(kV1, "routes.yaml", "alice", false);  // unchanged: no notification
  store.apply(kV2, "routes.yaml", "alice", true);   // dry run: no notification
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (rx.payloads.empty() && std::chrono::steady_clock::now() < until) {
    listener.await_notification(0, 100'000);
  }
  // Give stray notifications (which must not exist) a moment to arrive.
  for (int i = 0; i < 5; ++i) listener.await_notification(0, 100'000);
  EXPECT_EQ(rx.payloads, (std::vector<std::string>{std::to_string(r.version)}));
}

TEST(RouteStore, ConcurrentAppliesEachDiffAgainstTheirPredecessor) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(4);
  RouteStore store(*pool);
  store.apply(kV1, "base.yaml", "init", false);

  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<ApplyResult> results;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const auto text = "routes:\n  - name: r" + std::to_string(t) + "\n    to: [x]\n";
      auto r =
          store.apply(text, "t" + std::to_string(t) + ".yaml", "user" + std::to_string(t), false);
      std::lock_guard<std::mutex> lk(mu);
      results.push_back(std::move(r));
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(results.size(), 4u);
  // Every diff's "before" is exactly the version stored just before it.
  for (const auto& r : results) {
    const auto prev = db.scalar("SELECT config FROM hub.route_version WHERE version < " +
                                std::to_string(r.version) + " ORDER BY version DESC LIMIT 1");
    const auto first_route = prev.substr(
        prev.find("name: ") + 6, prev.find('\n', prev.find("name: ")) - prev.find("name: ") - 6);
    EXPECT_NE(r.diff.find("-  - name: " + first_route + "\n"), std::string::npos)
        << "version " << r.version << " diff:\n"
        << r.diff << "\nprevious:\n"
        << prev;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.route_version"), "5");
}

class Seen {
 public:
  void add(long long v) {
    std::lock_guard<std::mutex> lk(mu_);
    versions_.push_back(v);
  }
  std::vector<long long> get() const {
    std::lock_guard<std::mutex> lk(mu_);
    return versions_;
  }
  bool has(long long v) const {
    const auto all = get();
    return std::find(all.begin(), all.end(), v) != all.end();
  }

 private:
  mutable std::mutex mu_;
  std::vector<long long> versions_;
};

TEST(RouteWatcher, SeesVersionsAppliedFromAnotherConnection) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(2);
  RouteStore store(*pool);
  const auto r1 = store.apply(kV1, "routes.yaml", "alice", false);

  Seen seen;
  std::string seen_config;
  // A long re-check interval: seeing v2 quickly proves the NOTIFY path, not the poll.
  RouteWatcher watcher(
      db.conninfo(),
      [&](const StoredVersion& v) {
        seen_config = v.config;  // written before seen.add() publishes it under the mutex
        seen.add(v.version);
      },
      60s);
  watcher.start(r1.version);
  ASSERT_TRUE(eventually([&] { return watcher.connects() >= 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(seen.get().empty()) << "the known version must not be reported";

  // Apply through a different pool, as another node's `routes apply` would.
  auto other_pool = db.make_pool(1);
  RouteStore other(*other_pool);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r2 = other.apply(kV2, "routes.yaml", "bob", false);
  ASSERT_TRUE(eventually([&] { return seen.has(r2.version); }, 10s)) << "watcher missed the NOTIFY";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(watcher.version(), r2.version);
  EXPECT_EQ(seen.get(), (std::vector<long long>{r2.version}));
  EXPECT_EQ(seen_config, kV2);

  watcher.stop();
  watcher.stop();  // idempotent
  const auto r3 = other.apply(kV3, "routes.yaml", "bob", false);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(seen.has(r3.version)) << "callback after stop()";
}

TEST(RouteWatcher, ReportsANewerVersionAtStartAndRechecksWithoutNotify) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(2);
  RouteStore store(*pool);
  const auto r1 = store.apply(kV1, "routes.yaml", "alice", false);

  Seen seen;
  RouteWatcher watcher(
      db.conninfo(), [&](const StoredVersion& v) { seen.add(v.version); }, 500ms);
  watcher.start(0);
  ASSERT_TRUE(eventually([&] { return seen.has(r1.version); }));

  // A version inserted without NOTIFY (as if the notification were lost) is found by re-check.
  db.exec("INSERT INTO hub.route_version (config, digest, applied_by) VALUES ('" + kV2 +
          "', 'd', 'x')");
  const auto v2 = std::stoll(db.scalar("SELECT max(version) FROM hub.route_version"));
  EXPECT_TRUE(eventually([&] { return seen.has(v2); }));
  watcher.stop();
}

TEST(RouteWatcher, ReconnectsAfterTheServerDropsIt) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(2);
  RouteStore store(*pool);
  const auto r1 = store.apply(kV1, "routes.yaml", "alice", false);

  Seen seen;
  RouteWatcher watcher(
      db.conninfo(), [&](const StoredVersion& v) { seen.add(v.version); }, 1s);
  watcher.start(r1.version);
  ASSERT_TRUE(eventually([&] { return watcher.connects() == 1; }));
  ASSERT_TRUE(eventually([&] {
    return db.scalar(
               "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
               "'zhkh-route-watcher' AND datname = current_database()") == "1";
  }));
  db.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'zhkh-route-watcher' AND datname = current_database()");
  ASSERT_TRUE(eventually([&] { return watcher.connects() >= 2; })) << "no reconnect";

  const auto r2 = store.apply(kV2, "routes.yaml", "bob", false);
  EXPECT_TRUE(eventually([&] { return seen.has(r2.version); }));
  watcher.stop();
}

TEST(RouteWatcher, FailedSwitchIsRetried) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(2);
  RouteStore store(*pool);
  const auto r1 = store.apply(kV1, "routes.yaml", "alice", false);

  std::atomic<int> calls{0};
  RouteWatcher watcher(
      db.conninfo(),
      [&](const StoredVersion&) {
        // The first attempt fails (a stylesheet not deployed yet, say); the re-check tries again.
        if (++calls == 1) throw std::runtime_error("not yet");
      },
      300ms);
  watcher.start(0);
  EXPECT_TRUE(eventually([&] { return watcher.version() == r1.version; }));
  EXPECT_GE(calls.load(), 2);
  watcher.stop();
}

TEST(RouteWatcher, StopIsPromptEvenWhileTheServerIsUnreachable) {
  Seen seen;
  // Nothing listens on port 1: the watcher keeps retrying with backoff until stopped.
  RouteWatcher watcher(
      "host=127.0.0.1 port=1 dbname=none user=none connect_timeout=2",
      [&](const StoredVersion& v) { seen.add(v.version); }, 1s);
  watcher.start(0);
  std::this_thread::sleep_for(500ms);
  const auto t0 = std::chrono::steady_clock::now();
  watcher.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(watcher.connects(), 0);
  EXPECT_TRUE(seen.get().empty());
}

}  // namespace
}  // namespace hub::router
