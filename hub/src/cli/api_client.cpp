#include "hub/cli/api_client.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>
#include <sstream>

namespace hub::cli {

ApiClient::ApiClient(std::string base_url, std::string token, int timeout_seconds)
    : base_url_(std::move(base_url)), token_(std::move(token)), timeout_seconds_(timeout_seconds) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

ApiResponse ApiClient::request(const std::string& method, const std::string& path_and_query,
                               const std::string& body, const std::string& content_type) {
  Poco::URI uri;
  try {
    uri = Poco::URI(base_url_);
  } catch (const Poco::Exception& e) {
    throw Unreachable("invalid hub URL '" + base_url_ + "': " + e.displayText());
  }
  if (uri.getScheme() != "http" && uri.getScheme() != "https") {
    throw Unreachable("invalid hub URL '" + base_url_ + "': expected http:// or https://");
  }
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort());
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(timeout_seconds_, 0));
    // A hub behind a reverse proxy may live under a path prefix ("https://x/hub").
    std::string prefix = uri.getPath();
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    Poco::Net::HTTPRequest req(method, prefix + path_and_query, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token_.empty()) req.setCredentials("Bearer", token_);
    req.set("Accept", "application/json");
    if (method != "GET") {
      req.setContentType(content_type);
      req.setContentLength(static_cast<std::streamsize>(body.size()));
      session->sendRequest(req) << body;
    } else {
      session->sendRequest(req);
    }
    Poco::Net::HTTPResponse resp;
    auto& in = session->receiveResponse(resp);
    ApiResponse out;
    out.status = resp.getStatus();
    out.content_type = resp.getContentType();
    Poco::StreamCopier::copyToString(in, out.body);
    return out;
  } catch (const Poco::Exception& e) {
    throw Unreachable("cannot reach the hub at " + base_url_ + ": " + e.displayText());
  }
}

std::string url_encode(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "/?#&=+%:@;, ", out);
  return out;
}

}  // namespace hub::cli
