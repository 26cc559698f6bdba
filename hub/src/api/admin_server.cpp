#include "hub/api/admin_server.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "hub/api/api_route.h"
#include "hub/api/token_store.h"
#include "hub/core/error.h"
#include "hub/core/log.h"
#include "hub/core/uuid.h"
#include "hub/metrics/registry.h"

namespace hub::api {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 1000;
constexpr auto kLeaseTimeout = std::chrono::seconds(5);

/// A refusal with its HTTP status; thrown by handlers, turned into the JSON error body.
struct HttpError {
  int status;
  std::string error;
  Var detail;
};

Object::Ptr obj() {
  return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

std::string ts(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

std::string ts_or_empty(const std::string& column) {
  return "coalesce(" + ts(column) + ", '')";
}

Var json_or_text(const std::string& text) {
  try {
    return Poco::JSON::Parser().parse(text);
  } catch (const std::exception&) {
    return text;
  }
}

std::string to_json(const Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

bool truthy(const std::string& v) {
  return v == "1" || v == "true" || v == "yes" || v == "on";
}

}  // namespace

struct AdminServer::State {
  State(store::Pool& p, AdminServices s, AdminServerOptions o)
      : pool(p), services(std::move(s)), options(std::move(o)), tokens(p) {
    tokens.set_cache_ttl(options.token_cache_ttl);
  }

  store::Pool& pool;
  AdminServices services;
  AdminServerOptions options;
  TokenStore tokens;
  Log log{"api"};
  std::mutex metrics_mu;
  std::set<std::string> seen_targets;  // so a drained queue shows 0 instead of a stale value
  std::vector<ApiRoute> routes;        // added by other parts of the hub before start()
};

namespace {

using State = AdminServer::State;

/// One request as the handlers see it.
struct Call {
  Poco::Net::HTTPServerRequest& req;
  std::vector<std::string> params;  // path wildcards in order
  std::map<std::string, std::string> query;
  Principal who;
  std::string body;
  std::string object;  // audit: what was acted on
  Object::Ptr audit_details = obj();

  std::string q(const std::string& key, const std::string& def = "") const {
    auto it = query.find(key);
    return it == query.end() ? def : it->second;
  }
  int q_int(const std::string& key, int def, int min, int max) const {
    const auto text = q(key);
    if (text.empty()) return def;
    try {
      std::size_t used = 0;
      const int v = std::stoi(text, &used);
      if (used != text.size()) throw std::invalid_argument(key);
      if (v < min || v > max) throw std::out_of_range(key);
      return v;
    } catch (const std::exception&) {
      Object::Ptr d = obj();
      d->set("parameter", key);
      d->set("value", text);
      d->set("allowed", std::to_string(min) + ".." + std::to_string(max));
      throw HttpError{400, "invalid query parameter '" + key + "'", d};
    }
  }
};

struct Reply {
  Reply(int s, Var b) : status(s), body(std::move(b)) {}
  /// An added route's answer, sent as is with its own content type.
  static Reply raw_text(int s, std::string text, std::string type) {
    Reply r(s, Var());
    r.raw = std::move(text);
    r.raw_type = std::move(type);
    return r;
  }

  int status = 200;
  Var body;
  std::string raw;
  std::string raw_type;  // empty: body is JSON
};

using HandlerFn = std::function<Reply(State&, Call&)>;

struct Endpoint {
  std::string method;
  std::vector<std::string> pattern;  // "*" = one path segment captured into Call::params
  std::string name;                  // for metrics and the audit action
  Role role;
  HandlerFn fn;
  bool stream_body = false;  // ApiRoute::stream_body: the handler reads the request stream
};

// ---- SQL-backed handlers -------------------------------------------------------------------

std::string since_condition(pqxx::transaction_base& tx, const std::string& since) {
  static const std::regex kRelative(R"(^(\d{1,6})([smhd])$)");
  std::smatch m;
  if (std::regex_match(since, m, kRelative)) {
    static const std::map<std::string, std::string> kUnits = {
        {"s", "seconds"}, {"m", "minutes"}, {"h", "hours"}, {"d", "days"}};
    return "m.received_at >= now() - interval '" + m[1].str() + " " + kUnits.at(m[2].str()) + "'";
  }
  return "m.received_at >= " + tx.quote(since) + "::timestamptz";
}

Reply list_messages(State& st, Call& c) {
  const int limit = c.q_int("limit", kDefaultLimit, 1, kMaxLimit);
  const int offset = c.q_int("offset", 0, 0, 100000000);
  auto lease = st.pool.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  std::string where;
  auto add = [&](const std::string& cond) {
    where += (where.empty() ? " WHERE " : " AND ") + cond;
  };
  if (!c.q("type").empty()) add("m.type = " + tx.quote(c.q("type")));
  if (!c.q("source").empty()) add("m.source = " + tx.quote(c.q("source")));
  if (!c.q("correlation_id").empty()) add("m.correlation_id = " + tx.quote(c.q("correlation_id")));
  if (!c.q("since").empty()) add(since_condition(tx, c.q("since")));
  pqxx::result r;
  try {
    r = tx.exec(
        "SELECT m.id::text, m.type, m.source, " + ts("m.occurred_at") + ", " + ts("m.received_at") +
        ", m.correlation_id, m.idempotency_key, coalesce(m.route_version, 0), "
        "coalesce((SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*) AS n "
        "FROM hub.delivery d WHERE d.message_id = m.id GROUP BY state) s), '{}'::jsonb)::text "
        "FROM hub.message m" +
        where + " ORDER BY m.received_at DESC, m.id DESC LIMIT " + std::to_string(limit) +
        " OFFSET " + std::to_string(offset));
  } catch (const pqxx::data_exception& e) {
    Object::Ptr d = obj();
    d->set("parameter", "since");
    d->set("value", c.q("since"));
    d->set("expected", "ISO 8601 timestamp or a relative age like 15m, 2h, 7d");
    throw HttpError{400, "invalid query parameter 'since'", d};
  }
  Array::Ptr items = new Array;
  for (const auto& row : r) {
    Object::Ptr m = obj();
    m->set("id", row[0].as<std::string>());
    m->set("type", row[1].as<std::string>());
    m->set("source", row[2].as<std::string>());
    m->set("occurred_at", row[3].as<std::string>());
    m->set("received_at", row[4].as<std::string>());
    m->set("correlation_id", row[5].as<std::string>());
    m->set("idempotency_key", row[6].as<std::string>());
    m->set("route_version", row[7].as<long long>());
    m->set("deliveries", json_or_text(row[8].as<std::string>()));
    items->add(m);
  }
  Object::Ptr out = obj();
  out->set("items", items);
  out->set("count", static_cast<int>(r.size()));
  out->set("limit", limit);
  out->set("offset", offset);
  return {200, out};
}

Reply show_message(State& st, Call& c) {
  const auto& id = c.params[0];
  if (!is_uuid(id)) throw HttpError{404, "no message with id '" + id + "'", Var()};
  auto lease = st.pool.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(
      "SELECT id::text, type, schema_version, source, " + ts("occurred_at") + ", " +
          ts("received_at") +
          ", correlation_id, coalesce(causation_id, ''), idempotency_key, headers::text, body, "
          "coalesce(route_version, 0) FROM hub.message WHERE id = $1::uuid",
      id);
  if (r.empty()) throw HttpError{404, "no message with id '" + id + "'", Var()};
  const auto row = r[0];
  Object::Ptr m = obj();
  m->set("id", row[0].as<std::string>());
  m->set("type", row[1].as<std::string>());
  m->set("schema_version", row[2].as<int>());
  m->set("source", row[3].as<std::string>());
  m->set("occurred_at", row[4].as<std::string>());
  m->set("received_at", row[5].as<std::string>());
  m->set("correlation_id", row[6].as<std::string>());
  m->set("causation_id", row[7].as<std::string>());
  m->set("idempotency_key", row[8].as<std::string>());
  m->set("headers", json_or_text(row[9].as<std::string>()));
  m->set("route_version", row[11].as<long long>());
  m->set("body", row[10].as<std::string>());

  const auto ds = tx.exec_params(
      "SELECT id, route, target, state, attempts, " + ts("next_attempt_at") + ", " +
          "coalesce(last_error, ''), " + ts("created_at") + ", " + ts_or_empty("delivered_at") +
          ", body IS NOT NULL FROM hub.delivery WHERE message_id = $1::uuid ORDER BY id",
      id);
  Array::Ptr deliveries = new Array;
  for (const auto& d : ds) {
    Object::Ptr o = obj();
    o->set("id", d[0].as<long long>());
    o->set("route", d[1].as<std::string>());
    o->set("target", d[2].as<std::string>());
    o->set("state", d[3].as<std::string>());
    o->set("attempts", d[4].as<int>());
    o->set("next_attempt_at", d[5].as<std::string>());
    o->set("last_error", d[6].as<std::string>());
    o->set("created_at", d[7].as<std::string>());
    o->set("delivered_at", d[8].as<std::string>());
    o->set("transformed", d[9].as<bool>());
    deliveries->add(o);
  }
  m->set("deliveries", deliveries);

  const auto dl = tx.exec_params("SELECT id, delivery_id, target, attempts, last_error, " +
                                     ts("dead_at") + ", " + ts_or_empty("replayed_at") +
                                     ", coalesce(replayed_by, '') "
                                     "FROM hub.dead_letter WHERE message_id = $1::uuid ORDER BY id",
                                 id);
  Array::Ptr dead = new Array;
  for (const auto& d : dl) {
    Object::Ptr o = obj();
    o->set("id", d[0].as<long long>());
    o->set("delivery_id", d[1].as<long long>());
    o->set("target", d[2].as<std::string>());
    o->set("attempts", d[3].as<int>());
    o->set("last_error", d[4].as<std::string>());
    o->set("dead_at", d[5].as<std::string>());
    o->set("replayed_at", d[6].as<std::string>());
    o->set("replayed_by", d[7].as<std::string>());
    dead->add(o);
  }
  m->set("dead_letters", dead);
  return {200, m};
}

Reply list_dead_letters(State& st, Call& c) {
  const int limit = c.q_int("limit", kDefaultLimit, 1, kMaxLimit);
  const int offset = c.q_int("offset", 0, 0, 100000000);
  const bool all = truthy(c.q("all"));
  auto lease = st.pool.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  std::string where = all ? " WHERE true" : " WHERE dl.replayed_at IS NULL";
  if (!c.q("target").empty()) where += " AND dl.target = " + tx.quote(c.q("target"));
  const auto r = tx.exec(
      "SELECT dl.id, dl.delivery_id, dl.message_id::text, m.type, d.route, dl.target, dl.attempts, "
      "dl.last_error, " +
      ts("dl.dead_at") + ", " + ts_or_empty("dl.replayed_at") +
      ", coalesce(dl.replayed_by, ''), d.state "
      "FROM hub.dead_letter dl JOIN hub.message m ON m.id = dl.message_id "
      "JOIN hub.delivery d ON d.id = dl.delivery_id" +
      where + " ORDER BY dl.id DESC LIMIT " + std::to_string(limit) + " OFFSET " +
      std::to_string(offset));
  Array::Ptr items = new Array;
  for (const auto& row : r) {
    Object::Ptr o = obj();
    o->set("id", row[0].as<long long>());
    o->set("delivery_id", row[1].as<long long>());
    o->set("message_id", row[2].as<std::string>());
    o->set("type", row[3].as<std::string>());
    o->set("route", row[4].as<std::string>());
    o->set("target", row[5].as<std::string>());
    o->set("attempts", row[6].as<int>());
    o->set("last_error", row[7].as<std::string>());
    o->set("dead_at", row[8].as<std::string>());
    o->set("replayed_at", row[9].as<std::string>());
    o->set("replayed_by", row[10].as<std::string>());
    o->set("delivery_state", row[11].as<std::string>());
    items->add(o);
  }
  Object::Ptr out = obj();
  out->set("items", items);
  out->set("count", static_cast<int>(r.size()));
  out->set("limit", limit);
  out->set("offset", offset);
  return {200, out};
}

template <class F>
const F& require(const F& fn, const char* what) {
  if (!fn) throw HttpError{501, std::string(what) + " is not available on this node", Var()};
  return fn;
}

Reply replay_dead_letter(State& st, Call& c) {
  long long id = 0;
  try {
    std::size_t used = 0;
    id = std::stoll(c.params[0], &used);
    if (used != c.params[0].size() || id <= 0) throw std::invalid_argument("id");
  } catch (const std::exception&) {
    throw HttpError{404, "no dead letter with id '" + c.params[0] + "'", Var()};
  }
  c.object = "dead_letter:" + std::to_string(id);
  const auto& replay = require(st.services.replay_dead_letter, "dead-letter replay");
  {
    auto lease = st.pool.lease(kLeaseTimeout);
    pqxx::read_transaction tx(lease.conn());
    const auto r =
        tx.exec_params("SELECT replayed_at IS NOT NULL FROM hub.dead_letter WHERE id = $1", id);
    if (r.empty()) throw HttpError{404, "no dead letter with id " + std::to_string(id), Var()};
    if (r[0][0].as<bool>()) {
      throw HttpError{409, "dead letter " + std::to_string(id) + " was already replayed", Var()};
    }
  }
  if (!replay(id, c.who.name)) {
    throw HttpError{409, "dead letter " + std::to_string(id) + " was already replayed", Var()};
  }
  Object::Ptr out = obj();
  out->set("id", id);
  out->set("replayed", true);
  return {200, out};
}

Reply get_routes(State& st, Call& c) {
  CurrentRoutes current;
  auto lease = st.pool.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  if (st.services.current_routes) {
    current = st.services.current_routes();
  } else {
    const auto r =
        tx.exec("SELECT version, config FROM hub.route_version ORDER BY version DESC LIMIT 1");
    if (!r.empty()) current = {r[0][0].as<long long>(), r[0][1].as<std::string>()};
  }
  const auto vs = tx.exec("SELECT version, digest, applied_by, " + ts("applied_at") +
                          ", coalesce(source, '') FROM hub.route_version "
                          "ORDER BY version DESC LIMIT 20");
  Array::Ptr versions = new Array;
  for (const auto& row : vs) {
    Object::Ptr o = obj();
    o->set("version", row[0].as<long long>());
    o->set("digest", row[1].as<std::string>());
    o->set("applied_by", row[2].as<std::string>());
    o->set("applied_at", row[3].as<std::string>());
    o->set("source", row[4].as<std::string>());
    versions->add(o);
  }
  Object::Ptr out = obj();
  out->set("version", current.version);
  out->set("yaml", current.yaml);
  out->set("versions", versions);
  return {200, out};
}

Reply apply_routes(State& st, Call& c) {
  const auto& apply = require(st.services.apply_routes, "routes apply");
  const bool dry_run = truthy(c.q("dry_run"));
  const auto file = c.q("file", "request body");
  c.object = "routes";
  c.audit_details->set("dry_run", dry_run);
  c.audit_details->set("file", file);
  if (c.body.empty()) throw HttpError{400, "empty body: send the routes YAML", Var()};
  const auto result = apply(c.body, file, c.who.name, dry_run);
  c.audit_details->set("version", result.version);
  c.audit_details->set("changed", result.changed);
  Object::Ptr out = obj();
  out->set("version", result.version);
  out->set("changed", result.changed);
  out->set("dry_run", dry_run);
  out->set("diff", result.diff);
  return {200, out};
}

Reply list_adapters(State& st, Call&) {
  const auto adapters = require(st.services.list_adapters, "adapter listing")();
  Array::Ptr items = new Array;
  for (const auto& a : adapters) {
    Object::Ptr o = obj();
    o->set("name", a.name);
    o->set("plugin", a.plugin);
    o->set("version", a.version);
    o->set("sink", a.sink);
    Array::Ptr jobs = new Array;
    for (const auto& j : a.jobs) jobs->add(j);
    o->set("jobs", jobs);
    o->set("health", a.health);
    items->add(o);
  }
  Object::Ptr out = obj();
  out->set("items", items);
  out->set("count", static_cast<int>(adapters.size()));
  return {200, out};
}

Reply describe_adapter(State& st, Call& c) {
  const auto text = require(st.services.describe_adapter, "adapter description")(c.params[0]);
  if (!text) throw HttpError{404, "no adapter or plugin named '" + c.params[0] + "'", Var()};
  Object::Ptr out = obj();
  out->set("name", c.params[0]);
  out->set("description", *text);
  return {200, out};
}

Object::Ptr run_row(const pqxx::row& row) {
  Object::Ptr o = obj();
  o->set("id", row["id"].as<long long>());
  o->set("job", row["job"].as<std::string>());
  o->set("status", row["status"].as<std::string>());
  o->set("trigger", row["trigger"].as<std::string>());
  o->set("scheduled_for", row["scheduled_for"].as<std::string>());
  o->set("started_at", row["started_at"].as<std::string>());
  o->set("finished_at", row["finished_at"].as<std::string>());
  o->set("node", row["node"].as<std::string>());
  o->set("error", row["error"].as<std::string>());
  return o;
}

std::string run_columns() {
  return "id, job, status, trigger, " + ts_or_empty("scheduled_for") + " AS scheduled_for, " +
         ts("started_at") + " AS started_at, " + ts_or_empty("finished_at") +
         " AS finished_at, coalesce(node, '') AS node, coalesce(error, '') AS error";
}

Reply list_schedules(State& st, Call&) {
  const auto schedules = require(st.services.list_schedules, "schedule listing")();
  std::map<std::string, Object::Ptr> last;
  {
    auto lease = st.pool.lease(kLeaseTimeout);
    pqxx::read_transaction tx(lease.conn());
    const auto r = tx.exec("SELECT DISTINCT ON (job) " + run_columns() +
                           " FROM hub.schedule_run ORDER BY job, started_at DESC, id DESC");
    for (const auto& row : r) last[row["job"].as<std::string>()] = run_row(row);
  }
  Array::Ptr items = new Array;
  for (const auto& s : schedules) {
    Object::Ptr o = obj();
    o->set("job", s.job);
    o->set("cron", s.cron);
    o->set("time_zone", s.time_zone);
    o->set("enabled", s.enabled);
    o->set("next_run", s.next_run);
    auto it = last.find(s.job);
    if (it != last.end()) {
      o->set("last_run", it->second);
    } else {
      o->set("last_run", Var());
    }
    items->add(o);
  }
  Object::Ptr out = obj();
  out->set("items", items);
  out->set("count", static_cast<int>(schedules.size()));
  return {200, out};
}

Reply schedule_runs(State& st, Call& c) {
  const int limit = c.q_int("limit", 20, 1, kMaxLimit);
  auto lease = st.pool.lease(kLeaseTimeout);
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params("SELECT " + run_columns() +
                                    " FROM hub.schedule_run WHERE job = $1 "
                                    "ORDER BY started_at DESC, id DESC LIMIT $2",
                                c.params[0], limit);
  Array::Ptr items = new Array;
  for (const auto& row : r) items->add(run_row(row));
  Object::Ptr out = obj();
  out->set("job", c.params[0]);
  out->set("runs", items);
  return {200, out};
}

Reply run_schedule(State& st, Call& c) {
  const auto& run = require(st.services.run_schedule, "manual schedule runs");
  c.object = "job:" + c.params[0];
  const long long id = run(c.params[0], c.who.name);
  c.audit_details->set("run_id", id);
  Object::Ptr out = obj();
  out->set("job", c.params[0]);
  out->set("run_id", id);
  // A run asked for while the job is still running (here or on another node) is recorded as
  // skipped and does nothing: the caller is told so rather than left to think it started.
  {
    auto lease = st.pool.lease(kLeaseTimeout);
    pqxx::read_transaction tx(lease.conn());
    const auto r = tx.exec_params(
        "SELECT status, coalesce(error, '') FROM hub.schedule_run WHERE id = $1", id);
    if (!r.empty()) {
      out->set("status", r[0][0].as<std::string>());
      if (r[0][0].as<std::string>() == "skipped") out->set("error", r[0][1].as<std::string>());
    }
  }
  return {202, out};
}

Reply list_tokens(State& st, Call&) {
  Array::Ptr items = new Array;
  for (const auto& t : st.tokens.list()) {
    Object::Ptr o = obj();
    o->set("name", t.name);
    o->set("role", role_name(t.role));
    o->set("created_at", t.created_at);
    o->set("revoked_at", t.revoked_at);
    items->add(o);
  }
  Object::Ptr out = obj();
  out->set("items", items);
  return {200, out};
}

Reply create_token(State& st, Call& c) {
  std::string name, role;
  try {
    auto parsed = Poco::JSON::Parser().parse(c.body).extract<Object::Ptr>();
    name = parsed->optValue<std::string>("name", "");
    role = parsed->optValue<std::string>("role", "viewer");
  } catch (const std::exception&) {
    throw HttpError{400, "body must be a JSON object {\"name\": ..., \"role\": ...}", Var()};
  }
  c.object = "token:" + name;
  c.audit_details->set("role", role);
  Role r;
  try {
    r = parse_role(role);
  } catch (const Error& e) {
    throw HttpError{400, e.what(), Var()};
  }
  if (name.empty()) throw HttpError{400, "token name must not be empty", Var()};
  const auto token = st.tokens.create(name, r);
  Object::Ptr out = obj();
  out->set("name", name);
  out->set("role", role_name(r));
  out->set("token", token);
  return {201, out};
}

Reply revoke_token(State& st, Call& c) {
  c.object = "token:" + c.params[0];
  if (!st.tokens.revoke(c.params[0])) {
    throw HttpError{404, "no active token named '" + c.params[0] + "'", Var()};
  }
  Object::Ptr out = obj();
  out->set("name", c.params[0]);
  out->set("revoked", true);
  return {200, out};
}

const std::vector<Endpoint>& endpoints() {
  static const std::vector<Endpoint> kEndpoints = {
      {"GET", {"messages"}, "messages.list", Role::kViewer, list_messages},
      {"GET", {"messages", "*"}, "messages.show", Role::kViewer, show_message},
      {"GET", {"dead-letters"}, "dead_letters.list", Role::kViewer, list_dead_letters},
      {"POST",
       {"dead-letters", "*", "replay"},
       "dead_letter.replay",
       Role::kOperator,
       replay_dead_letter},
      {"GET", {"routes"}, "routes.show", Role::kViewer, get_routes},
      {"POST", {"routes"}, "routes.apply", Role::kAdmin, apply_routes},
      {"GET", {"adapters"}, "adapters.list", Role::kViewer, list_adapters},
      {"GET", {"adapters", "*"}, "adapters.describe", Role::kViewer, describe_adapter},
      {"GET", {"schedules"}, "schedules.list", Role::kViewer, list_schedules},
      {"GET", {"schedules", "*"}, "schedules.runs", Role::kViewer, schedule_runs},
      {"POST", {"schedules", "*", "run"}, "schedule.run", Role::kOperator, run_schedule},
      // Token names are not secret but who holds which role is admin business.
      {"GET", {"tokens"}, "tokens.list", Role::kAdmin, list_tokens},
      {"POST", {"tokens"}, "token.create", Role::kAdmin, create_token},
      {"POST", {"tokens", "*", "revoke"}, "token.revoke", Role::kAdmin, revoke_token},
  };
  return kEndpoints;
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& segs,
           std::vector<std::string>* out) {
  if (pattern.size() != segs.size()) return false;
  std::vector<std::string> params;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (pattern[i] == "*") {
      params.push_back(segs[i]);
    } else if (pattern[i] != segs[i]) {
      return false;
    }
  }
  if (out) *out = std::move(params);
  return true;
}

bool match(const Endpoint& e, const std::vector<std::string>& segs, std::vector<std::string>* out) {
  return match(e.pattern, segs, out);
}

// An added route runs like a built-in endpoint: the server's Call becomes the route's ApiRequest.
Endpoint as_endpoint(const ApiRoute& route) {
  return {route.method,
          route.pattern,
          route.name,
          route.role,
          [&route](State&, Call& c) {
            ApiRequest r;
            r.method = c.req.getMethod();
            r.path = Poco::URI(c.req.getURI()).getPath();
            r.params = c.params;
            r.query = c.query;
            for (const auto& [k, v] : c.req) r.headers[Poco::toLower(k)] = v;
            r.body = c.body;
            if (route.stream_body) r.body_stream = &c.req.stream();
            r.who = c.who;
            r.object = c.object;
            auto resp = route.handler(r);
            c.object = r.object;
            return Reply::raw_text(resp.status, std::move(resp.body), std::move(resp.content_type));
          },
          route.stream_body};
}

// ---- /metrics --------------------------------------------------------------------------------

void refresh_gauges(State& st) {
  auto& reg = metrics::Registry::global();
  std::map<std::string, store::PoolStats> pools;
  if (st.services.pool_stats) {
    pools = st.services.pool_stats();
  } else {
    pools["api"] = st.pool.stats();
  }
  for (const auto& [name, s] : pools) {
    const metrics::Labels l{{"pool", name}};
    reg.set("zhkh_db_pool_size", l, static_cast<double>(s.size));
    reg.set("zhkh_db_pool_in_use", l, static_cast<double>(s.in_use));
    reg.set("zhkh_db_pool_waiting", l, static_cast<double>(s.waiting));
    reg.set("zhkh_db_pool_leases", l, static_cast<double>(s.leases_total));
  }
  std::lock_guard lock(st.metrics_mu);
  try {
    auto lease = st.pool.lease(std::chrono::seconds(2));
    pqxx::read_transaction tx(lease.conn());
    // Counting a large outbox by state is a scan; a slow scrape must not hold a connection long.
    tx.exec("SET LOCAL statement_timeout = 3000");
    std::map<std::string, double> states{
        {"pending", 0}, {"delivered", 0}, {"dead", 0}, {"filtered", 0}};
    for (const auto& row : tx.exec("SELECT state, count(*) FROM hub.delivery GROUP BY state")) {
      states[row[0].as<std::string>()] = row[1].as<double>();
    }
    for (const auto& [state, n] : states)
      reg.set("zhkh_deliveries_by_state", {{"state", state}}, n);
    std::map<std::string, std::pair<double, double>> depth;
    for (const auto& t : st.seen_targets) depth[t] = {0, 0};
    for (const auto& row : tx.exec(
             "SELECT target, count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
             "FROM hub.delivery WHERE state = 'pending' GROUP BY target")) {
      depth[row[0].as<std::string>()] = {row[1].as<double>(), row[2].as<double>()};
    }
    for (const auto& [target, v] : depth) {
      st.seen_targets.insert(target);
      reg.set("zhkh_delivery_queue_depth", {{"target", target}}, v.first);
      reg.set("zhkh_delivery_queue_oldest_seconds", {{"target", target}}, v.second);
    }
    reg.set(
        "zhkh_dead_letters_open", {},
        tx.exec1("SELECT count(*) FROM hub.dead_letter WHERE replayed_at IS NULL")[0].as<double>());
    reg.set("zhkh_db_up", {}, 1);
  } catch (const std::exception& e) {
    reg.set("zhkh_db_up", {}, 0);
    st.log.warn("api.metrics_db_unavailable", {{"error", e.what()}});
  }
}

void describe_metrics() {
  auto& reg = metrics::Registry::global();
  reg.describe("zhkh_db_pool_size", "Connections a database pool may open.");
  reg.describe("zhkh_db_pool_in_use", "Connections of the pool leased right now.");
  reg.describe("zhkh_db_pool_waiting", "Callers waiting for a connection of the pool.");
  reg.describe("zhkh_db_pool_leases", "Leases handed out by the pool since start.");
  reg.describe("zhkh_deliveries_by_state",
               "Outbox rows by state (from hub.delivery at scrape time).");
  reg.describe("zhkh_delivery_queue_depth", "Pending deliveries per target.");
  reg.describe("zhkh_delivery_queue_oldest_seconds",
               "Age of the oldest pending delivery per target.");
  reg.describe("zhkh_dead_letters_open", "Dead letters not replayed yet.");
  reg.describe("zhkh_db_up", "1 when the last scrape could query PostgreSQL.");
  reg.describe("zhkh_api_requests_total", "Admin API requests by endpoint and status.");
  reg.describe("zhkh_api_request_seconds", "Admin API request latency.");
}

// ---- the request handler -------------------------------------------------------------------

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<State> st) : st_(std::move(st)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    const auto started = std::chrono::steady_clock::now();
    std::string endpoint = "unknown";
    std::string actor;
    int status = 500;
    std::string path;
    try {
      Poco::URI uri(req.getURI());
      path = uri.getPath();
      status = dispatch(req, resp, uri, endpoint, actor);
    } catch (const std::exception& e) {
      // Only reached when writing the response itself failed (client went away).
      st_->log.warn("api.response_failed", {{"path", path}, {"error", e.what()}});
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto& reg = metrics::Registry::global();
    reg.add("zhkh_api_requests_total",
            {{"endpoint", endpoint}, {"status", std::to_string(status)}});
    reg.observe("zhkh_api_request_seconds", {{"endpoint", endpoint}}, seconds);
    const bool probe = endpoint == "healthz" || endpoint == "readyz" || endpoint == "metrics";
    // The path, never the query or headers: neither may carry a token, but be safe.
    st_->log.log(probe ? LogLevel::kDebug : LogLevel::kInfo, "api.request",
                 {{"method", req.getMethod()},
                  {"path", path},
                  {"status", std::to_string(status)},
                  {"actor", actor},
                  {"ms", std::to_string(static_cast<long long>(seconds * 1000))}});
  }

 private:
  int send(Poco::Net::HTTPServerResponse& resp, int status, const Var& body) {
    const auto text = to_json(body) + "\n";
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json; charset=utf-8");
    resp.set("Cache-Control", "no-store");
    resp.sendBuffer(text.data(), text.size());
    return status;
  }

  int send_raw(Poco::Net::HTTPServerResponse& resp, int status, const std::string& body,
               const std::string& type) {
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType(type);
    resp.set("Cache-Control", "no-store");
    resp.sendBuffer(body.data(), body.size());
    return status;
  }

  int send_error(Poco::Net::HTTPServerResponse& resp, const HttpError& e) {
    Object::Ptr o = obj();
    o->set("error", e.error);
    o->set("detail", e.detail);
    if (e.status == 401) resp.set("WWW-Authenticate", "Bearer realm=\"zhkh-hub\"");
    return send(resp, e.status, o);
  }

  std::string read_body(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    const auto limit = st_->options.max_body_bytes;
    const auto too_large = [&] {
      resp.setKeepAlive(false);  // the rest of the body is left unread on the connection
      Object::Ptr d = obj();
      d->set("max_bytes", static_cast<Poco::UInt64>(limit));
      return HttpError{413, "request body too large", d};
    };
    // No Content-Length and not chunked: the request has no body (RFC 9112 6.3). Reading on
    // would wait for the client to close the connection (`curl -XPOST` without -d: 30 s).
    if (!req.hasContentLength() && !req.getChunkedTransferEncoding()) return {};
    if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      throw too_large();
    }
    std::string body;
    auto& in = req.stream();
    char buf[8192];
    while (in) {
      in.read(buf, sizeof buf);
      body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (body.size() > limit) throw too_large();
    }
    return body;
  }

  void audit(Call& c, const Endpoint& e, int status, const std::string& error) {
    try {
      c.audit_details->set("method", c.req.getMethod());
      c.audit_details->set("path", Poco::URI(c.req.getURI()).getPath());
      c.audit_details->set("status", status);
      if (!error.empty()) c.audit_details->set("error", error);
      auto lease = st_->pool.lease(kLeaseTimeout);
      pqxx::work tx(lease.conn());
      tx.exec_params(
          "INSERT INTO hub.audit (actor, action, object, details) VALUES ($1, $2, NULLIF($3, ''), "
          "$4::jsonb)",
          c.who.name, "api." + e.name, c.object, to_json(c.audit_details));
      tx.commit();
    } catch (const std::exception& ex) {
      metrics::Registry::global().add("zhkh_api_audit_failures_total");
      st_->log.error("api.audit_failed",
                     {{"actor", c.who.name}, {"action", e.name}, {"error", ex.what()}});
    }
  }

  int dispatch(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
               const Poco::URI& uri, std::string& endpoint, std::string& actor) {
    const auto& path = uri.getPath();
    const auto& method = req.getMethod();
    bool body_read = false;
    // An answer given before the request body was read leaves it on the connection, where it
    // would be parsed as the next request: close instead of keeping alive.
    const auto close_if_unread = [&] {
      if (!body_read && (req.getChunkedTransferEncoding() ||
                         (req.hasContentLength() && req.getContentLength64() > 0))) {
        resp.setKeepAlive(false);
      }
    };
    try {
      if (path == "/healthz") {
        endpoint = "healthz";
        Object::Ptr o = obj();
        o->set("status", "ok");
        return send(resp, 200, o);
      }
      if (path == "/readyz") {
        endpoint = "readyz";
        return readyz(resp);
      }
      if (path == "/metrics") {
        endpoint = "metrics";
        refresh_gauges(*st_);
        const auto text = metrics::Registry::global().render();
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
        resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
        resp.sendBuffer(text.data(), text.size());
        return 200;
      }
      static const std::string kPrefix = "/api/v1/";
      std::vector<std::string> segs;
      uri.getPathSegments(segs);
      const bool under_api = path.rfind(kPrefix, 0) == 0;
      if (under_api) segs.erase(segs.begin(), segs.begin() + 2);  // "api", "v1"

      const Endpoint* found = nullptr;
      Endpoint added;  // storage when an added route matched
      bool anonymous = false;
      bool audit_success = true;  // ApiRoute::audit of an added route
      bool path_known = false;
      std::vector<std::string> params;
      if (under_api) {
        for (const auto& e : endpoints()) {
          if (!match(e, segs, nullptr)) continue;
          path_known = true;
          if (e.method == method) {
            found = &e;
            match(e, segs, &params);
            break;
          }
        }
      }
      if (!found) {
        for (const auto& r : st_->routes) {
          if (r.root == under_api || !match(r.pattern, segs, nullptr)) continue;
          path_known = true;
          if (r.method == method) {
            added = as_endpoint(r);
            found = &added;
            anonymous = r.anonymous;
            audit_success = r.audit;
            match(r.pattern, segs, &params);
            break;
          }
        }
      }
      if (!under_api && !path_known) throw HttpError{404, "no such endpoint: " + path, Var()};

      // Authenticate before telling anything about the path space.
      std::optional<Principal> who;
      if (anonymous) {
        who = Principal{"", Role::kViewer};
      } else {
        std::string scheme, token;
        if (!req.hasCredentials()) throw HttpError{401, "missing bearer token", Var()};
        req.getCredentials(scheme, token);
        if (Poco::icompare(scheme, "Bearer") != 0 || token.empty()) {
          throw HttpError{401, "expected 'Authorization: Bearer <token>'", Var()};
        }
        who = st_->tokens.authenticate(token);
        if (!who) throw HttpError{401, "invalid or revoked token", Var()};
        actor = who->name;
      }

      if (!found) {
        if (path_known) throw HttpError{405, "method " + method + " not allowed on " + path, Var()};
        throw HttpError{404, "no such endpoint: " + path, Var()};
      }
      endpoint = found->name;
      const bool mutating = method != "GET" && method != "HEAD";

      Call call{req, std::move(params), {}, *who, {}, {}, obj()};
      for (const auto& [k, v] : uri.getQueryParameters()) call.query[k] = v;
      if (!call.params.empty()) call.object = call.params[0];

      int status = 500;
      std::string error;
      try {
        if (who->role < found->role) {
          Object::Ptr d = obj();
          d->set("role", role_name(who->role));
          d->set("required", role_name(found->role));
          throw HttpError{
              403, "role '" + std::string(role_name(who->role)) + "' may not " + found->name, d};
        }
        if (mutating && !found->stream_body) call.body = read_body(req, resp);
        // A streaming route reads the body itself and may stop early (a refused upload): never
        // reuse its connection, so unread bytes cannot be taken for the next request.
        if (mutating && found->stream_body) resp.setKeepAlive(false);
        if (mutating) body_read = true;
        auto reply = found->fn(*st_, call);
        status = reply.status;
        if (mutating && !anonymous && (audit_success || status >= 400)) {
          audit(call, *found, status, "");
        }
        if (!reply.raw_type.empty()) return send_raw(resp, status, reply.raw, reply.raw_type);
        return send(resp, status, reply.body);
      } catch (const ApiError& e) {
        if (mutating && !anonymous) audit(call, *found, e.status(), e.what());
        throw HttpError{e.status(), e.what(), e.detail()};
      } catch (const HttpError& e) {
        if (mutating) audit(call, *found, e.status, e.error);
        throw;
      } catch (const ConfigError& e) {
        if (mutating) audit(call, *found, 400, e.what());
        Object::Ptr d = obj();
        d->set("file", e.file());
        d->set("line", e.line());
        d->set("key", e.key());
        d->set("message", std::string(e.what()));
        throw HttpError{400, "invalid configuration", d};
      } catch (const NotFound& e) {
        if (mutating) audit(call, *found, 404, e.what());
        throw HttpError{404, e.what(), Var()};
      } catch (const Conflict& e) {
        if (mutating) audit(call, *found, 409, e.what());
        throw HttpError{409, e.what(), Var()};
      } catch (const std::exception& e) {
        if (mutating) audit(call, *found, 500, e.what());
        throw;
      }
    } catch (const HttpError& e) {
      close_if_unread();
      return send_error(resp, e);
    } catch (const StoreError& e) {
      close_if_unread();
      st_->log.error("api.database_unavailable", {{"path", path}, {"error", e.what()}});
      return send_error(resp, {503, "database unavailable", std::string(e.what())});
    } catch (const pqxx::broken_connection& e) {
      close_if_unread();
      st_->log.error("api.database_unavailable", {{"path", path}, {"error", e.what()}});
      return send_error(resp, {503, "database unavailable", std::string(e.what())});
    } catch (const std::exception& e) {
      close_if_unread();
      st_->log.error("api.internal_error", {{"path", path}, {"error", e.what()}});
      return send_error(resp, {500, "internal error", std::string(e.what())});
    }
  }

  int readyz(Poco::Net::HTTPServerResponse& resp) {
    Object::Ptr o = obj();
    bool db = false;
    std::string why;
    try {
      auto lease = st_->pool.lease(std::chrono::seconds(2));
      pqxx::nontransaction tx(lease.conn());
      db = tx.exec1("SELECT 1")[0].as<int>() == 1;
    } catch (const std::exception& e) {
      why = e.what();
    }
    bool services = true;
    if (st_->services.ready) {
      try {
        services = st_->services.ready();
      } catch (const std::exception& e) {
        services = false;
      }
    }
    o->set("status", db && services ? "ready" : "not ready");
    o->set("database", db);
    o->set("services", services);
    if (!why.empty()) o->set("detail", why);
    return send(resp, db && services ? 200 : 503, o);
  }

  std::shared_ptr<State> st_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<State> st) : st_(std::move(st)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(st_);
  }

