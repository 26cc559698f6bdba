#pragma once
// PostgreSQL for benchmarks: a private cluster started with deploy/lib-pg.sh (durable, fsync on)
// under /tmp and stopped on destruction, plus the small shell helpers around it. Header-only so
// that each bench stays one executable.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs `cmd` with /bin/sh; its stdout without trailing newlines. Throws when it fails.
inline std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run: " + cmd);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int rc = ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (rc != 0) throw std::runtime_error("failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
  return out;
}

/// The same conninfo with dbname replaced (or added).
inline std::string with_dbname(const std::string& conninfo, const std::string& db) {
  const auto pos = conninfo.find("dbname=");
  if (pos == std::string::npos) return conninfo + " dbname=" + db;
  const auto end = conninfo.find(' ', pos);
  return conninfo.substr(0, pos) + "dbname=" + db +
         (end == std::string::npos ? "" : conninfo.substr(end));
}

/// A private cluster started with deploy/lib-pg.sh, stopped on destruction.
class TempCluster {
 public:
  explicit TempCluster(const std::filesystem::path& source) : source_(source) {
    char tmpl[] = "/tmp/zhkh-bench.XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);  // the postgres user must reach the data dir when we are root
    const auto port =
        run_capture("bash -c " + shell_quote("source " + (source_ / "deploy/lib-pg.sh").string() +
                                             " && pg_start " + (dir_ / "pg").string()));
    conninfo_ = "host=127.0.0.1 port=" + port.substr(port.find_last_of('\n') + 1) +
                " user=postgres dbname=postgres";
  }
  ~TempCluster() {
    std::system(("bash -c " + shell_quote("source " + (source_ / "deploy/lib-pg.sh").string() +
                                          " && pg_stop " + (dir_ / "pg").string()))
                    .c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& conninfo() const { return conninfo_; }

 private:
  std::filesystem::path source_;
  std::filesystem::path dir_;
  std::string conninfo_;
};
