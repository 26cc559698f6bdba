#include "hub/core/log.h"

#include "hub/core/json_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace hub {
namespace {

thread_local std::string t_correlation;

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

LogSink& LogSink::instance() {
  static LogSink sink;
  return sink;
}

void LogSink::set_file(const std::string& path) {
  std::lock_guard lock(mu_);
  if (fd_ != 2) ::close(fd_);
  fd_ = path.empty() ? 2 : ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) fd_ = 2;
}

bool is_secret_field(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<std::string_view, 6> kMarkers = {
      "password", "passwd", "secret", "token", "authorization", "private_key"};
  return std::any_of(kMarkers.begin(), kMarkers.end(),
                     [&](std::string_view m) { return lower.find(m) != std::string::npos; });
}

void LogSink::write(LogLevel level, std::string_view component, std::string_view event,
                    const Fields& fields) {
  if (level < min_level_) return;
  std::string line;
  line.reserve(160);
  line += "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + level_name(level) + "\",\"component\":";
  append_json_string(line, component);
  line += ",\"event\":";
  append_json_string(line, event);
  if (!t_correlation.empty()) {
    line += ",\"correlation_id\":";
    append_json_string(line, t_correlation);
  }
  for (const auto& [k, v] : fields) {
    line += ',';
    append_json_string(line, k);
    line += ':';
    append_json_string(line, is_secret_field(k) ? std::string_view("***") : std::string_view(v));
  }
  line += "}\n";
  std::lock_guard lock(mu_);
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
}

void Log::log(LogLevel level, std::string_view event, const Fields& fields) {
  LogSink::instance().write(level, component_, event, fields);
}

CorrelationScope::CorrelationScope(std::string id) : previous_(std::move(t_correlation)) {
  t_correlation = std::move(id);
}
CorrelationScope::~CorrelationScope() { t_correlation = std::move(previous_); }
const std::string& CorrelationScope::current() { return t_correlation; }

}  // namespace hub
