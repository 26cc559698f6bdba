#pragma once
// Escaping text for XML the hub writes by hand (SOAP envelopes, queue answers): element content
// or a double-quoted attribute value.

#include <string>

namespace hub::xml {

/// Escapes `text` for element content (attribute = false) or a double-quoted attribute. C0
/// control characters, which XML 1.0 cannot carry at all, become '?'.
std::string escape_xml(const std::string& text, bool attribute = false);

}  // namespace hub::xml
