#pragma once
// build/bin/gis_zhkh_emulator as a child process for tests: started with --port 0 and the given
// flags, its port read from the first line it prints, SIGTERM on destruction. Plus a small
// loopback HTTP client for SOAP posts and the control API.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_paths.h"

namespace hub::testing {

struct HttpReply {
  int status = 0;
  std::string body;
};

class EmulatorProcess {
 public:
  explicit EmulatorProcess(std::vector<std::string> flags = {}) {
    dir_ = make_temp_dir("gis-emulator");
    const std::string exe = (bin_dir() / "gis_zhkh_emulator").string();
    if (!std::filesystem::exists(exe)) throw std::runtime_error("not built: " + exe);
    std::vector<std::string> args{exe, "--port", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string out = (dir_ / "stdout.txt").string(), err = (dir_ / "stderr.txt").string();
      if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr))
        ::_exit(126);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(exe.c_str(), argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    const std::string marker = "listening on http://127.0.0.1:";
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(dir_ / "stdout.txt");
      std::string line;
      if (std::getline(in, line) && line.find(marker) != std::string::npos) {
        port_ = std::stoi(line.substr(line.find(marker) + marker.size()));
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("gis_zhkh_emulator exited: " + stderr_text());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("gis_zhkh_emulator did not print its port: " + stderr_text());
  }

  ~EmulatorProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// Resident memory of the process in KiB (VmRSS), 0 when unknown.
  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string stderr_text() const {
    std::ifstream in(dir_ / "stderr.txt");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  /// One request on a fresh connection; `timeout` bounds the whole exchange.
  HttpReply request(const std::string& method, const std::string& path,
                    const std::string& body = {},
                    const std::string& content_type = "text/xml; charset=utf-8",
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    std::chrono::seconds timeout = std::chrono::seconds(60)) const {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST") {
      req.setContentType(content_type);
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    HttpReply r;
    r.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
  }

  /// POSTs a SOAP envelope with SOAPAction "urn:<operation>".
  HttpReply soap(const std::string& path, const std::string& operation, const std::string& envelope,
                 std::chrono::seconds timeout = std::chrono::seconds(60)) const {
    return request("POST", path, envelope, "text/xml; charset=utf-8",
                   {{"SOAPAction", "\"urn:" + operation + "\""}}, timeout);
  }

  HttpReply control(const std::string& method, const std::string& path,
                    const std::string& json = {}) const {
    return request(method, "/control/" + path, json, "application/json");
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace hub::testing
