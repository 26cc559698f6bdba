#include "houses.h"

#include "../util.h"
#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

BuiltRequest build_export_house(const std::string& fias_guid) {
  BuiltRequest req{
      "exportHouseData", "house-management", "exportHouseRequest", kHouseNs, "15.10.0.0", {}, {}};
  req.body = std::string("<hm:exportHouseRequest xmlns:hm=\"") + kHouseNs + "\" xmlns:base=\"" +
             kBaseNs +
             "\" Id=\"signed-data-container\" base:version=\"15.10.0.0\"><hm:FIASHouseGuid>" +
             escaped(fias_guid) + "</hm:FIASHouseGuid></hm:exportHouseRequest>";
  // No TransportGUID in an export: one of ours correlates the external.state result.
  req.objects.push_back({new_guid(), "house", fias_guid, {}});
  return req;
}

Handled handle_export_house(const ResultInput& in) {
  Handled h;
  xmlNodePtr r = child(in.result, "exportHouseResult");
  if (!r || in.objects.empty()) {
    h.summary = "no house in the answer";
    return h;
  }
  ObjectResult o;
  o.transport_guid = in.objects.front().transport_guid;
  o.kind = "house";
  o.ref = in.objects.front().ref;
  o.external_guid = child_text(r, "HouseGUID");
  o.unique_number = child_text(r, "HouseUniqueNumber");
  o.updated_at = child_text(r, "ModificationDate");
  h.summary = "house " + o.ref + ": HouseGUID " +
              (o.external_guid.empty() ? "-" : o.external_guid) + ", unique number " +
              o.unique_number;
  h.results.push_back(std::move(o));
  return h;
}

}  // namespace hub::adapters::gis_zhkh
