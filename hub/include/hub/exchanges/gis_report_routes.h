#pragma once
// Admin API endpoints for the GIS ZhKH reports (gis_reports.h), viewer role:
//   GET /api/v1/gis/reports/errors?kind=account|payment_document|meter|reading|payment|house|
//                                  premise&since=7d|ISO&open=1&limit&offset
//       → {"total", "by_code": [{kind, code, count}], "items": [{kind, ref, code, text,
//          operation, message_guid, at, source, resolved}], "limit", "offset"}
//       newest first; open=1: only errors no later success resolved
//   GET /api/v1/gis/reports/placement?kind=house|premise|account|meter|payment_document&limit&
//                                     offset
//       → {"counts": [{kind, total, without_gis_guid, with_error}], "items": [{kind, id, ref,
//          error_code, error_text, updated_at}], "limit", "offset"}
// An unknown kind or a bad since is 400 naming the parameter and the allowed values.

#include <vector>

#include "hub/api/api_route.h"
#include "hub/store/pool.h"

namespace hub::exchanges {

std::vector<api::ApiRoute> gis_report_routes(store::Pool& pool);

}  // namespace hub::exchanges
