#pragma once
// The canonical queues' admin API endpoints (added with AdminServer::add_routes):
//   POST /api/v1/queues/{subscription}/pull?max=N&wait=S   operator; N 1..1000 (100), S 0..60 s (0)
//        → {"messages": [{"receipt", "delivery_count", "message": {envelope JSON}}]}
//          (hub/queue/envelope_json.h), oldest first; with `Accept: application/xml`:
//          <q:messages xmlns:q="urn:zhkh-hub:queue:1" subscription="..">
//            <q:message receipt=".." deliveryCount="1"><e:envelope ...>..</e:envelope></q:message>
//          </q:messages>   (the envelope's wire form, hub/xml/envelope_xml.h)
//        Optional body {"ack": [receipts]} (XML: <q:ack>..</q:ack>): those are acked first, in
//        the same database round trip, and the answer adds "acked" and "rejected" as ack gives
//        them (XML: acked="n" and <q:rejected> before the messages). A consumer's loop is then
//        one call per batch instead of two.
//   POST /api/v1/queues/{subscription}/ack   operator; {"receipts": [...]}, or with
//        Content-Type: application/xml <q:ack><q:receipt>..</q:receipt>...</q:ack>
//        → {"acked": n, "rejected": [...]}   (XML: <q:ackResult acked="n"><q:rejected>..)
//   GET  /api/v1/queues   viewer; every subscription with its filter, depth, in-flight, oldest age
//   POST /api/v1/messages  operator; one envelope as JSON, or as canonical XML (Content-Type:
//        application/xml), into Ingress. 201 {"id", "duplicate": false} when journalled; 200
//        {"id": <the journalled one>, "duplicate": true} for an idempotency key already seen;
//        400 naming the key, line or XPath when refused. `source` defaults to the token's name;
//        only an admin may submit under another source.
// An unknown subscription is a 404. Successful pulls, acks and submissions write no hub.audit row
// (ApiRoute::audit = false): they are recorded where they happen (hub.delivery.consumer and
// delivered_at; hub.message.source) and a billing engine makes thousands a day; refusals are
// audited as usual.

#include <vector>

#include "hub/api/api_route.h"
#include "hub/plugin/context.h"
#include "hub/queue/canonical_queues.h"
#include "hub/store/pool.h"

namespace hub::queue {

/// The XML namespace of the pull / ack documents above.
inline constexpr const char* kQueueNs = "urn:zhkh-hub:queue:1";

/// The endpoints above. `ingress` takes POST /api/v1/messages; `pool` answers the duplicate
/// look-up. All three must outlive the server.
std::vector<api::ApiRoute> queue_routes(CanonicalQueues& queues, plugin::Emitter& ingress,
                                        store::Pool& pool);

}  // namespace hub::queue
