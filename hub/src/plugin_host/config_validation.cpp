#include "hub/plugin_host/config_validation.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "hub/core/error.h"

namespace hub::plugin_host {

namespace {

using plugin::ConfigType;

int line_of(const YAML::Node& n) {
  const auto m = n.Mark();
  return m.line < 0 ? 0 : m.line + 1;
}

bool parse_int(const std::string& s, long long& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The normalized text for a scalar of `type`, or throws ConfigError with `why`.
std::string check_scalar(const plugin::ConfigKey& k, const std::string& value,
                         const std::string& file, int line) {
  auto fail = [&](const std::string& why) { throw ConfigError(file, line, k.name, why); };
  switch (k.type) {
    case ConfigType::kString:
      return value;
    case ConfigType::kInt: {
      long long n = 0;
      if (!parse_int(value, n)) fail("expected an integer, got '" + value + "'");
      return std::to_string(n);
    }
    case ConfigType::kBool: {
      const auto v = lower(value);
      if (v == "true" || v == "yes" || v == "on" || v == "1") return "true";
      if (v == "false" || v == "no" || v == "off" || v == "0") return "false";
      fail("expected a boolean (true/false), got '" + value + "'");
      break;
    }
    case ConfigType::kDuration: {
      std::chrono::milliseconds d{};
      try {
        d = plugin::parse_duration(value);
      } catch (const std::exception&) {
        fail("expected a duration like 500ms, 10s, 5m, 2h, 1d, got '" + value + "'");
      }
      if (d.count() < 0) fail("a duration cannot be negative, got '" + value + "'");
      return value;
    }
    case ConfigType::kPath:
      if (value.empty()) fail("expected a path, got an empty value");
      return value;
    case ConfigType::kSecret:
      return resolve_secret(value, file, line, k.name);
    case ConfigType::kStringList:
      break;
  }
  return value;
}

// Replaces ${key} in a default with the value already configured for `key`.
std::string expand_default(const std::string& text,
                           const std::map<std::string, std::string>& scalars,
                           const std::string& file, int line, const std::string& key) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("${", i);
    if (open == std::string::npos) {
      out += text.substr(i);
      break;
    }
    const auto close = text.find('}', open);
    if (close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    const auto ref = text.substr(open + 2, close - open - 2);
    auto it = scalars.find(ref);
    if (it == scalars.end()) {
      throw ConfigError(file, line, key,
                        "default '" + text + "' refers to unset key '" + ref + "'");
    }
    out += it->second;
    i = close + 1;
  }
  return out;
}

std::vector<std::string> default_list(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  if (text.front() == '[') {
    for (const auto& item : YAML::Load(text)) out.push_back(item.as<std::string>());
    return out;
  }
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::string resolve_secret(const std::string& value, const std::string& file, int line,
                           const std::string& key) {
  if (value.rfind("file:", 0) == 0) {
    const auto path = value.substr(5);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(file, line, key, "secret file '" + path + "' cannot be read");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
      content.pop_back();
    return content;
  }
  if (value.rfind("env:", 0) == 0) {
    const auto name = value.substr(4);
    const char* v = std::getenv(name.c_str());
    if (!v) throw ConfigError(file, line, key, "environment variable '" + name + "' is not set");
    return v;
  }
  return value;
}

plugin::Config validate_config(const plugin::ConfigSpec& spec, const YAML::Node& section,
                               const std::string& file, const std::set<std::string>& reserved) {
  const int section_line = line_of(section);
  if (section && !section.IsNull() && !section.IsMap()) {
    throw ConfigError(file, section_line, "", "adapter settings must be a map of key: value");
  }
  std::map<std::string, const plugin::ConfigKey*> by_name;
  for (const auto& k : spec) by_name[k.name] = &k;

  std::map<std::string, std::string> scalars;
  std::map<std::string, std::vector<std::string>> lists;

  if (section && section.IsMap()) {
    for (const auto& kv : section) {
      const auto key = kv.first.as<std::string>();
      const int line = line_of(kv.first);
      if (reserved.count(key)) continue;
      auto it = by_name.find(key);
      if (it == by_name.end()) {
        std::string known;
        for (const auto& k : spec) known += (known.empty() ? "" : ", ") + k.name;
        throw ConfigError(file, line, key, "unknown key (known keys: " + known + ")");
      }
      const auto& k = *it->second;
      const auto& v = kv.second;
      if (k.type == ConfigType::kStringList) {
        if (v.IsNull()) {
          lists[key] = {};
          continue;
        }
        if (!v.IsSequence()) throw ConfigError(file, line, key, "expected a list of strings");
        std::vector<std::string> items;
        for (const auto& item : v) {
          if (!item.IsScalar()) {
            throw ConfigError(file, line_of(item), key, "list items must be strings");
          }
          items.push_back(item.as<std::string>());
        }
        lists[key] = std::move(items);
        continue;
      }
      if (!v.IsScalar()) {
        throw ConfigError(file, line, key,
                          std::string("expected a single ") + plugin::to_string(k.type) + " value");
      }
      scalars[key] = check_scalar(k, v.as<std::string>(), file, line_of(v));
    }
  }

  // Required keys first, so that defaults may refer to them.
  for (const auto& k : spec) {
    if (k.default_value || scalars.count(k.name) || lists.count(k.name)) continue;
    throw ConfigError(file, section_line, k.name,
                      std::string("required key is missing (") + plugin::to_string(k.type) +
                          (k.description.empty() ? "" : ": " + k.description) + ")");
  }
  for (const auto& k : spec) {
    if (!k.default_value || scalars.count(k.name) || lists.count(k.name)) continue;
    if (k.type == ConfigType::kStringList) {
      lists[k.name] = default_list(*k.default_value);
    } else {
      scalars[k.name] =
          check_scalar(k, expand_default(*k.default_value, scalars, file, section_line, k.name),
                       file, section_line);
    }
  }
  return plugin::Config(std::move(scalars), std::move(lists));
}

std::string describe(const plugin::ConfigSpec& spec) {
  std::size_t wname = 3, wtype = 4, wdef = 7;
  auto shown_default = [](const plugin::ConfigKey& k) {
    if (!k.default_value) return std::string("required");
    if (k.type == ConfigType::kSecret) return std::string("(set)");
    return "\"" + *k.default_value + "\"";
  };
  for (const auto& k : spec) {
    wname = std::max(wname, k.name.size());
    wtype = std::max(wtype, std::string(plugin::to_string(k.type)).size());
    wdef = std::max(wdef, shown_default(k).size());
  }
  auto pad = [](std::string s, std::size_t w) {
    s.resize(std::max(w, s.size()), ' ');
    return s;
  };
  std::string out = "  " + pad("key", wname) + "  " + pad("type", wtype) + "  " +
                    pad("default", wdef) + "  description\n";
  for (const auto& k : spec) {
    out += "  " + pad(k.name, wname) + "  " + pad(plugin::to_string(k.type), wtype) + "  " +
           pad(shown_default(k), wdef) + "  " + k.description + "\n";
  }
  return out;
}

}  // namespace hub::plugin_host
