// Fuzz target of hub::bank encodings: single-byte code pages round-trip every input exactly,
// UTF-8 decoding accepts exactly what is valid UTF-8, sniffing never fails, and whatever was
// decoded can be encoded back.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "encoding.h"

using hub::bank::Encoding;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (Encoding e : {Encoding::kCp1251, Encoding::kCp866, Encoding::kKoi8r}) {
    std::string utf8, back;
    if (!hub::bank::decode_to_utf8(in, e, utf8) || !hub::bank::is_valid_utf8(utf8)) std::abort();
    if (!hub::bank::encode_from_utf8(utf8, e, back) || back != in) {
      std::fprintf(stderr, "%s does not round-trip\n", std::string(name_of(e)).c_str());
      std::abort();
    }
  }
  std::string utf8 = "x";
  const bool valid = hub::bank::decode_to_utf8(in, Encoding::kUtf8, utf8);
  if (valid != hub::bank::is_valid_utf8(in)) std::abort();
  if (!valid && utf8 != "x") std::abort();  // left as it was
  const Encoding sniffed = hub::bank::sniff_encoding(in, std::nullopt);
  std::string decoded;
  if (hub::bank::decode_to_utf8(in, sniffed, decoded)) {
    std::string again;
    if (!hub::bank::encode_from_utf8(decoded, sniffed, again) || again != in) std::abort();
  }
  return 0;
}
