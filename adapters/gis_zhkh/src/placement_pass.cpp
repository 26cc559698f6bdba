#include "placement_pass.h"

#include <set>

namespace hub::adapters::gis_zhkh {

void PlacementTally::refused(const std::vector<Refused>& refused, const std::string& noun) {
  for (const auto& r : refused) failures_.push_back(noun + " " + r.ref + ": " + r.reason);
}

void PlacementTally::submitted(const BuiltRequest& request, const SendOutcome& outcome) {
  ++requests_;
  objects_ += request.objects.size();
  if (outcome.kind == SendOutcome::Kind::kTransient) ++transient_;
  if (outcome.kind == SendOutcome::Kind::kRejected) failures_.push_back(outcome.reason);
}

plugin::JobResult PlacementTally::result(const std::string& what) const {
  std::string msg =
      std::to_string(objects_) + " " + what + " in " + std::to_string(requests_) + " requests" +
      (skipped_ ? ", " + std::to_string(skipped_) + " already in flight" : "") +
      (waiting_ ? ", " + std::to_string(waiting_) + " waiting for an object GIS must place first"
                : "") +
      (transient_ ? ", " + std::to_string(transient_) + " to resend" : "");
  if (failures_.empty()) return plugin::JobResult::success(msg);
  return plugin::JobResult::failure(msg + "; " + std::to_string(failures_.size()) +
                                    " refused, first: " + failures_.front());
}

void for_each_unplaced_page(plugin::Context& ctx, const std::string& type, const std::string& kind,
                            std::size_t page_size, PlacementTally& tally,
                            const std::function<void(std::vector<plugin::ExportedObject>&)>& take) {
  auto& store = ctx.billing_export();
  std::int64_t after = 0;
  for (;;) {
    auto page = store.page({type, plugin::ExportFilter::kWithoutExternalId, after, page_size});
    if (page.empty()) return;
    after = page.back().id;
    std::vector<std::string> refs;
    refs.reserve(page.size());
    for (const auto& o : page) refs.push_back(kind + ":" + o.ref);
    const auto busy_list = ctx.exchanges().in_flight(refs);
    const std::set<std::string> busy(busy_list.begin(), busy_list.end());
    std::vector<plugin::ExportedObject> fresh;
    fresh.reserve(page.size());
    for (auto& o : page) {
      if (busy.count(kind + ":" + o.ref)) {
        tally.skipped(1);
      } else {
        fresh.push_back(std::move(o));
      }
    }
    if (!fresh.empty()) take(fresh);
  }
}

}  // namespace hub::adapters::gis_zhkh
