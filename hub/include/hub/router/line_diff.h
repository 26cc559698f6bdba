#pragma once
// A readable line diff for `routes apply`: longest-common-subsequence over lines, printed in the
// unified format (---/+++ headers, @@ hunks with `context` lines around each change).

#include <string>

namespace hub::router {

/// Empty when `before` and `after` have the same lines. Lines compare byte for byte, so a trailing
/// newline difference alone shows as a change of the last line.
std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& before_name, const std::string& after_name,
                         int context = 3);

}  // namespace hub::router
