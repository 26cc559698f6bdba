#pragma once
// Minimal JSON text writing for hot paths (log lines, header maps) where building a Poco::JSON
// object per call would cost more than the work itself.

#include <map>
#include <string>
#include <string_view>

namespace hub {

/// Appends `s` as a quoted JSON string with escapes.
void append_json_string(std::string& out, std::string_view s);

/// {"k":"v",...}
std::string json_object(const std::map<std::string, std::string>& fields);

}  // namespace hub
