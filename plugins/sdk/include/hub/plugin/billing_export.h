#pragma once
// Reads of the billing store for bulk export to an external system (e.g. every account GIS ZhKH
// has no AccountGUID for yet): keyset-paged, each object as its canonical message body, so the
// adapter maps store objects and routed messages with the same code.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hub::plugin {

/// Which stored objects a page holds.
enum class ExportFilter {
  kAll,
  kWithoutExternalId,  ///< no GIS GUID yet and no external error recorded
  kWithExternalId,     ///< GIS GUID known
  kWithError,          ///< the external system refused it last time (ext_error_code set)
};

struct ExportQuery {
  std::string type;  ///< account.upsert, meter.upsert, house.upsert, premise.upsert,
                     ///< payment_document.issued
  ExportFilter filter = ExportFilter::kAll;
  std::int64_t after_id = 0;  ///< keyset: ids greater than this
  std::size_t limit = 1000;
};

struct ExportedObject {
  std::int64_t id = 0;      ///< store id (the next page's after_id)
  std::string ref;          ///< our reference: account number, meter id, FIAS GUID, doc number
  std::string external_id;  ///< GIS GUID when known
  std::string error_code;   ///< last external error, when any
  std::string error_text;
  std::string body;  ///< canonical body XML of `type`
};

/// Objects of one type without an external id, and how many have an error, for the placement audit.
struct PlacementCount {
  std::string type;
  std::int64_t total = 0;
  std::int64_t without_external_id = 0;
  std::int64_t with_error = 0;
};

class BillingExport {
 public:
  virtual ~BillingExport() = default;
  /// One page, ids ascending. Throws std::invalid_argument for a type the store cannot export.
  virtual std::vector<ExportedObject> page(const ExportQuery& query) = 0;
  /// Counts per exportable type.
  virtual std::vector<PlacementCount> placement() = 0;
  /// Errors by type and code: (type, code, count).
  struct ErrorCount {
    std::string type;
    std::string code;
    std::int64_t count = 0;
  };
  virtual std::vector<ErrorCount> errors() = 0;
  /// The objects of `type` whose ref is one of `refs`, whatever their placement: how an adapter
  /// finds the GIS ids of the objects one message names (a meter's accounts and premise) without
  /// paging the whole store. Throws std::invalid_argument for a type the store cannot export.
  /// Declared last, so the slots of the calls above stay where ABI 2 plugins have them.
  virtual std::vector<ExportedObject> find(const std::string& type,
                                           const std::vector<std::string>& refs) {
    (void)type;
    (void)refs;
    throw std::logic_error("BillingExport::find is not provided by this hub");
  }
};

}  // namespace hub::plugin
