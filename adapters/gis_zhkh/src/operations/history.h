#pragma once
// exportMeteringDeviceHistory (device-metering): the one place where GIS meter history maps back
// to meter.reading — the readings residents (or other organisations) entered in GIS.
//
// Request: MeteringDeviceRootGUID[1..100] of meters the store knows the GIS GUID of (meter.upsert
//   gisRootGuid), inputDateFrom = `since`, ExcludeCurrentOrgAsDataSource (our own values are
//   already ours).
// Result exportMeteringDeviceHistoryResult → one meter.reading per Values/CurrentValue:
//   MeteringDeviceRootGUID → the meter's meterId, account and resource from the stored
//   meter.upsert; OneRate MeteringValue → value zone="total"; Electric MeteringValueT1/T2/T3 →
//   zones day/night/peak; DateValue → takenAt (midnight UTC when GIS gives no time zone);
//   Period → period; channel gis; gisMeterGuid. The idempotency key is meter + moment + values,
//   so a history exported again emits nothing new.

#include <string>
#include <vector>

#include "operation.h"
#include "readings.h"

namespace hub::adapters::gis_zhkh {

inline constexpr std::size_t kHistoryLimit = 100;

struct MeterInput {
  std::string ref;   ///< meterId
  std::string body;  ///< meter.upsert body
};

/// Meters without gisRootGuid or account are skipped. `since` is YYYY-MM-DD or empty.
BuiltRequest build_export_history(const std::vector<MeterInput>& meters, const std::string& since);

Handled handle_export_history(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh
