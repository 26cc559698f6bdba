#pragma once
// Owns the adapter instances named in the hub config's `adapters:` section:
//
//   adapters:
//     inbox: { plugin: file_inbox, path: var/inbox, poll_interval: 1s }
//
// For each instance the host loads the plugin, validates the section against the plugin's
// ConfigSpec and builds its Context (logger, emitter into Ingress stamping `source`, store access,
// HTTP client factory, metrics, clock, the shared parser registry and hub-owned periodic threads).
// It exposes what the rest of the hub needs: the instance list, describe text, a dispatcher::Sink
// per sink instance, and `<instance>.<job>` jobs for the scheduler.
//
// Lifecycle: add_instance()* → start_all() → stop_all(). stop_all() first stops and joins every
// periodic thread, then calls each adapter's stop(). The host must outlive the dispatcher and
// scheduler that use its sinks and jobs. Destruction clears the parser registry before the
// adapters, and destroys the adapters before their plugin libraries are unloaded.

#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hub/dispatcher/sink.h"
#include "hub/metrics/registry.h"
#include "hub/plugin/adapter.h"
#include "hub/plugin/context.h"
#include "hub/plugin_host/http_client_factory.h"
#include "hub/plugin_host/parser_registry.h"
#include "hub/plugin_host/plugin_loader.h"
#include "hub/store/pool.h"

namespace hub::plugin_host {

struct InstanceInfo {
  std::string name;     ///< instance name from config
  std::string plugin;   ///< plugin name
  std::string version;  ///< plugin version
  bool is_sink = false;
  std::vector<plugin::JobSpec> jobs;
  plugin::Health health;
  bool running = false;
};

/// A job the scheduler may run, `<instance>.<job>`.
struct HostedJob {
  std::string name;  ///< qualified: "inbox.scan"
  std::string description;
  std::string default_schedule;
};

class AdapterHost {
 public:
  /// `emitter` is the hub's Ingress; `pool` backs StoreAccess. Both must outlive the host.
  AdapterHost(std::filesystem::path plugin_dir, store::Pool& pool, plugin::Emitter& emitter,
              metrics::Registry& metrics = metrics::Registry::global());
  ~AdapterHost();
  AdapterHost(const AdapterHost&) = delete;
  AdapterHost& operator=(const AdapterHost&) = delete;

  /// Loads the plugin named by `settings["plugin"]`, validates the rest of `settings` and creates
  /// the adapter. Throws ConfigError (file, line, key) or PluginError (naming the .so).
  void add_instance(const std::string& name, const YAML::Node& settings, const std::string& file);
  /// add_instance() for every entry of an `adapters:` map.
  void add_instances(const YAML::Node& adapters, const std::string& file);

  /// Calls start() on every adapter, then starts the periodic tasks they registered. An adapter
  /// whose start() throws is stopped again and the error rethrown as PluginError naming it.
  void start_all();
  /// Stops periodic threads, then calls stop() on every adapter (in reverse order). Idempotent.
  void stop_all();

  std::vector<InstanceInfo> instances() const;
  bool has_instance(const std::string& name) const;

  /// Text for `adapters describe NAME`: NAME may be an instance or a plugin (loaded on demand
  /// from the plugin directory). nullopt when neither exists.
  std::optional<std::string> describe(const std::string& name);

  /// A dispatcher target for a sink instance; null when no such instance or not a sink. An
  /// exception escaping the adapter's deliver() becomes a retry with the exception text.
  std::shared_ptr<dispatcher::Sink> sink(const std::string& instance);
  /// Adds every sink instance to `registry` under its instance name.
  void register_sinks(dispatcher::SinkRegistry& registry);

  /// Every `<instance>.<job>` the adapters offer.
  std::vector<HostedJob> jobs() const;
  bool has_job(const std::string& qualified) const;
  /// Runs `<instance>.<job>` on the calling thread. Unknown job or an exception from the adapter
  /// → JobResult::failure with the reason (logged and counted).
  plugin::JobResult run_job(const std::string& qualified);

  /// Maps a body root element {ns}local to its canonical message type ("" = none); adapters see
  /// it as Context::type_for_root(). Set it before start_all(), e.g. from
  /// xml::SchemaRegistry::find_by_root.
  using TypeResolver = std::function<std::string(const std::string& ns, const std::string& local)>;
  void set_type_resolver(TypeResolver resolver) { type_resolver_ = std::move(resolver); }

  SharedParserRegistry& parsers() { return parsers_; }
  PluginLoader& loader() { return loader_; }

  struct Instance;  // defined in adapter_host.cpp

 private:
  std::shared_ptr<Instance> find_instance(const std::string& name) const;

  PluginLoader loader_;  // declared first: plugin libraries are unloaded last
  store::Pool& pool_;
  plugin::Emitter& emitter_;
  metrics::Registry& metrics_;
  PocoHttpClientFactory http_;
  SharedParserRegistry parsers_;
  TypeResolver type_resolver_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Instance>> instances_;  // config order
  bool started_ = false;
};

}  // namespace hub::plugin_host
