// The SOAP endpoint against an independent client: the zhkh-hub executable runs with a temporary
// config (a canonical queue subscription "billing") on the test PostgreSQL, and
// tests/interop/soap_client.js — the `soap` package from the npm registry, pinned in
// tests/interop/package-lock.json — reads the WSDL, submits the payment.received sample, pulls it
// back, acks it and checks a validation fault. Skipped only where node is not installed.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hub/api/token_store.h"
#include "test_database.h"
#include "test_paths.h"
#include "test_ports.h"

extern char** environ;

namespace hub::interop {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string run_capture(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The hub as deploy/run-local.sh runs it, on a random loopback port.
class HubProcess {
 public:
  HubProcess(const fs::path& dir, const std::string& conninfo) : dir_(dir) {
    port_ = hub::testing::unused_port();
    const auto src = hub::testing::source_dir();
    std::ofstream(dir / "routes.yaml") << "routes:\n  - name: all\n    match: {}\n    to: [noop]\n";
    std::ofstream(dir / "hub.yaml")
        << "node_id: interop\n"
        << "server: {listen: \"127.0.0.1:" << port_ << "\"}\n"
        << "database: {conninfo: \"" << conninfo << "\", pool_size: 4}\n"
        << "security: {token_file: " << (dir / "admin.token").string() << "}\n"
        << "paths: {schemas: " << (src / "schemas/canonical").string()
        << ", mappings: " << (src / "mappings").string()
        << ", plugins: " << hub::testing::plugin_dir().string() << "}\n"
        << "routes_file: " << (dir / "routes.yaml").string() << "\n"
        << "logging: {file: " << (dir / "hub.log").string() << "}\n"
        << "queues:\n  billing: {types: [payment.received], visibility_timeout: 60s}\n";
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
  ~HubProcess() {
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
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string logs() const {
    return read_text(dir_ / "stdout.txt") + read_text(dir_ / "stderr.txt") +
           read_text(dir_ / "hub.log");
  }

 private:
  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(SoapInterop, NodeSoapClientSubmitsPullsAcksAndGetsAValidationFault) {
  int code = -1;
  run_capture("node --version", &code);
  if (code != 0) GTEST_SKIP() << "node is not installed: the SOAP interop client cannot run";
  const auto interop = hub::testing::source_dir() / "tests/interop";
  ASSERT_TRUE(fs::exists(interop / "node_modules/soap/package.json"))
      << "the npm package 'soap' is missing: run `npm ci` in " << interop.string()
      << " (deploy/install-deps.sh does)";

  hub::testing::TestDatabase db;
  // A partner's own token, role operator, as the endpoint requires.
  std::string token;
  {
    auto pool = db.make_pool(1);
    token = api::TokenStore(*pool).create("interop-partner", api::Role::kOperator);
  }
  const auto dir = hub::testing::make_temp_dir("zhkh-soap-interop");
  HubProcess hub(dir, db.conninfo());
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();

  const auto out = run_capture(
      "node " + (interop / "soap_client.js").string() + " " + hub.url() + " " + token, &code);
  EXPECT_EQ(code, 0) << out << "\n--- hub ---\n" << hub.logs();
  EXPECT_NE(out.find(" passed, 0 failed"), std::string::npos) << out;

  // What the client did is in the journal and the queue, as that partner.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE idempotency_key LIKE 'interop:%' "
                      "AND source = 'interop-partner'"),
            "1");
  EXPECT_EQ(db.scalar("SELECT d.state || '|' || d.consumer FROM hub.delivery d JOIN hub.message m "
                      "ON m.id = d.message_id WHERE d.target = 'queue:billing' "
                      "AND m.idempotency_key LIKE 'interop:%'"),
            "delivered|interop-partner");
  EXPECT_EQ(hub.terminate(), 0) << hub.logs();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hub::interop
