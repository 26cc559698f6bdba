#pragma once
// An AdminServer on an ephemeral port over a fresh migrated database, its services bound to small
// real implementations (SQL on the same database), three tokens (admin, operator, viewer) and a
// seeded journal. Shared by tests/hub/api and tests/hub/cli.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/api/admin_server.h"
#include "hub/api/token_store.h"
#include "hub/core/error.h"
#include "test_database.h"

namespace hub::api::testsupport {

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string www_authenticate;
};

/// A plain POCO request, independent of the CLI's client.
inline HttpResult http(int port, const std::string& method, const std::string& path,
                       const std::string& token = "", const std::string& body = "",
                       const std::string& auth_header = "") {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!auth_header.empty()) {
    req.set("Authorization", auth_header);
  } else if (!token.empty()) {
    req.set("Authorization", "Bearer " + token);
  }
  if (method != "GET") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(req) << body;
  } else {
    s.sendRequest(req);
  }
  Poco::Net::HTTPResponse resp;
  auto& in = s.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  r.content_type = resp.getContentType();
  r.www_authenticate = resp.get("WWW-Authenticate", "");
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

class AdminFixture {
 public:
  /// With start = false the server is built but not started: add routes (server->add_routes)
  /// over pool(), then call server->start().
  explicit AdminFixture(AdminServerOptions options = {}, bool bind_all_services = true,
                        bool start = true) {
    pool_ = db.make_pool(4);
    TokenStore tokens(*pool_);
    admin = tokens.create("ops-admin", Role::kAdmin);
    operator_ = tokens.create("ops-operator", Role::kOperator);
    viewer = tokens.create("ops-viewer", Role::kViewer);
    seed();
    options.host = "127.0.0.1";
    options.port = 0;
    server = std::make_unique<AdminServer>(*pool_, bind_all_services ? services() : AdminServices{},
                                           options);
    if (start) server->start();
  }
  ~AdminFixture() { server.reset(); }

  int port() const { return server->port(); }
  store::Pool& pool() { return *pool_; }

  /// Messages: m1 payment.received from bank (2 deliveries: delivered + dead),
  ///           m2 meter.reading from askue (1 pending to t1), m3 meter.reading from inbox
  ///           received two days ago (1 pending to t1). Dead letter 1 on m1's bank-out delivery.
  void seed() {
    db.exec(R"SQL(
      INSERT INTO hub.message (id, type, source, occurred_at, received_at, correlation_id,
                               idempotency_key, headers, body)
      VALUES
       ('01890000-0000-7000-8000-000000000001', 'payment.received', 'bank', now(), now(),
        'corr-1', 'k1', '{"channel":"sftp"}', '<paymentReceived xmlns="urn:zhkh-hub:canonical:1"/>'),
       ('01890000-0000-7000-8000-000000000002', 'meter.reading', 'askue', now(), now() - interval '1 minute',
        'corr-2', 'k2', '{}', '<meterReading xmlns="urn:zhkh-hub:canonical:1"/>'),
       ('01890000-0000-7000-8000-000000000003', 'meter.reading', 'inbox', now(), now() - interval '2 days',
        'corr-3', 'k3', '{}', '<meterReading xmlns="urn:zhkh-hub:canonical:1"/>');
      INSERT INTO hub.delivery (id, message_id, route, target, state, attempts, delivered_at, last_error)
      VALUES
       (1, '01890000-0000-7000-8000-000000000001', 'payments', 'billing', 'delivered', 1, now(), NULL),
       (2, '01890000-0000-7000-8000-000000000001', 'payments', 'bank-out', 'dead', 10, NULL, 'HTTP 500 from bank'),
       (3, '01890000-0000-7000-8000-000000000002', 'readings', 't1', 'pending', 0, NULL, NULL),
       (4, '01890000-0000-7000-8000-000000000003', 'readings', 't1', 'pending', 2, NULL, 'timeout');
      SELECT setval('hub.delivery_id_seq', 100);
      INSERT INTO hub.dead_letter (id, delivery_id, message_id, target, attempts, last_error)
      VALUES (1, 2, '01890000-0000-7000-8000-000000000001', 'bank-out', 10, 'HTTP 500 from bank');
      SELECT setval('hub.dead_letter_id_seq', 100);
    )SQL");
  }

  AdminServices services() {
    AdminServices s;
    s.apply_routes = [this](const std::string& yaml, const std::string& file,
                            const std::string& actor,
                            bool dry_run) { return apply_routes(yaml, file, actor, dry_run); };
    // current_routes is left unbound on purpose: the API then reads hub.route_version itself.
    s.list_adapters = [] {
      return std::vector<AdapterInfo>{
          {"inbox", "file_inbox", "1.0.0", false, {"inbox.scan"}, "ok"},
          {"bank-out", "bank", "0.3.1", true, {}, "degraded: sftp timeout"}};
    };
    s.describe_adapter = [](const std::string& name) -> std::optional<std::string> {
      if (name == "inbox" || name == "file_inbox") {
        return "file_inbox 1.0.0\n  path (string, required): inbox directory\n";
      }
      return std::nullopt;
    };
    s.list_schedules = [] {
      return std::vector<ScheduleInfo>{
          {"inbox.scan", "*/10 * * * * *", "Europe/Moscow", true, "2026-01-01T00:00:10+03:00"},
          {"bank.fetch", "0 3 * * *", "Europe/Moscow", false, ""}};
    };
    s.run_schedule = [this](const std::string& job, const std::string& actor) -> long long {
      if (job != "inbox.scan" && job != "bank.fetch") throw NotFound("no job named '" + job + "'");
      auto lease = pool_->lease();
      pqxx::work tx(lease.conn());
      const auto id =
          tx.exec_params1(
                "INSERT INTO hub.schedule_run (job, status, trigger, node, finished_at) "
                "VALUES ($1, 'ok', 'manual', $2, now()) RETURNING id",
                job, "test-node/" + actor)[0]
              .as<long long>();
      tx.commit();
      return id;
    };
    s.replay_dead_letter = [this](long long id, const std::string& actor) {
      {
        std::lock_guard lock(mu);
        replayed.emplace_back(id, actor);
      }
      auto lease = pool_->lease();
      pqxx::work tx(lease.conn());
      const auto r = tx.exec_params(
          "UPDATE hub.dead_letter SET replayed_at = now(), replayed_by = $2 "
          "WHERE id = $1 AND replayed_at IS NULL RETURNING delivery_id",
          id, actor);
      if (r.empty()) return false;
      tx.exec_params(
          "UPDATE hub.delivery SET state = 'pending', attempts = 0, next_attempt_at = now() "
          "WHERE id = $1",
          r[0][0].as<long long>());
      tx.commit();
      return true;
    };
    s.ready = [this] { return ready.load(); };
    return s;
  }

  RoutesApplyResult apply_routes(const std::string& yaml, const std::string& file,
                                 const std::string& actor, bool dry_run) {
    YAML::Node root;
    try {
      root = YAML::Load(yaml);
    } catch (const YAML::Exception& e) {
      throw ConfigError(file, e.mark.line + 1, "", e.msg);
    }
    if (!root["routes"] || !root["routes"].IsSequence()) {
      throw ConfigError(file, root.Mark().line + 1, "routes", "a list of routes is required");
    }
    for (const auto& r : root["routes"]) {
      if (!r["name"])
        throw ConfigError(file, r.Mark().line + 1, "name", "every route needs a name");
    }
    auto lease = pool_->lease();
    pqxx::work tx(lease.conn());
    const auto cur =
        tx.exec("SELECT version, config FROM hub.route_version ORDER BY version DESC LIMIT 1");
    const long long current = cur.empty() ? 0 : cur[0][0].as<long long>();
    const std::string old = cur.empty() ? "" : cur[0][1].as<std::string>();
    if (old == yaml) return {current, "", false};
    const std::string diff =
        "- " + std::to_string(old.size()) + " bytes\n+ " + std::to_string(yaml.size()) + " bytes\n";
    if (dry_run) return {current, diff, true};
    const auto v = tx.exec_params1(
                         "INSERT INTO hub.route_version (config, digest, applied_by, source) "
                         "VALUES ($1, md5($1), $2, $3) RETURNING version",
                         yaml, actor, file)[0]
                       .as<long long>();
    tx.commit();
    return {v, diff, true};
  }

  testing::TestDatabase db;
  std::unique_ptr<AdminServer> server;
  std::string admin, operator_, viewer;
  std::atomic<bool> ready{true};
  std::mutex mu;
  std::vector<std::pair<long long, std::string>> replayed;

 private:
  std::unique_ptr<store::Pool> pool_;
};

}  // namespace hub::api::testsupport
