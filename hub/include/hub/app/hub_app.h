#pragma once
// One running hub node: wires the store, schemas, router, Ingress, plugins, dispatcher, scheduler
// and admin API together from a HubConfig, and takes them down in the reverse order.
//
// Start order: database (migrate) → schemas → routes (seeded from routes_file, then the stored
// version) → Ingress → plugins (created, sinks registered) → dispatcher → scheduler → route
// watcher → admin API → adapters started (sources begin emitting last, when everything that
// takes their messages runs). stop() reverses it; no message is acknowledged by a source that
// Ingress has not committed, so stopping at any moment loses nothing.

#include <atomic>
#include <memory>
#include <string>

#include "hub/app/hub_config.h"

namespace hub::app {

class HubApp {
 public:
  explicit HubApp(HubConfig config);
  ~HubApp();
  HubApp(const HubApp&) = delete;
  HubApp& operator=(const HubApp&) = delete;

  /// Brings every part up; throws hub::Error (ConfigError, PluginError, StoreError) naming what
  /// failed, after undoing what had started.
  void start();
  void stop();

  /// The admin token of this node's bootstrap admin (printed once at start).
  const std::string& admin_token() const;
  int api_port() const;
  long long routes_version() const;

 private:
  struct Parts;
  HubConfig config_;
  std::unique_ptr<Parts> parts_;
};

/// `zhkh-hub run`: starts, waits for SIGINT/SIGTERM, stops. Returns the process exit code.
int run_until_signal(const HubConfig& config);

}  // namespace hub::app
