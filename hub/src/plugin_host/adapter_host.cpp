#include "hub/plugin_host/adapter_host.h"

#include <condition_variable>
#include <thread>

#include "hub/core/error.h"
#include "hub/core/log.h"
#include "hub/plugin_host/config_validation.h"
#include "hub/plugin_host/store_access.h"
// Adapter-facing services (SDK xml_services.h, exchange_state.h, billing_export.h).
#include "hub/billing/billing_export.h"
#include "hub/billing/debt_reader.h"  // Context::debts() (SDK debt_reader.h)
#include "hub/plugin_host/exchange_store.h"
#include "hub/plugin_host/xml_services.h"
// Context::signers(): one factory per process, so each key is loaded once (hub/crypto).
#include "hub/crypto/signer_factory.h"

namespace hub::plugin_host {

namespace {

Log& host_log() {
  static Log l("plugin_host");
  return l;
}

/// Stamps the instance as `source` on envelopes and checkpoints that leave it empty.
class StampingEmitter : public plugin::Emitter {
 public:
  StampingEmitter(plugin::Emitter& inner, std::string source)
      : inner_(inner), source_(std::move(source)) {}
  plugin::EmitResult emit(std::vector<plugin::Envelope> batch,
                          const std::optional<plugin::Checkpoint>& checkpoint) override {
    for (auto& e : batch) {
      if (e.source.empty()) e.source = source_;
    }
    if (checkpoint && checkpoint->source.empty()) {
      auto cp = *checkpoint;
      cp.source = source_;
      return inner_.emit(std::move(batch), cp);
    }
    return inner_.emit(std::move(batch), checkpoint);
  }

 private:
  plugin::Emitter& inner_;
  std::string source_;
};

class SystemClock : public plugin::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

/// One hub-owned thread running a task every `interval`: the first run right after start, then
/// one every interval after the previous run ended (runs never overlap).
class PeriodicTask {
 public:
  PeriodicTask(std::string instance, std::string name, std::chrono::milliseconds interval,
               std::function<void()> task, metrics::Registry& metrics)
      : instance_(std::move(instance)),
        name_(std::move(name)),
        interval_(interval),
        task_(std::move(task)),
        metrics_(metrics) {}
  ~PeriodicTask() { stop(); }

  void start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    Log log(instance_);
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        task_();
      } catch (const std::exception& e) {
        log.error("periodic_task_failed", {{"task", name_}, {"error", e.what()}});
        metrics_.add("zhkh_adapter_task_errors_total", {{"instance", instance_}, {"task", name_}});
      } catch (...) {
        log.error("periodic_task_failed", {{"task", name_}, {"error", "non-standard exception"}});
        metrics_.add("zhkh_adapter_task_errors_total", {{"instance", instance_}, {"task", name_}});
      }
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  }

  std::string instance_;
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> task_;
  metrics::Registry& metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

/// The Context one adapter instance sees.
class InstanceContext : public plugin::Context {
 public:
  InstanceContext(std::string name, plugin::Config config, plugin::Emitter& emitter,
                  store::Pool& pool, plugin::HttpClientFactory& http, metrics::Registry& metrics,
                  plugin::ParserRegistry& parsers, const AdapterHost::TypeResolver& types)
      : name_(std::move(name)),
        config_(std::move(config)),
        log_(name_),
        emitter_(emitter, name_),
        store_(pool, name_),
        exchanges_(pool, name_),
        billing_export_(pool),
        debts_(pool),
        http_(http),
        adapter_metrics_(metrics, name_),
        registry_(metrics),
        parsers_(parsers),
        types_(types) {}

  const std::string& instance() const override { return name_; }
  const plugin::Config& config() const override { return config_; }
  plugin::Logger& log() override { return log_; }
  plugin::Emitter& emitter() override { return emitter_; }
  plugin::StoreAccess& store() override { return store_; }
  plugin::HttpClientFactory& http() override { return http_; }
  plugin::Metrics& metrics() override { return adapter_metrics_; }
  const plugin::Clock& clock() const override { return clock_; }
  plugin::ParserRegistry& parsers() override { return parsers_; }
  std::string type_for_root(const std::string& ns, const std::string& local) const override {
    return types_ ? types_(ns, local) : std::string();
  }
  plugin::XmlServices& xml() override { return PackageXmlServices::shared(); }
  plugin::ExchangeStore& exchanges() override { return exchanges_; }
  plugin::BillingExport& billing_export() override { return billing_export_; }
  plugin::DebtReader& debts() override { return debts_; }
  plugin::SignerFactory& signers() override {
    static crypto::HubSignerFactory factory;
    return factory;
  }

