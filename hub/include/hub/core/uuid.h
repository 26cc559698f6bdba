#pragma once

#include <string>

namespace hub {

/// A UUIDv7 (RFC 9562): time-ordered, so journal inserts stay at the right edge of the index.
std::string new_uuid_v7();

/// True for the canonical 8-4-4-4-12 hex form.
bool is_uuid(const std::string& text);

}  // namespace hub
