#pragma once
// plugin::BillingExport over schema billing: keyset-paged reads of stored objects as their
// canonical bodies (the same mapping BillingStore::build uses), with the filters a bulk export to
// GIS ZhKH needs (without GIS GUID, with an error), and the counts of the placement audit. Each
// page is one short read-only statement; nothing is held between pages.

#include "hub/plugin/billing_export.h"
#include "hub/store/pool.h"

namespace hub::billing {

class PgBillingExport : public plugin::BillingExport {
 public:
  explicit PgBillingExport(store::Pool& pool) : pool_(pool) {}

  std::vector<plugin::ExportedObject> page(const plugin::ExportQuery& query) override;
  std::vector<plugin::PlacementCount> placement() override;
  std::vector<ErrorCount> errors() override;

 private:
  store::Pool& pool_;
};

}  // namespace hub::billing