 private:
  std::shared_ptr<State> st_;
};

}  // namespace

AdminServer::AdminServer(store::Pool& pool, AdminServices services, AdminServerOptions options)
    : state_(std::make_shared<State>(pool, std::move(services), std::move(options))) {
  describe_metrics();
}

void AdminServer::add_routes(std::vector<ApiRoute> routes) {
  if (server_) throw Error("admin API: routes must be added before start()");
  for (auto& r : routes) state_->routes.push_back(std::move(r));
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::start() {
  if (server_) return;
  const auto& o = state_->options;
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress(o.host, static_cast<Poco::UInt16>(o.port)), true);
    socket.listen(64);
  } catch (const Poco::Exception& e) {
    throw Error("admin API cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                e.displayText());
  }
  port_ = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(std::max(1, o.max_threads));
  params->setMaxQueued(std::max(1, o.max_queued));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(5, 0));
  params->setTimeout(Poco::Timespan(30, 0));
  threads_ = std::make_unique<Poco::ThreadPool>(1, std::max(2, o.max_threads + 1));
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), *threads_, socket, params);
  server_->start();
  state_->log.info("api.listening", {{"host", o.host}, {"port", std::to_string(port_)}});
}

void AdminServer::stop() {
  if (!server_) return;
  server_->stopAll(false);
  threads_->joinAll();
  server_.reset();
  threads_.reset();
  state_->log.info("api.stopped", {{"port", std::to_string(port_)}});
}

std::string AdminServer::base_url() const {
  return "http://" + state_->options.host + ":" + std::to_string(port_);
}

}  // namespace hub::api
