#include "registry/file_name.h"

#include <regex>
#include <stdexcept>

namespace hub::bank {

namespace {

std::string regex_for(const std::string& key) {
  if (key == "inn") return "([0-9]{10}|[0-9]{12})";
  if (key == "rs") return "[0-9]{20}";
  if (key == "seq") return "[0-9]{3}";
  if (key == "mmyy") return "(0[1-9]|1[0-2])[0-9]{2}";
  if (key == "mmyyyy") return "(0[1-9]|1[0-2])[0-9]{4}";
  if (key == "yyyymm") return "[0-9]{4}(0[1-9]|1[0-2])";
  return "[^_]+";
}

std::string quote(char c) {
  static const std::string special = "\\^$.|?*+()[]{}";
  return special.find(c) != std::string::npos ? std::string("\\") + c : std::string(1, c);
}

}  // namespace

bool file_name_matches(const std::string& pattern, const std::string& name) {
  std::string re;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close != std::string::npos) {
        re += regex_for(pattern.substr(i + 1, close - i - 1));
        i = close;
        continue;
      }
    }
    re += quote(pattern[i]);
  }
  return std::regex_match(name, std::regex(re, std::regex::icase));
}

std::string make_file_name(const std::string& pattern,
                           const std::map<std::string, std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close != std::string::npos) {
        const auto key = pattern.substr(i + 1, close - i - 1);
        auto it = values.find(key);
        if (it == values.end() || it->second.empty()) {
          throw std::invalid_argument("file name rule '" + pattern + "' needs {" + key + "}");
        }
        if (!std::regex_match(it->second, std::regex(regex_for(key)))) {
          throw std::invalid_argument("file name rule '" + pattern + "': {" + key + "} = '" +
                                      it->second + "' has the wrong form");
        }
        out += it->second;
        i = close;
        continue;
      }
    }
    out += pattern[i];
  }
  return out;
}

}  // namespace hub::bank
