#include "util.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "hub/plugin/text_escape.h"

namespace hub::plugins::file_inbox {

std::string sha256_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("read error on " + file.string());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string json_quote(std::string_view s) {
  return plugin::json_quoted(s);
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return std::nullopt;
  std::size_t pos = static_cast<std::size_t>(n);
  long long millis = 0;
  long offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    int m = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &m) != 3) {
      return std::nullopt;
    }
    pos += 1 + static_cast<std::size_t>(m);
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        if (digits < 3) millis = millis * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      for (; digits < 3; ++digits) millis *= 10;
    }
    if (pos < text.size()) {
      if (text[pos] == 'Z') {
        ++pos;
      } else if (text[pos] == '+' || text[pos] == '-') {
        int oh = 0, om = 0;
        if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
        offset_seconds = (oh * 3600L + om * 60L) * (text[pos] == '-' ? -1 : 1);
        pos += 6;
      }
    }
  }
  if (pos != text.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t t = timegm(&tm) - offset_seconds;
  return std::chrono::system_clock::from_time_t(t) + std::chrono::milliseconds(millis);
}

bool is_xml_safe_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    int extra = 0;
    if (c < 0x80) {
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      extra = 2;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      extra = 3;
    } else {
      return false;
    }
    if (extra > 0 && i + static_cast<std::size_t>(extra) >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    // XML 1.0 Char production.
    if (cp < 0x20 && cp != 0x9 && cp != 0xA && cp != 0xD) return false;
    if (cp == 0xFFFE || cp == 0xFFFF) return false;
    i += 1 + static_cast<std::size_t>(extra);
  }
  return true;
}

std::string xml_escape(std::string_view s) {
  return plugin::xml_escaped(s);
}

std::string read_file(const std::filesystem::path& file, std::uintmax_t max_bytes) {
  const auto size = std::filesystem::file_size(file);
  if (size > max_bytes) {
    throw std::runtime_error(file.filename().string() + " is " + std::to_string(size) +
                             " bytes, over the limit of " + std::to_string(max_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::string out(static_cast<std::size_t>(size), '\0');
  in.read(out.data(), static_cast<std::streamsize>(size));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

}  // namespace hub::plugins::file_inbox
