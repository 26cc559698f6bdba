#include "hub/api/admin_server.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "admin_fixture.h"
#include "hub/api/token_store.h"
#include "test_paths.h"

namespace hub::api {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using testsupport::AdminFixture;
using testsupport::http;

Object::Ptr json(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
}

Array::Ptr items(const std::string& body) {
  return json(body)->getArray("items");
}

constexpr const char* kM1 = "01890000-0000-7000-8000-000000000001";
constexpr const char* kValidRoutes =
    "routes:\n  - name: payments\n    match: {type: [payment.received]}\n    to: [billing]\n";

TEST(AdminServer, ProbesNeedNoTokenAndReadinessFollowsServices) {
  AdminFixture f;
  ASSERT_GT(f.port(), 0);
  auto r = http(f.port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json(r.body)->getValue<std::string>("status"), "ok");

  r = http(f.port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json(r.body)->getValue<bool>("database"));

  f.ready = false;
  r = http(f.port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(json(r.body)->getValue<bool>("services"));
  EXPECT_TRUE(json(r.body)->getValue<bool>("database"));
}

TEST(AdminServer, ReadinessFailsWhenTheDatabaseIsUnreachable) {
  store::Pool dead_pool("host=127.0.0.1 port=1 dbname=none user=none connect_timeout=2", 1);
  AdminServer server(dead_pool, {}, {"127.0.0.1", 0});
  server.start();
  auto r = http(server.port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(json(r.body)->getValue<bool>("database"));
  EXPECT_EQ(http(server.port(), "GET", "/healthz").status, 200);
  // A request needing the database says so instead of hanging or answering 500.
  r = http(server.port(), "GET", "/api/v1/messages", "whatever");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json(r.body)->getValue<std::string>("error"), "database unavailable");
}

struct AuthCase {
  const char* who;  // "none", "bad", "viewer", "operator", "admin"
  const char* method;
  const char* path;
  int expected;
};

TEST(AdminServer, AuthMatrixByRole) {
  AdminFixture f;
  const auto token_for = [&](const std::string& who) -> std::string {
    if (who == "viewer") return f.viewer;
    if (who == "operator") return f.operator_;
    if (who == "admin") return f.admin;
    if (who == "bad") return "zhkh_not-a-real-token";
    return "";
  };
  const std::vector<AuthCase> cases = {
      {"none", "GET", "/api/v1/messages", 401},
      {"bad", "GET", "/api/v1/messages", 401},
      {"none", "POST", "/api/v1/routes", 401},
      {"none", "GET", "/api/v1/no-such-thing", 401},  // no probing of the path space
      {"viewer", "GET", "/api/v1/messages", 200},
      {"viewer", "GET", "/api/v1/dead-letters", 200},
      {"viewer", "GET", "/api/v1/routes", 200},
      {"viewer", "GET", "/api/v1/adapters", 200},
      {"viewer", "GET", "/api/v1/schedules", 200},
      {"viewer", "GET", "/api/v1/tokens", 403},
      {"viewer", "POST", "/api/v1/dead-letters/1/replay", 403},
      {"viewer", "POST", "/api/v1/schedules/inbox.scan/run", 403},
      {"viewer", "POST", "/api/v1/routes", 403},
      {"operator", "POST", "/api/v1/routes", 403},
      {"operator", "POST", "/api/v1/tokens", 403},
      {"operator", "POST", "/api/v1/schedules/inbox.scan/run", 202},
      {"operator", "POST", "/api/v1/dead-letters/1/replay", 200},
      {"admin", "GET", "/api/v1/tokens", 200},
      {"admin", "POST", "/api/v1/routes", 200},
      {"admin", "POST", "/api/v1/schedules/bank.fetch/run", 202},
      {"admin", "GET", "/api/v1/no-such-thing", 404},
      {"admin", "DELETE", "/api/v1/messages", 405},
  };
  for (const auto& c : cases) {
    const std::string body = std::string(c.path) == "/api/v1/routes" ? kValidRoutes
                             : std::string(c.path) == "/api/v1/tokens"
                                 ? R"({"name":"x","role":"viewer"})"
                                 : "";
    const auto r = http(f.port(), c.method, c.path, token_for(c.who), body);
    EXPECT_EQ(r.status, c.expected) << c.who << " " << c.method << " " << c.path << ": " << r.body;
    if (r.status >= 400) {
      EXPECT_FALSE(json(r.body)->getValue<std::string>("error").empty());
    }
    if (r.status == 401) {
      EXPECT_NE(r.www_authenticate.find("Bearer"), std::string::npos);
    }
  }
  // Other schemes and malformed headers are refused too.
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages", "", "", "Basic dXNlcjpwYXNz").status, 401);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages", "", "", "Bearer").status, 401);
  const auto forbidden =
      json(http(f.port(), "POST", "/api/v1/routes", f.viewer, kValidRoutes).body);
  EXPECT_EQ(forbidden->getObject("detail")->getValue<std::string>("required"), "admin");
}

