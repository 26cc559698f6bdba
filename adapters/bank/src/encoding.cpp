#include "encoding.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

// Table-driven rather than iconv: the three code pages are fixed 128-entry tables, conversion is
// one lookup per byte with no allocation or iconv_t state to manage per call (registries run to
// millions of lines), and the plugin stays free of the libc locale machinery, whose code-page
// names differ between glibc and musl. The tables were generated from Python's codecs; cp1251's
// unassigned 0x98 maps to U+0098, as the WHATWG encoding standard does.

namespace hub::bank {
namespace {

constexpr std::array<char16_t, 128> kCp1251High = {
    0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021, 0x20AC, 0x2030, 0x0409, 0x2039,
    0x040A, 0x040C, 0x040B, 0x040F, 0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x0098, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F, 0x00A0, 0x040E, 0x045E, 0x0408,
    0x00A4, 0x0490, 0x00A6, 0x00A7, 0x0401, 0x00A9, 0x0404, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x0407,
    0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6, 0x00B7, 0x0451, 0x2116, 0x0454, 0x00BB,
    0x0458, 0x0405, 0x0455, 0x0457, 0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417,
    0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E, 0x041F, 0x0420, 0x0421, 0x0422, 0x0423,
    0x0424, 0x0425, 0x0426, 0x0427, 0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F,
    0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A, 0x043B,
    0x043C, 0x043D, 0x043E, 0x043F, 0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447,
    0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F,
};

constexpr std::array<char16_t, 128> kCp866High = {
    0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417, 0x0418, 0x0419, 0x041A, 0x041B,
    0x041C, 0x041D, 0x041E, 0x041F, 0x0420, 0x0421, 0x0422, 0x0423, 0x0424, 0x0425, 0x0426, 0x0427,
    0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F, 0x0430, 0x0431, 0x0432, 0x0433,
    0x0434, 0x0435, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A, 0x043B, 0x043C, 0x043D, 0x043E, 0x043F,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
    0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447, 0x0448, 0x0449, 0x044A, 0x044B,
    0x044C, 0x044D, 0x044E, 0x044F, 0x0401, 0x0451, 0x0404, 0x0454, 0x0407, 0x0457, 0x040E, 0x045E,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x2116, 0x00A4, 0x25A0, 0x00A0,
};

constexpr std::array<char16_t, 128> kKoi8rHigh = {
    0x2500, 0x2502, 0x250C, 0x2510, 0x2514, 0x2518, 0x251C, 0x2524, 0x252C, 0x2534, 0x253C, 0x2580,
    0x2584, 0x2588, 0x258C, 0x2590, 0x2591, 0x2592, 0x2593, 0x2320, 0x25A0, 0x2219, 0x221A, 0x2248,
    0x2264, 0x2265, 0x00A0, 0x2321, 0x00B0, 0x00B2, 0x00B7, 0x00F7, 0x2550, 0x2551, 0x2552, 0x0451,
    0x2553, 0x2554, 0x2555, 0x2556, 0x2557, 0x2558, 0x2559, 0x255A, 0x255B, 0x255C, 0x255D, 0x255E,
    0x255F, 0x2560, 0x2561, 0x0401, 0x2562, 0x2563, 0x2564, 0x2565, 0x2566, 0x2567, 0x2568, 0x2569,
    0x256A, 0x256B, 0x256C, 0x00A9, 0x044E, 0x0430, 0x0431, 0x0446, 0x0434, 0x0435, 0x0444, 0x0433,
    0x0445, 0x0438, 0x0439, 0x043A, 0x043B, 0x043C, 0x043D, 0x043E, 0x043F, 0x044F, 0x0440, 0x0441,
    0x0442, 0x0443, 0x0436, 0x0432, 0x044C, 0x044B, 0x0437, 0x0448, 0x044D, 0x0449, 0x0447, 0x044A,
    0x042E, 0x0410, 0x0411, 0x0426, 0x0414, 0x0415, 0x0424, 0x0413, 0x0425, 0x0418, 0x0419, 0x041A,
    0x041B, 0x041C, 0x041D, 0x041E, 0x041F, 0x042F, 0x0420, 0x0421, 0x0422, 0x0423, 0x0416, 0x0412,
    0x042C, 0x042B, 0x0417, 0x0428, 0x042D, 0x0429, 0x0427, 0x042A,
};

const std::array<char16_t, 128>* high_table(Encoding e) {
  switch (e) {
    case Encoding::kCp1251:
      return &kCp1251High;
    case Encoding::kCp866:
      return &kCp866High;
    case Encoding::kKoi8r:
      return &kKoi8rHigh;
    case Encoding::kUtf8:
      break;
  }
  return nullptr;
}

/// The UTF-8 bytes of each upper-half byte of a code page (every one is in the BMP below
/// U+10000, so at most 3 bytes).
struct Utf8Bytes {
  char bytes[3];
  std::uint8_t size;
};
using Utf8Table = std::array<Utf8Bytes, 128>;

Utf8Table make_utf8_table(const std::array<char16_t, 128>& high) {
  Utf8Table t{};
  for (std::size_t i = 0; i < high.size(); ++i) {
    std::string s;
    append_utf8(high[i], s);
    t[i].size = static_cast<std::uint8_t>(s.size());
    std::memcpy(t[i].bytes, s.data(), s.size());
  }
  return t;
}

const Utf8Table& utf8_table(Encoding e) {
  static const Utf8Table cp1251 = make_utf8_table(kCp1251High);
  static const Utf8Table cp866 = make_utf8_table(kCp866High);
  static const Utf8Table koi8r = make_utf8_table(kKoi8rHigh);
  return e == Encoding::kCp866 ? cp866 : e == Encoding::kKoi8r ? koi8r : cp1251;
}

/// Code point -> byte for the upper half of a code page, sorted by code point.
using ReverseTable = std::array<std::pair<char16_t, std::uint8_t>, 128>;

ReverseTable make_reverse(const std::array<char16_t, 128>& high) {
  ReverseTable r{};
  for (std::size_t i = 0; i < high.size(); ++i) {
    r[i] = {high[i], static_cast<std::uint8_t>(0x80 + i)};
  }
  std::sort(r.begin(), r.end());
  return r;
}

const ReverseTable& reverse_table(Encoding e) {
  static const ReverseTable cp1251 = make_reverse(kCp1251High);
  static const ReverseTable cp866 = make_reverse(kCp866High);
  static const ReverseTable koi8r = make_reverse(kKoi8rHigh);
  switch (e) {
    case Encoding::kCp866:
      return cp866;
    case Encoding::kKoi8r:
      return koi8r;
    default:
      return cp1251;
  }
}

enum class Step { kOk, kInvalid, kTruncated };

/// Reads one code point at `i` (advancing it). kTruncated: a valid prefix cut by the end.
Step next_code_point(std::string_view s, std::size_t& i, char32_t& cp) {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return Step::kOk;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return Step::kInvalid;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) return Step::kTruncated;
    const auto b = static_cast<std::uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) return Step::kInvalid;
    cp = (cp << 6) | (b & 0x3F);
    // Reject overlong forms, surrogates and > U+10FFFF as soon as the second byte shows them,
    // so that a truncated tail is only accepted when it could still become valid.
    if (k == 1) {
      if (len == 3 && b0 == 0xE0 && b < 0xA0) return Step::kInvalid;
      if (len == 3 && b0 == 0xED && b >= 0xA0) return Step::kInvalid;
      if (len == 4 && b0 == 0xF0 && b < 0x90) return Step::kInvalid;
      if (len == 4 && b0 == 0xF4 && b >= 0x90) return Step::kInvalid;
    }
  }
  if (cp < min) return Step::kInvalid;
  i += len;
  return Step::kOk;
}

