#include "hub/app/hub_config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "hub/core/error.h"
#include "hub/plugin/config.h"

namespace hub::app {
namespace {

int line_of(const YAML::Node& n) { return n.Mark().line + 1; }

void check_keys(const YAML::Node& map, const std::set<std::string>& allowed,
                const std::string& file, const std::string& section) {
  if (!map.IsMap()) throw ConfigError(file, line_of(map), section, "expected a mapping");
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      throw ConfigError(file, line_of(kv.first), section.empty() ? key : section + "." + key,
                        "unknown key (known: " + known + ")");
    }
  }
}

std::string scalar(const YAML::Node& n, const std::string& file, const std::string& key) {
  if (!n.IsScalar()) throw ConfigError(file, line_of(n), key, "expected a value");
  return resolve_value(n.as<std::string>(), file, line_of(n), key);
}

int integer(const YAML::Node& n, const std::string& file, const std::string& key) {
  const auto text = scalar(n, file, key);
  try {
    std::size_t pos = 0;
    const int v = std::stoi(text, &pos);
    if (pos != text.size()) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw ConfigError(file, line_of(n), key, "expected an integer, got '" + text + "'");
  }
}

std::string duration(const YAML::Node& n, const std::string& file, const std::string& key) {
  const auto text = scalar(n, file, key);
  try {
    plugin::parse_duration(text);
  } catch (const std::exception& e) {
    throw ConfigError(file, line_of(n), key, "expected a duration like 500ms, 10s, 5m: " + text);
  }
  return text;
}

TargetSettings read_target(const YAML::Node& n, TargetSettings base, const std::string& file,
                           const std::string& section) {
  check_keys(n,
             {"workers", "batch", "max_attempts", "backoff_base", "backoff_max", "lease",
              "breaker_failures", "breaker_open", "poll", "linger"},
             file, section);
  if (n["workers"]) base.workers = integer(n["workers"], file, section + ".workers");
  if (n["batch"]) base.batch = integer(n["batch"], file, section + ".batch");
  if (n["max_attempts"]) base.max_attempts = integer(n["max_attempts"], file, section + ".max_attempts");
  if (n["backoff_base"]) base.backoff_base = duration(n["backoff_base"], file, section + ".backoff_base");
  if (n["backoff_max"]) base.backoff_max = duration(n["backoff_max"], file, section + ".backoff_max");
  if (n["lease"]) base.lease = duration(n["lease"], file, section + ".lease");
  if (n["breaker_failures"])
    base.breaker_failures = integer(n["breaker_failures"], file, section + ".breaker_failures");
  if (n["breaker_open"]) base.breaker_open = duration(n["breaker_open"], file, section + ".breaker_open");
  if (n["poll"]) base.poll = duration(n["poll"], file, section + ".poll");
  if (n["linger"]) base.linger = duration(n["linger"], file, section + ".linger");
  if (base.workers < 1 || base.batch < 1 || base.max_attempts < 1) {
    throw ConfigError(file, line_of(n), section, "workers, batch and max_attempts must be >= 1");
  }
  return base;
}