TEST(AdminServer, MutatingCallsAreAuditedWithTheTokenNameRefusalsIncluded) {
  AdminFixture f;
  ASSERT_EQ(http(f.port(), "POST", "/api/v1/dead-letters/1/replay", f.viewer).status, 403);
  ASSERT_EQ(http(f.port(), "POST", "/api/v1/dead-letters/1/replay", f.operator_).status, 200);
  ASSERT_EQ(http(f.port(), "POST", "/api/v1/routes?file=r.yaml", f.admin, kValidRoutes).status,
            200);
  const auto created =
      http(f.port(), "POST", "/api/v1/tokens", f.admin, R"({"name":"grafana","role":"viewer"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto token = json(created.body)->getValue<std::string>("token");
  // GETs are not audited.
  ASSERT_EQ(http(f.port(), "GET", "/api/v1/messages", f.admin).status, 200);

  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.audit"), "4");
  EXPECT_EQ(f.db.scalar("SELECT details->>'status' FROM hub.audit WHERE actor = 'ops-viewer' AND "
                        "action = 'api.dead_letter.replay'"),
            "403");
  EXPECT_EQ(f.db.scalar("SELECT object || ' ' || (details->>'status') FROM hub.audit "
                        "WHERE actor = 'ops-operator' AND action = 'api.dead_letter.replay'"),
            "dead_letter:1 200");
  EXPECT_EQ(f.db.scalar("SELECT (details->>'version') || ' ' || (details->>'file') FROM hub.audit "
                        "WHERE actor = 'ops-admin' AND action = 'api.routes.apply'"),
            "1 r.yaml");
  EXPECT_EQ(f.db.scalar("SELECT object FROM hub.audit WHERE action = 'api.token.create'"),
            "token:grafana");
  // Neither the new token nor its hash ends up in the audit trail.
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.audit WHERE details::text LIKE '%" + token +
                        "%' OR details::text LIKE '%" + token_hash(token) + "%'"),
            "0");
}

