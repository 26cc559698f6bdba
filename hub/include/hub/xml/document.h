#pragma once
// Hardened XML parsing. Every XML the hub reads goes through parse_xml(): no network, no DTD
// loading, no external entities, no entity expansion beyond libxml2's amplification guard, a size
// limit, and errors that name the document and line.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <libxml/tree.h>

namespace hub::xml {

struct ParseLimits {
  std::size_t max_bytes = 64u << 20;  ///< refuse larger documents before parsing
  int max_depth = 256;                ///< element nesting
};

/// Owns one libxml2 document.
class Document {
 public:
  Document() = default;
  explicit Document(xmlDocPtr doc, std::string name = {}) : doc_(doc, &xmlFreeDoc), name_(std::move(name)) {}
  xmlDocPtr get() const { return doc_.get(); }
  xmlNodePtr root() const { return doc_ ? xmlDocGetRootElement(doc_.get()) : nullptr; }
  explicit operator bool() const { return static_cast<bool>(doc_); }
  const std::string& name() const { return name_; }  ///< file name or message id, for errors
  /// Serializes the document (UTF-8, no reformatting).
  std::string to_string() const;

 private:
  std::shared_ptr<xmlDoc> doc_{nullptr, &xmlFreeDoc};
  std::string name_;
};

/// Parses `bytes`; throws hub::XmlError "<name>:<line>: <reason>" on malformed or refused input
/// (DOCTYPE with entities, external references, over the limits).
Document parse_xml(std::string_view bytes, const std::string& name, const ParseLimits& limits = {});

/// Reads and parses a file with the same hardening.
Document parse_xml_file(const std::string& path, const ParseLimits& limits = {});

/// Installs process-wide libxml2 defaults (no network, no entity loader, quiet generic error
/// handler). Idempotent; parse_xml() calls it.
void harden_libxml2();

/// The XPath of a node for error messages, e.g. /c:paymentReceived/c:amount[1].
std::string node_path(xmlNodePtr node);

}  // namespace hub::xml