  void every(std::chrono::milliseconds interval, std::string name,
             std::function<void()> task) override {
    if (interval.count() <= 0) interval = std::chrono::milliseconds(1);
    auto t = std::make_unique<PeriodicTask>(name_, std::move(name), interval, std::move(task),
                                            registry_);
    std::lock_guard lock(mu_);
    if (running_) t->start();
    tasks_.push_back(std::move(t));
  }

  /// Starts the tasks registered so far and any registered later.
  void start_tasks() {
    std::lock_guard lock(mu_);
    running_ = true;
    for (auto& t : tasks_) t->start();
  }
  /// Stops and forgets every task (joins their threads).
  void stop_tasks() {
    std::vector<std::unique_ptr<PeriodicTask>> tasks;
    {
      std::lock_guard lock(mu_);
      running_ = false;
      tasks.swap(tasks_);
    }
    for (auto& t : tasks) t->stop();
  }

 private:
  std::string name_;
  plugin::Config config_;
  Log log_;
  StampingEmitter emitter_;
  PgStoreAccess store_;
  PgExchangeStore exchanges_;
  billing::PgBillingExport billing_export_;
  billing::PgDebtReader debts_;
  plugin::HttpClientFactory& http_;
  metrics::AdapterMetrics adapter_metrics_;
  metrics::Registry& registry_;
  SystemClock clock_;
  plugin::ParserRegistry& parsers_;
  const AdapterHost::TypeResolver& types_;  // the host's, read at call time
  std::mutex mu_;
  bool running_ = false;
  std::vector<std::unique_ptr<PeriodicTask>> tasks_;
};

struct AdapterHost::Instance {
  // Member order is destruction order reversed: the adapter goes first, its context next, and the
  // plugin library (which holds the adapter's code) last.
  std::shared_ptr<LoadedPlugin> plugin;
  std::unique_ptr<InstanceContext> context;
  std::unique_ptr<plugin::Adapter> adapter;
  std::string name;
  std::vector<plugin::JobSpec> jobs;
  bool is_sink = false;
  std::atomic<bool> running{false};
};

namespace {

class AdapterSink : public dispatcher::Sink {
 public:
  explicit AdapterSink(std::shared_ptr<AdapterHost::Instance> instance)
      : instance_(std::move(instance)) {}
  plugin::DeliveryResult deliver(const Envelope& message) override {
    try {
      return instance_->adapter->deliver(message);
    } catch (const std::exception& e) {
      return plugin::DeliveryResult::retry("adapter '" + instance_->name +
                                           "' threw from deliver(): " + e.what());
    } catch (...) {
      return plugin::DeliveryResult::retry("adapter '" + instance_->name +
                                           "' threw a non-standard exception from deliver()");
    }
  }
  void abandoned(const Envelope& message, const std::string& reason) override {
    instance_->adapter->abandoned(message, reason);
  }