// queues: {<name>: {types: [...], sources: [...], visibility_timeout: 60s, max_deliveries: 20}}
std::vector<QueueSettings> read_queues(const YAML::Node& n, const std::string& file) {
  if (!n.IsMap()) throw ConfigError(file, line_of(n), "queues", "expected a mapping of subscriptions");
  static const std::regex kName("^[a-z0-9_.-]{1,64}$");
  std::vector<QueueSettings> out;
  for (const auto& kv : n) {
    QueueSettings q;
    q.name = kv.first.as<std::string>();
    q.line = line_of(kv.first);
    const auto key = "queues." + q.name;
    if (!std::regex_match(q.name, kName)) {
      throw ConfigError(file, q.line, key,
                        "subscription names are 1-64 characters of a-z, 0-9, '_', '.', '-'");
    }
    if (kv.second.IsNull()) {  // `billing:` alone: every message, default timeout
      out.push_back(std::move(q));
      continue;
    }
    check_keys(kv.second, {"types", "sources", "visibility_timeout", "max_deliveries"}, file, key);
    const auto list = [&](const char* name) {
      std::vector<std::string> v;
      const auto node = kv.second[name];
      if (!node) return v;
      const auto k = key + "." + name;
      if (!node.IsSequence()) throw ConfigError(file, line_of(node), k, "expected a list");
      for (const auto& item : node) {
        v.push_back(scalar(item, file, k));
        if (v.back().empty()) throw ConfigError(file, line_of(item), k, "empty entry");
      }
      return v;
    };
    q.types = list("types");
    q.sources = list("sources");
    if (kv.second["visibility_timeout"]) {
      const auto& vt = kv.second["visibility_timeout"];
      q.visibility_timeout = duration(vt, file, key + ".visibility_timeout");
      const auto ms = plugin::parse_duration(q.visibility_timeout);
      if (ms < std::chrono::seconds(1) || ms > std::chrono::hours(12)) {
        throw ConfigError(file, line_of(vt), key + ".visibility_timeout",
                          "must be between 1s and 12h, got " + q.visibility_timeout);
      }
    }
    if (const auto md = kv.second["max_deliveries"]) {
      const auto k = key + ".max_deliveries";
      try {
        q.max_deliveries = md.as<int>();
      } catch (const YAML::Exception&) {
        throw ConfigError(file, line_of(md), k, "expected a whole number");
      }
      if (q.max_deliveries < 0 || q.max_deliveries > 1000000) {
        throw ConfigError(file, line_of(md), k, "must be 0 (no limit) .. 1000000");
      }
    }
    out.push_back(std::move(q));
  }
  return out;
}

std::string default_node_id() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(::getpid());
}

}  // namespace

std::string resolve_value(const std::string& value, const std::string& file, int line,
                          const std::string& key) {
  if (value.rfind("env:", 0) == 0) {
    const char* v = std::getenv(value.c_str() + 4);
    if (!v) throw ConfigError(file, line, key, "environment variable " + value.substr(4) + " is not set");
    return v;
  }
  if (value.rfind("file:", 0) == 0) {
    std::ifstream in(value.substr(5));
    if (!in) throw ConfigError(file, line, key, "cannot read " + value.substr(5));
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '{') {
      const auto end = value.find('}', i);
      if (end == std::string::npos) throw ConfigError(file, line, key, "unclosed ${ in '" + value + "'");
      const auto name = value.substr(i + 2, end - i - 2);
      const char* v = std::getenv(name.c_str());
      if (!v) throw ConfigError(file, line, key, "environment variable " + name + " is not set");
      out += v;
      i = end;
    } else {
      out += value[i];
    }
  }
  return out;
}

