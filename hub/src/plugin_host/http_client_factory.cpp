#include "hub/plugin_host/http_client_factory.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace hub::plugin_host {

PocoHttpClientFactory::PocoHttpClientFactory() {
  Poco::Net::initializeSSL();
}

PocoHttpClientFactory::~PocoHttpClientFactory() {
  contexts_.clear();
  Poco::Net::uninitializeSSL();
}

Poco::Net::Context::Ptr PocoHttpClientFactory::tls_context(const plugin::HttpOptions& o) {
  std::lock_guard lock(mu_);
  auto key = std::make_tuple(o.ca_file, o.cert_file, o.key_file);
  auto it = contexts_.find(key);
  if (it != contexts_.end()) return it->second;
  Poco::Net::Context::Params params;
  params.privateKeyFile = o.key_file;
  params.certificateFile = o.cert_file;
  params.caLocation = o.ca_file;
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  params.loadDefaultCAs = o.ca_file.empty();
  params.cipherList = "HIGH:!aNULL:!MD5";
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  contexts_.emplace(key, ctx);
  return ctx;
}

std::unique_ptr<Poco::Net::HTTPClientSession> PocoHttpClientFactory::open(
    const std::string& url, const plugin::HttpOptions& options) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("malformed URL '" + url + "': " + e.displayText());
  }
  if (uri.getHost().empty()) throw std::invalid_argument("URL '" + url + "' has no host");
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                              tls_context(options));
  } else if (uri.getScheme() == "http") {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  } else {
    throw std::invalid_argument("URL '" + url + "': scheme must be http or https");
  }
  session->setTimeout(Poco::Timespan(
      std::chrono::duration_cast<std::chrono::microseconds>(options.timeout).count()));
  return session;
}

}  // namespace hub::plugin_host
