#pragma once
// Values of 1CClientBankExchange as written (amounts "руб[.коп]", dates дд.мм.гггг) and their
// normalised forms: kopecks as an integer (never floating point) and ISO dates.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hub::bank {

/// "1234.56", "1234.5", "1234", "0.01" (a ',' is tolerated for the '.'); a leading '-' only when
/// `allow_negative` (balances). nullopt when malformed, with more than 2 fraction digits or above
/// 10^15 rubles.
std::optional<std::int64_t> parse_exchange_amount(std::string_view text,
                                                  bool allow_negative = false);
/// Kopecks as "1234.56" (always two fraction digits, '-' for negative).
std::string format_exchange_amount(std::int64_t kopecks);

/// "20.08.2021" -> "2021-08-20"; nullopt when malformed or the day does not exist.
std::optional<std::string> parse_exchange_date(std::string_view text);
/// "2021-08-20" -> "20.08.2021" (the text unchanged when it is not an ISO date).
std::string format_exchange_date(std::string_view iso);

/// True when `s` is exactly `n` ASCII digits.
bool is_digits(std::string_view s, std::size_t n);

}  // namespace hub::bank
