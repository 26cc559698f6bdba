#pragma once
// PostgreSQL array literals for bulk statements (`INSERT ... SELECT * FROM unnest($1::text[])`):
// libpqxx 6.4 has no array parameter conversion, and one unnest round trip per batch is what makes
// the journal fast.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub::store {

/// Builds one array literal element by element, without copying the elements first: Ingress
/// appends 100 bodies of a few KB each per batch, and every extra copy of them is measurable.
class PgArrayBuilder {
 public:
  /// `expected_bytes`: a hint for the total size of the elements (the literal is reserved once).
  explicit PgArrayBuilder(std::size_t expected_bytes = 0);

  void add(std::string_view value);                           ///< quoted and escaped
  void add_or_null(const std::optional<std::string>& value);  ///< nullopt becomes NULL
  void add_null();

  /// The literal, e.g. {"a","b",NULL}; the builder is empty afterwards.
  std::string finish();

 private:
  void separate();
  std::string out_;
  bool first_ = true;
};

/// Appends one element, quoted and escaped; nullopt becomes NULL.
void append_array_element(std::string& out, std::string_view value);
void append_array_element(std::string& out, const std::optional<std::string>& value);

/// {"a","b",NULL}
std::string pg_array_literal(const std::vector<std::optional<std::string>>& values);
std::string pg_array_literal(const std::vector<std::string>& values);

}  // namespace hub::store
