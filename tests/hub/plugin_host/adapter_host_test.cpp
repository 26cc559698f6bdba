#include "hub/plugin_host/adapter_host.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "hub/core/error.h"
#include "test_database.h"
#include "test_emitter.h"
#include "test_paths.h"

namespace hub::plugin_host {
namespace {

using namespace std::chrono_literals;

const char* kEchoConfig = R"(
echo:
  plugin: echo_sink
  name: demo
  interval: 20ms
  password: env:ZHKH_TEST_ECHO_PASSWORD
)";

int ticks_of(AdapterHost& host) {
  for (const auto& i : host.instances()) {
    if (i.name == "echo") {
      const auto pos = i.health.detail.find("ticks=");
      return std::stoi(i.health.detail.substr(pos + 6));
    }
  }
  return -1;
}

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

class AdapterHostTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("ZHKH_TEST_ECHO_PASSWORD", "hunter2", 1); }
  hub::testing::TestDatabase db_;
  std::unique_ptr<store::Pool> pool_ = db_.make_pool(2);
  testing::RecordingEmitter emitter_;
};

TEST_F(AdapterHostTest, ListsInstancesWithPluginVersionSinkJobsAndHealth) {
  AdapterHost host(HUB_TEST_PLUGIN_DIR, *pool_, emitter_);
  host.add_instances(YAML::Load(kEchoConfig), "hub.yaml");
  auto list = host.instances();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "echo");
  EXPECT_EQ(list[0].plugin, "echo_sink");
  EXPECT_EQ(list[0].version, "2.1.0");
  EXPECT_TRUE(list[0].is_sink);
  ASSERT_EQ(list[0].jobs.size(), 1u);
  EXPECT_EQ(list[0].jobs[0].name, "ping");
  EXPECT_TRUE(list[0].health.ok);
  // The secret reached the adapter resolved from the environment.
  EXPECT_NE(list[0].health.detail.find("password_length=7"), std::string::npos);
  EXPECT_FALSE(list[0].running);
}

TEST_F(AdapterHostTest, RunsPeriodicTasksCountsTheirFailuresAndStopsThemFirst) {
  AdapterHost host(HUB_TEST_PLUGIN_DIR, *pool_, emitter_);
  host.add_instances(YAML::Load(kEchoConfig), "hub.yaml");
  host.start_all();
  EXPECT_TRUE(host.instances()[0].running);
  // The task fails every other tick; ticks go on regardless.
  ASSERT_TRUE(eventually([&] { return ticks_of(host) >= 6; })) << ticks_of(host);
  EXPECT_GE(metrics::Registry::global().value("zhkh_adapter_task_errors_total",
                                              {{"instance", "echo"}, {"task", "tick"}}),
            2.0);
  host.stop_all();
  const int after_stop = ticks_of(host);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ticks_of(host), after_stop);
  EXPECT_FALSE(host.instances()[0].running);
  host.stop_all();  // idempotent
}

TEST_F(AdapterHostTest, WrapsSinkInstancesForTheDispatcher) {
  AdapterHost host(HUB_TEST_PLUGIN_DIR, *pool_, emitter_);
  host.add_instances(YAML::Load(kEchoConfig), "hub.yaml");
  dispatcher::SinkRegistry registry;
  host.register_sinks(registry);
  EXPECT_EQ(registry.names(), std::vector<std::string>{"echo"});
  auto sink = registry.find("echo");
  ASSERT_TRUE(sink);

  Envelope m;
  m.correlation_id = "corr-1";
  m.body = "<hello/>";
  EXPECT_EQ(sink->deliver(m).kind, plugin::DeliveryResult::Kind::kDelivered);
  EXPECT_EQ(db_.scalar("SELECT adapter || '|' || operation || '|' || direction || '|' || "
                       "correlation_id || '|' || status || '|' || payload FROM hub.exchange_log"),
            "echo|echo|out|corr-1|200|<hello/>");
  m.body = "retry";
  auto r = sink->deliver(m);
  EXPECT_EQ(r.kind, plugin::DeliveryResult::Kind::kRetry);
  EXPECT_EQ(r.reason, "peer busy");
  m.body = "boom";
  r = sink->deliver(m);
  EXPECT_EQ(r.kind, plugin::DeliveryResult::Kind::kRetry);
  EXPECT_EQ(r.reason, "adapter 'echo' threw from deliver(): sink exploded");
  EXPECT_EQ(host.sink("nope"), nullptr);
}

TEST_F(AdapterHostTest, OffersJobsQualifiedByInstance) {
  AdapterHost host(HUB_TEST_PLUGIN_DIR, *pool_, emitter_);
  host.add_instances(YAML::Load(kEchoConfig), "hub.yaml");
  auto jobs = host.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "echo.ping");
  EXPECT_EQ(jobs[0].default_schedule, "*/5 * * * *");
  EXPECT_TRUE(host.has_job("echo.ping"));
  EXPECT_FALSE(host.has_job("echo.pong"));
  EXPECT_FALSE(host.has_job("ping"));
  auto r = host.run_job("echo.ping");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.message, "pong from echo");
  r = host.run_job("other.ping");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "no adapter job named 'other.ping'");
}

TEST_F(AdapterHostTest, DescribesInstancesAndPlugins) {
  AdapterHost host(HUB_TEST_PLUGIN_DIR, *pool_, emitter_);
  host.add_instances(YAML::Load(kEchoConfig), "hub.yaml");
  auto text = host.describe("echo");
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("echo_sink 2.1.0 - test sink"), std::string::npos) << *text;
  EXPECT_NE(text->find("adapter instance echo (plugin echo_sink)"), std::string::npos) << *text;
  EXPECT_NE(text->find("echo.ping  answers pong [*/5 * * * *]"), std::string::npos) << *text;
  EXPECT_NE(text->find("  password  secret        required        a secret"), std::string::npos)
      << *text;
  EXPECT_EQ(text->find("hunter2"), std::string::npos);

  AdapterHost real(hub::testing::plugin_dir(), *pool_, emitter_);
  auto inbox = real.describe("file_inbox");
  ASSERT_TRUE(inbox);
  EXPECT_NE(inbox->find("file_inbox 1.0.0 - Watches a directory"), std::string::npos) << *inbox;
  EXPECT_NE(inbox->find("  path            path      required              inbox directory"),
            std::string::npos)
      << *inbox;
  EXPECT_NE(inbox->find("  done_dir        path      \"${path}/done\"        where processed"),
            std::string::npos)
      << *inbox;
  EXPECT_FALSE(real.describe("nothing_of_that_name"));
}

TEST_F(AdapterHostTest, ConfigErrorsNameFileLineAndKey) {
  AdapterHost host(HUB_TEST_PLUGIN_DIR, *pool_, emitter_);
  try {
    host.add_instances(YAML::Load("echo:\n  plugin: echo_sink\n  name: x\n  password: p\n"
                                  "  count: lots\n"),
                       "/etc/zhkh-hub.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/etc/zhkh-hub.yaml:5: 'count': expected an integer, got 'lots'");
  }
  try {
    host.add_instances(YAML::Load("echo:\n  name: x\n"), "/etc/zhkh-hub.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "plugin");
    EXPECT_EQ(e.line(), 2);
  }
  host.add_instances(YAML::Load(kEchoConfig), "hub.yaml");
  EXPECT_THROW(host.add_instances(YAML::Load(kEchoConfig), "hub.yaml"), ConfigError);  // twice
}

}  // namespace
}  // namespace hub::plugin_host
