#pragma once
// A GIS ZhKH emulator: a SOAP 1.1 server on 127.0.0.1 with one endpoint per service path of the
// official WSDLs. Each request is validated against the official XSDs (hub::xml::SchemaPackage),
// its RequestHeader checked and its signature verified (hub::crypto), then answered with an
// AckRequest; getState answers RequestState 1/2/3 after the configured delays with the result the
// operation handler produced. A control API on the same port (/control/...) seeds data, changes
// the delays and injects faults. See README.md.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace hub::adapters::gis_zhkh::emulator {

enum class SignatureMode {
  kRequire,  ///< every request but getState must carry a valid signature (GIS behaviour)
  kVerify,   ///< verify when present
  kOff,      ///< ignore signatures
};

struct EmulatorOptions {
  int port = 0;                              ///< 0 = any free port
  std::filesystem::path schemas;             ///< the package, e.g. .../gis_zhkh/16.3.0.0
  std::chrono::milliseconds to_state2{200};  ///< RequestState 1 for this long
  std::chrono::milliseconds to_state3{300};  ///< then 2 for this long, then 3
  SignatureMode signatures = SignatureMode::kRequire;
  bool validate_responses = true;  ///< check every getStateResult against the XSD too
  /// Requests served at once. A kept-alive connection holds a thread between its requests (POCO's
  /// HTTPServer), so this bounds the connections a hub can keep open; idle threads cost nothing.
  int threads = 32;
  std::size_t max_accounts = 3'000'000;  ///< older accounts are forgotten beyond this
  std::size_t max_messages = 200'000;    ///< older messages are forgotten beyond this
  std::size_t max_request_bytes = 64u << 20;
  std::string basic_auth;        ///< "user:password": SIT-style HTTP Basic required
  std::string cert_fingerprint;  ///< SIT over plain HTTP: X-Client-Cert-Fingerprint required
  /// Sign every getStateResult as GIS does (Id="signed-data-container", hub::crypto::XmlSigner);
  /// empty sign_key = unsigned responses.
  std::string sign_key, sign_cert, sign_profile;
  bool log_requests = false;
};

class GisEmulator {
 public:
  /// Loads and compiles the schema package (throws hub::XmlError naming the file).
  explicit GisEmulator(EmulatorOptions options);
  ~GisEmulator();
  GisEmulator(const GisEmulator&) = delete;
  GisEmulator& operator=(const GisEmulator&) = delete;

  /// Binds 127.0.0.1:port and starts serving. Throws on bind failure.
  void start();
  void stop();
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub::adapters::gis_zhkh::emulator
