#pragma once
// zhkh-hub.yaml: the node's own settings. Routes and schedules live in a separate file that is
// published, versioned, into PostgreSQL (see router/route_store.h); `routes_file` here only seeds
// an empty database, or republishes on start when `routes_on_start: always`.
//
//   node_id: hub-1                         # default: <hostname>-<pid>
//   server:   {listen: "127.0.0.1:8480"}
//             # soap_url: "https://hub.example/soap"  the SOAP endpoint as partners reach it (a
//             # proxy in front); default: http://<Host of the request>/soap, in the WSDL
//   database: {conninfo: "env:ZHKH_DB", pool_size: 8}
//   security: {admin_token: "env:ZHKH_ADMIN_TOKEN", token_file: var/admin.token}
//   paths:    {schemas: schemas/canonical, mappings: mappings, plugins: build/plugins,
//              imports: var/imports}       # spool of files uploaded with `zhkh-hub import`
//   logging:  {level: info, file: ""}
//   routes_file: deploy/local-routes.yaml
//   routes_on_start: if_empty               # or always
//   dispatcher:
//     defaults: {workers: 2, batch: 100, max_attempts: 10, backoff_base: 1s, backoff_max: 10m,
//                lease: 60s, breaker_failures: 5, breaker_open: 30s, poll: 1s, linger: 50ms}
//     targets: {bank-out: {workers: 1}}
//   adapters:
//     inbox: {plugin: file_inbox, path: var/inbox}
//   queues:                                 # canonical queues for billing engines (hub/queue)
//     billing: {types: [payment.received, meter.reading], sources: [], visibility_timeout: 60s,
//               max_deliveries: 20}
//   tickets:                                # ticket store and target ticket_store (hub/tickets)
//     config: deploy/tickets.yaml           # the organisation's status model, SLA, assignment
//     sla_check: 1m                         # how often SLA breaches are recorded
//
// Strings may say "env:NAME" or "file:/path" (secrets) and contain ${VAR}; relative paths are
// taken from the directory the hub is started in.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace hub::app {

struct TargetSettings {
  int workers = 2;
  int batch = 100;
  int max_attempts = 10;
  std::string backoff_base = "1s";
  std::string backoff_max = "10m";
  std::string lease = "60s";
  int breaker_failures = 5;
  std::string breaker_open = "30s";
  std::string poll = "1s";
  /// After a claim that was not full, wait this long so that rows gather into bigger batches:
  /// a sink that applies a batch in one transaction (billing_store) pays its statements per
  /// batch. GIS results arriving ~140 a second (bench_gis_export) reached billing_store ~1.5 to
  /// a claim without it, ~3 at 20 ms and ~5 at 50 ms, at a latency nobody here waits on.
  std::string linger = "50ms";
};

struct AdapterInstance {
  std::string name;
  std::string plugin;
  YAML::Node settings;  ///< the instance's whole section, `plugin` included
  int line = 0;
};

/// One canonical queue subscription (queues.<name>); see hub/queue/canonical_queues.h.
struct QueueSettings {
  std::string name;                  ///< [a-z0-9_.-]+
  std::vector<std::string> types;    ///< empty = every type
  std::vector<std::string> sources;  ///< empty = every source
  std::string visibility_timeout = "60s";
  int max_deliveries = 20;  ///< then the dead letters; 0 = no limit
  int line = 0;
};

struct HubConfig {
  std::string file;
  std::string node_id;
  std::string listen_host = "127.0.0.1";
  int listen_port = 8480;
  std::string soap_url;  ///< server.soap_url; empty = from the request's Host (hub/soap)
  std::string db_conninfo;
  int pool_size = 8;
  std::string admin_token;  ///< preset bootstrap token (resolved secret); empty = generate
  std::string token_file = "var/admin.token";
  std::filesystem::path schemas_dir = "schemas/canonical";
  std::filesystem::path mappings_dir = "mappings";
  std::filesystem::path plugins_dir = "build/plugins";
  std::filesystem::path imports_dir = "var/imports";
  std::string log_level = "info";
  std::string log_file;
  std::string routes_file;
  std::string routes_on_start = "if_empty";
  TargetSettings target_defaults;
  std::map<std::string, TargetSettings> targets;
  std::vector<AdapterInstance> adapters;
  std::vector<QueueSettings> queues;
  std::string tickets_config;  ///< tickets.config; empty = no ticket store, no ticket API
  std::string tickets_sla_check = "1m";
};

/// Reads and validates; throws ConfigError(file, line, key, why) for unknown keys, wrong types and
/// missing required settings.
HubConfig load_hub_config(const std::filesystem::path& file);

/// Resolves "env:NAME", "file:/path" and ${VAR} in a configured string.
std::string resolve_value(const std::string& value, const std::string& file, int line,
                          const std::string& key);

}  // namespace hub::app
