// The ticket store inside the hub: the `tickets:` key of zhkh-hub.yaml, the ticket_store target
// known to routes, the ticket API on the running node, and model errors stopping the start.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../api/admin_fixture.h"
#include "hub/app/hub_app.h"
#include "hub/app/hub_config.h"
#include "hub/core/error.h"
#include "test_database.h"
#include "test_paths.h"

namespace hub::tickets {
namespace {

namespace fs = std::filesystem;
using api::testsupport::http;

fs::path write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

TEST(TicketConfig, TicketsSectionOfTheHubConfig) {
  const auto dir = testing::make_temp_dir("zhkh-tickets-config");
  ::setenv("ZHKH_TICKETS_TEST_DB", "host=127.0.0.1 dbname=x", 1);
  const std::string head = "database: {conninfo: env:ZHKH_TICKETS_TEST_DB}\n";
  auto cfg = app::load_hub_config(
      write(dir, "a.yaml", head + "tickets:\n  config: deploy/tickets.yaml\n  sla_check: 30s\n"));
  EXPECT_EQ(cfg.tickets_config, "deploy/tickets.yaml");
  EXPECT_EQ(cfg.tickets_sla_check, "30s");
  cfg = app::load_hub_config(write(dir, "b.yaml", head));
  EXPECT_EQ(cfg.tickets_config, "");  // no section: no ticket store

  auto expect_error = [&](const std::string& body, int line, const std::string& key) {
    const auto path = write(dir, "bad.yaml", head + body);
    try {
      app::load_hub_config(path);
      ADD_FAILURE() << "accepted:\n" << body;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.file(), path.string());
      EXPECT_EQ(e.line(), line) << e.what();
      EXPECT_EQ(e.key(), key) << e.what();
    }
  };
  expect_error("tickets:\n  confg: deploy/tickets.yaml\n", 3, "tickets.confg");
  expect_error("tickets:\n  sla_check: 1m\n", 3, "tickets.config");
  expect_error("tickets:\n  config: t.yaml\n  sla_check: often\n", 4, "tickets.sla_check");
}

class TicketHubApp : public ::testing::Test {
 protected:
  app::HubConfig config(const fs::path& model) {
    app::HubConfig c;
    c.file = (dir_ / "hub.yaml").string();
    c.node_id = "tickets-app";
    c.listen_port = 0;
    c.db_conninfo = db_.conninfo();
    c.pool_size = 4;
    c.token_file = (dir_ / "admin.token").string();
    c.schemas_dir = testing::source_dir() / "schemas/canonical";
    c.mappings_dir = testing::source_dir() / "mappings";
    c.plugins_dir = dir_ / "plugins";
    c.routes_file = write(dir_, "routes.yaml",
                          "routes:\n  - name: tickets\n    match: {type: [ticket.created, "
                          "ticket.updated]}\n    to: [ticket_store]\n")
                        .string();
    c.target_defaults.workers = 1;
    c.tickets_config = model.string();
    c.tickets_sla_check = "200ms";
    return c;
  }

  testing::TestDatabase db_;
  fs::path dir_ = testing::make_temp_dir("zhkh-tickets-app");
};

TEST_F(TicketHubApp, RunningNodeServesTicketsAndRoutesMayNameTheTarget) {
  app::HubApp hub(config(testing::source_dir() / "deploy/tickets.yaml"));
  hub.start();  // the routes file names ticket_store: refused at start if it were unknown
  const auto port = hub.api_port();
  auto r = http(port, "POST", "/api/v1/tickets", hub.admin_token(),
                R"({"channel": "phone", "topic": "Авария", "text": "Искрит щиток на 3 этаже"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id =
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<long long>(
          "id");
  // Past its deadline, the SLA monitor (every 200 ms here) records the breach.
  db_.exec("UPDATE tickets.ticket SET due_at = now() - interval '1 minute' WHERE id = " +
           std::to_string(id));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (db_.scalar("SELECT count(*) FROM tickets.ticket_event WHERE kind = 'sla_breached'") !=
             "1" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM tickets.ticket_event WHERE kind = 'sla_breached'"),
            "1");
  r = http(port, "GET", "/api/v1/tickets?overdue=1", hub.admin_token());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"sla_breached_at\":\"20"), std::string::npos) << r.body;

  // A staff transition goes out as ticket.updated (source ticket_store) through Ingress; the
  // route sends it back to ticket_store too, which takes it without applying it twice.
  r = http(port, "POST", "/api/v1/tickets/" + std::to_string(id) + "/transition", hub.admin_token(),
           R"({"to": "in_progress", "comment": "электрик выехал"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto sent = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (db_.scalar("SELECT count(*) FROM hub.delivery d JOIN hub.message m ON m.id = "
                    "d.message_id WHERE m.source = 'ticket_store' AND d.state = 'delivered'") !=
             "1" &&
         std::chrono::steady_clock::now() < sent) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM hub.delivery d JOIN hub.message m ON m.id = "
                       "d.message_id WHERE m.source = 'ticket_store' AND d.state = 'delivered'"),
            "1");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM tickets.ticket_event WHERE kind = 'status_changed'"),
            "1");
  hub.stop();
}

TEST_F(TicketHubApp, BadModelStopsTheStartNamingItsLine) {
  const auto model = write(dir_, "tickets.yaml",
                           "statuses:\n  - {code: new, staff: Новая, initial: true}\n"
                           "transitions:\n  new: [gone]\n");
  app::HubApp hub(config(model));
  try {
    hub.start();
    FAIL() << "started with a broken ticket model";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), model.string());
    EXPECT_EQ(e.line(), 4) << e.what();
    EXPECT_EQ(e.key(), "transitions.new[0]") << e.what();
  }
}

}  // namespace
}  // namespace hub::tickets
