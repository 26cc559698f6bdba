#include "hub/cli/cli.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "hub/cli/api_client.h"
#include "hub/exchanges/exchange_files.h"
#include "hub/plugin/whitespace.h"

namespace hub::cli {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* kDefaultUrl = "http://127.0.0.1:8480";
constexpr const char* kDefaultTokenFile = "var/admin.token";
constexpr std::size_t kMaxCell = 60;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// An error answer from the API, already worded for the terminal.
struct ApiFailure {
  int exit_code;
  std::string message;
};

struct Options {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string value(const std::string& k, const std::string& def = "") const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second;
  }
};

const std::set<std::string> kValueOptions = {
    "url", "token", "token-file", "type", "source", "since", "limit", "offset", "target", "role",
    "correlation-id",
    // imports
    "layout", "parser",
    // tickets
    "status", "topic", "house", "account", "assignee", "channel", "comment",
    // exchanges, gis report
    "dir", "until", "operation", "adapter", "direction", "kind", "message-guid"};
const std::set<std::string> kFlagOptions = {"json", "dry-run", "all", "help",
                                            // tickets
                                            "overdue", "internal",
                                            // gis report errors
                                            "open",
                                            // import bank
                                            "batched"};
const std::set<std::string> kCommonOptions = {"url", "token", "token-file", "help"};

Options parse_options(const std::vector<std::string>& args, std::size_t from) {
  Options o;
  for (std::size_t i = from; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "-h") {
      o.flags.insert("help");
      continue;
    }
    if (a.rfind("--", 0) != 0 || a == "--") {
      o.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (kFlagOptions.count(name)) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      o.flags.insert(name);
    } else if (kValueOptions.count(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) throw UsageError("option --" + name + " needs a value");
        value = args[++i];
      }
      o.values[name] = value;
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  return o;
}

// ---- output helpers ---------------------------------------------------------------------------

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 code points, not bytes
  return n;
}

std::string clip(std::string s, std::size_t max) {
  plugin::replace_whitespace(s);
  if (display_width(s) <= max) return s;
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = s[i];
    if ((c & 0xC0) != 0x80) {
      if (++n > max - 3) break;
    }
    out += s[i];
  }
  return out + "...";
}

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back(headers);
  for (const auto& r : rows) {
    std::vector<std::string> c;
    for (const auto& v : r) c.push_back(clip(v, kMaxCell));
    cells.push_back(std::move(c));
  }
  std::vector<std::size_t> width(headers.size(), 0);
  for (const auto& r : cells) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], display_width(r[i]));
    }
  }
  for (const auto& r : cells) {
    std::string line;
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - display_width(r[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

std::string text(const Var& v) {
  if (v.isEmpty()) return "";
  if (v.type() == typeid(Object::Ptr) || v.type() == typeid(Array::Ptr)) {
    std::ostringstream s;  // compact, one line: a table cell or a key: value line
    Poco::JSON::Stringifier::stringify(v, s);
    return s.str();
  }
  try {
    return v.convert<std::string>();
  } catch (const std::exception&) {
    std::ostringstream s;
    Poco::JSON::Stringifier::stringify(v, s);
    return s.str();
  }
}

std::string field(const Object::Ptr& o, const std::string& key) {
  return o && o->has(key) ? text(o->get(key)) : "";
}

/// "2026-11-23T09:06:39.123Z" → "2026-11-23 09:06:39"
std::string short_time(const std::string& iso) {
  if (iso.size() < 19) return iso;
  auto s = iso.substr(0, 19);
  s[10] = ' ';
  return s;
}

Array::Ptr items_of(const Var& v, const std::string& key = "items") {
  auto o = v.extract<Object::Ptr>();
  return o->getArray(key) ? o->getArray(key) : Array::Ptr(new Array);
}

std::string api_error_text(const std::string& body) {
  try {
    auto o = Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
    std::string msg = field(o, "error");
    if (o->has("detail") && !o->get("detail").isEmpty()) {
      const auto d = o->get("detail");
      if (d.type() == typeid(Object::Ptr)) {
        auto dobj = d.extract<Object::Ptr>();
        // A ConfigError already names file, line and key in its message.
        if (dobj->has("message")) return field(dobj, "message");
        std::string parts;
        for (const auto& [k, val] : *dobj) {
          parts += (parts.empty() ? "" : ", ") + k + "=" + text(val);
        }
        msg += " (" + parts + ")";
      } else {
        msg += ": " + text(d);
      }
    }
    return msg;
  } catch (const std::exception&) {
    return body.empty() ? "no details" : clip(body, 200);
  }
}

// ---- command context --------------------------------------------------------------------------

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::string line;
  std::getline(in, line);
  return trim(line);
}

struct Ctx {
  Options& opt;
  std::ostream& out;
  std::ostream& err;
  std::string url;
  std::string token;
  std::string token_origin;
  std::string last_body;

  ApiClient client() const { return ApiClient(url, token); }

  /// Calls the API; returns the parsed JSON of a 2xx answer, throws ApiFailure otherwise.
  Var call(const std::string& method, const std::string& path, const std::string& body = "",
           const std::string& content_type = "application/json") {
    if (token.empty()) {
      throw ApiFailure{kExitAuth,
                       "no admin API token: pass --token or --token-file, set ZHKH_HUB_TOKEN, or "
                       "run from the hub's directory where var/admin.token is"};
    }
    return check(client().request(method, path, body, content_type));
  }

  /// Uploads `file` as the body of a POST (streamed); same answer handling as call().
  Var upload(const std::string& path, const std::string& file) {
    if (token.empty()) return call("POST", path);  // the same "no token" message
    return check(ApiClient(url, token, 3600).upload(path, file));
  }

  /// The parsed JSON of a 2xx answer; throws ApiFailure worded for the terminal otherwise.
  Var check(const cli::ApiResponse& resp) {
    last_body = resp.body;
    if (resp.status == 401) {
      throw ApiFailure{kExitAuth, "the hub at " + url + " refused the token from " + token_origin +
                                      " (401: " + api_error_text(resp.body) + ")"};
    }
    if (resp.status == 403) {
      throw ApiFailure{kExitAuth, "forbidden (403): " + api_error_text(resp.body)};
    }
    if (resp.status >= 400) {
      throw ApiFailure{kExitFailed,
                       "error (" + std::to_string(resp.status) + "): " + api_error_text(resp.body)};
    }
    try {
      return Poco::JSON::Parser().parse(resp.body);
    } catch (const std::exception&) {
      throw ApiFailure{kExitFailed, "the hub at " + url +
                                        " answered something that is not JSON "
                                        "(is --url pointing at the admin API?)"};
    }
  }

  /// With --json: prints the answer unchanged and returns true.
  bool raw() {
    if (!opt.has("json")) return false;
    out << last_body;
    if (!last_body.empty() && last_body.back() != '\n') out << '\n';
    return true;
  }
};

std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + k + "=" + url_encode(v);
  }
  return q;
}

// ---- commands --------------------------------------------------------------------------------

