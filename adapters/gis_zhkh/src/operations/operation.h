#pragma once
// What every GIS operation of the adapter is made of. The mapping canonical ↔ GIS of one
// operation lives in ONE file of this directory (accounts.cpp: importAccountData and
// exportAccountData, ...); mappings/gis_zhkh/README.md lists them. A builder turns canonical
// bodies into one request body (the element with Id="signed-data-container" and base:version);
// a result handler turns the getStateResult into canonical messages.

#include <libxml/tree.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "../external_state.h"
#include "hub/plugin/envelope.h"

namespace hub::adapters::gis_zhkh {

inline constexpr const char* kBaseNs = "http://dom.gosuslugi.ru/schema/integration/base/";
inline constexpr const char* kHouseNs =
    "http://dom.gosuslugi.ru/schema/integration/house-management/";
inline constexpr const char* kAccountBaseNs =
    "http://dom.gosuslugi.ru/schema/integration/account-base/";
inline constexpr const char* kIndividualNs =
    "http://dom.gosuslugi.ru/schema/integration/individual-registry-base/";
inline constexpr const char* kCanonicalNs = "urn:zhkh-hub:canonical:1";

/// One object a request carries, correlated with its result by TransportGUID.
struct ObjectLine {
  std::string transport_guid;  ///< empty for exports (no per-object result)
  std::string kind;            ///< external.state objectKind
  std::string ref;             ///< our id (account number, meter id, ...)
  std::string data;            ///< what the result handler needs back (e.g. the canonical body)
};

/// A request body ready to be wrapped in an envelope.
struct BuiltRequest {
  std::string operation;  ///< importAccountData
  std::string service;    ///< package subdirectory, e.g. house-management
  std::string element;    ///< request element local name, e.g. importAccountRequest
  std::string ns;         ///< its namespace
  std::string version;    ///< the base:version this builder writes
  std::string body;       ///< the request element
  std::vector<ObjectLine> objects;
};

/// A canonical input the builder refused: which object and why (XPath in the reason).
struct Refused {
  std::string ref;
  std::string reason;
};

/// What a result handler produced.
struct Handled {
  std::vector<plugin::Envelope> messages;  ///< besides external.state
  std::vector<ObjectResult> results;       ///< per-object results for external.state
  std::string summary;
  std::vector<BuiltRequest> follow_ups;  ///< next pages of a paged export
};

/// Everything a result handler sees.
struct ResultInput {
  std::string instance;
  std::string operation;
  std::string ack_guid;
  std::chrono::system_clock::time_point checked_at;
  const std::vector<ObjectLine>& objects;
  xmlNodePtr result;  ///< the getStateResult element
};

using ResultHandler = std::function<Handled(const ResultInput&)>;

/// ImportResult/CommonResult of an import: one ObjectResult per result, matched to `objects` by
/// TransportGUID (kind and ref from there). Objects without a result get an error
/// "NO_RESULT". A CommonResult's GUID becomes externalGuid unless `guid_from` names a child
/// element that holds the object's GUID instead (e.g. importMeteringDevice/MeteringDeviceGUID).
Handled import_results(const ResultInput& in);

/// An envelope of the adapter (source stamped by the hub).
plugin::Envelope make_message(const std::string& type, std::string idempotency_key,
                              std::string body, const std::string& correlation);

}  // namespace hub::adapters::gis_zhkh
