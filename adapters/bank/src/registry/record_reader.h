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

/// Reads the lines of one file, one at a time (it keeps scratch space between lines: not for
/// concurrent use).
class RecordReader {
 public:
  explicit RecordReader(const Layout& layout);

  /// The line's tokens (separator split, trimmed when the layout trims, the empty token after a
  /// trailing separator dropped).
  std::vector<std::string> split(std::string_view line) const;

  /// Fills `out` (values, meters, services) and appends problems to `errors`. Returns false when
  /// the line's structure is broken (nothing in `out` can be trusted then). With `only_roles`, the
  /// structure is checked in full but only the values of those roles are read (and checked): the
  /// reconciling pass over a file needs its amounts, not its dates and names.
  bool read(std::string_view line, Record& out, std::vector<FieldError>& errors,
            const std::vector<std::string>* only_roles = nullptr) const;

  /// Writes `token` normalised by its field's type to `into`; false with `why` set when it is
  /// malformed.
  bool normalise(const FieldSpec& field, std::string_view token, std::string& into,
                 std::string& why) const;

 private:
  void split_views(std::string_view line, std::vector<std::string_view>& out) const;

  const Layout& layout_;
  std::vector<FieldSpec> tag_fields_;  ///< per layout tag, as a field (name, role, type)
  mutable std::vector<std::string_view> tokens_, positional_;
};

/// Number of UTF-8 characters in `s`.
std::size_t utf8_length(std::string_view s);

}  // namespace hub::bank