int messages_list(Ctx& c) {
  const auto v = c.call(
      "GET", "/api/v1/messages" + query_string({{"type", c.opt.value("type")},
                                                {"source", c.opt.value("source")},
                                                {"since", c.opt.value("since")},
                                                {"correlation_id", c.opt.value("correlation-id")},
                                                {"limit", c.opt.value("limit")},
                                                {"offset", c.opt.value("offset")}}));
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v);
  for (const auto& item : *list) {
    auto m = item.extract<Object::Ptr>();
    std::string deliveries;
    if (auto d = m->getObject("deliveries")) {
      for (const auto& [state, n] : *d) {
        deliveries += (deliveries.empty() ? "" : " ") + state + ":" + text(n);
      }
    }
    rows.push_back({short_time(field(m, "received_at")), field(m, "id"), field(m, "type"),
                    field(m, "source"), deliveries.empty() ? "-" : deliveries,
                    field(m, "correlation_id")});
  }
  if (rows.empty()) {
    c.out << "no messages\n";
    return kExitOk;
  }
  print_table(c.out, {"RECEIVED (UTC)", "ID", "TYPE", "SOURCE", "DELIVERIES", "CORRELATION"}, rows);
  return kExitOk;
}

int messages_show(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/messages/" + url_encode(c.opt.positional[0]));
  if (c.raw()) return kExitOk;
  auto m = v.extract<Object::Ptr>();
  std::vector<std::vector<std::string>> kv;
  for (const char* k :
       {"id", "type", "schema_version", "source", "occurred_at", "received_at", "correlation_id",
        "causation_id", "idempotency_key", "route_version", "headers"}) {
    kv.push_back({std::string(k) + ":", field(m, k)});
  }
  for (const auto& row : kv) {
    c.out << row[0] << std::string(18 - std::min<std::size_t>(17, row[0].size()), ' ') << row[1]
          << '\n';
  }
  c.out << "\ndeliveries:\n";
  std::vector<std::vector<std::string>> rows;
  if (auto ds = m->getArray("deliveries")) {
    for (const auto& d : *ds) {
      auto o = d.extract<Object::Ptr>();
      rows.push_back({field(o, "id"), field(o, "route"), field(o, "target"), field(o, "state"),
                      field(o, "attempts"), short_time(field(o, "next_attempt_at")),
                      field(o, "last_error")});
    }
  }
  if (rows.empty()) {
    c.out << "  (none)\n";
  } else {
    print_table(c.out, {"ID", "ROUTE", "TARGET", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"},
                rows);
  }
  rows.clear();
  if (auto dl = m->getArray("dead_letters")) {
    for (const auto& d : *dl) {
      auto o = d.extract<Object::Ptr>();
      rows.push_back({field(o, "id"), field(o, "target"), short_time(field(o, "dead_at")),
                      short_time(field(o, "replayed_at")), field(o, "last_error")});
    }
  }
  if (!rows.empty()) {
    c.out << "\ndead letters:\n";
    print_table(c.out, {"ID", "TARGET", "DEAD AT", "REPLAYED AT", "LAST ERROR"}, rows);
  }
  c.out << "\nbody:\n" << field(m, "body") << '\n';
  return kExitOk;
}

int dlq_list(Ctx& c) {
  const auto v =
      c.call("GET", "/api/v1/dead-letters" + query_string({{"all", c.opt.has("all") ? "1" : ""},
                                                           {"target", c.opt.value("target")},
                                                           {"limit", c.opt.value("limit")},
                                                           {"offset", c.opt.value("offset")}}));
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v);
  for (const auto& item : *list) {
    auto o = item.extract<Object::Ptr>();
    std::vector<std::string> row{field(o, "id"),       short_time(field(o, "dead_at")),
                                 field(o, "target"),   field(o, "type"),
                                 field(o, "attempts"), field(o, "message_id")};
    if (c.opt.has("all")) row.push_back(field(o, "replayed_by"));
    row.push_back(field(o, "last_error"));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    c.out << (c.opt.has("all") ? "no dead letters\n" : "no open dead letters\n");
    return kExitOk;
  }
  std::vector<std::string> headers{"ID", "DEAD AT (UTC)", "TARGET", "TYPE", "ATTEMPTS", "MESSAGE"};
  if (c.opt.has("all")) headers.push_back("REPLAYED BY");
  headers.push_back("LAST ERROR");
  print_table(c.out, headers, rows);
  return kExitOk;
}

int dlq_replay(Ctx& c) {
  const auto& id = c.opt.positional[0];
  c.call("POST", "/api/v1/dead-letters/" + url_encode(id) + "/replay");
  c.out << "dead letter " << id << " replayed: its delivery is pending again\n";
  return kExitOk;
}

int schedules_list(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/schedules");
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v);
  for (const auto& item : *list) {
    auto o = item.extract<Object::Ptr>();
    auto last = o->getObject("last_run");
    rows.push_back({field(o, "job"), field(o, "cron"), field(o, "time_zone"),
                    field(o, "enabled") == "true" ? "yes" : "no", field(o, "next_run"),
                    last ? field(last, "status") : "-",
                    last ? short_time(field(last, "started_at")) : "-",
                    last ? field(last, "error") : ""});
  }
  if (rows.empty()) {
    c.out << "no schedules\n";
    return kExitOk;
  }
  print_table(c.out,
              {"JOB", "CRON", "TIME ZONE", "ENABLED", "NEXT RUN", "LAST", "LAST STARTED (UTC)",
               "LAST ERROR"},
              rows);
  return kExitOk;
}

int schedules_runs(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/schedules/" + url_encode(c.opt.positional[0]) +
                                   query_string({{"limit", c.opt.value("limit")}}));
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v, "runs");
  for (const auto& item : *list) {
    auto o = item.extract<Object::Ptr>();
    rows.push_back({field(o, "id"), field(o, "trigger"), field(o, "status"),
                    short_time(field(o, "scheduled_for")), short_time(field(o, "started_at")),
                    short_time(field(o, "finished_at")), field(o, "node"), field(o, "error")});
  }
  if (rows.empty()) {
    c.out << "no runs of " << c.opt.positional[0] << "\n";
    return kExitOk;
  }
  print_table(c.out,
              {"ID", "TRIGGER", "STATUS", "SCHEDULED FOR", "STARTED", "FINISHED", "NODE", "ERROR"},
              rows);
  return kExitOk;
}

int schedules_run(Ctx& c) {
  const auto v = c.call("POST", "/api/v1/schedules/" + url_encode(c.opt.positional[0]) + "/run");
  if (c.raw()) return kExitOk;
  const auto o = v.extract<Object::Ptr>();
  if (field(o, "status") == "skipped") {
    // Nothing ran: a scripted caller must be able to tell (exit 1), and a person why.
    c.out << "run " << field(o, "run_id") << " of " << c.opt.positional[0]
          << " skipped: " << field(o, "error") << "\n";
    return kExitFailed;
  }
  c.out << "started run " << field(o, "run_id") << " of " << c.opt.positional[0]
        << " (see: zhkh-hub schedules runs " << c.opt.positional[0] << ")\n";
  return kExitOk;
}

int adapters_list(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/adapters");
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v);
  for (const auto& item : *list) {
    auto o = item.extract<Object::Ptr>();
    std::string jobs;
    if (auto js = o->getArray("jobs")) {
      for (const auto& j : *js) jobs += (jobs.empty() ? "" : ",") + text(j);
    }
    rows.push_back({field(o, "name"), field(o, "plugin"), field(o, "version"),
                    field(o, "sink") == "true" ? "yes" : "no", jobs.empty() ? "-" : jobs,
                    field(o, "health")});
  }
  if (rows.empty()) {
    c.out << "no adapters\n";
    return kExitOk;
  }
  print_table(c.out, {"NAME", "PLUGIN", "VERSION", "SINK", "JOBS", "HEALTH"}, rows);
  return kExitOk;
}

