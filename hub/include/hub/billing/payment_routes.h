#pragma once
// Admin API endpoints for unidentified payments (added with AdminServer::add_routes):
//   GET  /api/v1/payments/unidentified?limit=N&offset=M    viewer; oldest first
//        → {"items": [{id, agent, registry_ref, transaction_id, paid_on, period, amount_kopecks,
//                      payer: {account, els, ipd, izhku, name, address}, reason, reason_text,
//                      candidates: [...], received_at}], "limit", "offset"}
//   POST /api/v1/payments/unidentified/{id}/resolve         operator; body {"account": "..."}
//        → {"payment_id", "account", "message_id", "idempotency_key", "duplicate"}
//        400 bad body or unknown account, 404 no such payment, 409 not unidentified any more.

#include <vector>

#include "hub/api/api_route.h"
#include "hub/billing/unidentified_payments.h"

namespace hub::billing {

std::vector<api::ApiRoute> payment_routes(UnidentifiedPayments& payments);

}  // namespace hub::billing
