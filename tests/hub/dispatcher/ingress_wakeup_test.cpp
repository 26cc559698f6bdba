// The whole message path in one process: Ingress journals and NOTIFYs after commit, the
// dispatcher (whose poll interval is far too long to matter) wakes on it and delivers.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "hub/dispatcher/dispatcher.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "test_database.h"
#include "test_paths.h"
#include "wait_for.h"

namespace hub::dispatcher {
namespace {

using namespace std::chrono_literals;

class CollectingSink : public Sink {
 public:
  DeliveryResult deliver(const Envelope& m) override {
    std::lock_guard lock(mu_);
    keys_.push_back(m.idempotency_key);
    return DeliveryResult::delivered();
  }
  std::vector<std::string> keys() const {
    std::lock_guard lock(mu_);
    return keys_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> keys_;
};

TEST(IngressToDispatcher, NotifyAfterCommitWakesTheTargetsWorkers) {
  testing::TestDatabase db;
  auto pool = db.make_pool(6);
  const auto dir = testing::source_dir() / "schemas/canonical";
  auto schemas = xml::SchemaRegistry::load(dir);
  auto config = std::make_shared<router::RoutingConfig>(router::parse_routing_config(
      "routes:\n  - name: pay\n    match: {type: [payment.received]}\n    to: [collect]\n",
      "wakeup-routes.yaml"));
  router::RouterHolder holder;
  holder.set(std::make_shared<router::Router>(
      config, std::make_shared<xml::StylesheetCache>(testing::source_dir() / "mappings"), 1));
  ingress::Ingress ingress(*pool, schemas, holder);

  auto sinks = std::make_shared<SinkRegistry>();
  auto sink = std::make_shared<CollectingSink>();
  sinks->add("collect", sink);
  DispatcherOptions o;
  o.node_id = "wakeup";
  o.defaults.poll_interval = 120s;  // only a NOTIFY can deliver within the test's deadline
  Dispatcher d(*pool, sinks, o);
  d.start();
  // The dispatcher's listener has issued its LISTEN (a fixed sleep is no proof on a slow machine).
  ASSERT_TRUE(testing::wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND query LIKE 'LISTEN %zhkh_delivery%'") != "0";
      },
      30s));

  std::ifstream in(dir / "samples/payment.received.xml");
  std::stringstream body;
  body << in.rdbuf();
  Envelope e;
  e.type = "payment.received";
  e.source = "test";
  e.idempotency_key = "wakeup-1";
  e.body = body.str();
  const auto submitted = std::chrono::steady_clock::now();
  ASSERT_EQ(ingress.submit({e}).accepted, 1u);

  const auto deadline = submitted + 30s;
  while (sink->keys().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  d.stop();
  ASSERT_EQ(sink->keys(), std::vector<std::string>{"wakeup-1"});
  EXPECT_EQ(db.scalar("SELECT state FROM hub.delivery"), "delivered");
}

}  // namespace
}  // namespace hub::dispatcher