 private:
  std::shared_ptr<AdapterHost::Instance> instance_;
};

}  // namespace

AdapterHost::AdapterHost(std::filesystem::path plugin_dir, store::Pool& pool,
                         plugin::Emitter& emitter, metrics::Registry& metrics)
    : loader_(std::move(plugin_dir)), pool_(pool), emitter_(emitter), metrics_(metrics) {
  metrics_.describe("zhkh_adapter_task_errors_total",
                    "Exceptions escaping adapters' periodic tasks, by instance and task");
  metrics_.describe("zhkh_adapter_job_runs_total", "Adapter jobs run, by job and result");
}

AdapterHost::~AdapterHost() {
  stop_all();
  // Parsers are plugin code: drop them while their libraries are still mapped.
  parsers_.clear();
  std::lock_guard lock(mu_);
  instances_.clear();
}

void AdapterHost::add_instance(const std::string& name, const YAML::Node& settings,
                               const std::string& file) {
  const int line = settings.Mark().line < 0 ? 0 : settings.Mark().line + 1;
  if (name.empty() || name.find('.') != std::string::npos) {
    throw ConfigError(file, line, name,
                      "adapter instance names must be non-empty and contain no '.'");
  }
  if (has_instance(name)) throw ConfigError(file, line, name, "adapter instance defined twice");
  if (!settings.IsMap()) throw ConfigError(file, line, name, "adapter settings must be a map");
  const auto plugin_node = settings["plugin"];
  if (!plugin_node || !plugin_node.IsScalar() || plugin_node.as<std::string>().empty()) {
    throw ConfigError(file, line, "plugin",
                      "adapter '" + name + "' names no plugin (plugin: <name>)");
  }
  const auto plugin_name = plugin_node.as<std::string>();
  auto loaded = loader_.find(plugin_name);
  if (!loaded) {
    std::string available;
    for (const auto& p : loader_.load_all()) {
      available += (available.empty() ? "" : ", ") + p->descriptor().name;
    }
    throw ConfigError(file, plugin_node.Mark().line + 1, "plugin",
                      "no plugin named '" + plugin_name + "' in " + loader_.dir().string() +
                          " (available: " + (available.empty() ? "none" : available) + ")");
  }
  auto config = validate_config(loaded->descriptor().spec, settings, file);

  auto inst = std::make_shared<Instance>();
  inst->name = name;
  inst->plugin = loaded;
  inst->context = std::make_unique<InstanceContext>(name, std::move(config), emitter_, pool_, http_,
                                                    metrics_, parsers_, type_resolver_);
  inst->adapter = loaded->create(*inst->context);
  try {
    inst->jobs = inst->adapter->jobs();
    inst->is_sink = inst->adapter->is_sink();
  } catch (const std::exception& e) {
    throw PluginError("adapter '" + name + "' (" + loaded->descriptor().file.string() +
                      "): jobs()/is_sink() threw: " + e.what());
  }
  host_log().info(
      "adapter_created",
      {{"instance", name}, {"plugin", plugin_name}, {"version", loaded->descriptor().version}});
  std::lock_guard lock(mu_);
  instances_.push_back(std::move(inst));
}

void AdapterHost::add_instances(const YAML::Node& adapters, const std::string& file) {
  if (!adapters || adapters.IsNull()) return;
  if (!adapters.IsMap()) {
    throw ConfigError(file, adapters.Mark().line + 1, "adapters",
                      "expected a map of instance name → settings");
  }
  for (const auto& kv : adapters) add_instance(kv.first.as<std::string>(), kv.second, file);
}

void AdapterHost::start_all() {
  std::vector<std::shared_ptr<Instance>> list;
  {
    std::lock_guard lock(mu_);
    list = instances_;
    started_ = true;
  }
  for (auto& inst : list) {
    if (inst->running) continue;
    try {
      inst->adapter->start();
    } catch (const std::exception& e) {
      inst->context->stop_tasks();
      throw PluginError("adapter '" + inst->name + "' (" +
                        inst->plugin->descriptor().file.string() +
                        ") failed to start: " + e.what());
    }
    inst->running = true;
    inst->context->start_tasks();
    host_log().info("adapter_started", {{"instance", inst->name}});
  }
}

void AdapterHost::stop_all() {
  std::vector<std::shared_ptr<Instance>> list;
  {
    std::lock_guard lock(mu_);
    list = instances_;
    started_ = false;
  }
  // All periodic threads first, so no task runs against an adapter that is stopping.
  for (auto& inst : list) inst->context->stop_tasks();
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    auto& inst = *it;
    if (!inst->running) continue;
    inst->running = false;
    try {
      inst->adapter->stop();
    } catch (const std::exception& e) {
      host_log().error("adapter_stop_failed", {{"instance", inst->name}, {"error", e.what()}});
    }
    host_log().info("adapter_stopped", {{"instance", inst->name}});
  }
}

std::shared_ptr<AdapterHost::Instance> AdapterHost::find_instance(const std::string& name) const {
  std::lock_guard lock(mu_);
  for (const auto& i : instances_) {
    if (i->name == name) return i;
  }
  return nullptr;
}

