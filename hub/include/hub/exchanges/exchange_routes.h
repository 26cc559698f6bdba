#pragma once
// Admin API endpoints over hub.exchange_log (added with AdminServer::add_routes), viewer role:
//   GET /api/v1/exchanges?since&until&adapter&operation&status&direction&message_guid&limit&offset
//       → {"items": [{id, at, adapter, operation, direction, message_guid, status,
//                     payload_bytes}], "limit", "offset"}   newest first, no payloads
//   GET /api/v1/exchanges/export?<the same filters>&after_id&max_rows&max_bytes
//       → {"items": [... + "payload"], "next_after_id", "more"}   id order, a page at a time
//       (at most max_rows rows, about max_bytes of payload): what `zhkh-hub exchanges export`
//       pages through to write the files
//   GET /api/v1/exchanges/{id}              → the row, its pair (request_id, response_id), file
//   GET /api/v1/exchanges/{id}/request.xml  → the raw request of the pair `id` belongs to
//   GET /api/v1/exchanges/{id}/response.xml → the raw response (404 when there is none)
// A bad filter is 400 naming the parameter.

#include <vector>

#include "hub/api/api_route.h"
#include "hub/store/pool.h"

namespace hub::exchanges {

std::vector<api::ApiRoute> exchange_routes(store::Pool& pool);

}  // namespace hub::exchanges
