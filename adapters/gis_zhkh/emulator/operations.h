#pragma once
// What the emulator does with each accepted request: the operation handlers. A handler runs under
// the store's lock when the request is accepted (GIS applies it "while processing"; the result is
// then held back until the configured delays pass) and returns either a whole-message error or
// the markup that follows RequestState/MessageGUID in the service's getStateResult.

#include <libxml/tree.h>

#include <functional>
#include <map>
#include <string>

#include "store.h"

namespace hub::adapters::gis_zhkh::emulator {

struct OpContext {
  Store& store;
  xmlNodePtr request;  ///< the body element (validated)
  std::string sender;  ///< orgPPAGUID from the RequestHeader (may be empty)
};

struct OpResult {
  std::string error_code;  ///< non-empty: base:ErrorMessage instead of a result
  std::string error_text;
  std::string markup;  ///< getStateResult content after base:MessageGUID
};

using Handler = std::function<OpResult(OpContext&)>;

/// Handlers by operation name (WSDL operation, e.g. "importAccountData").
const std::map<std::string, Handler>& handlers();

/// The per-object error the control API set for this TransportGUID, as a CommonResult's Error
/// markup (base prefix), or empty.
std::string object_error(Store& store, const std::string& transport_guid);
/// A CommonResult-shaped body: GUID?, TransportGUID, UniqueNumber?, UpdateDate, then `extra`
/// (qualified element name of the CommonResult is the caller's).
std::string common_result(const std::string& qname, const std::string& guid,
                          const std::string& transport, const std::string& unique_number,
                          const std::string& extra = {});
std::string common_error(const std::string& qname, const std::string& transport,
                         const std::string& code, const std::string& text,
                         const std::string& guid = {});

inline constexpr const char* kNoObjects = "INT002012";
inline constexpr const char* kNoObjectsText = "Нет объектов для экспорта";
inline constexpr const char* kNotFound = "INT002000";

// Registered per area (operations_*.cpp).
void register_account_operations(std::map<std::string, Handler>& out);
void register_metering_operations(std::map<std::string, Handler>& out);
void register_bills_operations(std::map<std::string, Handler>& out);
void register_payment_operations(std::map<std::string, Handler>& out);
void register_registry_operations(
    std::map<std::string, Handler>& out);  ///< org registry, NSI, house, appeals

}  // namespace hub::adapters::gis_zhkh::emulator