int adapters_describe(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/adapters/" + url_encode(c.opt.positional[0]));
  if (c.raw()) return kExitOk;
  auto d = field(v.extract<Object::Ptr>(), "description");
  c.out << d << (d.empty() || d.back() != '\n' ? "\n" : "");
  return kExitOk;
}

int routes_show(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/routes");
  if (c.raw()) return kExitOk;
  auto o = v.extract<Object::Ptr>();
  if (field(o, "version") == "0") {
    c.out << "# no routes published yet\n";
    return kExitOk;
  }
  std::string applied;
  if (auto vs = o->getArray("versions")) {
    for (const auto& item : *vs) {
      auto ver = item.extract<Object::Ptr>();
      if (field(ver, "version") == field(o, "version")) {
        applied = " applied by " + field(ver, "applied_by") + " at " + field(ver, "applied_at");
      }
    }
  }
  // A comment header keeps the output valid YAML: `routes show > f.yaml; routes apply f.yaml`.
  c.out << "# routes version " << field(o, "version") << applied << "\n";
  const auto yaml = field(o, "yaml");
  c.out << yaml << (yaml.empty() || yaml.back() != '\n' ? "\n" : "");
  return kExitOk;
}

int routes_history(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/routes");
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v, "versions");
  for (const auto& item : *list) {
    auto o = item.extract<Object::Ptr>();
    rows.push_back({field(o, "version"), short_time(field(o, "applied_at")), field(o, "applied_by"),
                    field(o, "source"), field(o, "digest").substr(0, 12)});
  }
  if (rows.empty()) {
    c.out << "no routes published yet\n";
    return kExitOk;
  }
  print_table(c.out, {"VERSION", "APPLIED AT (UTC)", "BY", "SOURCE", "DIGEST"}, rows);
  return kExitOk;
}

int routes_apply(Ctx& c) {
  const auto& file = c.opt.positional[0];
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ApiFailure{kExitFailed, "cannot read " + file + ": " + std::strerror(errno)};
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const bool dry = c.opt.has("dry-run");
  const auto v =
      c.call("POST", "/api/v1/routes" + query_string({{"file", file}, {"dry_run", dry ? "1" : ""}}),
             buf.str(), "application/yaml");
  if (c.raw()) return kExitOk;
  auto o = v.extract<Object::Ptr>();
  const auto diff = field(o, "diff");
  const bool changed = field(o, "changed") == "true";
  if (!diff.empty() && changed) c.out << diff << (diff.back() == '\n' ? "" : "\n");
  if (!changed) {
    c.out << "no changes: version " << field(o, "version") << " is already running\n";
  } else if (dry) {
    c.out << "dry run: " << file << " is valid; nothing published\n";
  } else {
    c.out << "published routes version " << field(o, "version") << "\n";
  }
  return kExitOk;
}

int tokens_list(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/tokens");
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v);
  for (const auto& item : *list) {
    auto o = item.extract<Object::Ptr>();
    rows.push_back({field(o, "name"), field(o, "role"), short_time(field(o, "created_at")),
                    short_time(field(o, "revoked_at"))});
  }
  print_table(c.out, {"NAME", "ROLE", "CREATED (UTC)", "REVOKED (UTC)"}, rows);
  return kExitOk;
}

int tokens_create(Ctx& c) {
  const auto role = c.opt.value("role");
  if (role.empty()) throw UsageError("tokens create needs --role admin|operator|viewer");
  Object::Ptr body = new Object;
  body->set("name", c.opt.positional[0]);
  body->set("role", role);
  std::ostringstream s;
  Poco::JSON::Stringifier::stringify(body, s);
  const auto v = c.call("POST", "/api/v1/tokens", s.str());
  if (c.raw()) return kExitOk;
  auto o = v.extract<Object::Ptr>();
  c.out << field(o, "token") << "\n";
  c.err << "created token '" << field(o, "name") << "' with role " << field(o, "role")
        << "; it is shown only this once\n";
  return kExitOk;
}

int tokens_revoke(Ctx& c) {
  c.call("POST", "/api/v1/tokens/" + url_encode(c.opt.positional[0]) + "/revoke");
  c.out << "token '" << c.opt.positional[0] << "' revoked\n";
  return kExitOk;
}

// ---- tickets (hub/tickets; API in hub/src/tickets/ticket_routes.cpp) ------------------------

std::string json_body(const std::vector<std::pair<std::string, Var>>& fields) {
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [k, v] : fields) {
    if (!v.isEmpty()) body->set(k, v);
  }
  std::ostringstream s;
  Poco::JSON::Stringifier::stringify(body, s);
  return s.str();
}

int tickets_list(Ctx& c) {
  const auto v =
      c.call("GET", "/api/v1/tickets" + query_string({{"status", c.opt.value("status")},
                                                      {"topic", c.opt.value("topic")},
                                                      {"house", c.opt.value("house")},
                                                      {"account", c.opt.value("account")},
                                                      {"assignee", c.opt.value("assignee")},
                                                      {"channel", c.opt.value("channel")},
                                                      {"overdue", c.opt.has("overdue") ? "1" : ""},
                                                      {"limit", c.opt.value("limit")},
                                                      {"offset", c.opt.value("offset")}}));
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  const auto list = items_of(v);
  for (const auto& item : *list) {
    auto o = item.extract<Object::Ptr>();
    rows.push_back({field(o, "id"), short_time(field(o, "created_at")), field(o, "status_label"),
                    field(o, "topic_label"), field(o, "channel"), field(o, "assignee"),
                    short_time(field(o, "due_at")), field(o, "overdue") == "true" ? "OVERDUE" : "",
                    field(o, "house")});
  }
  if (rows.empty()) {
    c.out << "no tickets\n";
    return kExitOk;
  }
  print_table(c.out,
              {"ID", "CREATED (UTC)", "STATUS", "TOPIC", "CHANNEL", "ASSIGNEE", "DUE (UTC)", "SLA",
               "HOUSE"},
              rows);
  const auto total = field(v.extract<Object::Ptr>(), "total");
  if (total != std::to_string(rows.size())) {
    c.out << rows.size() << " of " << total << " (--limit, --offset for more)\n";
  }
  return kExitOk;
}

