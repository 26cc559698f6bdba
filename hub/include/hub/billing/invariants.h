#pragma once
// The invariants the canonical XSDs leave to billing ("checked by billing, not here"): sums of
// kopecks that must add up, areas that must not exceed their totals, dates that must come in
// order. A body that breaks one is refused with the XPath of the element that disagrees.

#include <string>
#include <vector>

#include "hub/billing/canonical_mapping.h"

namespace hub::billing {

/// Issues for `record` (the mapped body of `type`); empty when it holds together.
std::vector<MappingIssue> check_invariants(const std::string& type, const Record& record);

}  // namespace hub::billing
