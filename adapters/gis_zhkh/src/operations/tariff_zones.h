#pragma once
// GIS numbers an electricity meter's tariff zones T1..T3 (MeteringValueT1..T3); which of our
// zones (c:Zone) each one is depends on how many zones the meter has, as on Russian multi-rate
// tariffs and meter displays:
//   one or two zones:  T1 day (a single-rate "total" counts as day), T2 night;
//   three zones:       T1 peak, T2 night, T3 half-peak.
// The one place that maps them: readings sent (readings.cpp), readings received
// (history.cpp) and a new meter's initial values (meters.cpp).

#include <array>
#include <string_view>

namespace hub::adapters::gis_zhkh {

struct TariffZone {
  const char* zone;  ///< c:Zone: day, night, peak, half_peak
  const char* tag;   ///< T1, T2, T3
};

/// T1, T2 (and T3 for a three-zone meter) in order; the two-zone table has an empty third entry.
inline std::array<TariffZone, 3> tariff_zones(bool three_zone) {
  if (three_zone) return {{{"peak", "T1"}, {"night", "T2"}, {"half_peak", "T3"}}};
  return {{{"day", "T1"}, {"night", "T2"}, {nullptr, nullptr}}};
}

/// Whether a reading's zones are those of a three-zone meter.
inline bool is_three_zone(bool has_peak, bool has_half_peak) {
  return has_peak || has_half_peak;
}

}  // namespace hub::adapters::gis_zhkh
