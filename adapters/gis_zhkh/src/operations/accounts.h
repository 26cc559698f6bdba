#pragma once
// importAccountData / exportAccountData (house-management, base:version 10.0.1.1): the one place
// where account.upsert maps to GIS Account and back.
//
// account.upsert → importAccountRequest/Account:
//   kind uo|rso|cr|rc|tko (default from config) → isUOAccount|isRSOAccount|...;
//   residents → LivingPersonsNumber; area → TotalSquare; livingArea → ResidentialSquare;
//   premise/gisLivingRoomGuid → Accommodation/LivingRoomGUID, else premise/gisPremisesGuid →
//   Accommodation/PremisesGUID, else houseFiasGuid → Accommodation/FIASHouseGuid (+ sharePercent
//   → SharePercent); payer/renter true → PayerInfo/IsRenter; payer/person → PayerInfo/Ind
//   (Surname, FirstName, Patronymic, DateOfBirth, SNILS); account → AccountNumber;
//   gisAccountGuid → AccountGUID (an update); a new TransportGUID per account.
//   closedOn is not sent: Closed needs the NSI 22 reason GUID, which the canonical model lacks.
// exportAccountResult → account.upsert: the stored body with gisAccountGuid (AccountGUID), els
//   (UnifiedAccountNumber) and izhku (ServiceID) set; emitted only when one of them changed.

#include <string>
#include <utility>
#include <vector>

#include "operation.h"

namespace hub::adapters::gis_zhkh {

inline constexpr std::size_t kImportAccountLimit = 100;
inline constexpr std::size_t kExportAccountLimit = 1000;

/// One stored or routed account: our number and its account.upsert body.
struct AccountInput {
  std::string ref;
  std::string body;
};

/// Maps up to kImportAccountLimit accounts; bodies that cannot be mapped go to `refused`.
BuiltRequest build_import_accounts(const std::vector<AccountInput>& accounts,
                                   const std::string& default_kind, std::vector<Refused>& refused);

/// exportAccountRequest by AccountGUID; `accounts[i].ref` is our number, `data` our body, and the
/// GUID is read from the body's gisAccountGuid.
BuiltRequest build_export_accounts(const std::vector<AccountInput>& accounts);

/// exportAccountResult* → account.upsert messages for accounts whose GIS ids changed.
Handled handle_export_accounts(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh
