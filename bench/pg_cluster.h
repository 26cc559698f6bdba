#pragma once
// PostgreSQL for benchmarks: a private cluster started with deploy/lib-pg.sh (durable, fsync on)
// under /tmp and stopped on destruction, plus the small shell helpers around it. Header-only so
// that each bench stays one executable.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
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
    data_dir_ = dir_ / "pg";
    ::chmod(dir_.c_str(), 0755);  // the postgres user must reach the data dir when we are root
    const auto port =
        run_capture("bash -c " + shell_quote("source " + (source_ / "deploy/lib-pg.sh").string() +
                                             " && pg_start " + (dir_ / "pg").string()));
    // The Unix socket in the data dir, as deploy/run-local.sh connects the hub to its cluster
    // (cheaper per round trip than loopback TCP, for the hub and for the COPY baseline alike).
    conninfo_ = "host=" + data_dir_.string() + " port=" +
                port.substr(port.find_last_of('\n') + 1) + " user=postgres dbname=postgres";
  }
  ~TempCluster() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  /// Stops the server now (a baseline measured after it has the machine to itself); the
  /// destructor then only removes the files.
  void stop() {
    std::system(("bash -c " + shell_quote("source " + (source_ / "deploy/lib-pg.sh").string() +
                                          " && pg_stop " + (dir_ / "pg").string()))
                    .c_str());
  }
  const std::string& conninfo() const { return conninfo_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  std::filesystem::path source_;
  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::string conninfo_;
};

/// CPU seconds (user + system) used so far by a cluster's postmaster and its live children
/// (backends, WAL writer, checkpointer), from /proc. A benchmark on a shared 2-core machine reads
/// its wall-clock rate as "how busy the neighbours were"; CPU per message is the figure that
/// stays put. Backends that have exited are not counted, so measure with pooled connections.
/// 0 when the data dir's postmaster.pid cannot be read.
inline double cluster_cpu_seconds(const std::filesystem::path& data_dir) {
  std::FILE* f = std::fopen((data_dir / "postmaster.pid").c_str(), "r");
  if (!f) return 0;
  long postmaster = 0;
  const bool ok = std::fscanf(f, "%ld", &postmaster) == 1;
  std::fclose(f);
  if (!ok) return 0;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::FILE* st = std::fopen((entry.path() / "stat").c_str(), "r");
    if (!st) continue;
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, st);
    std::fclose(st);
    buf[n] = 0;
    // Fields after the command (which may hold spaces) start after the last ')'.
    const char* p = std::strrchr(buf, ')');
    if (!p) continue;
    long pid = std::atol(name.c_str()), ppid = 0;
    unsigned long utime = 0, stime = 0;
    char state = 0;
    if (std::sscanf(p + 2, "%c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &state, &ppid,
                    &utime, &stime) != 4) {
      continue;
    }
    if (pid == postmaster || ppid == postmaster) total += (utime + stime) / tick;
  }
  return total;
}
