#pragma once
// external.state bodies (schemas/canonical/external_state.xsd): what GIS answered about one of our
// requests. The billing store sink records them and sets GIS GUIDs / errors on the objects they
// name (objectKind + objectRef).

#include <chrono>
#include <string>
#include <vector>

namespace hub::adapters::gis_zhkh {

/// One object's outcome (CommonResult correlated by TransportGUID).
struct ObjectResult {
  std::string transport_guid;
  std::string kind;  ///< account, meter, house, premise, payment_document, payment, meter_reading
  std::string ref;   ///< our id of the object
  std::string external_guid;
  std::string unique_number;
  std::string updated_at;                                   ///< xs:dateTime; required for a success
  std::vector<std::pair<std::string, std::string>> errors;  ///< code, text
};

struct StateReport {
  std::string operation;
  std::string request_id;  ///< our MessageGUID
  std::string ack_guid;    ///< GIS MessageGUID
  std::string state = "done";
  std::chrono::system_clock::time_point checked_at{};
  std::string error_code;  ///< whole-message error (then no results)
  std::string error_text;
  std::vector<ObjectResult> results;
};

/// The canonical body of `report` (system gis_zhkh).
std::string external_state_body(const StateReport& report);

}  // namespace hub::adapters::gis_zhkh
