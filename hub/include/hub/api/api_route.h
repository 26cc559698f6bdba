#pragma once
// Endpoints that other parts of the hub (canonical queues, tickets, the SOAP endpoint) add to the
// admin API with AdminServer::add_routes(). The server does for them what it does for its own:
// authenticates the bearer token, checks the role, reads the body of a mutating call (with the
// size limit), audits mutating calls, counts and logs the request, and maps exceptions:
//   api::ApiError(status, ...) → that status; NotFound → 404; Conflict → 409;
//   ConfigError → 400 with file/line/key; StoreError / broken connection → 503; others → 500.
// A route only turns an ApiRequest into an ApiResponse, and may block (long-poll) for a while:
// the server's thread pool is sized for it (AdminServerOptions::max_threads).

#include <Poco/Dynamic/Var.h>

#include <functional>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "hub/api/token_store.h"
#include "hub/core/error.h"

namespace hub::api {

/// A refusal with its HTTP status, e.g. ApiError(400, "max must be 1..1000", detail).
class ApiError : public Error {
 public:
  ApiError(int status, const std::string& message, Poco::Dynamic::Var detail = {})
      : Error(message), status_(status), detail_(std::move(detail)) {}
  int status() const { return status_; }
  const Poco::Dynamic::Var& detail() const { return detail_; }

 private:
  int status_;
  Poco::Dynamic::Var detail_;
};

struct ApiRequest {
  std::string method;
  std::string path;
  std::vector<std::string> params;             ///< the "*" segments of the pattern, in order
  std::map<std::string, std::string> query;    ///< last value wins
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;                            ///< read for every method but GET/HEAD
  /// ApiRoute::stream_body: the unread request body, to be read to its end by the handler
  /// (`body` stays empty then). Null otherwise.
  std::istream* body_stream = nullptr;
  Principal who;                               ///< empty name for an anonymous route
  std::string object;  ///< audit: what was acted on (defaults to the first param)

  std::string q(const std::string& key, const std::string& def = "") const;
  /// The integer query parameter, or `def` when absent; ApiError 400 outside [min, max].
  long long q_int(const std::string& key, long long def, long long min, long long max) const;
  /// The header (name in lower case), or "".
  std::string header(const std::string& lower_name) const;
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";

  /// JSON of `value` (Poco::JSON Object/Array or a plain value).
  static ApiResponse json(const Poco::Dynamic::Var& value, int status = 200);
  static ApiResponse text(std::string body, std::string content_type, int status = 200);
};

struct ApiRoute {
  std::string method;                ///< "GET", "POST", ...
  std::vector<std::string> pattern;  ///< segments after /api/v1/ ("*" = one captured segment)
  std::string name;                  ///< metrics label and audit action ("api.<name>")
  Role role = Role::kViewer;         ///< the least role allowed
  std::function<ApiResponse(ApiRequest&)> handler;
  bool root = false;       ///< pattern counts from "/" instead of "/api/v1/" (e.g. {"soap"})
  bool anonymous = false;  ///< no token needed (a WSDL that clients fetch before they can log in)
  /// false: a successful call writes no hub.audit row (refusals still do). For high-rate calls
  /// that record themselves where they act, e.g. queue pull/ack (hub.delivery.consumer).
  bool audit = true;
  /// true: the server does not read the body (nor apply its max_body_bytes); the handler streams
  /// it from ApiRequest::body_stream, for uploads larger than memory (file imports).
  bool stream_body = false;
};

}  // namespace hub::api