// Relative frequencies of Russian letters а..я (U+0430..U+044F), per 10,000 letters, then ё.
constexpr std::array<int, 32> kLetterFreq = {801, 159, 454, 170,  298, 845, 94,  165, 735, 121, 349,
                                             440, 321, 670, 1097, 281, 473, 547, 626, 262, 26,  97,
                                             48,  144, 73,  36,   4,   190, 174, 32,  64,  201};
constexpr int kYoFreq = 4;

/// Score in tenths of a bit of one decoded non-ASCII character: log2 of its letter frequency,
/// large penalties for what never occurs in Russian business text.
int char_score(char32_t c, bool& is_letter, bool& is_upper) {
  is_letter = false;
  is_upper = false;
  // -10 * log2(frequency), computed once.
  static const std::array<int, 33> kLetterScore = [] {
    std::array<int, 33> s{};
    for (std::size_t i = 0; i < kLetterFreq.size(); ++i) {
      s[i] = static_cast<int>(std::lround(10.0 * std::log2(kLetterFreq[i] / 10000.0)));
    }
    s[32] = static_cast<int>(std::lround(10.0 * std::log2(kYoFreq / 10000.0)));
    return s;
  }();
  auto log2_tenths = [](int index) { return kLetterScore[index]; };
  if (c >= 0x0430 && c <= 0x044F) {
    is_letter = true;
    return log2_tenths(static_cast<int>(c - 0x0430));
  }
  if (c >= 0x0410 && c <= 0x042F) {
    is_letter = true;
    is_upper = true;
    return log2_tenths(static_cast<int>(c - 0x0410)) - 5;
  }
  if (c == 0x0451 || c == 0x0401) {
    is_letter = true;
    is_upper = c == 0x0401;
    return log2_tenths(32);
  }
  if (c == 0x2116) return -60;  // №
  if (c == 0x00AB || c == 0x00BB || c == 0x2013 || c == 0x2014 || c == 0x201C || c == 0x201D ||
      c == 0x201E || c == 0x2018 || c == 0x2019 || c == 0x2026 || c == 0x00A0) {
    return -70;
  }
  if (c >= 0x0080 && c <= 0x009F) return -200;  // C1 controls
  if (c >= 0x2500 && c <= 0x25FF) return -160;  // box drawing, blocks
  return -140;
}

