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
#include "wait_for.h"

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
  /// Copies `from` into the inbox as `name` the way a producer should: written beside it, then
  /// renamed in, so that the inbox (min_age 0s) never reads half a file.
  void drop(const fs::path& from, const std::string& name) const {
    fs::copy_file(from, dir() / name);
    fs::rename(dir() / name, inbox() / name);
  }
  void drop_text(const std::string& text, const std::string& name) const {
    std::ofstream(dir() / name) << text;
    fs::rename(dir() / name, inbox() / name);
  }

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

  hub.drop(hub::testing::source_dir() / "schemas/canonical/samples/payment.received.xml",
           "payment-1.xml");
  hub.drop_text("<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">\n<oops>", "broken.xml");

  // The inbox moves a file to done/ after Ingress took it, so both deliveries may be recorded
  // before the move: wait for everything the test then looks at.
  EXPECT_TRUE(hub::testing::wait_for(
      [&] {
        return db.scalar("SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") == "2" &&
               fs::exists(hub.inbox() / "done" / "payment-1.xml") &&
               fs::exists(hub.inbox() / "quarantine" / "broken.xml");
      },
      60s))
      << hub.logs();
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
  hub.drop(hub::testing::source_dir() / "schemas/canonical/samples/payment.received.xml",
           "payment-1-again.xml");
  EXPECT_TRUE(hub::testing::wait_for(
      [&] { return fs::exists(hub.inbox() / "done" / "payment-1-again.xml.report.json"); }, 30s))
      << hub.logs();
  EXPECT_NE(hub::testing::read_text(hub.inbox() / "done" / "payment-1-again.xml.report.json")
                .find("duplicate of payment-1.xml"),
            std::string::npos);
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
  EXPECT_TRUE(hub::testing::wait_for(
      [&] { return hub.output("hub.log").find("routes_switched") != std::string::npos; }, 30s))
      << hub.logs();
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
