#include "hub/api/api_route.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace hub::api {

std::string ApiRequest::q(const std::string& key, const std::string& def) const {
  auto it = query.find(key);
  return it == query.end() ? def : it->second;
}

long long ApiRequest::q_int(const std::string& key, long long def, long long min,
                            long long max) const {
  const auto text = q(key);
  if (text.empty()) return def;
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  Poco::JSON::Object::Ptr d = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  d->set("parameter", key);
  d->set("value", text);
  d->set("allowed", std::to_string(min) + ".." + std::to_string(max));
  throw ApiError(400, "invalid query parameter '" + key + "'", d);
}

std::string ApiRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

ApiResponse ApiResponse::json(const Poco::Dynamic::Var& value, int status) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out);
  out << '\n';
  return {status, out.str(), "application/json; charset=utf-8"};
}

ApiResponse ApiResponse::text(std::string body, std::string content_type, int status) {
  return {status, std::move(body), std::move(content_type)};
}

}  // namespace hub::api