TEST(AdminServer, MetricsAreValidPrometheusTextWithPoolAndQueueGauges) {
  AdminFixture f;
  auto r = http(f.port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.content_type.find("text/plain"), std::string::npos);
  static const std::regex kSample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$)");
  static const std::regex kComment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::map<std::string, std::string> samples;
  std::istringstream in(r.body);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++n;
    if (line[0] == '#') {
      EXPECT_TRUE(std::regex_match(line, kComment)) << line;
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, kSample)) << line;
    const auto sp = line.rfind(' ');
    samples[line.substr(0, sp)] = line.substr(sp + 1);
  }
  EXPECT_GT(n, 10);
  EXPECT_EQ(samples["zhkh_db_pool_size{pool=\"api\"}"], "4");
  EXPECT_TRUE(samples.count("zhkh_db_pool_in_use{pool=\"api\"}"));
  EXPECT_EQ(samples["zhkh_deliveries_by_state{state=\"pending\"}"], "2");
  EXPECT_EQ(samples["zhkh_deliveries_by_state{state=\"dead\"}"], "1");
  EXPECT_EQ(samples["zhkh_deliveries_by_state{state=\"delivered\"}"], "1");
  EXPECT_EQ(samples["zhkh_delivery_queue_depth{target=\"t1\"}"], "2");
  EXPECT_EQ(samples["zhkh_dead_letters_open"], "1");
  EXPECT_EQ(samples["zhkh_db_up"], "1");
  EXPECT_NE(r.body.find("# TYPE zhkh_db_pool_size gauge"), std::string::npos);

  // A drained queue reads 0 rather than keeping its last value.
  f.db.exec("UPDATE hub.delivery SET state = 'delivered' WHERE target = 't1'");
  r = http(f.port(), "GET", "/metrics");
  EXPECT_NE(r.body.find("zhkh_delivery_queue_depth{target=\"t1\"} 0\n"), std::string::npos);
  EXPECT_NE(r.body.find("zhkh_deliveries_by_state{state=\"pending\"} 0\n"), std::string::npos);
  // Requests are counted by endpoint.
  EXPECT_NE(r.body.find("zhkh_api_requests_total{endpoint=\"metrics\",status=\"200\"}"),
            std::string::npos);
}

TEST(AdminServer, MessagesListFiltersAndPages) {
  AdminFixture f;
  const auto ids = [&](const std::string& query) {
    const auto r = http(f.port(), "GET", "/api/v1/messages" + query, f.viewer);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const auto list = items(r.body);
    for (const auto& m : *list) {
      out.push_back(m.extract<Object::Ptr>()->getValue<std::string>("id").substr(35));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(""), (V{"1", "2", "3"}));  // newest first
  EXPECT_EQ(ids("?type=meter.reading"), (V{"2", "3"}));
  EXPECT_EQ(ids("?type=meter.reading&source=inbox"), (V{"3"}));
  EXPECT_EQ(ids("?source=bank"), (V{"1"}));
  EXPECT_EQ(ids("?since=1h"), (V{"1", "2"}));
  EXPECT_EQ(ids("?since=2999-01-01T00:00:00Z"), V{});
  EXPECT_EQ(ids("?since=2000-01-01"), (V{"1", "2", "3"}));
  EXPECT_EQ(ids("?correlation_id=corr-2"), (V{"2"}));
  EXPECT_EQ(ids("?limit=1&offset=1"), (V{"2"}));
  EXPECT_EQ(ids("?type=x%27%20OR%201%3D1--"), V{});  // quoted, not injected

  auto r = http(f.port(), "GET", "/api/v1/messages", f.viewer);
  auto first = items(r.body)->getObject(0);
  EXPECT_EQ(first->getValue<std::string>("type"), "payment.received");
  EXPECT_EQ(first->getObject("deliveries")->getValue<int>("delivered"), 1);
  EXPECT_EQ(first->getObject("deliveries")->getValue<int>("dead"), 1);

  r = http(f.port(), "GET", "/api/v1/messages?since=yesterday-ish", f.viewer);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json(r.body)->getObject("detail")->getValue<std::string>("parameter"), "since");
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages?limit=0", f.viewer).status, 400);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages?limit=abc", f.viewer).status, 400);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages?limit=100000", f.viewer).status, 400);
}

TEST(AdminServer, MessageShowHasDeliveriesAndDeadLetters) {
  AdminFixture f;
  auto r = http(f.port(), "GET", std::string("/api/v1/messages/") + kM1, f.viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = json(r.body);
  EXPECT_EQ(m->getValue<std::string>("correlation_id"), "corr-1");
  EXPECT_EQ(m->getObject("headers")->getValue<std::string>("channel"), "sftp");
  EXPECT_NE(m->getValue<std::string>("body").find("paymentReceived"), std::string::npos);
  auto ds = m->getArray("deliveries");
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_EQ(ds->getObject(1)->getValue<std::string>("state"), "dead");
  EXPECT_EQ(ds->getObject(1)->getValue<std::string>("last_error"), "HTTP 500 from bank");
  EXPECT_EQ(m->getArray("dead_letters")->size(), 1u);

  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages/01890000-0000-7000-8000-0000000000ff", f.viewer)
                .status,
            404);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages/not-a-uuid", f.viewer).status, 404);
}

