#pragma once
// Text encodings of bank files: UTF-8 and the three Russian single-byte code pages banks still
// send (cp1251 "Windows", cp866 "DOS", KOI8-R). Declared encodings are often wrong (1C samples
// declare Windows and are UTF-8 on disk), so parsers sniff and let the declaration break ties.

#include <optional>
#include <string>
#include <string_view>

#include "hub/plugin/utf8.h"

namespace hub::bank {

enum class Encoding { kUtf8, kCp1251, kCp866, kKoi8r };

/// "utf-8"/"utf8", "cp1251"/"windows-1251"/"windows"/"win1251", "cp866"/"ibm866"/"dos",
/// "koi8-r"/"koi8r"; case-insensitive, surrounding blanks ignored. nullopt for anything else.
std::optional<Encoding> encoding_from_name(std::string_view name);

/// Canonical lower-case name: "utf-8", "cp1251", "cp866", "koi8-r".
std::string_view name_of(Encoding e);

/// Guesses the encoding of `sample` (the first few KiB of a file are enough):
/// - valid UTF-8 containing non-ASCII bytes -> kUtf8 (a sequence cut at the sample's end is fine);
///   also when valid multi-byte sequences outnumber invalid bytes 8 to 1 (UTF-8 with a damaged
///   part, which decode_to_utf8 then refuses where it is);
/// - otherwise each single-byte code page is scored by how Russian its decoded letters look
///   (letter frequencies; pseudo-graphics and control characters count against it);
/// - `declared` wins whenever it is plausible (close to the best score), so that a correct
///   header is never overruled by statistics on a short sample;
/// - pure ASCII: `declared`, or kUtf8 when nothing is declared.
Encoding sniff_encoding(std::string_view sample, std::optional<Encoding> declared);

/// Appends `bytes` converted from `e` to UTF-8 onto `out`. Single-byte code pages map every byte,
/// so only kUtf8 can fail: false on an invalid UTF-8 sequence (overlong, surrogate, truncated),
/// and then `out` is left as it was.
bool decode_to_utf8(std::string_view bytes, Encoding e, std::string& out);

/// Appends `utf8` converted to `e` onto `out`. False (and `out` left as it was) when `utf8` is not
/// valid UTF-8 or holds a character `e` cannot represent.
bool encode_from_utf8(std::string_view utf8, Encoding e, std::string& out);

using plugin::append_utf8;  // hub/plugin/utf8.h

/// True when `bytes` is valid UTF-8; with `allow_truncated_tail` a multi-byte sequence cut by the
/// end of `bytes` is accepted (for samples taken from the start of a file).
bool is_valid_utf8(std::string_view bytes, bool allow_truncated_tail = false);

}  // namespace hub::bank