/// Average score (tenths of a bit per non-ASCII byte) of `sample` read as code page `e`. A
/// lower-case letter followed by an upper-case one inside a word costs extra: reading cp1251 as
/// KOI8-R (or back) swaps the cases and gives exactly that zig-zag.
int average_score(std::string_view sample, Encoding e) {
  const auto& high = *high_table(e);
  long total = 0;
  long count = 0;
  bool prev_letter = false;
  bool prev_upper = false;
  for (char ch : sample) {
    const auto b = static_cast<std::uint8_t>(ch);
    if (b < 0x80) {
      prev_letter = false;
      continue;
    }
    bool letter = false;
    bool upper = false;
    total += char_score(high[b - 0x80], letter, upper);
    if (letter && prev_letter && upper && !prev_upper) total -= 60;
    prev_letter = letter;
    prev_upper = upper;
    ++count;
  }
  return count == 0 ? 0 : static_cast<int>(total / count);
}

/// Single-byte Russian text almost never forms valid multi-byte UTF-8 sequences, so a sample
/// where they outnumber the invalid bytes many times over is UTF-8 with a damaged part (a line
/// pasted from a cp1251 file): reading it as UTF-8 lets the decoder name the broken line instead
/// of turning the whole file into mojibake.
bool mostly_utf8(std::string_view s) {
  std::size_t valid = 0, invalid = 0, i = 0;
  char32_t cp = 0;
  while (i < s.size()) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    switch (next_code_point(s, i, cp)) {
      case Step::kOk:
        ++valid;
        break;
      case Step::kInvalid:
        ++invalid;
        ++i;
        break;
      case Step::kTruncated:
        i = s.size();
        break;
    }
  }
  return valid >= 16 && valid >= 8 * invalid;
}

// How far (tenths of a bit per character) the declared code page may trail the best one and
// still be believed.
constexpr int kPlausibleMargin = 15;

}  // namespace

