#include "hub_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_paths.h"
#include "test_ports.h"

extern char** environ;

namespace hub::testing {

namespace fs = std::filesystem;

std::string run_command(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HubProcess::HubProcess(const fs::path& dir, const std::string& conninfo,
                       const std::string& routes_yaml, const std::string& extra_yaml,
                       const std::string& node_id)
    : dir_(dir), port_(unused_port()) {
  const auto src = source_dir();
  std::ofstream(dir / "routes.yaml") << routes_yaml;
  std::ofstream(dir / "hub.yaml") << "node_id: " << node_id << "\n"
                                  << "server: {listen: \"127.0.0.1:" << port_ << "\"}\n"
                                  << "database: {conninfo: \"" << conninfo << "\", pool_size: 4}\n"
                                  << "security: {token_file: " << (dir / "admin.token").string()
                                  << "}\n"
                                  << "paths: {schemas: " << (src / "schemas/canonical").string()
                                  << ", mappings: " << (src / "mappings").string()
                                  << ", plugins: " << plugin_dir().string() << "}\n"
                                  << "routes_file: " << (dir / "routes.yaml").string() << "\n"
                                  << "logging: {file: " << (dir / "hub.log").string() << "}\n"
                                  << extra_yaml;
  const std::string exe = (bin_dir() / "zhkh-hub").string();
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
  const int rc = posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + exe + ": error " + std::to_string(rc));
  }
}

HubProcess::~HubProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool HubProcess::wait_ready(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int code = -1;
    run_command("curl -sf " + url() + "/readyz", &code);
    if (code == 0) return true;
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

int HubProcess::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string HubProcess::cli(const std::string& args, int* exit_code) const {
  return run_command((bin_dir() / "zhkh-hub").string() + " " + args + " --url " + url() +
                         " --token-file " + (dir_ / "admin.token").string(),
                     exit_code);
}

std::string HubProcess::logs() const {
  return output("stdout.txt") + output("stderr.txt") + output("hub.log");
}

}  // namespace hub::testing
