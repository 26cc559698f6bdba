#include "client_bank/xml_builder.h"

namespace hub::bank {

std::string escape_xml_text(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\xEF':
        // U+FFFE / U+FFFF (EF BF BE / EF BF BF) are not XML characters.
        if (i + 2 < s.size() && s[i + 1] == '\xBF' && (s[i + 2] == '\xBE' || s[i + 2] == '\xBF')) {
          out += "\xEF\xBF\xBD";
          i += 2;
          break;
        }
        out.push_back(c);
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

XmlBuilder::XmlBuilder(std::string_view root) : root_(root) {
  out_.reserve(2048);
  out_ += "<c:";
  out_ += root_;
  out_ += " xmlns:c=\"";
  out_ += kCanonicalNs;
  out_ += "\">";
}

void XmlBuilder::open(std::string_view name) {
  out_ += "<c:";
  out_ += name;
  out_ += '>';
}

void XmlBuilder::close(std::string_view name) {
  out_ += "</c:";
  out_ += name;
  out_ += '>';
}

void XmlBuilder::leaf(std::string_view name, std::string_view text) {
  open(name);
  out_ += escape_xml_text(text);
  close(name);
}

void XmlBuilder::leaf_if(std::string_view name, std::string_view text) {
  if (!text.empty()) leaf(name, text);
}

std::string XmlBuilder::finish() {
  close(root_);
  return std::move(out_);
}

}  // namespace hub::bank
