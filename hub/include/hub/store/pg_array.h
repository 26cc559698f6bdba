#pragma once
// PostgreSQL arrays for bulk statements (`INSERT ... SELECT * FROM unnest($1::text[])`), as text
// literals or, for big elements, in the binary format: libpqxx 6.4 has no array parameter
// conversion, and one unnest round trip per batch is what makes the journal fast.

#include <cstdint>
#include <optional>
#include <pqxx/binarystring>
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

/// Builds a one-dimensional text[] in PostgreSQL's binary array format (array_recv), for a
/// parameter sent in binary. For big elements: the server takes each element by its length instead
/// of scanning a literal for quotes and backslashes, and nothing is escaped here. array_in was ~9%
/// of all CPU of a registry import (2,000 payment.lines bodies, 240 MB), where ids and keys are
/// short and stay literals.
class PgBinaryTextArray {
 public:
  /// `expected_bytes`: a hint for the total size of the elements.
  explicit PgBinaryTextArray(std::size_t expected_bytes = 0);

  void add(std::string_view value);  ///< valid UTF-8 without NUL, as any text value
  void add_or_null(const std::optional<std::string>& value);
  void add_null();

  /// The array, to pass as the parameter of a `$n::text[]`; the builder is empty afterwards.
  pqxx::binarystring finish();

 private:
  void append_int32(std::int32_t v);
  std::string elements_;
  std::int32_t count_ = 0;
  bool has_null_ = false;
};

/// Appends one element, quoted and escaped; nullopt becomes NULL.
void append_array_element(std::string& out, std::string_view value);
void append_array_element(std::string& out, const std::optional<std::string>& value);

/// {"a","b",NULL}
std::string pg_array_literal(const std::vector<std::optional<std::string>>& values);
std::string pg_array_literal(const std::vector<std::string>& values);

}  // namespace hub::store
