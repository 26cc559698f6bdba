#pragma once
// PostgreSQL array literals for bulk statements (`INSERT ... SELECT * FROM unnest($1::text[])`):
// libpqxx 6.4 has no array parameter conversion, and one unnest round trip per batch is what makes
// the journal fast.

#include <optional>
#include <string>
#include <vector>

namespace hub::store {

/// Appends one element, quoted and escaped; nullopt becomes NULL.
void append_array_element(std::string& out, const std::optional<std::string>& value);

/// {"a","b",NULL}
std::string pg_array_literal(const std::vector<std::optional<std::string>>& values);
std::string pg_array_literal(const std::vector<std::string>& values);

}  // namespace hub::store
