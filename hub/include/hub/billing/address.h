#pragma once
// Normalisation of Russian addresses and names for the scored fallback of account
// identification. Registries write the same flat as "г. Волгоград, ул. им. Ленина, д.10 к.2,
// кв.12А" or "ВОЛГОГРАД ЛЕНИНА 10/2-12а"; what survives normalisation is the street's words, the
// house number (with корпус / строение folded in) and the flat, lower case, ё as е.

#include <string>
#include <string_view>
#include <vector>

namespace hub::billing {

struct ParsedAddress {
  std::vector<std::string> words;  ///< every word that is not a marker (city, street, ...)
  std::string street;              ///< the street's words, space separated ("ленина")
  std::string house;               ///< "10к2", "5а", "12/1"; empty when none was found
  std::string flat;                ///< "12а"; empty when none was found
};

/// Splits an address written in one line into its parts (best effort, never throws).
ParsedAddress parse_address(std::string_view text);

/// Lower case (Cyrillic and Latin), ё → е, Latin look-alikes in house/flat numbers → Cyrillic,
/// without spaces and punctuation: "12 А" → "12а". For premise and house numbers.
std::string normalise_number(std::string_view text);

/// Lower case, ё → е, words separated by one space, punctuation dropped.
std::string normalise_words(std::string_view text);

/// The surname of "Иванов Иван Иванович" / "ИВАНОВ И.И." → "иванов" (first word, normalised).
std::string surname_of(std::string_view full_name);

/// Levenshtein distance over code points.
int edit_distance(std::string_view a, std::string_view b);

}  // namespace hub::billing
