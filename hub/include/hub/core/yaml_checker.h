#pragma once
// Reading hand-written YAML configuration (routes, the ticket model): every accessor checks the
// node's shape and throws ConfigError(file, line, key path, why) naming the offending node, so a
// config error always says where it is.

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace hub {

class YamlChecker {
 public:
  /// `file` names the config in errors; it must outlive the checker.
  explicit YamlChecker(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key,
                         const std::string& why) const;
  /// `map` is a mapping whose keys are all in `allowed` (the error lists the known ones).
  void keys(const YAML::Node& map, const std::set<std::string>& allowed,
            const std::string& key) const;
  std::string str(const YAML::Node& n, const std::string& key, bool allow_empty = false) const;
  bool boolean(const YAML::Node& n, const std::string& key) const;
  /// A string or a list of strings, duplicates refused.
  std::vector<std::string> str_list(const YAML::Node& n, const std::string& key) const;
  /// A mapping of names to (possibly empty) strings.
  std::map<std::string, std::string> str_map(const YAML::Node& n, const std::string& key) const;

  const std::string& file() const { return file_; }
  static int line_of(const YAML::Node& n) { return n.Mark().line + 1; }

 private:
  const std::string& file_;
};

}  // namespace hub
