#include "client_bank/exchange_values.h"

namespace hub::bank {
namespace {

bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

bool is_digits(std::string_view s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<std::int64_t> parse_exchange_amount(std::string_view text, bool allow_negative) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    if (!allow_negative) return std::nullopt;
    negative = true;
    text.remove_prefix(1);
  }
  const auto sep = text.find_first_of(".,");
  const std::string_view whole = text.substr(0, sep);
  const std::string_view frac = sep == std::string_view::npos ? "" : text.substr(sep + 1);
  if (whole.empty() || whole.size() > 15) return std::nullopt;
  if (sep != std::string_view::npos && (frac.empty() || frac.size() > 2)) return std::nullopt;
  std::int64_t kopecks = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    kopecks = kopecks * 10 + (c - '0');
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const char c = i < frac.size() ? frac[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    kopecks = kopecks * 10 + (c - '0');
  }
  return negative ? -kopecks : kopecks;
}

std::string format_exchange_amount(std::int64_t kopecks) {
  const bool negative = kopecks < 0;
  const std::uint64_t v = negative ? static_cast<std::uint64_t>(-(kopecks + 1)) + 1
                                   : static_cast<std::uint64_t>(kopecks);
  std::string frac = std::to_string(v % 100);
  if (frac.size() < 2) frac.insert(0, "0");
  return (negative ? "-" : "") + std::to_string(v / 100) + "." + frac;
}

std::optional<std::string> parse_exchange_date(std::string_view text) {
  if (text.size() != 10 || text[2] != '.' || text[5] != '.') return std::nullopt;
  const auto dd = text.substr(0, 2), mm = text.substr(3, 2), yyyy = text.substr(6, 4);
  if (!is_digits(dd, 2) || !is_digits(mm, 2) || !is_digits(yyyy, 4)) return std::nullopt;
  const int d = digits_value(dd), m = digits_value(mm), y = digits_value(yyyy);
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  return std::string(yyyy) + "-" + std::string(mm) + "-" + std::string(dd);
}

std::string format_exchange_date(std::string_view iso) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return std::string(iso);
  return std::string(iso.substr(8, 2)) + "." + std::string(iso.substr(5, 2)) + "." +
         std::string(iso.substr(0, 4));
}

}  // namespace hub::bank
