#pragma once
// Official XSD packages for adapters (e.g. GIS ZhKH format versions): compiled once by the hub,
// shared read-only and usable from any thread. An adapter links neither hub/xml nor libxml2's
// schema code: it asks for a package by directory and validates text against it.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct _xmlDoc;  // libxml2's xmlDoc, for callers that have parsed a document already

namespace hub::plugin {

/// One validation problem: where (line, XPath from the document root) and what.
struct XmlIssue {
  int line = 0;
  std::string xpath;
  std::string message;
};

/// "line 12 /soap:Envelope/soap:Body/...: message (+2 more)" for logs and dead letters.
inline std::string summarize(const std::vector<XmlIssue>& issues) {
  if (issues.empty()) return "valid";
  const auto& i = issues.front();
  std::string s = "line " + std::to_string(i.line) + " " + i.xpath + ": " + i.message;
  if (issues.size() > 1) s += " (+" + std::to_string(issues.size() - 1) + " more)";
  return s;
}

/// One operation of a package's service (from its async WSDL).
struct PackageOperation {
  std::string service;          ///< subdirectory, e.g. "house-management"
  std::string endpoint_path;    ///< soap:address path, e.g. "/ext-bus-home-management-service/..."
  std::string soap_action;      ///< "urn:importAccountData"
  std::string request_ns;       ///< namespace of the body element
  std::string request_element;  ///< "importAccountRequest"
  std::string header;           ///< "RequestHeader" or "ISRequestHeader"
};

/// A compiled format package. Thread-safe.
class SchemaPackageHandle {
 public:
  virtual ~SchemaPackageHandle() = default;
  virtual const std::string& version() const = 0;  ///< e.g. "16.3.0.0"
  /// Validates a whole document whose root is a global element of the package, including the
  /// root's base:version against what the package accepts. Empty = valid. Malformed or refused
  /// XML (DTD, entities, too big) is one issue naming the line.
  virtual std::vector<XmlIssue> validate(std::string_view xml) const = 0;
  /// A SOAP 1.1 envelope: every element child of soap:Header and soap:Body is validated as above.
  virtual std::vector<XmlIssue> validate_soap(std::string_view envelope) const = 0;
  /// validate_soap() of an envelope the caller has parsed already (e.g. to sign it, or to read
  /// the answer), so it is not parsed a second time just to be validated. The document is only
  /// read.
  virtual std::vector<XmlIssue> validate_soap(const _xmlDoc* envelope) const = 0;
  /// The base:version values {ns}local accepts (fixed value or the listed versions); empty when
  /// the element has no version rule.
  virtual std::vector<std::string> accepted_versions(const std::string& ns,
                                                     const std::string& local) const = 0;
  /// The operation `name` (e.g. "importAccountData", "getState") of `service`; nullopt if absent.
  virtual std::optional<PackageOperation> operation(const std::string& service,
                                                    const std::string& name) const = 0;
};

using SchemaPackagePtr = std::shared_ptr<const SchemaPackageHandle>;

class XmlServices {
 public:
  virtual ~XmlServices() = default;
  /// The package in `dir`, compiled on first use and cached by canonical path (several versions
  /// may be held at once). Throws std::runtime_error naming the file when it does not compile.
  virtual SchemaPackagePtr load_schema_package(const std::filesystem::path& dir) = 0;
};

}  // namespace hub::plugin