TEST(AdminServer, DeadLetterReplayCallsTheServiceOnce) {
  AdminFixture f;
  auto r = http(f.port(), "GET", "/api/v1/dead-letters", f.viewer);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(items(r.body)->size(), 1u);
  auto dl = items(r.body)->getObject(0);
  EXPECT_EQ(dl->getValue<std::string>("target"), "bank-out");
  EXPECT_EQ(dl->getValue<std::string>("type"), "payment.received");
  EXPECT_EQ(dl->getValue<std::string>("route"), "payments");

  r = http(f.port(), "POST", "/api/v1/dead-letters/1/replay", f.operator_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json(r.body)->getValue<bool>("replayed"));
  {
    std::lock_guard lock(f.mu);
    ASSERT_EQ(f.replayed.size(), 1u);
    EXPECT_EQ(f.replayed[0], (std::pair<long long, std::string>{1, "ops-operator"}));
  }
  EXPECT_EQ(f.db.scalar("SELECT state FROM hub.delivery WHERE id = 2"), "pending");

  r = http(f.port(), "POST", "/api/v1/dead-letters/1/replay", f.operator_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/dead-letters/999/replay", f.operator_).status, 404);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/dead-letters/abc/replay", f.operator_).status, 404);
  {
    std::lock_guard lock(f.mu);
    EXPECT_EQ(f.replayed.size(), 1u);  // refusals never reach the service
  }

  EXPECT_EQ(items(http(f.port(), "GET", "/api/v1/dead-letters", f.viewer).body)->size(), 0u);
  r = http(f.port(), "GET", "/api/v1/dead-letters?all=1", f.viewer);
  ASSERT_EQ(items(r.body)->size(), 1u);
  EXPECT_EQ(items(r.body)->getObject(0)->getValue<std::string>("replayed_by"), "ops-operator");
  EXPECT_EQ(items(http(f.port(), "GET", "/api/v1/dead-letters?all=1&target=other", f.viewer).body)
                ->size(),
            0u);
}

TEST(AdminServer, RoutesApplyDryRunVersionsAndConfigErrors) {
  AdminFixture f;
  auto r = http(f.port(), "GET", "/api/v1/routes", f.viewer);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json(r.body)->getValue<long long>("version"), 0);

  r = http(f.port(), "POST", "/api/v1/routes?dry_run=1&file=routes.yaml", f.admin, kValidRoutes);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json(r.body)->getValue<bool>("dry_run"));
  EXPECT_TRUE(json(r.body)->getValue<bool>("changed"));
  EXPECT_FALSE(json(r.body)->getValue<std::string>("diff").empty());
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.route_version"), "0");

  r = http(f.port(), "POST", "/api/v1/routes?file=routes.yaml", f.admin, kValidRoutes);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r.body)->getValue<long long>("version"), 1);
  EXPECT_EQ(f.db.scalar("SELECT applied_by || ' ' || source FROM hub.route_version"),
            "ops-admin routes.yaml");

  r = http(f.port(), "POST", "/api/v1/routes?file=routes.yaml", f.admin, kValidRoutes);
  EXPECT_FALSE(json(r.body)->getValue<bool>("changed"));

  r = http(f.port(), "GET", "/api/v1/routes", f.viewer);
  auto current = json(r.body);
  EXPECT_EQ(current->getValue<long long>("version"), 1);
  EXPECT_EQ(current->getValue<std::string>("yaml"), kValidRoutes);
  ASSERT_EQ(current->getArray("versions")->size(), 1u);
  EXPECT_EQ(current->getArray("versions")->getObject(0)->getValue<std::string>("applied_by"),
            "ops-admin");

  r = http(f.port(), "POST", "/api/v1/routes?file=bad.yaml", f.admin,
           "routes:\n  - match: {type: [x]}\n    to: [y]\n");
  ASSERT_EQ(r.status, 400) << r.body;
  auto detail = json(r.body)->getObject("detail");
  EXPECT_EQ(detail->getValue<std::string>("file"), "bad.yaml");
  EXPECT_EQ(detail->getValue<int>("line"), 2);
  EXPECT_EQ(detail->getValue<std::string>("key"), "name");
  EXPECT_NE(detail->getValue<std::string>("message").find("bad.yaml:2"), std::string::npos);

  EXPECT_EQ(http(f.port(), "POST", "/api/v1/routes", f.admin, "").status, 400);
}

