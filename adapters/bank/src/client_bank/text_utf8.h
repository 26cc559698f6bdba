#pragma once
// UTF-8 <-> UTF-32 for text already known to be valid UTF-8 (decoded file lines), and cutting
// UTF-8 to a number of characters without splitting one.

#include <cstddef>
#include <string>
#include <string_view>

namespace hub::bank {

/// Invalid sequences become U+FFFD (the input is expected to be valid).
std::u32string to_utf32(std::string_view utf8);
std::string to_utf8(std::u32string_view text);

/// The first `max_chars` characters of `utf8`.
std::string_view utf8_prefix(std::string_view utf8, std::size_t max_chars);

}  // namespace hub::bank
