#pragma once
// Structured logging: one JSON object per line on stderr (or a file), with time, level, event,
// component and correlation id. Fields whose names look secret are masked before writing.

#include <mutex>
#include <string>
#include <string_view>

#include "hub/plugin/context.h"

namespace hub {

using plugin::Fields;
using plugin::LogLevel;

/// Process-wide sink for log lines. Thread-safe; a line is written whole or not at all.
class LogSink {
 public:
  static LogSink& instance();
  void set_min_level(LogLevel level) { min_level_ = level; }
  LogLevel min_level() const { return min_level_; }
  /// Writes to `path` instead of stderr; empty = stderr.
  void set_file(const std::string& path);
  void write(LogLevel level, std::string_view component, std::string_view event,
             const Fields& fields);

 private:
  std::mutex mu_;
  LogLevel min_level_ = LogLevel::kInfo;
  int fd_ = 2;
};

/// True for field names that must never be written in clear (password, token, secret, key...).
bool is_secret_field(std::string_view name);

/// A logger bound to a component (e.g. "dispatcher" or an adapter instance).
class Log : public plugin::Logger {
 public:
  explicit Log(std::string component) : component_(std::move(component)) {}
  void log(LogLevel level, std::string_view event, const Fields& fields = {}) override;

 private:
  std::string component_;
};

/// The correlation id added to every line logged from this thread while it is set.
class CorrelationScope {
 public:
  explicit CorrelationScope(std::string id);
  ~CorrelationScope();
  static const std::string& current();

 private:
  std::string previous_;
};

}  // namespace hub
