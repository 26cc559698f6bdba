#pragma once
// Routes and schedules, versioned in hub.route_version so every node runs the same version.
//
// RouteStore::apply() validates a YAML text (ConfigError), diffs it against the current version
// and, unless nothing changed or it is a dry run, stores it as a new version together with a
// hub.audit row ("routes.apply") and NOTIFY zhkh_routes '<version>', all in one transaction.
// Applies are serialized by a transaction-scoped advisory lock, so versions never interleave.
// RouteWatcher follows the published version from its own connection (LISTEN plus a periodic
// re-check, reconnecting after connection loss) and calls back once per newer version.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hub/router/routing_config.h"
#include "hub/store/pool.h"

namespace hub::router {

inline constexpr const char* kRoutesChannel = "zhkh_routes";

struct StoredVersion {
  long long version = 0;
  std::string config;  ///< the YAML text as applied
  std::string digest;  ///< SHA-256 hex of `config`
  std::string applied_by;
  std::string applied_at;  ///< ISO-8601 UTC
  std::string source;      ///< the file name given to apply()
};

struct ApplyResult {
  long long version =
      0;                 ///< the new version; when unchanged or dry run, the current one (0 = none)
  bool changed = false;  ///< false: identical to the current version, nothing stored
  bool dry_run = false;
  std::string diff;      ///< unified diff against the current version, or "no changes"
  std::string digest;    ///< SHA-256 hex of the applied text
  RoutingConfig config;  ///< the parsed configuration
};

class RouteStore {
 public:
  explicit RouteStore(store::Pool& pool) : pool_(pool) {}

  /// Parses (throws ConfigError naming file, line and key), diffs and publishes; see above.
  ApplyResult apply(const std::string& yaml_text, const std::string& file, const std::string& actor,
                    bool dry_run);

  /// The running version: the highest stored one.
  std::optional<StoredVersion> current();
  std::optional<StoredVersion> get(long long version);
  /// Newest first; `config` is filled too (routing files are small).
  std::vector<StoredVersion> list_versions(std::size_t limit = 100);

 private:
  store::Pool& pool_;
};

/// SHA-256 of `text`, lower-case hex.
std::string sha256_hex(const std::string& text);

class RouteWatcher {
 public:
  using Callback = std::function<void(const StoredVersion&)>;

  /// `conninfo` opens the watcher's own connection (LISTEN needs one held for good).
  /// `recheck` bounds how long a missed notification can go unnoticed.
  RouteWatcher(std::string conninfo, Callback on_version,
               std::chrono::milliseconds recheck = std::chrono::seconds(3));
  ~RouteWatcher();
  RouteWatcher(const RouteWatcher&) = delete;
  RouteWatcher& operator=(const RouteWatcher&) = delete;

  /// Starts the thread. Versions up to `known_version` are not reported; the first check happens
  /// at once, so a version newer than `known_version` is reported promptly.
  void start(long long known_version = 0);
  /// Stops and joins; idempotent. The callback is never running after stop() returns.
  void stop();

  /// The last version reported (or known at start).
  long long version() const { return version_.load(); }
  /// How many times the connection was (re)established; for tests and health.
  int connects() const { return connects_.load(); }

 private:
  void run();
  void check(pqxx::connection_base& conn);
  bool sleep_for(std::chrono::milliseconds d);  ///< false when stopping

  std::string conninfo_;
  Callback on_version_;
  std::chrono::milliseconds recheck_;
  std::atomic<long long> version_{0};
  std::atomic<int> connects_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace hub::router