int tickets_show(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/tickets/" + url_encode(c.opt.positional[0]));
  if (c.raw()) return kExitOk;
  auto t = v.extract<Object::Ptr>();
  auto a = t->getObject("applicant");
  std::string next;
  if (auto n = t->getArray("allowed_transitions")) {
    for (const auto& item : *n) {
      auto o = item.extract<Object::Ptr>();
      next += (next.empty() ? "" : ", ") + field(o, "status") + " (" + field(o, "label") + ")";
    }
  }
  const std::vector<std::pair<std::string, std::string>> kv = {
      {"ticket", field(t, "id")},
      {"status", field(t, "status") + " — " + field(t, "status_label") +
                     " (resident: " + field(t, "resident_status_label") + ")"},
      {"next", next.empty() ? "-" : next},
      {"topic", field(t, "topic") + " — " + field(t, "topic_label") + " (\"" +
                    field(t, "topic_text") + "\")"},
      {"channel", field(t, "channel") +
                      (field(t, "external_id").empty() ? "" : " " + field(t, "external_id"))},
      {"account", field(t, "account")},
      {"house",
       field(t, "house") + (field(t, "premise").empty() ? "" : ", premise " + field(t, "premise"))},
      {"applicant", a ? field(a, "name") + " " + field(a, "phone") + " " + field(a, "email") : ""},
      {"assignee", field(t, "assignee")},
      {"created", field(t, "created_at") + " by " + field(t, "created_by")},
      {"due", field(t, "due_at") + (field(t, "overdue") == "true" ? "  OVERDUE" : "") +
                  (field(t, "sla_paused_at").empty()
                       ? ""
                       : "  (SLA paused since " + field(t, "sla_paused_at") + ")")},
  };
  for (const auto& [k, val] : kv) {
    c.out << k << ':' << std::string(11 - std::min<std::size_t>(10, k.size()), ' ') << val << '\n';
  }
  c.out << "\n" << field(t, "text") << "\n";
  if (auto atts = t->getArray("attachments"); atts && atts->size() > 0) {
    c.out << "\nattachments:\n";
    for (const auto& item : *atts) {
      auto o = item.extract<Object::Ptr>();
      c.out << "  " << field(o, "uri")
            << (field(o, "name").empty() ? "" : "  (" + field(o, "name") + ")") << '\n';
    }
  }
  c.out << "\nhistory:\n";
  std::vector<std::vector<std::string>> rows;
  if (auto evs = t->getArray("events")) {
    for (const auto& item : *evs) {
      auto e = item.extract<Object::Ptr>();
      std::string change;
      if (e->has("to")) {
        change = (e->has("from") ? field(e, "from_label") + " → " : "") + field(e, "to_label");
      }
      if (e->has("assignee")) change = "→ " + field(e, "assignee");
      rows.push_back({short_time(field(e, "at")), field(e, "kind"), change, field(e, "actor"),
                      (field(e, "internal") == "true" ? "[internal] " : "") + field(e, "text")});
    }
  }
  print_table(c.out, {"AT (UTC)", "EVENT", "CHANGE", "BY", "TEXT"}, rows);
  return kExitOk;
}

int tickets_transition(Ctx& c) {
  const auto& id = c.opt.positional[0];
  const auto v = c.call(
      "POST", "/api/v1/tickets/" + url_encode(id) + "/transition",
      json_body(
          {{"to", c.opt.positional[1]},
           {"comment", c.opt.value("comment").empty() ? Var() : Var(c.opt.value("comment"))}}));
  if (c.raw()) return kExitOk;
  auto t = v.extract<Object::Ptr>();
  c.out << "ticket " << id << " is now " << field(t, "status") << " (" << field(t, "status_label")
        << ")\n";
  return kExitOk;
}

int tickets_comment(Ctx& c) {
  const auto& id = c.opt.positional[0];
  c.call("POST", "/api/v1/tickets/" + url_encode(id) + "/comments",
         json_body({{"text", c.opt.positional[1]}, {"internal", c.opt.has("internal")}}));
  if (c.raw()) return kExitOk;
  c.out << (c.opt.has("internal") ? "internal comment" : "comment") << " added to ticket " << id
        << "\n";
  return kExitOk;
}

// ---- payments (hub/billing; API in hub/src/billing/payment_routes.cpp) ------------------------

std::string rubles(const std::string& kopecks) {
  if (kopecks.empty()) return "";
  const long long k = std::atoll(kopecks.c_str());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", k / 100, k % 100);
  return buf;
}

int payments_unidentified(Ctx& c) {
  const auto v = c.call(
      "GET", "/api/v1/payments/unidentified" + query_string({{"limit", c.opt.value("limit")},
                                                             {"offset", c.opt.value("offset")}}));
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : *items_of(v)) {
    auto o = item.extract<Object::Ptr>();
    auto payer = o->getObject("payer");
    std::string named;
    for (const char* k : {"account", "els", "izhku", "ipd"}) {
      if (payer && !field(payer, k).empty()) {
        named = std::string(k == std::string("account") ? "ЛС"
                            : k == std::string("els")   ? "ЕЛС"
                            : k == std::string("izhku") ? "ИЖКУ"
                                                        : "ИПД") +
                " " + field(payer, k);
        break;
      }
    }
    if (payer && !field(payer, "name").empty()) named += " / " + field(payer, "name");
    std::string candidates;
    if (auto list = o->getArray("candidates")) {
      for (const auto& cand : *list) {
        auto co = cand.extract<Object::Ptr>();
        candidates += (candidates.empty() ? "" : ", ") + field(co, "account") + " (" +
                      field(co, "score") + ")";
      }
    }
    auto agent = o->getObject("agent");
    rows.push_back({field(o, "id"), short_time(field(o, "received_at")),
                    agent ? field(agent, "code") : "", field(o, "paid_on"),
                    rubles(field(o, "amount_kopecks")), named, field(o, "reason"), candidates});
  }
  if (rows.empty()) {
    c.out << "no unidentified payments\n";
    return kExitOk;
  }
  print_table(
      c.out,
      {"ID", "RECEIVED (UTC)", "AGENT", "PAID ON", "AMOUNT", "PAYER", "REASON", "CANDIDATES"},
      rows);
  return kExitOk;
}

int payments_resolve(Ctx& c) {
  const auto account = c.opt.value("account");
  if (account.empty()) throw UsageError("payments resolve needs --account NUMBER");
  Object::Ptr body = new Object;
  body->set("account", account);
  std::ostringstream s;
  Poco::JSON::Stringifier::stringify(body, s);
  const auto& id = c.opt.positional[0];
  const auto v =
      c.call("POST", "/api/v1/payments/unidentified/" + url_encode(id) + "/resolve", s.str());
  if (c.raw()) return kExitOk;
  auto o = v.extract<Object::Ptr>();
  c.out << "payment " << id << " resolved to account " << account << "; payment.received "
        << (field(o, "duplicate") == "true" ? "was already re-emitted" : "re-emitted") << " (key "
        << field(o, "idempotency_key") << ")\n";
  return kExitOk;
}

int tickets_assign(Ctx& c) {
  const auto& id = c.opt.positional[0];
  const auto v = c.call("POST", "/api/v1/tickets/" + url_encode(id) + "/assign",
                        json_body({{"assignee", c.opt.positional[1]}}));
  if (c.raw()) return kExitOk;
  c.out << "ticket " << id << " assigned to " << field(v.extract<Object::Ptr>(), "assignee")
        << "\n";
  return kExitOk;
}

// ---- imports ---------------------------------------------------------------------------------

std::string json_text(const Var& v) {
  std::ostringstream s;
  Poco::JSON::Stringifier::condense(v, s);
  return s.str();
}

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The last line of `import --json`: the parser's totals (count, sum_kopecks, ...) with the
/// file, its status and the error count in front.
std::string final_line(const std::string& file, const std::string& status, const Var& summary,
                       std::uint64_t accepted, std::uint64_t error_count, bool dry_run) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("file", file);
  o->set("status", status);
  o->set("dry_run", dry_run);
  if (summary.type() == typeid(Object::Ptr)) {
    auto s = summary.extract<Object::Ptr>();
    for (const auto& k : s->getNames()) o->set(k, s->get(k));
  } else if (!summary.isEmpty() && !summary.toString().empty()) {
    o->set("summary", summary);
  }
  if (!dry_run) o->set("accepted", accepted);
  o->set("errors", error_count);
  return json_text(o);
}

