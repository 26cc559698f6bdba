// The whole product as a user runs it: the zhkh-hub executable with a config, the file_inbox
// plugin, a real PostgreSQL, and the CLI talking to the admin API.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "test_database.h"
#include "test_paths.h"
#include "test_ports.h"

extern char** environ;

namespace hub::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int free_port() { return hub::testing::unused_port(); }

std::string run_capture(const std::string& cmd, int* exit_code = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class Hub {
 public:
  Hub(const fs::path& dir, const std::string& conninfo) : dir_(dir) {
    port_ = free_port();
    const auto src = hub::testing::source_dir();
    inbox_ = dir / "inbox";
    fs::create_directories(inbox_);
    std::ofstream(dir / "routes.yaml") << R"(routes:
  - name: payments
    match: {type: [payment.received]}
    to: [log, noop]
    stop: true
  - name: everything-else
    match: {}
    to: [noop]
)";
    std::ofstream(dir / "hub.yaml")
        << "node_id: e2e\n"
        << "server: {listen: \"127.0.0.1:" << port_ << "\"}\n"
        << "database: {conninfo: \"" << conninfo << "\", pool_size: 4}\n"
        << "security: {token_file: " << (dir / "admin.token").string() << "}\n"
        << "paths: {schemas: " << (src / "schemas/canonical").string()
        << ", mappings: " << (src / "mappings").string()
        << ", plugins: " << hub::testing::plugin_dir().string() << "}\n"
        << "routes_file: " << (dir / "routes.yaml").string() << "\n"
        << "logging: {file: " << (dir / "hub.log").string() << "}\n"
        << "adapters:\n  inbox: {plugin: file_inbox, path: " << inbox_.string()
        << ", poll_interval: 200ms, min_age: 0s}\n";
    const std::string exe = (hub::testing::bin_dir() / "zhkh-hub").string();
    std::vector<std::string> args = {exe, "run", "-c", (dir / "hub.yaml").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, (dir / "stdout.txt").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (dir / "stderr.txt").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_EQ(posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Hub() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool wait_ready(std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int code = -1;
      run_capture("curl -sf " + url() + "/readyz", &code);
      if (code == 0) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
  int terminate() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string cli(const std::string& args, int* code = nullptr) const {
    return run_capture((hub::testing::bin_dir() / "zhkh-hub").string() + " " + args + " --url " +
                           url() + " --token-file " + (dir_ / "admin.token").string(),
                       code);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string output(const char* name) const {
    std::ifstream in(dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  const fs::path& inbox() const { return inbox_; }

 private:
  fs::path dir_, inbox_;
  int port_ = 0;
  pid_t pid_ = -1;
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
  std::ofstream(hub.inbox() / "broken.xml") << "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">\n<oops>";

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline &&
         (db.scalar("SELECT count(*) FROM hub.delivery WHERE state = 'delivered'") != "2" ||
          !fs::exists(hub.inbox() / "quarantine" / "broken.xml"))) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), "1");
  EXPECT_EQ(db.scalar("SELECT string_agg(target, ',' ORDER BY target) FROM hub.delivery "
                      "WHERE state = 'delivered'"), "log,noop");
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
  while (std::chrono::steady_clock::now() < deadline2 && fs::exists(hub.inbox() / "payment-1-again.xml")) {
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
