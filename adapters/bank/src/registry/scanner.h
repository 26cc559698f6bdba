#pragma once
// Reads a registry file's lines, decoded to UTF-8 and classified (skipped, header directive,
// record, footer), the same way in every pass. Whole-file problems end the scan with fatal():
// a line over the layout's max_line_bytes, NUL bytes (binary content), bytes that are not text
// in the encoding.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "encoding.h"
#include "hub/plugin/file_parser.h"
#include "registry/layout.h"
#include "registry/line_reader.h"

namespace hub::bank {

class Scanner {
 public:
  enum class Kind { kEnd, kSkip, kDirective, kRecord, kFooter };

  Scanner(const std::filesystem::path& file, const Layout& layout, Encoding encoding)
      : layout_(layout), encoding_(encoding), reader_(file, layout.max_line_bytes) {}
  /// Lines of `range` only. `after_records`: a record came before the range, so no line in it is
  /// a header directive.
  Scanner(const std::filesystem::path& file, const Layout& layout, Encoding encoding,
          const LineReader::Range& range, bool after_records)
      : layout_(layout),
        encoding_(encoding),
        reader_(file, layout.max_line_bytes, range),
        seen_record_(after_records) {}

  /// The next line in `text` (UTF-8). kEnd at the end or on a whole-file problem (fatal()).
  Kind next(std::string& text);

  std::int64_t line() const { return reader_.line_number(); }
  /// The directive of the last kDirective line.
  const Directive* directive() const { return directive_; }
  const std::optional<plugin::InputError>& fatal() const { return fatal_; }
  const LineReader& reader() const { return reader_; }
  /// Whether a record line was read (here or, by `after_records`, before the range).
  bool seen_record() const { return seen_record_; }

 private:
  Kind fail(std::int64_t line, std::string why);

  const Layout& layout_;
  Encoding encoding_;
  LineReader reader_;
  std::string raw_;
  bool seen_record_ = false;
  const Directive* directive_ = nullptr;
  std::optional<plugin::InputError> fatal_;
};

/// The encoding to read `file` in: the declared one, or what sniffing finds when the layout
/// allows it. A sample that is UTF-8 with a few broken sequences stays UTF-8 (so that the broken
/// line is refused by name instead of the whole file turning into mojibake).
Encoding choose_encoding(const std::filesystem::path& file, const Layout& layout);

}  // namespace hub::bank
