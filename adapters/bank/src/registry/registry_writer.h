#pragma once
// Writes Records in a layout: header directives, one line per record, the footer, the layout's
// encoding and line ends. Streaming: lines go to a temporary file beside the target; finish()
// writes the header (whose #FILESUM needs the total) and the footer around them and renames the
// result into place, so a reader never sees half a registry.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "registry/layout.h"
#include "registry/record.h"

namespace hub::bank {

class RegistryWriter {
 public:
  /// `vars` fill {placeholders} of fixed field values and directives (org_name, service_code).
  RegistryWriter(const Layout& layout, std::map<std::string, std::string> vars = {});
  ~RegistryWriter();

  /// Starts a file at `target`. Layouts with check columns (every line repeats the file's count
  /// and total) need `totals` {count, sum_kopecks} up front.
  void open(const std::filesystem::path& target,
            std::optional<std::pair<std::int64_t, std::int64_t>> totals = std::nullopt);
  /// One record; false with `why` when it cannot be written in this layout (a value holding the
  /// separator, a character the encoding lacks, a missing required value): the file goes on.
  bool write(const Record& r, std::string& why);
  /// Header + lines + footer into place; returns {count, sum_kopecks}.
  std::pair<std::int64_t, std::int64_t> finish();

  /// One record as a line of UTF-8 text (no line end); nullopt with `why`.
  std::optional<std::string> format_line(const Record& r, std::string& why) const;

 private:
  std::string expand(const std::string& text) const;
  std::optional<std::string> token(const FieldSpec& f, const std::string& value,
                                   std::string& why) const;
  std::optional<std::string> raw_token(const FieldSpec& f, const std::string& value,
                                       std::string& why) const;
  bool put_line(std::ofstream& out, const std::string& utf8, std::string& why) const;

  const Layout& layout_;
  std::map<std::string, std::string> vars_;
  std::filesystem::path target_, body_;
  std::ofstream out_;
  std::optional<std::pair<std::int64_t, std::int64_t>> totals_;
  std::int64_t count_ = 0, sum_ = 0;
};

}  // namespace hub::bank
