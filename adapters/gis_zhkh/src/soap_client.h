#pragma once
// SOAP 1.1 over the hub's HTTP client factory (Context::http()): one POST per call with
// soapAction "urn:<operation>", HTTP Basic for test stands, the client-certificate fingerprint
// header where configured, a timeout per call and TLS settings from HttpOptions, on a kept-alive
// connection where one is idle (SessionPool). It classifies what came back and never throws;
// it never retries a call the peer may have answered (the exchange engine decides): the one retry
// it makes is of a reused connection the peer turns out to have closed before any answer.

#include <chrono>
#include <string>

#include "hub/plugin/context.h"
#include "session_pool.h"
#include "xml_util.h"

namespace hub::adapters::gis_zhkh {

struct SoapSettings {
  std::string endpoint;    ///< scheme://host[:port], service paths are appended
  std::string basic_user;  ///< HTTP Basic (test stands); empty = none
  std::string basic_password;
  std::string cert_fingerprint;          ///< X-Client-Cert-Fingerprint (plain-HTTP test stands)
  std::string host_header;               ///< Host header override (through a local TLS tunnel)
  plugin::HttpOptions http;              ///< CA / client certificate / key
  std::size_t keep_alive_sessions = 16;  ///< idle connections kept for reuse; 0 = none
  std::chrono::milliseconds keep_alive_idle{4000};  ///< an idle one older than this is closed
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
  SoapClient(plugin::HttpClientFactory& http, SoapSettings settings);

  /// POSTs `envelope` to endpoint + `path` with soapAction `action`.
  SoapReply call(const std::string& path, const std::string& action, const std::string& envelope,
                 std::chrono::milliseconds timeout);

  /// Connections left open for the next call (for tests and diagnostics).
  std::size_t idle_connections() const { return sessions_.idle(); }

 private:
  SoapSettings settings_;
  SessionPool sessions_;
};

/// True for fault / error codes GIS documents as transient (try again): EXP001000, EXP002001-3,
/// INT002018.
bool is_transient_code(const std::string& code);

}  // namespace hub::adapters::gis_zhkh
