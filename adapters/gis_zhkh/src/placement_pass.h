#pragma once
// One run of a placement job (import_accounts, import_meters, payment_documents): the store's
// objects of one canonical type that GIS has no id for yet, a page at a time, without those an
// open exchange is already carrying; and the tally the job reports. The jobs differ only in how
// they chunk and build requests, which they do in `take`.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "exchange_engine.h"
#include "hub/plugin/billing_export.h"
#include "hub/plugin/context.h"
#include "hub/plugin/job_spec.h"
#include "operations/operation.h"

namespace hub::adapters::gis_zhkh {

/// What a placement job queued, refused and skipped.
class PlacementTally {
 public:
  /// Refusals of the builder, reported as "<noun> <ref>: <reason>".
  void refused(const std::vector<Refused>& refused, const std::string& noun);
  /// A request handed to the engine with its outcome.
  void submitted(const BuiltRequest& request, const SendOutcome& outcome);
  void skipped(std::size_t n) { skipped_ += n; }
  /// Objects held back until another object GIS must place first has its GIS id (a document's
  /// account, a meter's premise): reported, not refused.
  void waiting(std::size_t n) { waiting_ += n; }

  /// "<n> <what> in <m> requests[, k already in flight][, w waiting for an object GIS must place
  /// first][, j to resend]"; a failure naming the
  /// first refusal when there was any.
  plugin::JobResult result(const std::string& what) const;

 private:
  std::size_t requests_ = 0, objects_ = 0, skipped_ = 0, waiting_ = 0, transient_ = 0;
  std::vector<std::string> failures_;
};

/// Pages of `type` (`page_size` each) without external id; objects in flight ("<kind>:<ref>" in an
/// open exchange) are counted in `tally` and left out; `take` gets the rest of each page.
void for_each_unplaced_page(plugin::Context& ctx, const std::string& type, const std::string& kind,
                            std::size_t page_size, PlacementTally& tally,
                            const std::function<void(std::vector<plugin::ExportedObject>&)>& take);

}  // namespace hub::adapters::gis_zhkh
