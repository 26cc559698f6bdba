// The whole product as a user runs it: the zhkh-hub executable with a config, the file_inbox
// plugin, a real PostgreSQL, and the CLI talking to the admin API.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hub_process.h"
#include "test_database.h"
#include "test_paths.h"

namespace hub::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRoutes = R"(routes:
  - name: payments
    match: {type: [payment.received]}
    to: [log, noop]
    stop: true
  - name: everything-else
    match: {}
    to: [noop]
)";

/// The node under test: a file inbox feeding the routes above.
class Hub : public hub::testing::HubProcess {
 public:
  Hub(const fs::path& dir, const std::string& conninfo)
      : HubProcess(dir, conninfo, kRoutes, adapters(dir), "e2e") {}
  fs::path inbox() const { return dir() / "inbox"; }

 private:
  static std::string adapters(const fs::path& dir) {
    fs::create_directories(dir / "inbox");
    return "adapters:\n  inbox: {plugin: file_inbox, path: " + (dir / "inbox").string() +
           ", poll_interval: 200ms, min_age: 0s}\n";
  }
};

TEST(EndToEnd, FileDroppedIntoTheInboxIsJournalledRoutedDeliveredAndListed) {
  hub::testing::TestDatabase db;
  const auto dir = hub::testing::make_temp_dir("zhkh-e2e");
  Hub hub(dir, db.conninfo());
  ASSERT_TRUE(hub.wait_ready()) << hub.output("stdout.txt") << hub.output("stderr.txt")
                                << hub.output("hub.log");
  EXPECT_NE(hub.output("stdout.txt").find("admin token"), std::string::npos);

  fs::copy_file(hub::testing::source_dir() / "schemas/canonical/samples/payment.received.xml",
                hub.inbox() / "payment-1.xml");
  std::ofstream(hub.inbox() / "broken.xml")
      << "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">\n<oops>";

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline &&
         (db.scalar("SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") != "2" ||
          !fs::exists(hub.inbox() / "quarantine" / "broken.xml"))) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), "1");
  EXPECT_EQ(db.scalar("SELECT string_agg(target, ',' ORDER BY target) FROM hub.delivery "
                      "WHERE state = 'delivered'"),
            "log,noop");
  EXPECT_TRUE(fs::exists(hub.inbox() / "done" / "payment-1.xml"));
  EXPECT_TRUE(fs::exists(hub.inbox() / "quarantine" / "broken.xml"));

  int code = -1;
  const auto list = hub.cli("messages list", &code);
  EXPECT_EQ(code, 0) << list;
  EXPECT_NE(list.find("payment.received"), std::string::npos) << list;
  const auto json = hub.cli("messages list --json", &code);
  EXPECT_EQ(code, 0) << json;
  EXPECT_NE(json.find("\"payment.received\""), std::string::npos) << json;

  // The same file again is recognised by its content and not journalled twice.
  fs::copy_file(hub::testing::source_dir() / "schemas/canonical/samples/payment.received.xml",
                hub.inbox() / "payment-1-again.xml");
  const auto deadline2 = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline2 &&
         fs::exists(hub.inbox() / "payment-1-again.xml")) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message"), "1");

  EXPECT_EQ(hub.terminate(), 0) << hub.output("stderr.txt");
}

TEST(EndToEnd, RoutesAppliedThroughTheCliSwitchTheRunningNode) {
  hub::testing::TestDatabase db;
  const auto dir = hub::testing::make_temp_dir("zhkh-e2e");
  Hub hub(dir, db.conninfo());
  ASSERT_TRUE(hub.wait_ready()) << hub.output("stderr.txt") << hub.output("hub.log");
  std::ofstream(dir / "routes2.yaml") << R"(routes:
  - name: payments-only-log
    match: {type: [payment.received]}
    to: [log]
)";
  int code = -1;
  auto out = hub.cli("routes apply " + (dir / "routes2.yaml").string(), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("payments-only-log"), std::string::npos) << out;  // the diff
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         hub.output("hub.log").find("routes_switched") == std::string::npos) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_NE(hub.output("hub.log").find("routes_switched"), std::string::npos);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.route_version"), "2");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.audit WHERE action LIKE '%routes%'") != "0", true);

  std::ofstream(dir / "bad.yaml") << "routes:\n  - name: x\n    to: [nowhere]\n";
  out = hub.cli("routes apply " + (dir / "bad.yaml").string(), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("nowhere"), std::string::npos) << out;
  EXPECT_NE(out.find(":2"), std::string::npos) << out;
  EXPECT_EQ(hub.terminate(), 0);
}

}  // namespace
}  // namespace hub::app
