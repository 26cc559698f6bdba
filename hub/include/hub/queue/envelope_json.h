#pragma once
// The envelope's JSON form, used by the queue API (pull responses, POST /api/v1/messages):
//   {"id": "...", "type": "payment.received", "schema_version": 1, "source": "...",
//    "occurred_at": "2026-11-20T10:00:00.000Z", "correlation_id": "...", "causation_id": "...",
//    "idempotency_key": "...", "headers": {"k": "v"}, "body": "<c:paymentReceived ...>...</...>"}
// The body stays canonical XML, carried as a JSON string: the XSD is the one contract for it.

#include <string>

#include "hub/core/envelope.h"

namespace hub::queue {

/// Appends `e` as one JSON object (every field, empty strings included).
void append_envelope_json(std::string& out, const Envelope& e);

/// Reads a JSON envelope as a producer sends it: `type`, `idempotency_key` and `body` are
/// required; `id`, `source`, `occurred_at`, `correlation_id`, `causation_id`, `headers`
/// (object of strings) and `schema_version` may be left out (Ingress fills them). Unknown keys
/// are refused. Throws api::ApiError(400) naming the key (and the JSON position when the text
/// does not parse).
Envelope envelope_from_json(const std::string& text);

}  // namespace hub::queue
