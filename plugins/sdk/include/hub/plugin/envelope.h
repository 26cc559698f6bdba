#pragma once
// The canonical message as adapters and the hub see it.

#include <chrono>
#include <map>
#include <string>

namespace hub::plugin {

/// A canonical message. `body` is canonical XML that Ingress validates against the XSD registered
/// for `type`. `idempotency_key` identifies the business event (e.g. "bank:<file-sha>:<line>"):
/// the hub journals a key once, so re-emitting the same event is harmless.
struct Envelope {
  std::string id;                 ///< UUIDv7; Ingress assigns one when empty
  std::string type;               ///< e.g. "payment.received"
  int schema_version = 1;
  std::string source;             ///< adapter instance that produced it
  std::chrono::system_clock::time_point occurred_at{};
  std::string correlation_id;     ///< ties a business flow together; defaults to id
  std::string causation_id;       ///< id of the message that caused this one, if any
  std::string idempotency_key;    ///< required
  std::map<std::string, std::string> headers;
  std::string body;
};

}  // namespace hub::plugin
