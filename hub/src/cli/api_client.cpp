#include "hub/cli/api_client.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace hub::cli {

ApiClient::ApiClient(std::string base_url, std::string token, int timeout_seconds)
    : base_url_(std::move(base_url)), token_(std::move(token)), timeout_seconds_(timeout_seconds) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

/// The request body: a string (empty for none), or a file streamed from disk.
struct ApiClient::Body {
  const std::string* text = nullptr;
  const std::filesystem::path* file = nullptr;
};

ApiResponse ApiClient::request(const std::string& method, const std::string& path_and_query,
                               const std::string& body, const std::string& content_type) {
  return send(method, path_and_query, Body{&body, nullptr}, content_type);
}

ApiResponse ApiClient::upload(const std::string& path_and_query, const std::filesystem::path& file,
                              const std::string& content_type) {
  return send("POST", path_and_query, Body{nullptr, &file}, content_type);
}

ApiResponse ApiClient::send(const std::string& method, const std::string& path_and_query,
                            const Body& body, const std::string& content_type) {
  Poco::URI uri;
  try {
    uri = Poco::URI(base_url_);
  } catch (const Poco::Exception& e) {
    throw Unreachable("invalid hub URL '" + base_url_ + "': " + e.displayText());
  }
  if (uri.getScheme() != "http" && uri.getScheme() != "https") {
    throw Unreachable("invalid hub URL '" + base_url_ + "': expected http:// or https://");
  }
  std::ifstream file_in;
  std::uintmax_t file_size = 0;
  if (body.file) {
    std::error_code ec;
    file_size = std::filesystem::file_size(*body.file, ec);
    if (!ec) file_in.open(*body.file, std::ios::binary);
    if (ec || !file_in) {
      throw Error("cannot read " + body.file->string() +
                  (ec ? ": " + ec.message() : std::string(": cannot open")));
    }
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
    if (body.file) {
      req.setContentType(content_type);
      req.setContentLength64(static_cast<Poco::Int64>(file_size));
      auto& out = session->sendRequest(req);
      Poco::StreamCopier::copyStream64(file_in, out, 1 << 16);
    } else if (method != "GET") {
      req.setContentType(content_type);
      req.setContentLength(static_cast<std::streamsize>(body.text->size()));
      session->sendRequest(req) << *body.text;
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
