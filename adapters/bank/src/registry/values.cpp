#include "registry/values.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

namespace hub::bank {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<std::int64_t> to_int(std::string_view s, int max_digits = 17) {
  if (!all_digits(s) || static_cast<int>(s.size()) > max_digits) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

std::string pad(int v, int width) {
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

}  // namespace

std::optional<std::int64_t> parse_amount(std::string_view text, AmountUnit unit) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::int64_t kopecks = 0;
  if (unit == AmountUnit::kKopecks) {
    auto v = to_int(text);
    if (!v) return std::nullopt;
    kopecks = *v;
  } else {
    const auto sep = text.find_first_of(".,");
    const auto whole = text.substr(0, sep);
    auto rubles = to_int(whole, 15);
    if (!rubles) return std::nullopt;
    std::int64_t fraction = 0;
    if (sep != std::string_view::npos) {
      const auto frac = text.substr(sep + 1);
      if (frac.empty() || frac.size() > 2 || !all_digits(frac)) return std::nullopt;
      fraction = (frac[0] - '0') * 10 + (frac.size() == 2 ? frac[1] - '0' : 0);
    }
    kopecks = *rubles * 100 + fraction;
  }
  return negative ? -kopecks : kopecks;
}

std::string format_amount(std::int64_t kopecks, AmountUnit unit, char decimal) {
  const bool negative = kopecks < 0;
  const std::uint64_t abs =
      negative ? 0 - static_cast<std::uint64_t>(kopecks) : static_cast<std::uint64_t>(kopecks);
  std::string out = negative ? "-" : "";
  switch (unit) {
    case AmountUnit::kKopecks:
      return out + std::to_string(abs);
    case AmountUnit::kRublesRounded:
      return out + std::to_string((abs + 50) / 100);
    case AmountUnit::kRubles:
      break;
  }
  return out + std::to_string(abs / 100) + decimal + pad(static_cast<int>(abs % 100), 2);
}

std::optional<CivilTime> parse_date(std::string_view text, std::string_view format) {
  CivilTime t;
  std::size_t i = 0;  // position in text
  std::size_t f = 0;
  auto take = [&](int n, int& out) {
    if (i + n > text.size()) return false;
    auto v = to_int(text.substr(i, n));
    if (!v) return false;
    out = static_cast<int>(*v);
    i += n;
    return true;
  };
  while (f < format.size()) {
    const auto rest = format.substr(f);
    bool ok = true;
    if (rest.rfind("yyyy", 0) == 0) {
      ok = take(4, t.year), f += 4;
    } else if (rest.rfind("yy", 0) == 0) {
      ok = take(2, t.year), f += 2;
      t.year += 2000;
    } else if (rest.rfind("MM", 0) == 0) {
      ok = take(2, t.month), f += 2;
    } else if (rest.rfind("dd", 0) == 0) {
      ok = take(2, t.day), f += 2;
    } else if (rest.rfind("HH", 0) == 0) {
      ok = take(2, t.hour), f += 2;
      t.has_time = true;
    } else if (rest.rfind("mm", 0) == 0) {
      ok = take(2, t.minute), f += 2;
    } else if (rest.rfind("ss", 0) == 0) {
      ok = take(2, t.second), f += 2;
    } else {
      if (i >= text.size() || text[i] != format[f]) return std::nullopt;
      if (format[f] == 'Z') t.utc = true;
      ++i, ++f;
    }
    if (!ok) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  if (t.month < 1 || t.month > 12) return std::nullopt;
  if (format.find("dd") != std::string_view::npos) {
    if (t.day < 1 || t.day > days_in(t.year, t.month)) return std::nullopt;
  } else {
    t.day = 1;
  }
  if (t.year < 1900 || t.year > 2999) return std::nullopt;
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return std::nullopt;
  return t;
}

std::string format_date(const CivilTime& t, std::string_view format) {
  std::string out;
  std::size_t f = 0;
  while (f < format.size()) {
    const auto rest = format.substr(f);
    if (rest.rfind("yyyy", 0) == 0) {
      out += pad(t.year, 4), f += 4;
    } else if (rest.rfind("yy", 0) == 0) {
      out += pad(t.year % 100, 2), f += 2;
    } else if (rest.rfind("MM", 0) == 0) {
      out += pad(t.month, 2), f += 2;
    } else if (rest.rfind("dd", 0) == 0) {
      out += pad(t.day, 2), f += 2;
    } else if (rest.rfind("HH", 0) == 0) {
      out += pad(t.hour, 2), f += 2;
    } else if (rest.rfind("mm", 0) == 0) {
      out += pad(t.minute, 2), f += 2;
    } else if (rest.rfind("ss", 0) == 0) {
      out += pad(t.second, 2), f += 2;
    } else {
      out += format[f++];
    }
  }
  return out;
}

std::string iso_date(const CivilTime& t) {
  // Every registry line makes one or two of these: written in place, not from temporaries.
  if (t.year < 0 || t.year > 9999 || t.month < 0 || t.month > 99 || t.day < 0 || t.day > 99) {
    return pad(t.year, 4) + "-" + pad(t.month, 2) + "-" + pad(t.day, 2);
  }
  char b[10];
  b[0] = static_cast<char>('0' + t.year / 1000);
  b[1] = static_cast<char>('0' + t.year / 100 % 10);
  b[2] = static_cast<char>('0' + t.year / 10 % 10);
  b[3] = static_cast<char>('0' + t.year % 10);
  b[4] = '-';
  b[5] = static_cast<char>('0' + t.month / 10);
  b[6] = static_cast<char>('0' + t.month % 10);
  b[7] = '-';
  b[8] = static_cast<char>('0' + t.day / 10);
  b[9] = static_cast<char>('0' + t.day % 10);
  return std::string(b, 10);
}

std::string iso_datetime(const CivilTime& t) {
  return iso_date(t) + "T" + pad(t.hour, 2) + ":" + pad(t.minute, 2) + ":" + pad(t.second, 2) +
         (t.utc ? "Z" : "");
}

std::optional<CivilTime> parse_iso(std::string_view text) {
  if (text.size() == 10) return parse_date(text, "yyyy-MM-dd");
  if (text.size() == 19) return parse_date(text, "yyyy-MM-ddTHH:mm:ss");
  if (text.size() == 20) return parse_date(text, "yyyy-MM-ddTHH:mm:ssZ");
  return std::nullopt;
}

std::optional<std::string> parse_period(std::string_view text, std::string_view format) {
  auto t = parse_date(text, format);
  if (!t) return std::nullopt;
  return pad(t->year, 4) + "-" + pad(t->month, 2);
}

std::string format_period(std::string_view period, std::string_view format) {
  CivilTime t;
  if (period.size() == 7) {
    t.year = static_cast<int>(to_int(period.substr(0, 4)).value_or(0));
    t.month = static_cast<int>(to_int(period.substr(5, 2)).value_or(0));
    t.day = 1;
  }
  return format_date(t, format);
}

std::optional<std::string> parse_quantity(std::string_view text) {
  const auto sep = text.find_first_of(".,");
  const auto whole = text.substr(0, sep);
  if (!all_digits(whole)) return std::nullopt;
  std::string out(whole);
  std::size_t digits = whole.size();
  if (sep != std::string_view::npos) {
    auto frac = text.substr(sep + 1);
    if (frac.empty() || frac.size() > 6 || !all_digits(frac)) return std::nullopt;
    digits += frac.size();
    out += '.';
    out += frac;
  }
  if (digits > 18) return std::nullopt;
  return out;
}

bool has_control_chars(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  auto bad_at = [p, n](std::size_t i) {
    const unsigned char c = p[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are valid UTF-8 but not XML characters: Ingress
    // would refuse the batch.
    return c == 0xEF && i + 2 < n && p[i + 1] == 0xBF && (p[i + 2] == 0xBE || p[i + 2] == 0xBF);
  };
  // Eight bytes at a time, looked at one by one only when one of them may be bad (below 0x20,
  // 0x7F or 0xEF): the usual line has none, and this runs twice on every line of a registry.
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_byte = [](std::uint64_t x, std::uint64_t b) {
    const std::uint64_t y = x ^ (b * kOnes);
    return ((y - kOnes) & ~y & kHigh) != 0;
  };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, 8);
    const bool below_space = ((x - 0x20 * kOnes) & ~x & kHigh) != 0;
    if (!below_space && !has_byte(x, 0x7f) && !has_byte(x, 0xef)) continue;
    for (std::size_t j = i; j < i + 8; ++j)
      if (bad_at(j)) return true;
  }
  for (; i < n; ++i)
    if (bad_at(i)) return true;
  return false;
}

}  // namespace hub::bank
