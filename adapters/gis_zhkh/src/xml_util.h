#pragma once
// Small XML helpers the adapter needs without hub/xml: a hardened parse of what GIS (or the
// emulator) answers — no network, no DTD, no entities, a size limit; any DOCTYPE is refused — and
// navigation by local name, plus escaping for the request builders.

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hub::adapters::gis_zhkh {

/// Owns one parsed document.
using XmlDoc = std::shared_ptr<xmlDoc>;

/// Parses `bytes`; throws std::runtime_error "<name>:<line>: <reason>" when malformed, larger than
/// `max_bytes`, or carrying a DOCTYPE.
XmlDoc parse_xml(std::string_view bytes, const std::string& name,
                 std::size_t max_bytes = 256u << 20);

/// Many small documents (a page of canonical bodies) parsed as one, each after a separator
/// element, which saves most of what a parse costs per document (a parser, a tree, a dictionary
/// each). root(i) is body i's root element, or nullptr when body i must be parsed alone:
/// whenever the batch does not parse, or any body is not exactly one element (plus whitespace)
/// between its separators, every root is nullptr, so a body is never read differently than alone.
class XmlBatch {
 public:
  XmlBatch(const std::vector<std::string_view>& bodies, const std::string& name);
  xmlNodePtr root(std::size_t i) const { return i < roots_.size() ? roots_[i] : nullptr; }

 private:
  XmlDoc doc_;
  std::vector<xmlNodePtr> roots_;
};

/// The first element child of `node` with local name `local` (any namespace), or nullptr.
xmlNodePtr child(xmlNodePtr node, const char* local);
/// Every element child with that local name.
std::vector<xmlNodePtr> children(xmlNodePtr node, const char* local);
/// Every element child.
std::vector<xmlNodePtr> elements(xmlNodePtr node);
/// Text content of `node` ("" for nullptr).
std::string text(xmlNodePtr node);
/// Text of the first child element `local`, "" when absent.
std::string child_text(xmlNodePtr node, const char* local);
/// Local name of an element.
std::string local_name(xmlNodePtr node);
/// An attribute by local name (any namespace), "" when absent.
std::string attribute(xmlNodePtr node, const char* local);

/// Appends `s` escaped for element content or attribute values.
void append_escaped(std::string& out, std::string_view s);
inline std::string escaped(std::string_view s) {
  std::string out;
  append_escaped(out, s);
  return out;
}

/// Appends <tag>escaped text</tag>.
inline void element(std::string& out, std::string_view tag, std::string_view value) {
  out += '<';
  out += tag;
  out += '>';
  append_escaped(out, value);
  out += "</";
  out += tag;
  out += '>';
}

}  // namespace hub::adapters::gis_zhkh
