#include "hub/cli/cli.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../api/admin_fixture.h"
#include "test_paths.h"

namespace hub::cli {
namespace {

using api::testsupport::AdminFixture;

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("ZHKH_HUB_TOKEN");
    ::unsetenv("ZHKH_HUB_URL");
    f_ = std::make_unique<AdminFixture>();
    url_ = f_->server->base_url();
  }
  void TearDown() override {
    ::unsetenv("ZHKH_HUB_TOKEN");
    ::unsetenv("ZHKH_HUB_URL");
  }

  /// Runs the CLI with --url and --token added (token = "" adds none).
  CliResult run(std::vector<std::string> args, const std::string& token, bool add_url = true) {
    if (add_url) args.push_back("--url=" + url_);
    if (!token.empty()) {
      args.push_back("--token");
      args.push_back(token);
    }
    std::ostringstream out, err;
    const int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }

  std::unique_ptr<AdminFixture> f_;
  std::string url_;
};

constexpr const char* kM1 = "01890000-0000-7000-8000-000000000001";

TEST_F(Cli, MessagesListPrintsAnAlignedTableAndRawJson) {
  auto r = run({"messages", "list"}, f_->viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.rfind("RECEIVED (UTC)", 0), 0u) << r.out;
  EXPECT_NE(first.find(kM1), std::string::npos) << r.out;
  EXPECT_NE(first.find("payment.received"), std::string::npos);
  EXPECT_NE(first.find("dead:1 delivered:1"), std::string::npos);
  // Columns line up: the TYPE column starts at the same offset in the header and every row.
  const auto col = header.find("TYPE");
  EXPECT_EQ(first.find("payment.received"), col);

  r = run({"messages", "list", "--type", "meter.reading", "--json"}, f_->viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  auto v = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(v->getArray("items")->size(), 2u);

  r = run({"messages", "list", "--source=inbox", "--since", "2000-01-01T00:00:00Z"}, f_->viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("01890000-0000-7000-8000-000000000003"), std::string::npos);
  EXPECT_EQ(r.out.find(kM1), std::string::npos);

  r = run({"messages", "list", "--type", "nothing.like.this"}, f_->viewer);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "no messages\n");
}

TEST_F(Cli, MessagesShowPrintsDeliveriesAndBody) {
  auto r = run({"messages", "show", kM1}, f_->viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("correlation_id:   corr-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bank-out"), std::string::npos);
  EXPECT_NE(r.out.find("HTTP 500 from bank"), std::string::npos);
  EXPECT_NE(r.out.find("dead letters:"), std::string::npos);
  EXPECT_NE(r.out.find("<paymentReceived"), std::string::npos);

  r = run({"messages", "show", "01890000-0000-7000-8000-0000000000ff"}, f_->viewer);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("error (404): no message with id"), std::string::npos) << r.err;
}

TEST_F(Cli, DlqListAndReplay) {
  auto r = run({"dlq", "list"}, f_->viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("bank-out"), std::string::npos);
  EXPECT_NE(r.out.find("HTTP 500 from bank"), std::string::npos);

  r = run({"dlq", "replay", "1"}, f_->viewer);
  EXPECT_EQ(r.code, kExitAuth);
  EXPECT_NE(r.err.find("forbidden (403)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("required=operator"), std::string::npos) << r.err;

  r = run({"dlq", "replay", "1"}, f_->operator_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "dead letter 1 replayed: its delivery is pending again\n");
  {
    std::lock_guard lock(f_->mu);
    ASSERT_EQ(f_->replayed.size(), 1u);
    EXPECT_EQ(f_->replayed[0].second, "ops-operator");
  }
  r = run({"dlq", "replay", "1"}, f_->operator_);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("already replayed"), std::string::npos) << r.err;

  r = run({"dlq", "list"}, f_->viewer);
  EXPECT_EQ(r.out, "no open dead letters\n");
  r = run({"dlq", "list", "--all"}, f_->viewer);
  EXPECT_NE(r.out.find("REPLAYED BY"), std::string::npos);
  EXPECT_NE(r.out.find("ops-operator"), std::string::npos);
}

TEST_F(Cli, RoutesApplyShowAndConfigErrors) {
  const auto dir = hub::testing::make_temp_dir("zhkh-cli-routes");
  const auto good = (dir / "routes.yaml").string();
  const auto bad = (dir / "bad.yaml").string();
  std::ofstream(good) << "routes:\n  - name: payments\n    to: [billing]\n";
  std::ofstream(bad) << "routes:\n  - name: ok\n    to: [a]\n  - to: [b]\n";

  auto r = run({"routes", "apply", good, "--dry-run"}, f_->admin);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("dry run: " + good + " is valid; nothing published"), std::string::npos)
      << r.out;
  EXPECT_EQ(f_->db.scalar("SELECT count(*) FROM hub.route_version"), "0");

  r = run({"routes", "apply", good}, f_->operator_);
  EXPECT_EQ(r.code, kExitAuth);

  r = run({"routes", "apply", good}, f_->admin);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("published routes version 1"), std::string::npos) << r.out;
  r = run({"routes", "apply", good}, f_->admin);
  EXPECT_NE(r.out.find("no changes: version 1 is already running"), std::string::npos) << r.out;

  r = run({"routes", "show"}, f_->viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("# routes version 1 applied by ops-admin", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("  - name: payments\n"), std::string::npos);
  r = run({"routes", "history"}, f_->viewer);
  EXPECT_NE(r.out.find("ops-admin"), std::string::npos) << r.out;

  r = run({"routes", "apply", bad}, f_->admin);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find(bad + ":4: 'name':"), std::string::npos) << r.err;

  r = run({"routes", "apply", (dir / "missing.yaml").string()}, f_->admin);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_F(Cli, SchedulesAndAdapters) {
  auto r = run({"schedules", "run", "inbox.scan"}, f_->operator_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("started run ", 0), 0u) << r.out;
  r = run({"schedules", "list"}, f_->viewer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("inbox.scan"), std::string::npos);
  EXPECT_NE(r.out.find("*/10 * * * * *"), std::string::npos);
  EXPECT_NE(r.out.find("ok"), std::string::npos);
  r = run({"schedules", "runs", "inbox.scan"}, f_->viewer);
  EXPECT_NE(r.out.find("manual"), std::string::npos) << r.out;
  r = run({"schedules", "run", "no.such"}, f_->operator_);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("no job named 'no.such'"), std::string::npos) << r.err;

  r = run({"adapters", "list"}, f_->viewer);
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("degraded: sftp timeout"), std::string::npos);
  r = run({"adapters", "describe", "inbox"}, f_->viewer);
  EXPECT_EQ(r.out, "file_inbox 1.0.0\n  path (string, required): inbox directory\n");
  r = run({"adapters", "describe", "ghost"}, f_->viewer);
  EXPECT_EQ(r.code, kExitFailed);
}

