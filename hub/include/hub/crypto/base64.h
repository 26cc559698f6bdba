#pragma once
// Base64 as XML signatures carry it.

#include <optional>
#include <string>
#include <string_view>

namespace hub::crypto {

/// Standard alphabet with padding, no line breaks.
std::string base64_encode(std::string_view bytes);

/// Decodes standard base64, ignoring whitespace (signatures often wrap at 64 or 76 columns);
/// nullopt when the text is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hub::crypto
