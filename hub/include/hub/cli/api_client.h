#pragma once
// A small blocking HTTP client for the admin API (http:// and https://), used by the CLI.
// Transport failures throw Unreachable; HTTP error statuses are returned, not thrown, so the
// caller can word the message for the command at hand.

#include <filesystem>
#include <string>

#include "hub/core/error.h"

namespace hub::cli {

/// The hub could not be reached at all (refused, timed out, bad host).
class Unreachable : public Error {
 public:
  using Error::Error;
};

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

class ApiClient {
 public:
  /// `base_url` like "http://127.0.0.1:8480"; an empty token sends no Authorization header.
  ApiClient(std::string base_url, std::string token, int timeout_seconds = 60);

  /// `path_and_query` starts with '/'; already percent-encoded.
  ApiResponse request(const std::string& method, const std::string& path_and_query,
                      const std::string& body = "",
                      const std::string& content_type = "application/json");
  ApiResponse get(const std::string& path_and_query) { return request("GET", path_and_query); }
  /// POSTs the content of `file` as the body, streamed (memory does not grow with its size).
  /// Throws Error when the file cannot be read.
  ApiResponse upload(const std::string& path_and_query, const std::filesystem::path& file,
                     const std::string& content_type = "application/octet-stream");

  const std::string& base_url() const { return base_url_; }

 private:
  struct Body;
  ApiResponse send(const std::string& method, const std::string& path_and_query, const Body& body,
                   const std::string& content_type);

  std::string base_url_;
  std::string token_;
  int timeout_seconds_;
};

/// Percent-encodes one path segment or query value.
std::string url_encode(const std::string& text);

}  // namespace hub::cli
