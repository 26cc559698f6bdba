#pragma once
// Admin API endpoints for file imports (added with AdminServer::add_routes):
//   POST /api/v1/imports?parser=P&file_name=F[&dry_run=1&limit=N]   operator; body = the file
//        202 {import status} (queued; 200 with "duplicate": true for a file already imported);
//        dry run: 200 {"dry_run": true, "accepted", "messages": [envelopes], "summary", ...}
//   GET  /api/v1/imports?limit=N&offset=M                             viewer; newest first
//   GET  /api/v1/imports/parsers                                       viewer; registered parsers
//   GET  /api/v1/imports/{id}                                          viewer; progress or report
// Imports of the file inbox (their checkpoints) are listed too, so one place shows every file.

#include <vector>

#include "hub/api/api_route.h"
#include "hub/imports/import_service.h"

namespace hub::imports {

std::vector<api::ApiRoute> import_routes(ImportService& service);

}  // namespace hub::imports
