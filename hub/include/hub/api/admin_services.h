#pragma once
// What the admin API needs from the rest of the hub beyond plain SQL, as std::function members so
// that the API compiles and is tested without the router, dispatcher, plugin host or scheduler.
// The app binds each member to the real part; an unbound member makes its endpoint answer 501.
//
// Services report "no such thing" by throwing api::NotFound (→ 404), a state conflict with
// api::Conflict (→ 409), bad configuration with hub::ConfigError (→ 400 with file/line/key);
// anything else is a 500 whose text is returned to the caller but never contains secrets.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/core/error.h"
#include "hub/store/pool.h"

namespace hub::api {

/// The thing named in the request does not exist (unknown job, adapter, dead letter).
class NotFound : public Error {
 public:
  using Error::Error;
};

/// The request is valid but the current state refuses it (already replayed, job running).
class Conflict : public Error {
 public:
  using Error::Error;
};

struct RoutesApplyResult {
  long long version = 0;  ///< the new version; with dry_run or no change, the current one
  std::string diff;       ///< readable line diff against the running version
  bool changed = false;   ///< false: identical to the running version, nothing stored
};

struct CurrentRoutes {
  long long version = 0;  ///< 0 = nothing published yet
  std::string yaml;
};

struct AdapterInfo {
  std::string name;               ///< instance name as configured
  std::string plugin;             ///< plugin name (file_inbox, gis_zhkh, ...)
  std::string version;            ///< plugin version
  bool sink = false;              ///< can be a route target
  std::vector<std::string> jobs;  ///< "<instance>.<job>" it offers to the scheduler
  std::string health;             ///< "ok" or the adapter's own short reason
};

struct ScheduleInfo {
  std::string job;
  std::string cron;
  std::string time_zone;
  bool enabled = true;
  std::string next_run;  ///< ISO 8601 with offset; empty when disabled or never
};

struct AdminServices {
  /// Validates and (unless dry_run) publishes a routes-and-schedules YAML; `file` names it in
  /// errors; `actor` is the token name, recorded as who applied it. Throws ConfigError.
  std::function<RoutesApplyResult(const std::string& yaml, const std::string& file,
                                  const std::string& actor, bool dry_run)>
      apply_routes;
  /// The running version. Unbound: the highest hub.route_version row is read instead.
  std::function<CurrentRoutes()> current_routes;
  std::function<std::vector<AdapterInfo>()> list_adapters;
  /// Config keys and description of an instance or plugin; nullopt = unknown name (→ 404).
  std::function<std::optional<std::string>(const std::string& name)> describe_adapter;
  /// Configured schedules with next fire times; the API adds the last run from hub.schedule_run.
  std::function<std::vector<ScheduleInfo>()> list_schedules;
  /// Starts a manual run now; returns the hub.schedule_run id. NotFound for an unknown job.
  std::function<long long(const std::string& job, const std::string& actor)> run_schedule;
  /// Puts the dead letter's delivery back to pending; false when it was already replayed.
  std::function<bool(long long dead_letter_id, const std::string& actor)> replay_dead_letter;
  /// Ready to take traffic (plugins started, routes loaded). Unbound = true.
  std::function<bool()> ready;
  /// Named pools shown as zhkh_db_pool_* gauges on /metrics. Unbound: the API's own pool as "api".
  std::function<std::map<std::string, store::PoolStats>()> pool_stats;
};

}  // namespace hub::api
