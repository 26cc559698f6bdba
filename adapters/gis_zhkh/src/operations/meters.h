#pragma once
// importMeteringDeviceData (house-management, base:version 11.1.0.8): the one place where
// meter.upsert maps to GIS MeteringDevice.
//
// meter.upsert → importMeteringDeviceDataRequest/MeteringDevice (a new TransportGUID each):
//   no gisRootGuid → DeviceDataToCreate; gisVersionGuid → DeviceDataToUpdate/
//   MeteringDeviceVersionGUID + UpdateBeforeDevicesValues (all current data); gisRootGuid without
//   gisVersionGuid, or archivedOn (ArchiveDevice needs the NSI 21 reason GUID), are refused.
//   BasicChatacteristicts: serialNumber → MeteringDeviceNumber (≤ 50); model → MeteringDeviceStamp
//   and MeteringDeviceModel (the canonical model has no separate brand; ≤ 100); installedOn →
//   InstallationDate; commissionedOn (else installedOn) → CommissioningDate; remote →
//   RemoteMeteringMode (+ RemoteMeteringInfo "АСКУЭ"); lastVerifiedOn → FirstVerificationDate;
//   sealedOn → FactorySealDate; TemperatureSensor / PressureSensor false (not in the model).
//   VerificationInterval (NSI 16) is not sent: the model has verificationIntervalYears, no NSI 16
//   GUID. Then NotLinkedWithMetering (links are not in the model).
//
//   kind (canonical MeterKind = GIS NSI 27 "Тип прибора учета") → where the device is (the
//   import names the NSI 27 type by the element):
//     kind              NSI 27                      element                      needs
//     individual        Индивидуальный              ResidentialPremiseDevice     PremiseGUID,
//       + premiseNumber                             (NonResidentialPremiseDevice AccountGUID+
//                                                    for a non-residential one)
//     individual, no    Индивидуальный (жилой дом)  ApartmentHouseDevice         FIASHouseGuid,
//       premiseNumber                                                            AccountGUID+
//     common_apartment  Общий (квартирный)          CollectiveApartmentDevice    PremiseGUID,
//                                                                                AccountGUID+
//     room              Комнатный                   LivingRoomDevice             AccountGUID+
//                                                   (LivingRoomGUID when known)
//     collective        Коллективный (общедомовой)  CollectiveDevice             FIASHouseGuid,
//                                                                                lastVerifiedOn
//   GUIDs come from what the store has from GIS (lookup_places): AccountGUID of each c:account;
//   PremisesGUID of premise (houseFiasGuid, premiseNumber), else of the first account's premise;
//   LivingRoomGUID of the first account's premise. A missing one holds the meter back naming the
//   canonical XPath (/c:meterUpsert/c:premiseNumber, /c:meterUpsert/c:account[2], ...): a routed
//   meter is retried, the job lists it and tries again on its next run.
//
//   resource → the value block (initialValue per zone, 0 when absent):
//     resource     NSI 2  block
//     cold_water   1      MunicipalResourceNotEnergy{MunicipalResource, MeteringValue, Unit?}
//     hot_water    2      MunicipalResourceNotEnergy
//     electricity  3      MunicipalResourceEnergy{MeteringValueT1 (day, else total), T2 (night),
//                         T3 (peak): as many as tariffZones; TransformationRatio?, Unit?}
//     gas          4      MunicipalResourceNotEnergy
//     heat         5      MunicipalResourceNotEnergy
//     other        —      refused
//   The NSI 2 reference (Code + GUID) is the `nsi_resources` entry of the resource (GUIDs differ
//   by stand); without one a non-electric meter is refused naming /c:meterUpsert/c:resource.
//   unit → Unit (OKEI): l 112, m3 113, Gcal 233, kWh 245, MWh 246, J 271, GJ A056, MJ A058; an
//   other unit is refused (the values would be read in the wrong unit).
//   A meter the store already knows the GIS ids of (an engine's meter.upsert routed without
//   them) is sent as an update of the stored version, never created twice.
// Result (handle_import_meters): import_results — CommonResult/importMeteringDevice/
//   MeteringDeviceGUID is the root GUID (external.state externalGuid →
//   billing.meter.gis_root_guid), UniqueNumber the GIS number (→ gis_number); and, as
//   external.state has no field for the version GUID (CommonResult/GUID) an update needs, a
//   meter.upsert with gisRootGuid, gisVersionGuid and gisNumber set for every placed meter (route
//   meter.upsert from the GIS instance to billing_store, never back to GIS).

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "history.h"
#include "operation.h"
#include "readings.h"

namespace hub::plugin {
class BillingExport;
}

namespace hub::adapters::gis_zhkh {

inline constexpr std::size_t kImportMeterLimit = 100;

/// What the store knows from GIS about the places and accounts some meters name.
struct MeterPlaces {
  struct Account {
    std::string guid;           ///< AccountGUID
    std::string premises_guid;  ///< its premise/gisPremisesGuid
    std::string room_guid;      ///< its premise/gisLivingRoomGuid
    std::string residential;    ///< its premise/residential ("" unknown)
  };
  struct Premise {
    std::string guid;         ///< gisPremisesGuid
    std::string residential;  ///< "true" / "false" / "" unknown
  };
  struct Placed {
    std::string root_guid, version_guid;  ///< gisRootGuid / gisVersionGuid the store has
  };
  std::map<std::string, Account> accounts;                          ///< by account number
  std::map<std::pair<std::string, std::string>, Premise> premises;  ///< (lower FIAS, number)
  std::map<std::string, Placed> meters;                             ///< by meterId
};

/// Reads the accounts (with AccountGUID) and premises the meters name from the store, by ref.
MeterPlaces lookup_places(plugin::BillingExport& store, const std::vector<MeterInput>& meters);

/// Maps up to kImportMeterLimit meters; bodies that cannot be mapped go to `refused`, those that
/// only lack a GIS id the store does not have yet (account / premise not placed, version not
/// back) to `waiting` when given (else to `refused`). Each object line keeps the meter's body
/// for the result handler.
BuiltRequest build_import_meters(const std::vector<MeterInput>& meters, const MeterPlaces& places,
                                 const std::map<std::string, NsiRef>& resources,
                                 std::vector<Refused>& refused,
                                 std::vector<Refused>* waiting = nullptr);

/// import_results, plus a meter.upsert with the GIS ids for every meter GIS placed.
Handled handle_import_meters(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh
