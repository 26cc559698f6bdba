#include "registry/scanner.h"

#include "registry/values.h"

namespace hub::bank {

namespace {

constexpr std::size_t kSniffBytes = 64 * 1024;

}  // namespace

Scanner::Kind Scanner::next(std::string& text) {
  while (true) {
    const auto status = reader_.next(raw_);
    if (status == LineReader::Status::kEof) return Kind::kEnd;
    const auto n = reader_.line_number();
    if (status == LineReader::Status::kTooLong) {
      return fail(n, "line " + std::to_string(n) + " is longer than " +
                         std::to_string(layout_.max_line_bytes) +
                         " bytes: not a registry line (binary or corrupt file?)");
    }
    if (raw_.find('\0') != std::string::npos) {
      return fail(
          n, "line " + std::to_string(n) + " holds NUL bytes: binary content, not a text registry");
    }
    text.clear();
    std::string_view bytes = raw_;
    if (n == 1 && bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
    if (!decode_to_utf8(bytes, encoding_, text)) {
      return fail(n, "line " + std::to_string(n) + " is not valid " +
                         std::string(name_of(encoding_)) + " text");
    }
    if (static_cast<std::size_t>(n) <= layout_.skip_lines) return Kind::kSkip;
    const auto t = trim_spaces(text);
    if (t.empty()) return Kind::kSkip;
    if (!seen_record_) {
      for (const auto& d : layout_.directives) {
        if (t.rfind(d.prefix, 0) == 0) {
          directive_ = &d;
          return Kind::kDirective;
        }
      }
    }
    if (layout_.footer.kind == FooterKind::kLine) {
      const auto& p = layout_.footer.prefix;
      if (t == p || t.rfind(p + layout_.separator, 0) == 0) return Kind::kFooter;
    }
    seen_record_ = true;
    return Kind::kRecord;
  }
}

Scanner::Kind Scanner::fail(std::int64_t line, std::string why) {
  fatal_ = plugin::InputError{line, "", std::move(why)};
  return Kind::kEnd;
}

Encoding choose_encoding(const std::filesystem::path& file, const Layout& layout) {
  if (!layout.sniff) return layout.encoding;
  const auto sample = LineReader::head(file, kSniffBytes);
  const auto sniffed = sniff_encoding(sample, layout.encoding);
  if (sniffed == Encoding::kUtf8) return sniffed;
  // Mostly well-formed UTF-8 Cyrillic (lead byte D0/D1 + continuation) with a few broken
  // sequences: a damaged UTF-8 file, not a single-byte one.
  std::size_t high = 0, pairs = 0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const auto c = static_cast<unsigned char>(sample[i]);
    if (c < 0x80) continue;
    ++high;
    if ((c == 0xD0 || c == 0xD1) && i + 1 < sample.size() &&
        (static_cast<unsigned char>(sample[i + 1]) & 0xC0) == 0x80) {
      ++pairs;
      ++high;
      ++i;
    }
  }
  if (high >= 8 && pairs * 2 * 10 >= high * 9) return Encoding::kUtf8;
  return sniffed;
}

}  // namespace hub::bank
