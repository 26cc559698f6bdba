#pragma once
// The WSDL 1.1 (document/literal, SOAP 1.1 over HTTP) of the hub's SOAP endpoint and the XSDs it
// uses, built once at start from the canonical schema directory: whatever types.yaml lists (the
// envelope XSD and every body XSD) plus what those include or import, transitively. Each XSD is
// served at <endpoint>?xsd=<file name> with its include/import locations rewritten to absolute
// URLs of the same endpoint, so that a generic client resolves the whole set from the WSDL alone;
// <endpoint>?xsd=canonical is a generated schema that includes every body XSD.
//
// Operations (soapAction = urn:zhkh-hub:soap:1#<name>):
//   Submit  SubmitRequest{e:envelope}                  -> SubmitResponse{messageId, duplicate}
//   Pull    PullRequest{subscription, max?, waitSeconds?} -> PullResponse{message*{receipt,
//           deliveryCount, e:envelope}}
//   Ack     AckRequest{subscription, receipt+}         -> AckResponse{acked, rejected*}
// Faults carry s:FaultDetail{reason, issue*{@line, @xpath, message}}.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hub::soap {

/// Limits of the operations, shared by the WSDL's types and the endpoint's checks.
inline constexpr int kMaxPull = 1000;
inline constexpr int kMaxWaitSeconds = 30;
inline constexpr int kDefaultPull = 100;

/// soapAction of an operation ("Submit" -> "urn:zhkh-hub:soap:1#Submit").
std::string soap_action(const std::string& operation);

class ServiceDescription {
 public:
  /// Reads `dir`/types.yaml and the XSDs it reaches. Throws ConfigError / XmlError naming the
  /// file (and line) of a missing, malformed or non-local schema.
  static ServiceDescription load(const std::filesystem::path& dir);

  /// The WSDL with `endpoint_url` (e.g. "http://127.0.0.1:8480/soap") as the service address and
  /// the base of every schema location. The URL must not need XML escaping (checked by callers).
  std::string wsdl(const std::string& endpoint_url) const;
  /// The named XSD (a file name, or "canonical" for the generated set); nullopt when unknown.
  std::optional<std::string> xsd(const std::string& name, const std::string& endpoint_url) const;
  /// Every name xsd() answers, "canonical" first, then file names in the order they were found.
  std::vector<std::string> xsd_names() const;
  /// The canonical namespace (types.yaml `namespace`).
  const std::string& canonical_namespace() const { return canonical_ns_; }

 private:
  std::string canonical_ns_;
  std::vector<std::string> names_;
  std::map<std::string, std::string> xsds_;  // name -> text with kBase placeholders
  std::string wsdl_;
};

}  // namespace hub::soap