bool AdapterHost::has_instance(const std::string& name) const {
  return find_instance(name) != nullptr;
}

std::vector<InstanceInfo> AdapterHost::instances() const {
  std::vector<std::shared_ptr<Instance>> list;
  {
    std::lock_guard lock(mu_);
    list = instances_;
  }
  std::vector<InstanceInfo> out;
  for (const auto& inst : list) {
    InstanceInfo info;
    info.name = inst->name;
    info.plugin = inst->plugin->descriptor().name;
    info.version = inst->plugin->descriptor().version;
    info.is_sink = inst->is_sink;
    info.jobs = inst->jobs;
    info.running = inst->running;
    try {
      info.health = inst->adapter->health();
    } catch (const std::exception& e) {
      info.health = {false, std::string("health() threw: ") + e.what()};
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<std::string> AdapterHost::describe(const std::string& name) {
  std::shared_ptr<LoadedPlugin> plugin;
  std::string heading;
  if (auto inst = find_instance(name)) {
    plugin = inst->plugin;
    heading = "adapter instance " + name + " (plugin " + plugin->descriptor().name + ")\n";
    if (!inst->jobs.empty()) {
      heading += "jobs:\n";
      for (const auto& j : inst->jobs) {
        heading += "  " + name + "." + j.name + "  " + j.description +
                   (j.default_schedule.empty() ? "" : " [" + j.default_schedule + "]") + "\n";
      }
    }
  } else {
    plugin = loader_.find(name);
    if (!plugin) return std::nullopt;
  }
  const auto& d = plugin->descriptor();
  return d.name + " " + d.version + " - " + d.description + "\nfile: " + d.file.string() + "\n" +
         heading + "config keys:\n" + plugin_host::describe(d.spec);
}

std::shared_ptr<dispatcher::Sink> AdapterHost::sink(const std::string& instance) {
  auto inst = find_instance(instance);
  if (!inst || !inst->is_sink) return nullptr;
  return std::make_shared<AdapterSink>(inst);
}

void AdapterHost::register_sinks(dispatcher::SinkRegistry& registry) {
  for (const auto& info : instances()) {
    if (info.is_sink) registry.add(info.name, sink(info.name));
  }
}

std::vector<HostedJob> AdapterHost::jobs() const {
  std::vector<HostedJob> out;
  std::lock_guard lock(mu_);
  for (const auto& inst : instances_) {
    for (const auto& j : inst->jobs) {
      out.push_back({inst->name + "." + j.name, j.description, j.default_schedule});
    }
  }
  return out;
}

bool AdapterHost::has_job(const std::string& qualified) const {
  const auto dot = qualified.find('.');
  if (dot == std::string::npos) return false;
  auto inst = find_instance(qualified.substr(0, dot));
  if (!inst) return false;
  const auto job = qualified.substr(dot + 1);
  for (const auto& j : inst->jobs) {
    if (j.name == job) return true;
  }
  return false;
}

plugin::JobResult AdapterHost::run_job(const std::string& qualified) {
  if (!has_job(qualified)) {
    metrics_.add("zhkh_adapter_job_runs_total", {{"job", qualified}, {"result", "unknown"}});
    return plugin::JobResult::failure("no adapter job named '" + qualified + "'");
  }
  const auto dot = qualified.find('.');
  auto inst = find_instance(qualified.substr(0, dot));
  const auto job = qualified.substr(dot + 1);
  Log log(inst->name);
  plugin::JobResult result;
  try {
    result = inst->adapter->run_job(job);
  } catch (const std::exception& e) {
    result = plugin::JobResult::failure(std::string("job threw: ") + e.what());
  } catch (...) {
    result = plugin::JobResult::failure("job threw a non-standard exception");
  }
  metrics_.add("zhkh_adapter_job_runs_total",
               {{"job", qualified}, {"result", result.ok ? "ok" : "failed"}});
  if (result.ok) {
    log.info("job_done", {{"job", qualified}, {"message", result.message}});
  } else {
    log.error("job_failed", {{"job", qualified}, {"error", result.message}});
  }
  return result;
}

}  // namespace hub::plugin_host
