#include "hub/store/journal_row.h"

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <string_view>

namespace hub::store {

std::map<std::string, std::string> parse_journal_headers(const char* json) {
  std::map<std::string, std::string> out;
  if (!json || std::string_view(json) == "{}") return out;
  try {
    auto obj = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    for (const auto& [k, v] : *obj) out[k] = v.isString() ? v.extract<std::string>() : v.toString();
  } catch (const std::exception&) {
    // The journal only holds objects Ingress wrote; a surprise here must not stop delivery.
  }
  return out;
}

void read_journal_envelope(const pqxx::row& row, int first, Envelope& e) {
  const auto col = [&](int i) { return row[first + i]; };
  e.id = col(0).c_str();
  e.type = col(1).c_str();
  e.schema_version = col(2).as<int>();
  e.source = col(3).c_str();
  e.occurred_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(col(4).as<long long>())));
  e.correlation_id = col(5).c_str();
  e.causation_id = col(6).c_str();
  e.idempotency_key = col(7).c_str();
  e.headers = parse_journal_headers(col(8).c_str());
  e.body.assign(col(9).c_str(), col(9).size());
}

}  // namespace hub::store
