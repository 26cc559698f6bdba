#pragma once
// The reference of one registry line, `<file>#<line>`, as payment.received's registryRef carries
// it. Header-only: the bank plugin writes it into payment.received bodies, and the billing store
// rebuilds it for each line of a payment.lines message (which carries the file once and the line
// numbers), so both must cut an over-long file name the same way.

#include <cstdint>
#include <string>
#include <string_view>

namespace hub::plugin {

/// `file#line`; when that is longer than 255 characters (canonical Name), "…" and as much of its
/// end as fits in 200 bytes, cut at a character boundary so that the result stays UTF-8.
inline std::string registry_line_ref(std::string_view file, std::int64_t line) {
  std::string ref(file);
  ref += '#';
  ref += std::to_string(line);
  std::size_t chars = 0;
  for (const unsigned char c : ref) chars += (c & 0xC0) != 0x80;
  if (chars <= 255) return ref;
  std::size_t from = ref.size() - 200;
  while (from < ref.size() && (static_cast<unsigned char>(ref[from]) & 0xC0) == 0x80) ++from;
  return "…" + ref.substr(from);
}

}  // namespace hub::plugin