void print_input_errors(std::ostream& out, const Array::Ptr& errors, const std::string& title) {
  if (!errors || errors->size() == 0) return;
  out << title << ":\n";
  for (const auto& item : *errors) {
    auto e = item.extract<Object::Ptr>();
    out << "  line " << field(e, "line");
    if (!field(e, "field").empty()) out << ", " << field(e, "field");
    out << ": " << field(e, "reason") << '\n';
  }
}

std::string mmss(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

int print_dry_run(Ctx& c, const Object::Ptr& r) {
  const auto messages = r->getArray("messages");
  const bool accepted = field(r, "accepted") == "true";
  const auto error_count = r->optValue<Poco::UInt64>("error_count", 0);
  if (c.opt.has("json")) {
    if (messages) {
      for (const auto& m : *messages) c.out << json_text(m) << '\n';
    }
    c.out << final_line(field(r, "file"), accepted ? "accepted" : "refused", r->get("summary"), 0,
                        error_count, true)
          << '\n';
    return accepted ? kExitOk : kExitFailed;
  }
  std::map<std::string, int> by_type;
  std::vector<std::vector<std::string>> rows;
  if (messages) {
    for (const auto& m : *messages) {
      auto o = m.extract<Object::Ptr>();
      ++by_type[field(o, "type")];
      rows.push_back({field(o, "type"), field(o, "idempotency_key")});
    }
  }
  if (!rows.empty()) print_table(c.out, {"TYPE", "IDEMPOTENCY KEY"}, rows);
  c.out << "dry run of " << field(r, "file") << " (" << field(r, "parser")
        << "): " << (accepted ? "the file would be accepted" : "the file would be REFUSED") << "; "
        << field(r, "messages_total") << " messages";
  for (const auto& [t, n] : by_type)
    c.out << (t == by_type.begin()->first ? " (" : ", ") << n << ' ' << t;
  if (!by_type.empty()) c.out << ')';
  if (field(r, "truncated") == "true") c.out << ", only the first " << rows.size() << " shown";
  c.out << "; " << error_count << " line errors\n";
  if (field(r, "already_imported") == "true") c.out << "note: this file was already imported\n";
  print_input_errors(c.out, r->getArray("fatal"), "refused because");
  print_input_errors(c.out, r->getArray("errors"), "line errors");
  const auto summary = r->get("summary");
  if (!summary.isEmpty()) c.out << "totals: " << json_text(summary) << '\n';
  c.out << "nothing was committed\n";
  return accepted ? kExitOk : kExitFailed;
}

/// Polls the import until it ends, drawing progress on stderr (one line rewritten on a
/// terminal, a line every 5 s otherwise). Returns its final status object.
Object::Ptr wait_for_import(Ctx& c, const std::string& id) {
  const bool tty = ::isatty(2) == 1;
  auto last_line = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  for (;;) {
    auto s = c.call("GET", "/api/v1/imports/" + url_encode(id)).extract<Object::Ptr>();
    const auto status = field(s, "status");
    if (status == "done" || status == "quarantined") {
      if (tty) c.err << "\r\033[K";
      return s;
    }
    const double total = s->optValue<double>("bytes_total", 0);
    const double read = s->optValue<double>("bytes_read", 0);
    const double seconds = s->optValue<double>("seconds", 0);
    const auto lines = s->optValue<Poco::Int64>("lines", 0);
    std::ostringstream line;
    line << status;
    if (total > 0) {
      char pct[16];
      std::snprintf(pct, sizeof pct, " %5.1f%%", 100.0 * read / total);
      line << pct;
    }
    line << "  " << lines << " lines";
    if (seconds > 0.5) line << "  " << static_cast<long long>(lines / seconds) << " lines/s";
    if (total > 0 && read > 0 && seconds > 0.5 && read < total) {
      line << "  ETA " << mmss(seconds * (total - read) / read);
    }
    if (!field(s, "last_error").empty()) line << "  (retrying: " << field(s, "last_error") << ')';
    const auto now = std::chrono::steady_clock::now();
    if (tty) {
      c.err << "\r\033[K" << line.str() << std::flush;
    } else if (now - last_line >= std::chrono::seconds(5)) {
      c.err << line.str() << '\n';
      last_line = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

int print_import_report(Ctx& c, const Object::Ptr& s, bool duplicate) {
  auto report = s->getObject("report");
  const auto status = field(s, "status");
  const auto error_count =
      report ? report->optValue<Poco::UInt64>("error_count", 0) : Poco::UInt64(0);
  if (c.opt.has("json")) {
    c.out << json_text(s) << '\n';
    c.out << final_line(field(s, "file"), duplicate ? "duplicate" : status,
                        report ? report->get("summary") : Var(),
                        report ? report->optValue<Poco::UInt64>("accepted", 0) : 0, error_count,
                        false)
          << '\n';
    return status == "done" ? kExitOk : kExitFailed;
  }
  const auto short_id = field(s, "id").substr(0, 12);
  if (duplicate) {
    c.out << field(s, "file") << " was already imported (" << status << ", id " << short_id << ", "
          << field(s, "updated_at") << "); nothing was added\n";
  } else {
    c.out << field(s, "file") << ": " << status << " (id " << short_id << ")";
    if (report) {
      c.out << "; " << field(report, "accepted") << " messages journalled, "
            << field(report, "duplicates") << " already known, " << error_count << " line errors, "
            << field(report, "lines") << " lines in " << field(report, "seconds") << " s";
    }
    c.out << '\n';
  }
  if (report) {
    print_input_errors(c.out, report->getArray("fatal"), "refused because");
    print_input_errors(c.out, report->getArray("errors"), "line errors");
    const auto summary = report->get("summary");
    if (!summary.isEmpty() && !summary.toString().empty()) {
      c.out << "totals: " << json_text(summary) << '\n';
    }
  }
  return status == "done" ? kExitOk : kExitFailed;
}

int run_import(Ctx& c, const std::string& parser) {
  const auto& file = c.opt.positional[0];
  const bool dry = c.opt.has("dry-run");
  const auto v = c.upload("/api/v1/imports" + query_string({{"parser", parser},
                                                            {"file_name", base_name(file)},
                                                            {"dry_run", dry ? "1" : ""},
                                                            {"limit", c.opt.value("limit")}}),
                          file);
  auto o = v.extract<Object::Ptr>();
  if (dry) return print_dry_run(c, o);
  const bool duplicate = field(o, "duplicate") == "true";
  if (duplicate || field(o, "status") == "done" || field(o, "status") == "quarantined") {
    return print_import_report(c, o, duplicate);
  }
  if (!c.opt.has("json")) {
    c.err << "accepted " << field(o, "file") << " as import " << field(o, "id").substr(0, 12)
          << " (" << field(o, "bytes_total") << " bytes); parsing...\n";
  }
  return print_import_report(c, wait_for_import(c, field(o, "id")), false);
}

int import_bank(Ctx& c) {
  const auto layout = c.opt.value("layout");
  if (layout.empty()) {
    throw UsageError("import bank needs --layout NAME (see `zhkh-hub imports parsers`)");
  }
  // --batched: the layout's payment.lines parser (one message per batch of lines; big files).
  return run_import(c, "bank." + layout + (c.opt.has("batched") ? ".batched" : ""));
}

int import_client_bank(Ctx& c) {
  return run_import(c, "bank.client_bank");
}

int import_file(Ctx& c) {
  const auto parser = c.opt.value("parser");
  if (parser.empty()) throw UsageError("import file needs --parser NAME");
  return run_import(c, parser);
}

int imports_list(Ctx& c) {
  const auto v =
      c.call("GET", "/api/v1/imports" + query_string({{"limit", c.opt.value("limit")},
                                                      {"offset", c.opt.value("offset")}}));
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : *items_of(v)) {
    auto o = item.extract<Object::Ptr>();
    auto report = o->getObject("report");
    rows.push_back({field(o, "id").substr(0, 12), short_time(field(o, "created_at")),
                    field(o, "source"), field(o, "parser"), field(o, "file"), field(o, "status"),
                    field(o, "lines"), report ? field(report, "accepted") : field(o, "accepted"),
                    report ? field(report, "error_count") : field(o, "errors")});
  }
  if (rows.empty()) {
    c.out << "no imports\n";
    return kExitOk;
  }
  print_table(
      c.out,
      {"ID", "CREATED (UTC)", "SOURCE", "PARSER", "FILE", "STATUS", "LINES", "MESSAGES", "ERRORS"},
      rows);
  return kExitOk;
}

int imports_show(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/imports/" + url_encode(c.opt.positional[0]));
  if (c.raw()) return kExitOk;
  auto o = v.extract<Object::Ptr>();
  c.out << "id:      " << field(o, "id") << "\nsource:  " << field(o, "source")
        << "\nparser:  " << field(o, "parser") << "\nfile:    " << field(o, "file")
        << "\nstatus:  " << field(o, "status") << "\ncreated: " << field(o, "created_at")
        << "\nupdated: " << field(o, "updated_at") << "\nlines:   " << field(o, "lines") << '\n';
  if (auto report = o->getObject("report")) {
    c.out << "messages journalled: " << field(report, "accepted")
          << ", already known: " << field(report, "duplicates")
          << ", line errors: " << field(report, "error_count") << '\n';
    print_input_errors(c.out, report->getArray("fatal"), "refused because");
    print_input_errors(c.out, report->getArray("errors"), "line errors");
    const auto summary = report->get("summary");
    if (!summary.isEmpty() && !summary.toString().empty()) {
      c.out << "totals: " << json_text(summary) << '\n';
    }
  }
  return kExitOk;
}

int imports_parsers(Ctx& c) {
  const auto v = c.call("GET", "/api/v1/imports/parsers");
  if (c.raw()) return kExitOk;
  for (const auto& n : *items_of(v)) c.out << text(n) << '\n';
  return kExitOk;
}

// ---- exchanges and GIS reports (hub/exchanges; API in hub/src/exchanges/*_routes.cpp) --------

std::string exchange_filters(const Options& o,
                             std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> q = {{"since", o.value("since")},
                                                        {"until", o.value("until")},
                                                        {"adapter", o.value("adapter")},
                                                        {"operation", o.value("operation")},
                                                        {"status", o.value("status")},
                                                        {"direction", o.value("direction")},
                                                        {"message_guid", o.value("message-guid")}};
  q.insert(q.end(), extra.begin(), extra.end());
  return query_string(q);
}

int exchanges_list(Ctx& c) {
  const auto v = c.call(
      "GET", "/api/v1/exchanges" + exchange_filters(c.opt, {{"limit", c.opt.value("limit")},
                                                            {"offset", c.opt.value("offset")}}));
  if (c.raw()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  for (const auto& it : *items_of(v)) {
    const auto e = it.extract<Object::Ptr>();
    rows.push_back({field(e, "id"), short_time(field(e, "at")), field(e, "adapter"),
                    field(e, "operation"), field(e, "direction") == "out" ? "request" : "response",
                    field(e, "status"), field(e, "message_guid"), field(e, "payload_bytes")});
  }
  if (rows.empty()) {
    c.out << "no exchanges\n";
    return kExitOk;
  }
  print_table(
      c.out, {"ID", "AT", "ADAPTER", "OPERATION", "KIND", "STATUS", "MESSAGE GUID", "BYTES"}, rows);
  return kExitOk;
}

int exchanges_show(Ctx& c) {
  const auto id = c.opt.positional[0];
  const auto e = c.call("GET", "/api/v1/exchanges/" + url_encode(id)).extract<Object::Ptr>();
  if (c.raw()) return kExitOk;
  for (const char* k : {"id", "at", "adapter", "operation", "direction", "message_guid", "status",
                        "payload_bytes", "file", "request_id", "response_id"}) {
    c.out << k << ": " << field(e, k) << '\n';
  }
  c.out << "raw: " << c.url << "/api/v1/exchanges/" << id << "/request.xml, .../response.xml\n";
  return kExitOk;
}

int exchanges_export(Ctx& c) {
  const auto dir = c.opt.value("dir");
  if (dir.empty()) throw UsageError("exchanges export needs --dir DIR");
  exchanges::ExchangeFileWriter writer(dir);
  const bool tty = ::isatty(2) == 1;
  const auto started = std::chrono::steady_clock::now();
  auto last_line = started;
  long long after = 0, rows = 0, pages = 0;
  for (;;) {
    const auto v =
        c.call("GET", "/api/v1/exchanges/export" +
                          exchange_filters(c.opt, {{"after_id", std::to_string(after)}}));
    const auto page = v.extract<Object::Ptr>();
    for (const auto& it : *items_of(v)) {
      const auto o = it.extract<Object::Ptr>();
      exchanges::ExchangeRow r;
      r.id = o->getValue<Poco::Int64>("id");
      r.at = field(o, "at");
      r.adapter = field(o, "adapter");
      r.operation = field(o, "operation");
      r.direction = field(o, "direction");
      r.message_guid = field(o, "message_guid");
      r.status = field(o, "status");
      r.payload = o->getValue<std::string>("payload");
      writer.write(r);
      ++rows;
    }
    ++pages;
    after = page->getValue<Poco::Int64>("next_after_id");
    const bool more = page->getValue<bool>("more");
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - started).count();
    std::ostringstream line;
    line << rows << " rows  " << writer.written() << " written  " << writer.unchanged()
         << " unchanged  up to id " << after;
    if (seconds > 0.5) line << "  " << static_cast<long long>(rows / seconds) << " rows/s";
    if (tty) {
      c.err << "\r\033[K" << line.str() << std::flush;
    } else if (now - last_line >= std::chrono::seconds(5)) {
      c.err << line.str() << '\n';
      last_line = now;
    }
    if (!more) break;
  }
  if (tty) c.err << "\r\033[K";
  if (c.opt.has("json")) {
    Object::Ptr s = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    s->set("dir", writer.dir().string());
    s->set("rows", rows);
    s->set("written", writer.written());
    s->set("unchanged", writer.unchanged());
    s->set("skipped", writer.skipped());
    s->set("bytes_written", writer.bytes_written());
    s->set("last_id", after);
    s->set("pages", pages);
    Poco::JSON::Stringifier::stringify(s, c.out);
    c.out << '\n';
    return kExitOk;
  }
  c.out << "exported " << rows << " exchange log rows to " << writer.dir().string() << ": "
        << writer.written() << " files written (" << writer.bytes_written() << " bytes), "
        << writer.unchanged() << " already there, " << writer.skipped()
        << " without payload; last id " << after << '\n';
  return kExitOk;
}

int gis_report(Ctx& c) {
  const auto what = c.opt.positional[0];
  const auto q = query_string({{"kind", c.opt.value("kind")},
                               {"since", c.opt.value("since")},
                               {"open", c.opt.has("open") ? "1" : ""},
                               {"limit", c.opt.value("limit")},
                               {"offset", c.opt.value("offset")}});
  if (what == "errors") {
    const auto v = c.call("GET", "/api/v1/gis/reports/errors" + q);
    if (c.raw()) return kExitOk;
    const auto r = v.extract<Object::Ptr>();
    std::vector<std::vector<std::string>> counts;
    for (const auto& it : *items_of(v, "by_code")) {
      const auto e = it.extract<Object::Ptr>();
      counts.push_back({field(e, "kind"), field(e, "code"), field(e, "count")});
    }
    if (counts.empty()) {
      c.out << "no GIS errors\n";
      return kExitOk;
    }
    c.out << field(r, "total") << " errors\n";
    print_table(c.out, {"KIND", "CODE", "COUNT"}, counts);
    std::vector<std::vector<std::string>> rows;
    for (const auto& it : *items_of(v)) {
      const auto e = it.extract<Object::Ptr>();
      rows.push_back({short_time(field(e, "at")), field(e, "kind"), field(e, "ref"),
                      field(e, "code"), field(e, "text"), field(e, "operation"),
                      field(e, "message_guid"), field(e, "resolved") == "true" ? "resolved" : ""});
    }
    c.out << '\n';
    print_table(c.out, {"AT", "KIND", "OBJECT", "CODE", "TEXT", "OPERATION", "MESSAGE GUID", "NOW"},
                rows);
    return kExitOk;
  }
  if (what == "placement") {
    if (!c.opt.value("since").empty() || c.opt.has("open"))
      throw UsageError("--since and --open apply to 'gis report errors'");
    const auto v = c.call("GET", "/api/v1/gis/reports/placement" + q);
    if (c.raw()) return kExitOk;
    std::vector<std::vector<std::string>> counts;
    for (const auto& it : *items_of(v, "counts")) {
      const auto e = it.extract<Object::Ptr>();
      counts.push_back({field(e, "kind"), field(e, "total"), field(e, "without_gis_guid"),
                        field(e, "with_error")});
    }
    print_table(c.out, {"KIND", "TOTAL", "WITHOUT GIS GUID", "WITH ERROR"}, counts);
    std::vector<std::vector<std::string>> rows;
    for (const auto& it : *items_of(v)) {
      const auto e = it.extract<Object::Ptr>();
      rows.push_back({field(e, "kind"), field(e, "id"), field(e, "ref"), field(e, "error_code"),
                      field(e, "error_text"), short_time(field(e, "updated_at"))});
    }
    if (!rows.empty()) {
      c.out << '\n';
      print_table(c.out, {"KIND", "ID", "OBJECT", "ERROR", "TEXT", "UPDATED"}, rows);
    }
    return kExitOk;
  }
  throw UsageError("gis report takes errors or placement, not '" + what + "'");
}

struct Command {
  std::string group;
  std::string verb;
  std::vector<std::string> args;
  std::set<std::string> options;
  std::string usage;  // options part
  std::string summary;
  std::function<int(Ctx&)> fn;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"messages",
       "list",
       {},
       {"type", "source", "since", "correlation-id", "limit", "offset", "json"},
       "[--type T] [--source S] [--since 2h|ISO-TIME] [--correlation-id C] [--limit N] "
       "[--offset N] [--json]",
       "journaled messages, newest first, with their delivery states",
       messages_list},
      {"messages",
       "show",
       {"ID"},
       {"json"},
       "ID [--json]",
       "one message with headers, deliveries, dead letters and body",
       messages_show},
      {"dlq",
       "list",
       {},
       {"all", "target", "limit", "offset", "json"},
       "[--all] [--target T] [--limit N] [--offset N] [--json]",
       "dead letters not yet replayed (--all: replayed ones too)",
       dlq_list},
      {"dlq",
       "replay",
       {"ID"},
       {},
       "ID",
       "put a dead letter's delivery back to pending (operator)",
       dlq_replay},
      {"schedules",
       "list",
       {},
       {"json"},
       "[--json]",
       "configured jobs with next and last run",
       schedules_list},
      {"schedules",
       "runs",
       {"JOB"},
       {"limit", "json"},
       "JOB [--limit N] [--json]",
       "recent runs of one job",
       schedules_runs},
      {"schedules", "run", {"JOB"}, {"json"}, "JOB", "run a job now (operator)", schedules_run},
      {"adapters",
       "list",
       {},
       {"json"},
       "[--json]",
       "adapter instances, their jobs and health",
       adapters_list},
      {"adapters",
       "describe",
       {"NAME"},
       {"json"},
       "NAME",
       "config keys of an adapter instance or plugin",
       adapters_describe},
      {"routes", "show", {}, {"json"}, "[--json]", "the running routes YAML", routes_show},
      {"routes", "history", {}, {"json"}, "[--json]", "published route versions", routes_history},
      {"routes",
       "apply",
       {"FILE"},
       {"dry-run", "json"},
       "FILE [--dry-run]",
       "validate, show the diff and publish a new version (admin)",
       routes_apply},
      {"tokens", "list", {}, {"json"}, "[--json]", "API tokens and roles (admin)", tokens_list},
      {"tokens",
       "create",
       {"NAME"},
       {"role", "json"},
       "NAME --role admin|operator|viewer",
       "create a token; printed once (admin)",
       tokens_create},
      {"tokens", "revoke", {"NAME"}, {}, "NAME", "revoke a token (admin)", tokens_revoke},
      {"payments",
       "unidentified",
       {},
       {"limit", "offset", "json"},
       "[--limit N] [--offset N] [--json]",
       "payments the billing store could not identify, oldest first, with candidates",
       payments_unidentified},
      {"payments",
       "resolve",
       {"ID"},
       {"account", "json"},
       "ID --account NUMBER",
       "assign an account to an unidentified payment and re-emit it (operator)",
       payments_resolve},
      {"import",
       "bank",
       {"FILE"},
       {"layout", "dry-run", "json", "limit", "batched"},
       "--layout NAME FILE [--batched] [--dry-run] [--json] [--limit N]",
       "import a bank payment registry in layout NAME (--batched: as payment.lines messages of "
       "up to 1000 payments, for big files; --dry-run: parse and reconcile only) (operator)",
       import_bank},
      {"import",
       "client-bank",
       {"FILE"},
       {"dry-run", "json", "limit"},
       "FILE [--dry-run] [--json] [--limit N]",
       "import a 1CClientBankExchange statement (operator)",
       import_client_bank},
      {"import",
       "file",
       {"FILE"},
       {"parser", "dry-run", "json", "limit"},
       "--parser NAME FILE [--dry-run] [--json] [--limit N]",
       "import FILE with any registered parser (operator)",
       import_file},
      {"imports",
       "list",
       {},
       {"limit", "offset", "json"},
       "[--limit N] [--offset N] [--json]",
       "imported files (uploads and file inboxes), newest first",
       imports_list},
      {"imports", "show", {"ID"}, {"json"}, "ID [--json]", "one import's report", imports_show},
      {"imports",
       "parsers",
       {},
       {"json"},
       "[--json]",
       "parsers adapters registered",
       imports_parsers},
      {"tickets",
       "list",
       {},
       {"status", "topic", "house", "account", "assignee", "channel", "overdue", "limit", "offset",
        "json"},
       "[--status S] [--topic T] [--house H] [--account A] [--assignee X] [--channel C] "
       "[--overdue] [--limit N] [--offset N] [--json]",
       "tickets, newest first, with status, topic, assignee and SLA deadline",
       tickets_list},
      {"tickets",
       "show",
       {"ID"},
       {"json"},
       "ID [--json]",
       "one ticket with its allowed transitions, attachments and history",
       tickets_show},
      {"tickets",
       "transition",
       {"ID", "TO"},
       {"comment", "json"},
       "ID TO [--comment C]",
       "move a ticket to status TO (operator); refused moves name the allowed ones",
       tickets_transition},
      {"tickets",
       "comment",
       {"ID", "TEXT"},
       {"internal", "json"},
       "ID TEXT [--internal]",
       "add a comment (--internal: staff only) (operator)",
       tickets_comment},
      {"tickets",
       "assign",
       {"ID", "ASSIGNEE"},
       {"json"},
       "ID ASSIGNEE",
       "hand a ticket to a person or team (operator)",
       tickets_assign},
      {"exchanges",
       "list",
       {},
       {"since", "until", "adapter", "operation", "status", "direction", "message-guid", "limit",
        "offset", "json"},
       "[--since T] [--until T] [--adapter A] [--operation OP] [--status S] [--direction in|out] "
       "[--message-guid G] [--limit N] [--offset N] [--json]",
       "raw requests and responses exchanged with external systems, newest first",
       exchanges_list},
      {"exchanges",
       "show",
       {"ID"},
       {"json"},
       "ID [--json]",
       "one logged request or response with the id of its pair",
       exchanges_show},
      {"exchanges",
       "export",
       {},
       {"dir", "since", "until", "adapter", "operation", "status", "direction", "message-guid",
        "json"},
       "--dir DIR [--since T] [--until T] [--adapter A] [--operation OP] [--status S] "
       "[--direction in|out] [--message-guid G] [--json]",
       "write every logged request and response as a file in DIR (again: only what is new)",
       exchanges_export},
      {"gis",
       "report",
       {"errors|placement"},
       {"kind", "since", "open", "limit", "offset", "json"},
       "errors|placement [--kind K] [--since T] [--open] [--limit N] [--offset N] [--json]",
       "GIS ZhKH errors by object (kind account, payment_document, meter, reading, payment) or "
       "the placement audit (objects without a GIS GUID)",
       gis_report},
  };
  return kCommands;
}

void print_group_usage(std::ostream& out, const std::string& group) {
  out << "usage:\n";
  for (const auto& cmd : commands()) {
    if (!group.empty() && cmd.group != group) continue;
    out << "  zhkh-hub " << cmd.group << ' ' << cmd.verb << ' ' << cmd.usage << "\n      "
        << cmd.summary << '\n';
  }
  out << "options for every command:\n"
         "  --url URL           admin API (default $ZHKH_HUB_URL or "
      << kDefaultUrl
      << ")\n"
         "  --token TOKEN       bearer token (default $ZHKH_HUB_TOKEN, else ./"
      << kDefaultTokenFile
      << ")\n"
         "  --token-file FILE   read the token from FILE\n"
         "  --help              this text\n";
}

}  // namespace

