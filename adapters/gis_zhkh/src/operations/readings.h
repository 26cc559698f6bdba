#pragma once
// importMeteringDeviceValues (device-metering, base:version 10.0.1.1): the one place where
// meter.reading maps to GIS MeteringDevicesValues.
//
// meter.reading → MeteringDevicesValues:
//   gisMeterGuid → MeteringDeviceRootGUID (required: a reading of a meter GIS does not know yet
//   is refused, naming /c:meterReading/c:gisMeterGuid);
//   values in zones day / night / peak (or more than one zone) → ElectricDeviceValue/CurrentValue
//   MeteringValueT1 / T2 / T3; a single zone "total" → OneRateDeviceValue/CurrentValue with
//   MunicipalResource (NSI 2 Code + GUID of c:resource from the `nsi_resources` config, e.g.
//   "cold_water=1:<guid>") and MeteringValue;
//   takenAt (its date) → DateValue; period YYYY-MM → Period{Year, Month}; a new TransportGUID.
//   Values keep at most 7 fraction digits (GIS MeteringValueType).

#include <map>
#include <string>
#include <vector>

#include "operation.h"

namespace hub::adapters::gis_zhkh {

inline constexpr std::size_t kImportValuesLimit = 1000;
inline constexpr const char* kDeviceMeteringNs =
    "http://dom.gosuslugi.ru/schema/integration/device-metering/";

/// NSI 2 (коммунальный ресурс) reference of a canonical resource.
struct NsiRef {
  std::string code;
  std::string guid;
};

/// Parses `nsi_resources` entries "resource=code:guid"; throws std::invalid_argument naming the
/// entry.
std::map<std::string, NsiRef> parse_nsi_resources(const std::vector<std::string>& entries);

struct ReadingInput {
  std::string ref;   ///< our reference for external.state (meter id + moment)
  std::string body;  ///< meter.reading body
};

BuiltRequest build_import_readings(const std::vector<ReadingInput>& readings,
                                   const std::map<std::string, NsiRef>& resources,
                                   std::vector<Refused>& refused);

}  // namespace hub::adapters::gis_zhkh