TEST(AdminServer, OversizedBodiesAreRefused) {
  AdminServerOptions o;
  o.max_body_bytes = 1024;
  AdminFixture f(o);
  const std::string big = std::string(kValidRoutes) + "# " + std::string(4096, 'x') + "\n";
  auto r = http(f.port(), "POST", "/api/v1/routes", f.admin, big);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.route_version"), "0");
  // The server still answers afterwards.
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/routes", f.admin, kValidRoutes).status, 200);
}

TEST(AdminServer, AdaptersAndSchedules) {
  AdminFixture f;
  auto r = http(f.port(), "GET", "/api/v1/adapters", f.viewer);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(items(r.body)->size(), 2u);
  EXPECT_TRUE(items(r.body)->getObject(1)->getValue<bool>("sink"));
  r = http(f.port(), "GET", "/api/v1/adapters/inbox", f.viewer);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(json(r.body)->getValue<std::string>("description").find("path"), std::string::npos);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/adapters/nope", f.viewer).status, 404);

  r = http(f.port(), "POST", "/api/v1/schedules/inbox.scan/run", f.operator_);
  ASSERT_EQ(r.status, 202) << r.body;
  const auto run_id = json(r.body)->getValue<long long>("run_id");
  EXPECT_EQ(f.db.scalar("SELECT trigger || ' ' || job FROM hub.schedule_run WHERE id = " +
                        std::to_string(run_id)),
            "manual inbox.scan");
  // The answer says what became of the run (a skipped one would say so, with why).
  const auto status = json(r.body)->getValue<std::string>("status");
  EXPECT_TRUE(status == "running" || status == "ok") << r.body;
  r = http(f.port(), "POST", "/api/v1/schedules/nope.job/run", f.operator_);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(f.db.scalar("SELECT details->>'status' FROM hub.audit WHERE object = 'job:nope.job'"),
            "404");

  r = http(f.port(), "GET", "/api/v1/schedules", f.viewer);
  ASSERT_EQ(r.status, 200);
  auto list = items(r.body);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("job"), "inbox.scan");
  EXPECT_EQ(list->getObject(0)->getObject("last_run")->getValue<long long>("id"), run_id);
  EXPECT_TRUE(list->getObject(1)->get("last_run").isEmpty());

  r = http(f.port(), "GET", "/api/v1/schedules/inbox.scan", f.viewer);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json(r.body)->getArray("runs")->size(), 1u);
}

TEST(AdminServer, UnboundServicesAnswer501) {
  AdminFixture f({}, /*bind_all_services=*/false);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/adapters", f.viewer).status, 501);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/schedules", f.viewer).status, 501);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/dead-letters/1/replay", f.admin).status, 501);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/routes", f.admin, kValidRoutes).status, 501);
  // SQL-only endpoints work without any service.
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages", f.viewer).status, 200);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/routes", f.viewer).status, 200);
  EXPECT_EQ(http(f.port(), "GET", "/readyz").status, 200);
}

TEST(AdminServer, TokensCreateAuthenticateAndRevoke) {
  AdminFixture f;
  auto r = http(f.port(), "POST", "/api/v1/tokens", f.admin, R"({"name":"ci","role":"operator"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto token = json(r.body)->getValue<std::string>("token");
  EXPECT_EQ(token.rfind("zhkh_", 0), 0u);
  EXPECT_EQ(token.size(), 5u + 43u);
  EXPECT_EQ(f.db.scalar("SELECT token_hash FROM hub.api_token WHERE name = 'ci'"),
            token_hash(token));
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/dead-letters/1/replay", token).status, 200);

  EXPECT_EQ(
      http(f.port(), "POST", "/api/v1/tokens", f.admin, R"({"name":"ci","role":"viewer"})").status,
      409);
  EXPECT_EQ(
      http(f.port(), "POST", "/api/v1/tokens", f.admin, R"({"name":"x","role":"root"})").status,
      400);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/tokens", f.admin, "not json").status, 400);

  r = http(f.port(), "GET", "/api/v1/tokens", f.admin);
  EXPECT_EQ(items(r.body)->size(), 4u);
  EXPECT_EQ(r.body.find("hash"), std::string::npos);

  EXPECT_EQ(http(f.port(), "POST", "/api/v1/tokens/ci/revoke", f.admin).status, 200);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/messages", token).status, 401);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/tokens/ci/revoke", f.admin).status, 404);
}

TEST(AdminServer, ServesConcurrentClientsWithMoreRequestsThanThreadsOrConnections) {
  AdminFixture f;  // 4 handler threads, 4 pooled connections
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        try {
          const auto path = (i % 3 == 0)   ? std::string("/metrics")
                            : (i % 3 == 1) ? std::string("/api/v1/messages?limit=2")
                                           : std::string("/api/v1/messages/") + kM1;
          const auto r = http(f.port(), "GET", path, t % 2 ? f.viewer : f.admin);
          (r.status == 200 ? ok : failed)++;
        } catch (const std::exception&) {
          failed++;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), 8 * 15);
}

TEST(TokenStore, BootstrapAdminGeneratesKeepsAndAcceptsPreset) {
  testing::TestDatabase db;
  auto pool = db.make_pool(2);
  TokenStore tokens(*pool);
  const auto dir = hub::testing::make_temp_dir("zhkh-api-token");
  const auto file = dir / "var" / "admin.token";

  const auto first = tokens.ensure_bootstrap_admin("", file);
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.name, "local-admin");
  ASSERT_TRUE(std::filesystem::exists(file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string on_disk;
  std::ifstream(file) >> on_disk;
  EXPECT_EQ(on_disk, first.token);
  auto who = tokens.authenticate(first.token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->name, "local-admin");
  EXPECT_EQ(who->role, Role::kAdmin);

  // A restart keeps the token the file holds.
  const auto second = tokens.ensure_bootstrap_admin("", file);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.token, first.token);

  // A preset (config/env) replaces it; the old one stops working.
  const auto preset = tokens.ensure_bootstrap_admin("zhkh_preset-from-env-0123456789", file);
  EXPECT_FALSE(preset.created);
  EXPECT_EQ(preset.token, "zhkh_preset-from-env-0123456789");
  EXPECT_TRUE(tokens.authenticate(preset.token));
  EXPECT_FALSE(tokens.authenticate(first.token));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.api_token"), "1");

  // Without the preset and with a stale file, a fresh token is generated and written.
  const auto third = tokens.ensure_bootstrap_admin("", file);
  EXPECT_TRUE(third.created);
  EXPECT_NE(third.token, first.token);
  std::ifstream(file) >> on_disk;
  EXPECT_EQ(on_disk, third.token);
  EXPECT_FALSE(tokens.authenticate(preset.token));
  std::filesystem::remove_all(dir);
}

TEST(TokenStore, RolesParseAndTokensAreRandom) {
  EXPECT_EQ(parse_role("viewer"), Role::kViewer);
  EXPECT_EQ(parse_role("operator"), Role::kOperator);
  EXPECT_EQ(parse_role("admin"), Role::kAdmin);
  EXPECT_THROW(parse_role("root"), Error);
  EXPECT_NE(generate_token(), generate_token());
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace hub::api
