#pragma once
// plugin::HttpClientFactory over POCO: an HTTPClientSession for http:// URLs and an
// HTTPSClientSession for https:// ones, with a TLS context built from HttpOptions (CA bundle or
// the system default, optional client certificate) and cached per option set.

#include <Poco/Net/Context.h>

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "hub/plugin/context.h"

namespace hub::plugin_host {

class PocoHttpClientFactory : public plugin::HttpClientFactory {
 public:
  PocoHttpClientFactory();
  ~PocoHttpClientFactory() override;

  /// Throws std::invalid_argument for a URL that is not http(s)://host[:port]/...
  std::unique_ptr<Poco::Net::HTTPClientSession> open(const std::string& url,
                                                     const plugin::HttpOptions& options) override;

 private:
  Poco::Net::Context::Ptr tls_context(const plugin::HttpOptions& options);

  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, Poco::Net::Context::Ptr> contexts_;
};

}  // namespace hub::plugin_host
