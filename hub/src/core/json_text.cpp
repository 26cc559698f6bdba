#include "hub/core/json_text.h"

#include "hub/plugin/text_escape.h"

namespace hub {

void append_json_string(std::string& out, std::string_view s) {
  plugin::append_json_string(out, s);
}

std::string json_object(const std::map<std::string, std::string>& fields) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : fields) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, k);
    out += ':';
    append_json_string(out, v);
  }
  return out + "}";
}

}  // namespace hub
