#pragma once
// SOAP 1.1 over the hub's HTTP client factory (Context::http()): one POST per call with
// soapAction "urn:<operation>", HTTP Basic for test stands, the client-certificate fingerprint
// header where configured, a timeout per call and TLS settings from HttpOptions. It classifies
// what came back; it never retries (the exchange engine decides) and never throws for a peer's
// answer (only for a request it cannot even send, e.g. a malformed endpoint URL).

#include <chrono>
#include <string>

#include "hub/plugin/context.h"
#include "xml_util.h"

namespace hub::adapters::gis_zhkh {

struct SoapSettings {
  std::string endpoint;    ///< scheme://host[:port], service paths are appended
  std::string basic_user;  ///< HTTP Basic (test stands); empty = none
  std::string basic_password;
  std::string cert_fingerprint;  ///< X-Client-Cert-Fingerprint (plain-HTTP test stands)
  std::string host_header;       ///< Host header override (through a local TLS tunnel)
  plugin::HttpOptions http;      ///< CA / client certificate / key
};

/// What one call returned.
struct SoapReply {
  enum class Kind {
    kOk,         ///< HTTP 200 with a SOAP body
    kFault,      ///< SOAP Fault (any HTTP status); fault_code is the GIS ErrorCode when given
    kTransport,  ///< no usable answer: connect/timeout/IO error, HTTP error without a fault,
                 ///< not XML
  };
  Kind kind = Kind::kTransport;
  int http_status = 0;
  std::string body;        ///< the raw response (for the exchange log)
  std::string fault_code;  ///< e.g. EXP001000
  std::string fault_text;
  std::string error;             ///< transport problem, for logs
  XmlDoc doc;                    ///< parsed response (kOk, kFault)
  xmlNodePtr payload = nullptr;  ///< first element child of soap:Body (kOk)
  std::chrono::milliseconds elapsed{0};
};

class SoapClient {
 public:
  SoapClient(plugin::HttpClientFactory& http, SoapSettings settings)
      : http_(http), settings_(std::move(settings)) {}

  /// POSTs `envelope` to endpoint + `path` with soapAction `action`.
  SoapReply call(const std::string& path, const std::string& action, const std::string& envelope,
                 std::chrono::milliseconds timeout);

 private:
  plugin::HttpClientFactory& http_;
  SoapSettings settings_;
};

/// True for fault / error codes GIS documents as transient (try again): EXP001000, EXP002001-3,
/// INT002018.
bool is_transient_code(const std::string& code);

}  // namespace hub::adapters::gis_zhkh
