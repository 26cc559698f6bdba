#pragma once
// A journalled message read back into an Envelope. The dispatcher's claims and the canonical
// queues' pulls select the same ten columns of hub.message (with the delivery's body override),
// in this order, starting at some column `first`:
//   m.id::text, m.type, m.schema_version, m.source,
//   (extract(epoch FROM m.occurred_at) * 1000000)::bigint, m.correlation_id,
//   coalesce(m.causation_id, ''), m.idempotency_key, m.headers::text, coalesce(d.body, m.body)

#include <map>
#include <pqxx/pqxx>
#include <string>

#include "hub/core/envelope.h"

namespace hub::store {

/// Fills `out` from those columns of `row`.
void read_journal_envelope(const pqxx::row& row, int first, Envelope& out);

/// The journal's headers (a JSON object Ingress wrote) as a map; "{}" or anything unexpected gives
/// an empty map rather than stopping a delivery.
std::map<std::string, std::string> parse_journal_headers(const char* json);

}  // namespace hub::store
