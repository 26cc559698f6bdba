#pragma once
// Third-party XSD sets (official exchange formats such as the GIS ZhKH package), compiled once and
// shared read-only by every thread.
//
// SchemaSet is generic: a root directory plus entry XSDs; every xs:import / xs:include /
// xs:redefine must resolve to a local file inside the root (network locations and paths leading
// out are refused with the file, line and location named). SchemaPackage is the GIS ZhKH layout
// on top of it: a version directory with one subdirectory per service (hcs-<svc>-types.xsd, the
// async WSDL) and lib/, compiled into one set, with the base:version check libxml2 does not do.

#include <libxml/tree.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/xml/document.h"
#include "hub/xml/schema_registry.h"  // ValidationIssue

namespace hub::xml {

/// A compiled set of XSDs. Immutable after compile(); validate() is thread-safe.
class SchemaSet {
 public:
  /// Compiles `entries` (paths absolute or relative to `root`, each inside `root`) as one set.
  /// Every schemaLocation reachable from them is checked before libxml2 sees it, and libxml2's
  /// loader is restricted to files under `root` as well. Entries must have distinct target
  /// namespaces (libxml2 imports one document per namespace). Throws XmlError naming the file and
  /// line: a schemaLocation that is a URL ("network locations are not loaded") or resolves
  /// outside `root`, a missing file, malformed XSD, or a set that does not compile.
  static std::shared_ptr<const SchemaSet> compile(
      const std::filesystem::path& root, const std::vector<std::filesystem::path>& entries);

  /// Every *.xsd directly in `dir` is an entry (root = `dir`).
  static std::shared_ptr<const SchemaSet> compile_directory(const std::filesystem::path& dir);

  virtual ~SchemaSet() = default;

  /// Validates the whole document; its root element must be a global element of the set.
  /// Empty result = valid. Issues carry line, XPath of the offending node and libxml2's message.
  virtual std::vector<ValidationIssue> validate(const Document& doc) const = 0;

  /// Validates one element (and its subtree) of a larger document as if it were a root, e.g. the
  /// body child or the header of a SOAP envelope; XPaths in issues are from the document root.
  virtual std::vector<ValidationIssue> validate_element(xmlNodePtr element) const = 0;

  /// True when {ns}local is a global element declared by some file of the set.
  virtual bool declares(const std::string& ns, const std::string& local) const = 0;

  /// Canonical root directory and every file the set loaded (entries and what they import).
  virtual const std::filesystem::path& root() const = 0;
  virtual const std::vector<std::filesystem::path>& files() const = 0;
  /// Wall time compile() took, for start-up logs.
  virtual double compile_seconds() const = 0;
};

/// What an official request/result root accepts in its base:version attribute.
struct VersionRule {
  std::string ns;
  std::string element;
  std::vector<std::string> accepted;  ///< fixed value, or the versions the annotation lists
  bool fixed = false;  ///< from the XSD's fixed="…" (else from "Доступны версии …")
  bool required = false;  ///< use="required"
};

/// One operation of a service's async WSDL.
struct GisOperation {
  std::string name;             ///< "importAccountData"
  std::string soap_action;      ///< "urn:importAccountData"
  std::string request_ns;       ///< namespace of the body element
  std::string request_element;  ///< "importAccountRequest"
  std::string header;           ///< "RequestHeader" or "ISRequestHeader"
};

/// One service of a GIS ZhKH package.
struct GisService {
  std::string name;            ///< subdirectory, e.g. "house-management"
  std::string ns;              ///< target namespace of hcs-<name>-types.xsd
  std::filesystem::path xsd;   ///< …/<name>/hcs-<name>-types.xsd
  std::filesystem::path wsdl;  ///< …/<name>/hcs-<name>-service-async.wsdl (empty if absent)
  std::string endpoint_path;   ///< path of the WSDL's soap:address, e.g.
                               ///< "/ext-bus-home-management-service/services/HomeManagementAsync"
  std::vector<GisOperation> operations;  ///< from the WSDL (portType + binding), getState included
  /// The operation whose request body is {ns}local, or nullptr.
  const GisOperation* operation_by_request(const std::string& ns, const std::string& local) const;
  const GisOperation* operation(const std::string& name) const;
};

/// A GIS ZhKH format package (e.g. ../shared/schemas/gis_zhkh/16.3.0.0), compiled once.
class SchemaPackage {
 public:
  /// Loads the package in `dir`: every <svc>/hcs-<svc>-types.xsd (or only `services`, by
  /// subdirectory name) compiled as one SchemaSet confined to `dir`; the package version from the
  /// types XSDs' xs:schema/@version (README "Версия – X" as fallback); base:version rules of every
  /// global element. Throws XmlError / ConfigError naming the file.
  static std::shared_ptr<const SchemaPackage> load(const std::filesystem::path& dir,
                                                   const std::vector<std::string>& services = {});
  virtual ~SchemaPackage() = default;

  virtual const std::string& version() const = 0;  ///< "16.3.0.0"
  virtual const std::filesystem::path& dir() const = 0;
  virtual const std::vector<GisService>& services() const = 0;
  virtual const GisService* service_by_name(const std::string& name) const = 0;
  virtual const GisService* service_by_namespace(const std::string& ns) const = 0;
  virtual const GisService* service_by_path(const std::string& endpoint_path) const = 0;
  virtual const SchemaSet& schemas() const = 0;

  /// Schema validation of the document's root (by its namespace), then check_version().
  virtual std::vector<ValidationIssue> validate(const Document& doc) const = 0;
  /// The same for one element of a larger document (a SOAP body child).
  virtual std::vector<ValidationIssue> validate_element(xmlNodePtr element) const = 0;

  /// The rule for a global element, or nullptr when it has no base:version attribute.
  virtual const VersionRule* version_rule(const std::string& ns,
                                          const std::string& local) const = 0;
  /// Checks element/@base:version against its rule: missing when required, or a value the rule
  /// does not accept ("base:version '11.0.0.1' is not accepted by {ns}exportAccountRequest:
  /// expected 10.0.1.1"). No rule or no accepted list = nothing to check.
  virtual std::optional<ValidationIssue> check_version(xmlNodePtr element) const = 0;
};

inline constexpr const char* kGisBaseNs = "http://dom.gosuslugi.ru/schema/integration/base/";

}  // namespace hub::xml
