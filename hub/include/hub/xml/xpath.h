#pragma once
// Compiled XPath 1.0 expressions with namespace prefixes, evaluated against a Document.
// A compiled expression is immutable and may be used from several threads at once.

#include <map>
#include <memory>
#include <string>

#include "hub/xml/document.h"

namespace hub::xml {

/// Prefix → namespace URI. `c` is always bound to the canonical namespace.
using Namespaces = std::map<std::string, std::string>;

inline constexpr const char* kCanonicalNs = "urn:zhkh-hub:canonical:1";
inline constexpr const char* kEnvelopeNs = "urn:zhkh-hub:envelope:1";

class XPath {
 public:
  /// Compiles; throws XmlError naming the expression when it is not valid XPath.
  static XPath compile(const std::string& expr, const Namespaces& ns = {});

  /// XPath boolean() of the result: a node-set is true when non-empty.
  bool matches(const Document& doc) const;
  /// XPath string() of the result.
  std::string string_value(const Document& doc) const;
  const std::string& expression() const { return expr_; }
  /// The prefix bindings in effect (with `c` and `e` always bound).
  const Namespaces& namespaces() const { return ns_; }

  struct Compiled;  ///< implementation detail (xpath.cpp)

 private:
  std::string expr_;
  Namespaces ns_;
  std::shared_ptr<Compiled> compiled_;
};

}  // namespace hub::xml
