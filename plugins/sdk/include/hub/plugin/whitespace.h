#pragma once
// XSD's whiteSpace="replace" (the normalizedString rule): each CR, LF and TAB becomes a space, so a
// value is one line. Header-only: plugins and the hub share it.

#include <algorithm>
#include <string>
#include <string_view>

namespace hub::plugin {

/// Whether `s` holds a CR, LF or TAB, i.e. whether replacing them would change it.
inline bool has_whitespace_to_replace(std::string_view s) {
  return s.find_first_of("\t\n\r") != std::string_view::npos;
}

/// Replaces each CR, LF and TAB in `s` by a space, in place.
inline void replace_whitespace(std::string& s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
}

}  // namespace hub::plugin