TEST_F(Cli, TokensCreateGivesAWorkingTokenOfThatRole) {
  auto r = run({"tokens", "create", "grafana", "--role", "viewer"}, f_->admin);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto token = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(token.rfind("zhkh_", 0), 0u);
  EXPECT_NE(r.err.find("shown only this once"), std::string::npos);
  EXPECT_EQ(run({"messages", "list"}, token).code, 0);
  EXPECT_EQ(run({"dlq", "replay", "1"}, token).code, kExitAuth);
  r = run({"tokens", "list"}, f_->admin);
  EXPECT_NE(r.out.find("grafana"), std::string::npos);
  EXPECT_EQ(run({"tokens", "revoke", "grafana"}, f_->admin).code, 0);
  EXPECT_EQ(run({"messages", "list"}, token).code, kExitAuth);
  EXPECT_EQ(run({"tokens", "create", "x"}, f_->admin).code, kExitUsage);  // --role missing
}

TEST_F(Cli, TokenAndUrlComeFromFlagsEnvOrTheTokenFile) {
  // Refused token: clear message, exit 4.
  auto r = run({"messages", "list"}, "zhkh_wrong");
  EXPECT_EQ(r.code, kExitAuth);
  EXPECT_NE(r.err.find("refused the token from --token"), std::string::npos) << r.err;

  // From the environment.
  ::setenv("ZHKH_HUB_TOKEN", f_->viewer.c_str(), 1);
  ::setenv("ZHKH_HUB_URL", url_.c_str(), 1);
  r = run({"messages", "list"}, "", /*add_url=*/false);
  EXPECT_EQ(r.code, 0) << r.err;
  ::unsetenv("ZHKH_HUB_TOKEN");

  // From ./var/admin.token in the current directory.
  const auto dir = hub::testing::make_temp_dir("zhkh-cli-cwd");
  std::filesystem::create_directories(dir / "var");
  std::ofstream(dir / "var" / "admin.token") << f_->admin << "\n";
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  r = run({"tokens", "list"}, "", false);
  std::filesystem::current_path(old_cwd);
  EXPECT_EQ(r.code, 0) << r.err;

  // From --token-file.
  r = run({"tokens", "list", "--token-file", (dir / "var" / "admin.token").string()}, "");
  EXPECT_EQ(r.code, 0) << r.err;
  r = run({"tokens", "list", "--token-file", (dir / "nope").string()}, "");
  EXPECT_EQ(r.code, kExitAuth);

  // No token anywhere.
  std::filesystem::current_path(dir / "var");
  r = run({"messages", "list"}, "");
  std::filesystem::current_path(old_cwd);
  EXPECT_EQ(r.code, kExitAuth);
  EXPECT_NE(r.err.find("no admin API token"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST_F(Cli, UnreachableHubAndUsageErrors) {
  // A port that was just free: nothing listens there.
  int free_port = 0;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    free_port = s.address().port();
  }
  std::ostringstream out, err;
  int code = run_cli({"messages", "list", "--url", "http://127.0.0.1:" + std::to_string(free_port),
                      "--token", "x"},
                     out, err);
  EXPECT_EQ(code, kExitUnreachable);
  EXPECT_NE(err.str().find("cannot reach the hub at http://127.0.0.1:"), std::string::npos)
      << err.str();

  EXPECT_EQ(run({"messages", "list", "--bogus"}, f_->viewer).code, kExitUsage);
  EXPECT_EQ(run({"messages", "show"}, f_->viewer).code, kExitUsage);
  EXPECT_EQ(run({"dlq", "replay", "1", "--json", "--dry-run"}, f_->admin).code, kExitUsage);
  EXPECT_EQ(run({"messages", "frobnicate"}, f_->viewer).code, kExitUsage);
  EXPECT_EQ(run({"messages"}, f_->viewer).code, kExitUsage);

  auto r = run({"messages", "--help"}, "", false);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("zhkh-hub messages list"), std::string::npos);
  EXPECT_NE(r.out.find("zhkh-hub messages show"), std::string::npos);
  r = run({"routes", "apply", "--help"}, "", false);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("FILE [--dry-run]"), std::string::npos);
  r = run({"--help"}, "", false);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("zhkh-hub tokens create"), std::string::npos);
  EXPECT_TRUE(is_cli_command("dlq"));
  EXPECT_FALSE(is_cli_command("run"));
  EXPECT_FALSE(is_cli_command("migrate"));
}

}  // namespace
}  // namespace hub::cli
