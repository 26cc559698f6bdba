#include "hub/core/yaml_checker.h"

#include "hub/core/error.h"

namespace hub {

void YamlChecker::fail(const YAML::Node& at, const std::string& key, const std::string& why) const {
  throw ConfigError(file_, line_of(at), key, why);
}

void YamlChecker::keys(const YAML::Node& map, const std::set<std::string>& allowed,
                       const std::string& key) const {
  if (!map.IsMap()) fail(map, key, "expected a mapping");
  for (const auto& kv : map) {
    const auto name = kv.first.as<std::string>();
    if (!allowed.count(name)) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      fail(kv.first, key.empty() ? name : key + "." + name, "unknown key (known: " + known + ")");
    }
  }
}

std::string YamlChecker::str(const YAML::Node& n, const std::string& key, bool allow_empty) const {
  if (!n.IsScalar()) fail(n, key, "expected a string");
  auto v = n.as<std::string>();
  if (v.empty() && !allow_empty) fail(n, key, "must not be empty");
  return v;
}

bool YamlChecker::boolean(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) fail(n, key, "expected true or false");
  bool v = false;
  if (!YAML::convert<bool>::decode(n, v)) {
    fail(n, key, "expected true or false, got '" + n.as<std::string>() + "'");
  }
  return v;
}

std::vector<std::string> YamlChecker::str_list(const YAML::Node& n, const std::string& key) const {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(str(n, key));
    return out;
  }
  if (!n.IsSequence()) fail(n, key, "expected a string or a list of strings");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto item_key = key + "[" + std::to_string(i) + "]";
    auto v = str(n[i], item_key);
    if (!seen.insert(v).second) fail(n[i], item_key, "'" + v + "' is listed twice");
    out.push_back(std::move(v));
  }
  return out;
}

std::map<std::string, std::string> YamlChecker::str_map(const YAML::Node& n,
                                                        const std::string& key) const {
  if (!n.IsMap()) fail(n, key, "expected a mapping of names to values");
  std::map<std::string, std::string> out;
  for (const auto& kv : n) {
    const auto k = str(kv.first, key);
    out[k] = str(kv.second, key + "." + k, /*allow_empty=*/true);
  }
  return out;
}

}  // namespace hub