bool is_cli_command(const std::string& group) {
  for (const auto& c : commands()) {
    if (c.group == group) return true;
  }
  return false;
}

void print_cli_usage(std::ostream& out) {
  print_group_usage(out, "");
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty() || !is_cli_command(args[0])) {
      if (!args.empty() && args[0] != "--help" && args[0] != "-h" && args[0] != "help") {
        err << "zhkh-hub: unknown command '" << args[0] << "'\n";
        print_group_usage(err, "");
        return kExitUsage;
      }
      print_group_usage(args.empty() ? err : out, "");
      return args.empty() ? kExitUsage : kExitOk;
    }
    const auto& group = args[0];
    const bool verb_given = args.size() > 1 && args[1].rfind("-", 0) != 0;
    auto opt = parse_options(args, verb_given ? 2 : 1);
    if (!verb_given) {
      if (opt.has("help")) {
        print_group_usage(out, group);
        return kExitOk;
      }
      err << "zhkh-hub " << group << ": which one?\n";
      print_group_usage(err, group);
      return kExitUsage;
    }
    const auto& verb = args[1];
    const Command* cmd = nullptr;
    for (const auto& c : commands()) {
      if (c.group == group && c.verb == verb) cmd = &c;
    }
    if (!cmd) {
      err << "zhkh-hub " << group << ": unknown subcommand '" << verb << "'\n";
      print_group_usage(err, group);
      return kExitUsage;
    }
    if (opt.has("help")) {
      out << "usage: zhkh-hub " << group << ' ' << verb << ' ' << cmd->usage << "\n  "
          << cmd->summary << '\n';
      return kExitOk;
    }
    for (const auto& f : opt.flags) {
      if (!cmd->options.count(f) && !kCommonOptions.count(f)) {
        throw UsageError("option --" + f + " does not apply to '" + group + " " + verb + "'");
      }
    }
    for (const auto& [k, _] : opt.values) {
      if (!cmd->options.count(k) && !kCommonOptions.count(k)) {
        throw UsageError("option --" + k + " does not apply to '" + group + " " + verb + "'");
      }
    }
    if (opt.positional.size() != cmd->args.size()) {
      throw UsageError("'" + group + " " + verb + "' expects " +
                       (cmd->args.empty() ? std::string("no arguments") : cmd->usage));
    }

    Ctx ctx{opt, out, err, "", "", "", ""};
    const char* env_url = std::getenv("ZHKH_HUB_URL");
    ctx.url = opt.value("url", env_url && *env_url ? env_url : kDefaultUrl);
    const char* env_token = std::getenv("ZHKH_HUB_TOKEN");
    if (opt.values.count("token")) {
      ctx.token = opt.value("token");
      ctx.token_origin = "--token";
    } else if (opt.values.count("token-file")) {
      const auto path = opt.value("token-file");
      ctx.token = read_first_line(path);
      if (ctx.token.empty()) {
        err << "zhkh-hub: cannot read a token from " << path << "\n";
        return kExitAuth;
      }
      ctx.token_origin = path;
    } else if (env_token && *env_token) {
      ctx.token = env_token;
      ctx.token_origin = "$ZHKH_HUB_TOKEN";
    } else {
      ctx.token = read_first_line(kDefaultTokenFile);
      ctx.token_origin = std::string("./") + kDefaultTokenFile;
    }
    return cmd->fn(ctx);
  } catch (const UsageError& e) {
    err << "zhkh-hub: " << e.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const ApiFailure& e) {
    err << "zhkh-hub: " << e.message << '\n';
    return e.exit_code;
  } catch (const Unreachable& e) {
    err << "zhkh-hub: " << e.what()
        << "\n  is the hub running? point --url or ZHKH_HUB_URL at its admin API\n";
    return kExitUnreachable;
  } catch (const std::exception& e) {
    err << "zhkh-hub: " << e.what() << '\n';
    return kExitFailed;
  }
}

int run_cli(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return run_cli(args, std::cout, std::cerr);
}

}  // namespace hub::cli
