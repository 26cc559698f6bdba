#pragma once
// exportHouseData (house-management, base:version 15.10.0.0): the one place that learns a
// house's GIS identifiers. One request per house (exportHouseRequest takes one FIASHouseGuid);
// exportHouseResult becomes an external.state result for objectKind house, objectRef the FIAS
// GUID: HouseGUID → externalGuid, HouseUniqueNumber → uniqueNumber, ModificationDate →
// updatedAt, which the billing store writes to billing.house (gis_house_guid, gis_unique_number).

#include <string>

#include "operation.h"

namespace hub::adapters::gis_zhkh {

BuiltRequest build_export_house(const std::string& fias_guid);

Handled handle_export_house(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh
