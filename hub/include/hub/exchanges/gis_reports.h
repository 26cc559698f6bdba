#pragma once
// The GIS ZhKH reports, computed by the hub from its own tables (adapters cannot read them):
//  * errors by object: every error GIS (or the adapter, before sending) recorded against one of
//    our objects, with code, text, object ref, operation, our MessageGUID and when. Two sources:
//    per-object errors in the answers (billing.external_state results: CommonResult/Error
//    correlated by TransportGUID) and whole requests that failed (hub.gis_exchange state
//    'failed': a fault, a refused send, an ErrorMessage), listed once per object they carried;
//    an error is "resolved" once a later answer reports a success for the same object;
//  * the placement audit: houses, premises, accounts, meters and payment documents the store has
//    without a GIS GUID, counted per type (PgBillingExport::placement, the same counts the
//    adapter's `report` job logs) and listed with their last error.
// Object kinds are the canonical ones (account, payment_document, meter, reading, payment, house,
// premise); "reading" is what the adapter records as meter_reading.

#include <cstdint>
#include <string>
#include <vector>

#include "hub/store/pool.h"

namespace hub::exchanges {

struct ErrorQuery {
  std::string kind;        ///< empty: every kind; else one of gis_error_kinds()
  std::string since;       ///< ISO 8601 or relative (7d): errors recorded at or after
  bool open_only = false;  ///< only errors not resolved since (see ObjectError::resolved)
  std::size_t limit = 100;
  std::size_t offset = 0;
};

struct ObjectError {
  std::string kind;
  std::string ref;  ///< our id: account number, meter id, document number, payment message id
  std::string code;
  std::string text;
  std::string operation;
  std::string message_guid;  ///< our MessageGUID of the request (hub.exchange_log correlation_id)
  std::string at;            ///< UTC ISO 8601
  std::string source;        ///< "object" (per-object result) or "request" (the whole request)
  bool resolved = false;     ///< GIS reported a success for the object after this error
};

struct ErrorCount {
  std::string kind;
  std::string code;
  std::int64_t count = 0;
};

struct ErrorReport {
  std::vector<ErrorCount> by_code;  ///< kind, code, count over the whole query (not the page)
  std::int64_t total = 0;
  std::vector<ObjectError> items;  ///< newest first, limit/offset
};

struct PlacementQuery {
  std::string kind;  ///< empty: every type; house, premise, account, meter, payment_document
  std::size_t limit = 100;
  std::size_t offset = 0;
};

struct PlacementCount {
  std::string kind;
  std::int64_t total = 0;
  std::int64_t without_gis_guid = 0;
  std::int64_t with_error = 0;
};

struct UnplacedObject {
  std::string kind;
  std::int64_t id = 0;  ///< store id
  std::string ref;
  std::string error_code;  ///< the last error GIS gave for it, if any
  std::string error_text;
  /// When GIS last answered about it (its error's time), else when its data last changed: the
  /// link state has no history versions of its own (migration 0013), so updated_at alone would
  /// hide a recent error behind an old data change.
  std::string updated_at;
};

struct PlacementReport {
  std::vector<PlacementCount> counts;
  std::vector<UnplacedObject> items;  ///< by kind, then store id; limit/offset
};

/// The kinds errors() takes.
const std::vector<std::string>& gis_error_kinds();
/// The kinds placement() takes.
const std::vector<std::string>& gis_placement_kinds();

class GisReports {
 public:
  explicit GisReports(store::Pool& pool) : pool_(pool) {}

  /// Throws BadFilter (exchange_log.h) for an unknown kind or a bad since.
  ErrorReport errors(const ErrorQuery& query);
  /// Throws BadFilter for an unknown kind.
  PlacementReport placement(const PlacementQuery& query);

 private:
  store::Pool& pool_;
};

}  // namespace hub::exchanges
