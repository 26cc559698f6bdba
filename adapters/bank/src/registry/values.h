#pragma once
// Registry values as text: money, dates, periods and meter quantities in the forms banks write
// them, and the normalised forms the rest of the adapter works with (kopecks as an integer,
// YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z], YYYY-MM, plain decimals). No floating point anywhere.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "registry/layout.h"

namespace hub::bank {

/// "1234.56", "1234,56", "1234.5", "-12", kopecks "123456". Rubles take at most 2 fraction digits.
/// nullopt when malformed or out of range.
std::optional<std::int64_t> parse_amount(std::string_view text, AmountUnit unit);
/// Kopecks written in `unit` ("1234.56" with `decimal`, "123456", or whole rubles rounded).
std::string format_amount(std::int64_t kopecks, AmountUnit unit, char decimal = '.');

struct CivilTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool has_time = false;
  bool utc = false;  ///< the text said Z
};

/// `format` tokens: yyyy, yy, MM, dd, HH, mm, ss; anything else must match literally (T, Z, -, /,
/// :, .). A `Z` in the format makes the time UTC. nullopt when the text does not fit or the date
/// does not exist.
std::optional<CivilTime> parse_date(std::string_view text, std::string_view format);
std::string format_date(const CivilTime& t, std::string_view format);

/// Normalised forms: "2026-11-20" and "2026-11-20T13:35:46" (+ "Z" when UTC).
std::string iso_date(const CivilTime& t);
std::string iso_datetime(const CivilTime& t);
/// Back from the normalised forms.
std::optional<CivilTime> parse_iso(std::string_view text);

/// Periods: format MMyyyy, MMyy, yyyyMM or yyyy-MM (tokens as parse_date) -> "YYYY-MM".
std::optional<std::string> parse_period(std::string_view text, std::string_view format);
/// "YYYY-MM" -> the bank's form.
std::string format_period(std::string_view period, std::string_view format);

/// A meter value: digits with at most one '.' or ',' and at most 6 fraction digits, at most 18
/// digits in all -> "12345.6" (canonical Quantity). nullopt otherwise.
std::optional<std::string> parse_quantity(std::string_view text);

/// `s` without the spaces and tabs at its ends (client_bank's trim_blanks also takes NBSP).
/// Inline: the record reader calls it for every field of every line.
inline std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// True when `s` holds what an XML string of the canonical model cannot: control characters
/// other than tab, U+FFFE, U+FFFF.
bool has_control_chars(std::string_view s);

}  // namespace hub::bank
