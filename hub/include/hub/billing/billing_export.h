#pragma once
// plugin::BillingExport over schema billing: keyset-paged reads of stored objects as their
// canonical bodies (the same mapping BillingStore::build uses), with the filters a bulk export to
// GIS ZhKH needs (without GIS GUID, with an error), and the counts of the placement audit. Each
// page is one short read-only statement; nothing is held between pages.

#include <span>

#include "hub/plugin/billing_export.h"
#include "hub/store/pool.h"

namespace hub::billing {

/// Per exportable type: our reference column and the external (GIS) id column. The one list the
/// export, the placement counts and the hub's placement report (hub/exchanges) read.
struct ExportTarget {
  const char* type;  ///< account.upsert, ...
  const char* ref;
  const char* guid;
};
std::span<const ExportTarget> export_targets();

class PgBillingExport : public plugin::BillingExport {
 public:
  explicit PgBillingExport(store::Pool& pool) : pool_(pool) {}

  std::vector<plugin::ExportedObject> page(const plugin::ExportQuery& query) override;
  std::vector<plugin::ExportedObject> find(const std::string& type,
                                           const std::vector<std::string>& refs) override;
  std::vector<plugin::PlacementCount> placement() override;
  std::vector<ErrorCount> errors() override;

 private:
  /// One page; with `refs` non-empty only objects whose ref is one of them.
  std::vector<plugin::ExportedObject> select(const plugin::ExportQuery& query,
                                             const std::vector<std::string>& refs);
  store::Pool& pool_;
};

}  // namespace hub::billing