HubConfig load_hub_config(const std::filesystem::path& path) {
  HubConfig c;
  c.file = path.string();
  const auto& file = c.file;
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw ConfigError(file, 0, "", "cannot read the file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.line + 1, "", e.msg);
  }
  if (!root.IsMap()) throw ConfigError(file, 1, "", "expected a mapping at the top level");
  check_keys(root,
             {"node_id", "server", "database", "security", "paths", "logging", "routes_file",
              "routes_on_start", "dispatcher", "adapters", "queues", "tickets"},
             file, "");
  c.node_id = root["node_id"] ? scalar(root["node_id"], file, "node_id") : default_node_id();

  if (auto s = root["server"]) {
    check_keys(s, {"listen", "soap_url"}, file, "server");
    if (s["listen"]) {
      const auto listen = scalar(s["listen"], file, "server.listen");
      const auto colon = listen.rfind(':');
      if (colon == std::string::npos) {
        throw ConfigError(file, line_of(s["listen"]), "server.listen", "expected host:port");
      }
      c.listen_host = listen.substr(0, colon);
      try {
        c.listen_port = std::stoi(listen.substr(colon + 1));
      } catch (const std::exception&) {
        throw ConfigError(file, line_of(s["listen"]), "server.listen", "bad port in '" + listen + "'");
      }
    }
    if (s["soap_url"]) {
      c.soap_url = scalar(s["soap_url"], file, "server.soap_url");
      // Written into the WSDL as an attribute and the base of every schema location.
      const bool scheme =
          c.soap_url.rfind("http://", 0) == 0 || c.soap_url.rfind("https://", 0) == 0;
      if (!scheme || c.soap_url.find_first_of("\"<>&?# ") != std::string::npos) {
        throw ConfigError(file, line_of(s["soap_url"]), "server.soap_url",
                          "expected an http(s) URL without query, fragment or markup, got '" +
                              c.soap_url + "'");
      }
    }
  }
  auto db = root["database"];
  if (!db) throw ConfigError(file, 1, "database", "required section is missing");
  check_keys(db, {"conninfo", "pool_size"}, file, "database");
  if (!db["conninfo"]) throw ConfigError(file, line_of(db), "database.conninfo", "required");
  c.db_conninfo = scalar(db["conninfo"], file, "database.conninfo");
  if (db["pool_size"]) c.pool_size = integer(db["pool_size"], file, "database.pool_size");

  if (auto s = root["security"]) {
    check_keys(s, {"admin_token", "token_file"}, file, "security");
    if (s["admin_token"]) c.admin_token = scalar(s["admin_token"], file, "security.admin_token");
    if (s["token_file"]) c.token_file = scalar(s["token_file"], file, "security.token_file");
  }
  if (auto p = root["paths"]) {
    check_keys(p, {"schemas", "mappings", "plugins", "imports"}, file, "paths");
    if (p["schemas"]) c.schemas_dir = scalar(p["schemas"], file, "paths.schemas");
    if (p["mappings"]) c.mappings_dir = scalar(p["mappings"], file, "paths.mappings");
    if (p["plugins"]) c.plugins_dir = scalar(p["plugins"], file, "paths.plugins");
    if (p["imports"]) c.imports_dir = scalar(p["imports"], file, "paths.imports");
  }
  if (auto l = root["logging"]) {
    check_keys(l, {"level", "file"}, file, "logging");
    if (l["level"]) {
      c.log_level = scalar(l["level"], file, "logging.level");
      if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
          c.log_level != "error") {
        throw ConfigError(file, line_of(l["level"]), "logging.level",
                          "expected debug, info, warn or error");
      }
    }
    if (l["file"]) c.log_file = scalar(l["file"], file, "logging.file");
  }
  if (root["routes_file"]) c.routes_file = scalar(root["routes_file"], file, "routes_file");
  if (root["routes_on_start"]) {
    c.routes_on_start = scalar(root["routes_on_start"], file, "routes_on_start");
    if (c.routes_on_start != "if_empty" && c.routes_on_start != "always") {
      throw ConfigError(file, line_of(root["routes_on_start"]), "routes_on_start",
                        "expected if_empty or always");
    }
  }
  if (auto d = root["dispatcher"]) {
    check_keys(d, {"defaults", "targets"}, file, "dispatcher");
    if (d["defaults"]) c.target_defaults = read_target(d["defaults"], {}, file, "dispatcher.defaults");
    if (auto t = d["targets"]; t && !t.IsMap()) {
      throw ConfigError(file, line_of(t), "dispatcher.targets", "expected a mapping");
    }
  }
  // Targets are free-form names, so they are read after the fixed keys were checked.
  if (root["dispatcher"] && root["dispatcher"]["targets"]) {
    for (const auto& kv : root["dispatcher"]["targets"]) {
      const auto name = kv.first.as<std::string>();
      c.targets[name] =
          read_target(kv.second, c.target_defaults, file, "dispatcher.targets." + name);
    }
  }
  if (auto a = root["adapters"]) {
    if (!a.IsMap()) throw ConfigError(file, line_of(a), "adapters", "expected a mapping");
    for (const auto& kv : a) {
      AdapterInstance inst;
      inst.name = kv.first.as<std::string>();
      inst.line = line_of(kv.first);
      const auto key = "adapters." + inst.name;
      if (!kv.second.IsMap()) throw ConfigError(file, inst.line, key, "expected a mapping");
      if (!kv.second["plugin"]) throw ConfigError(file, inst.line, key + ".plugin", "required");
      inst.plugin = scalar(kv.second["plugin"], file, key + ".plugin");
      inst.settings = kv.second;
      c.adapters.push_back(std::move(inst));
    }
  }
  if (auto q = root["queues"]) c.queues = read_queues(q, file);
  // The model file itself (statuses, SLA, assignment) is validated at start, naming its own lines.
  if (auto t = root["tickets"]) {
    check_keys(t, {"config", "sla_check"}, file, "tickets");
    if (!t["config"]) {
      throw ConfigError(file, line_of(t), "tickets.config",
                        "required: the ticket model file, e.g. deploy/tickets.yaml");
    }
    c.tickets_config = scalar(t["config"], file, "tickets.config");
    if (t["sla_check"]) c.tickets_sla_check = duration(t["sla_check"], file, "tickets.sla_check");
  }
  return c;
}

}  // namespace hub::app
