#pragma once
// Config keys an adapter declares once (type, default, description). The same declaration
// validates the adapter's config section before the adapter is created (unknown keys, wrong types
// and missing required keys are start-up errors naming file, line and key) and prints
// `zhkh-hub adapters describe NAME`.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hub::plugin {

enum class ConfigType { kString, kInt, kBool, kDuration, kPath, kStringList, kSecret };

inline const char* to_string(ConfigType t) {
  switch (t) {
    case ConfigType::kString: return "string";
    case ConfigType::kInt: return "int";
    case ConfigType::kBool: return "bool";
    case ConfigType::kDuration: return "duration";  // "500ms", "10s", "5m", "1h" or plain seconds
    case ConfigType::kPath: return "path";
    case ConfigType::kStringList: return "list<string>";
    case ConfigType::kSecret: return "secret";      // value, or "file:/path" / "env:NAME"; never logged
  }
  return "?";
}

struct ConfigKey {
  std::string name;
  ConfigType type = ConfigType::kString;
  std::optional<std::string> default_value;  ///< none = required
  std::string description;
};

using ConfigSpec = std::vector<ConfigKey>;

/// Parses "250ms", "10s", "5m", "2h", "1d" or a plain number of seconds.
inline std::chrono::milliseconds parse_duration(const std::string& text) {
  std::size_t pos = 0;
  long long n = std::stoll(text, &pos);
  std::string unit = text.substr(pos);
  if (unit.empty() || unit == "s") return std::chrono::seconds(n);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  if (unit == "d") return std::chrono::hours(24 * n);
  throw std::invalid_argument("unknown duration unit '" + unit + "' in '" + text + "'");
}

/// An adapter's validated config section: every declared key present (defaults applied), values
/// already checked against their declared type, secrets already resolved.
class Config {
 public:
  Config() = default;
  Config(std::map<std::string, std::string> scalars,
         std::map<std::string, std::vector<std::string>> lists)
      : scalars_(std::move(scalars)), lists_(std::move(lists)) {}

  bool has(const std::string& key) const { return scalars_.count(key) || lists_.count(key); }
  const std::string& get_string(const std::string& key) const {
    auto it = scalars_.find(key);
    if (it == scalars_.end()) throw std::out_of_range("config key '" + key + "' is not set");
    return it->second;
  }
  std::int64_t get_int(const std::string& key) const { return std::stoll(get_string(key)); }
  bool get_bool(const std::string& key) const {
    const auto& v = get_string(key);
    return v == "true" || v == "yes" || v == "on" || v == "1";
  }
  std::chrono::milliseconds get_duration(const std::string& key) const {
    return parse_duration(get_string(key));
  }
  std::vector<std::string> get_list(const std::string& key) const {
    auto it = lists_.find(key);
    return it == lists_.end() ? std::vector<std::string>{} : it->second;
  }

  const std::map<std::string, std::string>& scalars() const { return scalars_; }
  const std::map<std::string, std::vector<std::string>>& lists() const { return lists_; }

 private:
  std::map<std::string, std::string> scalars_;
  std::map<std::string, std::vector<std::string>> lists_;
};

}  // namespace hub::plugin
