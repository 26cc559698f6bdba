#include "operation.h"

#include <map>

#include "../util.h"
#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

Handled import_results(const ResultInput& in) {
  Handled h;
  std::map<std::string, const ObjectLine*> by_transport;
  for (const auto& o : in.objects) {
    if (!o.transport_guid.empty()) by_transport[lower(o.transport_guid)] = &o;
  }
  std::size_t ok = 0, failed = 0;
  for (xmlNodePtr ir : children(in.result, "ImportResult")) {
    // house-management nests CommonResult in ImportResult; device-metering's ImportResult is
    // itself a CommonResultType.
    std::vector<xmlNodePtr> results;
    if (child(ir, "TransportGUID")) {
      results.push_back(ir);
    } else {
      for (xmlNodePtr cr : elements(ir)) {
        const auto name = local_name(cr);
        if (name == "CommonResult" || name == "HomeManagementCommonResult") results.push_back(cr);
      }
    }
    for (xmlNodePtr cr : results) {
      ObjectResult r;
      r.transport_guid = child_text(cr, "TransportGUID");
      auto it = by_transport.find(lower(r.transport_guid));
      if (it == by_transport.end()) continue;  // not ours: nothing to correlate it with
      r.kind = it->second->kind;
      r.ref = it->second->ref;
      by_transport.erase(it);
      for (xmlNodePtr e : children(cr, "Error")) {
        r.errors.emplace_back(child_text(e, "ErrorCode"), child_text(e, "Description"));
      }
      if (r.errors.empty()) {
        r.external_guid = child_text(cr, "GUID");
        // Operation-specific GUIDs inside the result (importMeteringDevice/MeteringDeviceGUID).
        for (xmlNodePtr extra : elements(cr)) {
          const auto en = local_name(extra);
          if (en == "importMeteringDevice")
            r.external_guid = child_text(extra, "MeteringDeviceGUID");
        }
        r.unique_number = child_text(cr, "UniqueNumber");
        r.updated_at = child_text(cr, "UpdateDate");
        ++ok;
      } else {
        ++failed;
      }
      h.results.push_back(std::move(r));
    }
  }
  for (const auto& [guid, line] : by_transport) {
    ObjectResult r;
    r.transport_guid = line->transport_guid;
    r.kind = line->kind;
    r.ref = line->ref;
    r.errors.emplace_back("NO_RESULT", "GIS returned no result for this object");
    ++failed;
    h.results.push_back(std::move(r));
  }
  h.summary = std::to_string(ok) + " placed, " + std::to_string(failed) + " refused";
  return h;
}

plugin::Envelope make_message(const std::string& type, std::string idempotency_key,
                              std::string body, const std::string& correlation) {
  plugin::Envelope e;
  e.type = type;
  e.idempotency_key = std::move(idempotency_key);
  e.body = std::move(body);
  e.correlation_id = correlation;
  e.occurred_at = std::chrono::system_clock::now();
  return e;
}

}  // namespace hub::adapters::gis_zhkh
