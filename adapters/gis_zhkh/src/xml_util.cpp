#include "xml_util.h"

#include <libxml/parser.h>

#include <cstring>
#include <stdexcept>

namespace hub::adapters::gis_zhkh {

XmlDoc parse_xml(std::string_view bytes, const std::string& name, std::size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    throw std::runtime_error(name + ": " + std::to_string(bytes.size()) +
                             " bytes is over the limit of " + std::to_string(max_bytes));
  }
  // No network, no DTD loading, no entity substitution; a DOCTYPE is refused outright below.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (!ctxt) throw std::runtime_error(name + ": out of memory");
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, bytes.data(), static_cast<int>(bytes.size()),
                                    name.c_str(), "UTF-8", options);
  if (!doc) {
    const xmlError* err = xmlCtxtGetLastError(ctxt);
    std::string why = err && err->message ? err->message : "not well-formed XML";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    const int line = err ? err->line : 0;
    xmlFreeParserCtxt(ctxt);
    throw std::runtime_error(name + ":" + std::to_string(line) + ": " + why);
  }
  xmlFreeParserCtxt(ctxt);
  XmlDoc owned(doc, &xmlFreeDoc);
  for (xmlNodePtr n = doc->children; n; n = n->next) {
    if (n->type == XML_DTD_NODE) {
      throw std::runtime_error(name + ":" + std::to_string(n->line) + ": DOCTYPE is not accepted");
    }
  }
  if (!xmlDocGetRootElement(doc)) throw std::runtime_error(name + ": no root element");
  return owned;
}

namespace {
constexpr std::string_view kSeparator = "<zhkh-hub-batch-separator/>";

bool blank(xmlNodePtr n) {
  if (n->type != XML_TEXT_NODE) return false;
  for (const xmlChar* p = n->content; p && *p; ++p)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return false;
  return true;
}
}  // namespace

XmlBatch::XmlBatch(const std::vector<std::string_view>& bodies, const std::string& name) {
  std::size_t size = 16;
  for (const auto b : bodies) size += b.size() + kSeparator.size();
  std::string text;
  text.reserve(size);
  text += "<batch>";
  for (const auto b : bodies) {
    text += kSeparator;
    text += b;
  }
  text += "</batch>";
  try {
    doc_ = parse_xml(text, name);
  } catch (const std::exception&) {
    return;  // some body is malformed: each is parsed alone, for its own error
  }
  std::vector<xmlNodePtr> roots;
  roots.reserve(bodies.size());
  bool after_separator = false;
  for (xmlNodePtr n = xmlDocGetRootElement(doc_.get())->children; n; n = n->next) {
    if (blank(n)) continue;
    if (n->type != XML_ELEMENT_NODE) return;
    if (!n->ns &&
        kSeparator.compare(1, kSeparator.size() - 3, reinterpret_cast<const char*>(n->name)) == 0) {
      if (after_separator) return;  // a body without an element
      after_separator = true;
      continue;
    }
    if (!after_separator) return;  // a body of two elements
    roots.push_back(n);
    after_separator = false;
  }
  if (after_separator || roots.size() != bodies.size()) return;
  roots_ = std::move(roots);
}

xmlNodePtr child(xmlNodePtr node, const char* local) {
  if (!node) return nullptr;
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE &&
        std::strcmp(reinterpret_cast<const char*>(c->name), local) == 0)
      return c;
  }
  return nullptr;
}

std::vector<xmlNodePtr> children(xmlNodePtr node, const char* local) {
  std::vector<xmlNodePtr> out;
  if (!node) return out;
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE &&
        std::strcmp(reinterpret_cast<const char*>(c->name), local) == 0)
      out.push_back(c);
  }
  return out;
}

std::vector<xmlNodePtr> elements(xmlNodePtr node) {
  std::vector<xmlNodePtr> out;
  if (!node) return out;
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  }
  return out;
}

std::string text(xmlNodePtr node) {
  if (!node) return {};
  xmlChar* s = xmlNodeGetContent(node);
  std::string out = s ? reinterpret_cast<const char*>(s) : "";
  xmlFree(s);
  return out;
}

std::string child_text(xmlNodePtr node, const char* local) {
  return text(child(node, local));
}

std::string local_name(xmlNodePtr node) {
  return node && node->name ? reinterpret_cast<const char*>(node->name) : "";
}

std::string attribute(xmlNodePtr node, const char* local) {
  if (!node) return {};
  for (xmlAttrPtr a = node->properties; a; a = a->next) {
    if (std::strcmp(reinterpret_cast<const char*>(a->name), local) == 0) {
      xmlChar* v = xmlNodeListGetString(node->doc, a->children, 1);
      std::string out = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      return out;
    }
  }
  return {};
}

void append_escaped(std::string& out, std::string_view s) {
  for (const char ch : s) {
    switch (ch) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += ch;
    }
  }
}

}  // namespace hub::adapters::gis_zhkh
