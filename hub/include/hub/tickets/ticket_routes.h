#pragma once
// The ticket endpoints of the admin API (added with AdminServer::add_routes):
//   GET  /api/v1/tickets?status&topic&house&account&assignee&channel&overdue=1&limit&offset
//   GET  /api/v1/tickets/{id}?view=staff|resident     with events, attachments, allowed moves
//   POST /api/v1/tickets                              operator: create (call centre, console)
//   POST /api/v1/tickets/{id}/transition {"to", "comment"?}   409 names the allowed statuses
//   POST /api/v1/tickets/{id}/comments   {"text", "internal"?}
//   POST /api/v1/tickets/{id}/assign     {"assignee"}
//   GET  /api/v1/ticket-model                         statuses, transitions, topics, SLA
// Reads need viewer, changes operator. The resident view shows residents' labels and leaves out
// internal comments. Refusals: 400 bad input, 404 no ticket, 409 transition refused.

#include <memory>
#include <vector>

#include "hub/api/api_route.h"
#include "hub/tickets/ticket_store.h"

namespace hub::tickets {

std::vector<api::ApiRoute> ticket_routes(std::shared_ptr<TicketStore> store);

}  // namespace hub::tickets
