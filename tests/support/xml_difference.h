#pragma once
// Compares two XML element trees by what they say: element names and namespaces, attributes,
// and text with whitespace-only text between elements ignored. For tests that check that two
// writers (or a writer and an expansion) produce the same document, where byte comparison would
// also compare indentation, namespace declarations and escaping choices.

#include <libxml/tree.h>

#include <string>
#include <vector>

namespace hub::testing {

namespace detail {

inline std::string text_of(xmlNodePtr n) {
  xmlChar* v = xmlNodeGetContent(n);
  std::string s = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

inline bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

inline std::string qualified(xmlNodePtr n) {
  std::string s = n->ns && n->ns->href
                      ? "{" + std::string(reinterpret_cast<const char*>(n->ns->href)) + "}"
                      : "";
  return s + reinterpret_cast<const char*>(n->name);
}

}  // namespace detail

/// "" when `a` and `b` say the same, else where they first differ (a path of element names).
inline std::string xml_difference(xmlNodePtr a, xmlNodePtr b, const std::string& at = "") {
  using namespace detail;
  const std::string here = at + "/" + (a ? qualified(a) : "?");
  if (!a || !b) return here + ": one side is missing";
  if (qualified(a) != qualified(b))
    return here + ": element " + qualified(b) + " on the other side";
  for (xmlAttrPtr p = a->properties; p; p = p->next) {
    xmlChar* va = xmlGetNoNsProp(a, p->name);
    xmlChar* vb = xmlGetNoNsProp(b, p->name);
    const std::string sa = va ? reinterpret_cast<const char*>(va) : "";
    const bool has_b = vb != nullptr;
    const std::string sb = vb ? reinterpret_cast<const char*>(vb) : "";
    xmlFree(va);
    xmlFree(vb);
    if (!has_b || sa != sb)
      return here + "/@" + reinterpret_cast<const char*>(p->name) + ": '" + sa + "' vs '" + sb +
             "'";
  }
  int attributes_a = 0, attributes_b = 0;
  for (xmlAttrPtr p = a->properties; p; p = p->next) ++attributes_a;
  for (xmlAttrPtr p = b->properties; p; p = p->next) ++attributes_b;
  if (attributes_a != attributes_b) return here + ": the other side has more attributes";
  auto children = [](xmlNodePtr n) {
    std::vector<xmlNodePtr> out;
    for (xmlNodePtr c = n->children; c; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) out.push_back(c);
    }
    return out;
  };
  const auto ca = children(a), cb = children(b);
  if (ca.empty() && cb.empty()) {
    const auto ta = text_of(a), tb = text_of(b);
    return ta == tb ? "" : here + ": text '" + ta + "' vs '" + tb + "'";
  }
  for (std::size_t i = 0; i < ca.size() && i < cb.size(); ++i) {
    auto d = xml_difference(ca[i], cb[i], here);
    if (!d.empty()) return d;
  }
  if (ca.size() != cb.size()) {
    return here + ": " + std::to_string(ca.size()) + " vs " + std::to_string(cb.size()) +
           " child elements";
  }
  for (xmlNodePtr c = a->children; c; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !blank(text_of(c)))
      return here + ": mixed content";
  }
  return "";
}

}  // namespace hub::testing
