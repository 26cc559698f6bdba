#pragma once
// The zhkh-hub executable as a child process, the way deploy/run-local.sh runs it: a config
// written into a test directory (loopback port below the ephemeral range, the test database,
// paths into the checkout and build tree, a routes file, a log file) plus the test's own
// sections (adapters:, queues:, ...). Killed on destruction if still running.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace hub::testing {

/// Runs `cmd` with /bin/sh, stderr joined to stdout; its output. `exit_code` gets the exit status
/// (-1 when it did not exit normally).
std::string run_command(const std::string& cmd, int* exit_code = nullptr);

/// The whole file as text; "" when it cannot be read.
std::string read_text(const std::filesystem::path& file);

class HubProcess {
 public:
  /// Writes `dir`/hub.yaml and `dir`/routes.yaml (`routes_yaml`), then starts `zhkh-hub run`.
  /// `extra_yaml` is appended to hub.yaml as is.
  HubProcess(const std::filesystem::path& dir, const std::string& conninfo,
             const std::string& routes_yaml, const std::string& extra_yaml,
             const std::string& node_id = "test");
  ~HubProcess();
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  /// Polls /readyz until it answers 200; false on timeout or when the process exits first.
  bool wait_ready(std::chrono::seconds timeout = std::chrono::seconds(60));
  /// SIGTERM and wait; the exit code (128 + signal when killed by one).
  int terminate();
  /// `zhkh-hub ARGS` as a CLI client of this node (its URL and admin token file).
  std::string cli(const std::string& args, int* exit_code = nullptr) const;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_; }
  /// stdout.txt, stderr.txt or hub.log of the process.
  std::string output(const char* name) const { return read_text(dir_ / name); }
  /// All three, for failure messages.
  std::string logs() const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace hub::testing