std::optional<Encoding> encoding_from_name(std::string_view name) {
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) {
    name.remove_prefix(1);
  }
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) {
    name.remove_suffix(1);
  }
  std::string n;
  n.reserve(name.size());
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "utf-8" || n == "utf8") return Encoding::kUtf8;
  if (n == "cp1251" || n == "windows-1251" || n == "windows" || n == "win1251" || n == "win-1251" ||
      n == "cp-1251") {
    return Encoding::kCp1251;
  }
  if (n == "cp866" || n == "ibm866" || n == "dos" || n == "cp-866") return Encoding::kCp866;
  if (n == "koi8-r" || n == "koi8r" || n == "koi8") return Encoding::kKoi8r;
  return std::nullopt;
}

std::string_view name_of(Encoding e) {
  switch (e) {
    case Encoding::kUtf8:
      return "utf-8";
    case Encoding::kCp1251:
      return "cp1251";
    case Encoding::kCp866:
      return "cp866";
    case Encoding::kKoi8r:
      return "koi8-r";
  }
  return "utf-8";
}

bool is_valid_utf8(std::string_view bytes, bool allow_truncated_tail) {
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < bytes.size()) {
    switch (next_code_point(bytes, i, cp)) {
      case Step::kOk:
        break;
      case Step::kInvalid:
        return false;
      case Step::kTruncated:
        return allow_truncated_tail;
    }
  }
  return true;
}

Encoding sniff_encoding(std::string_view sample, std::optional<Encoding> declared) {
  const bool ascii = std::all_of(sample.begin(), sample.end(),
                                 [](char c) { return static_cast<std::uint8_t>(c) < 0x80; });
  if (ascii) return declared.value_or(Encoding::kUtf8);
  if (is_valid_utf8(sample, /*allow_truncated_tail=*/true)) return Encoding::kUtf8;
  if (mostly_utf8(sample)) return Encoding::kUtf8;

  constexpr std::array<Encoding, 3> kSingleByte = {Encoding::kCp1251, Encoding::kCp866,
                                                   Encoding::kKoi8r};
  Encoding best = Encoding::kCp1251;
  int best_score = 0;
  bool first = true;
  int declared_score = 0;
  for (Encoding e : kSingleByte) {
    const int s = average_score(sample, e);
    if (first || s > best_score) best = e, best_score = s, first = false;
    if (declared && *declared == e) declared_score = s;
  }
  if (declared && *declared != Encoding::kUtf8 && declared_score >= best_score - kPlausibleMargin) {
    return *declared;
  }
  return best;
}

bool decode_to_utf8(std::string_view bytes, Encoding e, std::string& out) {
  if (e == Encoding::kUtf8) {
    if (!is_valid_utf8(bytes)) return false;
    out.append(bytes);
    return true;
  }
  // Written into room made beforehand, each upper-half byte as its UTF-8 bytes from a table:
  // appending character by character was a tenth of a registry parser's time.
  const auto& utf8 = utf8_table(e);
  const std::size_t start = out.size();
  out.resize(start + bytes.size() * 3);
  char* to = out.data() + start;
  for (char ch : bytes) {
    const auto b = static_cast<std::uint8_t>(ch);
    if (b < 0x80) {
      *to++ = ch;
    } else {
      const Utf8Bytes& u = utf8[b - 0x80];
      std::memcpy(to, u.bytes, 3);
      to += u.size;
    }
  }
  out.resize(static_cast<std::size_t>(to - out.data()));
  return true;
}

bool encode_from_utf8(std::string_view utf8, Encoding e, std::string& out) {
  if (e == Encoding::kUtf8) {
    if (!is_valid_utf8(utf8)) return false;
    out.append(utf8);
    return true;
  }
  const auto& rev = reverse_table(e);
  const std::size_t original = out.size();
  out.reserve(out.size() + utf8.size());
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < utf8.size()) {
    if (next_code_point(utf8, i, cp) != Step::kOk) {
      out.resize(original);
      return false;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
      continue;
    }
    const auto it = std::lower_bound(rev.begin(), rev.end(), cp,
                                     [](const auto& p, char32_t v) { return p.first < v; });
    if (cp > 0xFFFF || it == rev.end() || it->first != cp) {
      out.resize(original);
      return false;
    }
    out.push_back(static_cast<char>(it->second));
  }
  return true;
}

}  // namespace hub::bank
