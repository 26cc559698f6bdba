#pragma once
// Reads one decoded (UTF-8) registry line into a Record by its layout: takes the declared
// TAG:value tokens out, reads the rest by position with blocks and the end-anchored tail, and
// normalises every value by its type. Problems are reported per field; a line whose structure is
// broken (wrong number of fields, an unclosed block) gives up early.

#include <string>
#include <string_view>
#include <vector>

#include "registry/layout.h"
#include "registry/record.h"

namespace hub::bank {

struct FieldError {
  std::string field;
  std::string reason;
  bool reading = false;  ///< in a meter reading only: the payment itself is still good
};

class RecordReader {
 public:
  explicit RecordReader(const Layout& layout) : layout_(layout) {}

  /// The line's tokens (separator split, trimmed when the layout trims, the empty token after a
  /// trailing separator dropped).
  std::vector<std::string> split(std::string_view line) const;

  /// Fills `out` (values, meters, services) and appends problems to `errors`. Returns false when
  /// the line's structure is broken (nothing in `out` can be trusted then).
  bool read(std::string_view line, Record& out, std::vector<FieldError>& errors) const;

  /// A value normalised by its field's type; nullopt with `why` set when it is malformed.
  std::optional<std::string> normalise(const FieldSpec& field, const std::string& token,
                                       std::string& why) const;

 private:
  const Layout& layout_;
};

/// Number of UTF-8 characters in `s`.
std::size_t utf8_length(std::string_view s);

}  // namespace hub::bank
