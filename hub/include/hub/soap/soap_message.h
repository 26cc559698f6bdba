#pragma once
// SOAP 1.1 messages as the hub's endpoint reads and writes them: the request envelope taken apart
// (one operation element in the Body, no header the hub must understand), responses and faults.
// Parsing goes through hub/xml (hardened: no DTD, no entities, no network, a size limit).

#include <cstddef>
#include <string>
#include <vector>

#include "hub/core/error.h"
#include "hub/xml/document.h"
#include "hub/xml/escape.h"
#include "hub/xml/schema_registry.h"

namespace hub::soap {

inline constexpr const char* kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr const char* kSoap12Ns = "http://www.w3.org/2003/05/soap-envelope";
/// The namespace of the hub's operation elements (SubmitRequest, PullResponse, Fault detail).
inline constexpr const char* kServiceNs = "urn:zhkh-hub:soap:1";

/// A SOAP 1.1 fault. `code` is the local part of the faultcode in the SOAP envelope namespace:
/// "Client" (the request is wrong and will stay wrong), "Server" (try again later),
/// "VersionMismatch" or "MustUnderstand". `issues` become structured entries in the detail.
struct SoapFault {
  std::string code = "Client";
  std::string reason;  ///< faultstring: one line naming the problem (and its XPath/line)
  std::vector<xml::ValidationIssue> issues;
};

/// Thrown inside the endpoint to answer with a fault; never leaves it.
class SoapFaultError : public Error {
 public:
  explicit SoapFaultError(SoapFault fault) : Error(fault.reason), fault_(std::move(fault)) {}
  const SoapFault& fault() const { return fault_; }

 private:
  SoapFault fault_;
};

/// A parsed request: the document (which owns everything) and its one Body element.
struct SoapRequest {
  xml::Document doc;
  xmlNodePtr operation = nullptr;  ///< the single element child of soap:Body
  std::string ns;                  ///< its namespace URI
  std::string local;               ///< its local name
};

/// Parses `bytes` as a SOAP 1.1 request. Throws SoapFaultError: Client for malformed XML (with
/// the line), a root that is not soap:Envelope or a Body without exactly one element;
/// VersionMismatch for a SOAP 1.2 envelope; MustUnderstand for a header entry with
/// mustUnderstand="1" (the hub understands no headers).
SoapRequest parse_request(const std::string& bytes, std::size_t max_bytes);

/// A SOAP 1.1 envelope around `body_xml` (markup of the Body's content).
std::string envelope_xml(const std::string& body_xml);
/// The fault as a whole SOAP 1.1 envelope; the detail holds
/// <s:FaultDetail><s:reason/><s:issue line=".." xpath="..">message</s:issue>*</s:FaultDetail>.
std::string fault_xml(const SoapFault& fault);

using xml::escape_xml;  // hub/xml/escape.h

/// The text content of `node` (all descendant text), trimmed of surrounding white space.
std::string text_of(xmlNodePtr node);

}  // namespace hub::soap
