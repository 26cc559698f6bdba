#pragma once
// Escaping for the XML and JSON text adapters and the hub write by hand (canonical bodies, SOAP
// envelopes, reports, log lines). Header-only so that plugins, which link no hub library, and
// the hub itself share one implementation.

#include <string>
#include <string_view>

namespace hub::plugin {

/// Appends `text` escaped for XML element content (attribute = false) or a double-quoted
/// attribute value. C0 control characters other than tab, newline and carriage return cannot
/// appear in XML 1.0 at all and become '?'. Runs between escapes are appended in one piece.
namespace detail {

/// Bytes append_xml_escaped() must look at: 1 in element content and attributes, 2 in attributes
/// only. Everything else (most of any text) is copied in runs.
struct XmlEscapeClasses {
  unsigned char of[256] = {};
  constexpr XmlEscapeClasses() {
    for (int c = 0; c < 0x20; ++c) of[c] = 1;
    of[static_cast<unsigned char>('\t')] = 2;
    of[static_cast<unsigned char>('\n')] = 2;
    of[static_cast<unsigned char>('&')] = 1;
    of[static_cast<unsigned char>('<')] = 1;
    of[static_cast<unsigned char>('>')] = 1;
    of[static_cast<unsigned char>('"')] = 2;
  }
};
inline constexpr XmlEscapeClasses kXmlEscapeClasses{};

}  // namespace detail

inline void append_xml_escaped(std::string& out, std::string_view text, bool attribute = false) {
  const unsigned char limit = attribute ? 2 : 1;
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const unsigned char cls = detail::kXmlEscapeClasses.of[c];
    if (!cls || cls > limit) continue;
    const char* replacement = nullptr;
    switch (c) {
      case '&':
        replacement = "&amp;";
        break;
      case '<':
        replacement = "&lt;";
        break;
      case '>':
        replacement = "&gt;";
        break;
      case '"':
        replacement = "&quot;";
        break;
      case '\n':
        replacement = "&#10;";
        break;
      case '\t':
        replacement = "&#9;";
        break;
      case '\r':
        replacement = "&#13;";
        break;  // a raw CR would be normalised away by parsers
      default:
        replacement = "?";  // other C0 controls cannot appear in XML 1.0
    }
    out.append(text.data() + run, i - run);
    out += replacement;
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

inline std::string xml_escaped(std::string_view text, bool attribute = false) {
  std::string out;
  out.reserve(text.size());
  append_xml_escaped(out, text, attribute);
  return out;
}

/// Appends `s` as a quoted JSON string. Runs between escapes are appended in one piece: a queue
/// pull of 1000 payments escapes ~1.7 MB of XML, and per-character appends were the largest item
/// of the pull's profile.
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(u, sizeof u);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

inline std::string json_quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_string(out, s);
  return out;
}

}  // namespace hub::plugin
