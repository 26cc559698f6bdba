// A working test plugin exercising the whole Context: a sink (delivered / retry / throws), a job,
// a periodic task, store access, metrics, and every config type.
#include <atomic>
#include <memory>
#include <stdexcept>

#include "hub/plugin/sdk.h"

namespace {

using hub::plugin::ConfigType;

class EchoSink : public hub::plugin::Adapter {
 public:
  static hub::plugin::ConfigSpec spec() {
    return {
        {"name", ConfigType::kString, std::nullopt, "a required string"},
        {"count", ConfigType::kInt, "3", "an int"},
        {"enabled", ConfigType::kBool, "true", "a bool"},
        {"interval", ConfigType::kDuration, "50ms", "how often tick runs"},
        {"dir", ConfigType::kPath, "/tmp/${name}", "a path defaulting from another key"},
        {"tags", ConfigType::kStringList, "a, b", "a list"},
        {"password", ConfigType::kSecret, std::nullopt, "a secret"},
    };
  }
  explicit EchoSink(hub::plugin::Context& ctx) : ctx_(ctx) {}

  void start() override {
    ctx_.every(ctx_.config().get_duration("interval"), "tick", [this] {
      // Every other tick fails: the host must log it, count it and keep ticking.
      if (++ticks_ % 2 == 0) throw std::runtime_error("tick failed on purpose");
    });
  }
  void stop() override { stopped_ticks_ = ticks_.load(); }
  hub::plugin::Health health() override {
    return {true, "ticks=" + std::to_string(ticks_.load()) + " password_length=" +
                      std::to_string(ctx_.config().get_string("password").size())};
  }
  std::vector<hub::plugin::JobSpec> jobs() override {
    return {{"ping", "answers pong", "*/5 * * * *"}};
  }
  hub::plugin::JobResult run_job(const std::string& job) override {
    if (job == "ping") return hub::plugin::JobResult::success("pong from " + ctx_.instance());
    return hub::plugin::JobResult::failure("no job " + job);
  }
  bool is_sink() const override { return true; }
  hub::plugin::DeliveryResult deliver(const hub::plugin::Envelope& m) override {
    if (m.body == "retry") return hub::plugin::DeliveryResult::retry("peer busy");
    if (m.body == "boom") throw std::runtime_error("sink exploded");
    ctx_.store().log_exchange("echo", "out", m.correlation_id, "200", m.body);
    ctx_.metrics().add("echo_delivered_total", {}, 1);
    return hub::plugin::DeliveryResult::delivered();
  }

 private:
  hub::plugin::Context& ctx_;
  std::atomic<int> ticks_{0};
  std::atomic<int> stopped_ticks_{0};
};

}  // namespace

HUB_PLUGIN("echo_sink", "2.1.0", "test sink", EchoSink::spec,
           [](hub::plugin::Context& ctx) { return std::make_unique<EchoSink>(ctx); })
