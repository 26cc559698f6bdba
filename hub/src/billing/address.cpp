#include "hub/billing/address.h"

#include <algorithm>
#include <set>

#include "hub/plugin/utf8.h"

namespace hub::billing {
namespace {

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    char32_t cp = 0;
    int len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 && i + 1 < s.size()) {
      cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
      len = 2;
    } else if ((c >> 4) == 0xE && i + 2 < s.size()) {
      cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
      len = 3;
    } else if ((c >> 3) == 0x1E && i + 3 < s.size()) {
      cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) |
           (s[i + 3] & 0x3F);
      len = 4;
    } else {
      cp = U' ';  // invalid byte: a separator, never a letter
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (char32_t cp : s) plugin::append_utf8(cp, out);
  return out;
}

char32_t lower(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;  // А..Я
  if (c == 0x0401 || c == 0x0451) return 0x0435;    // Ё, ё → е
  return c;
}

bool is_letter(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= 0x0430 && c <= 0x044F);
}
bool is_digit(char32_t c) {
  return c >= U'0' && c <= U'9';
}

// Latin letters that registries type instead of the Cyrillic ones in "12A", "5B".
char32_t cyrillic_lookalike(char32_t c) {
  switch (c) {
    case U'a':
      return 0x0430;  // а
    case U'b':
      return 0x0431;  // б (ввод "5b" for "5б")
    case U'v':
      return 0x0432;  // в
    case U'g':
      return 0x0433;  // г
    case U'd':
      return 0x0434;  // д
    case U'e':
      return 0x0435;  // е
    case U'k':
      return 0x043A;  // к
    case U'c':
      return 0x0441;  // с
    default:
      return c;
  }
}

struct Token {
  std::string text;
  bool number = false;  ///< starts with a digit
  int segment = 0;      ///< comma-separated part it came from
};

// Words that only say what the next (or previous) word is.
enum class Marker { kNone, kHouse, kBuilding, kStructure, kFlat, kStreet, kLocality, kFiller };

Marker marker_of(const std::string& w) {
  static const std::set<std::string> house = {"д", "дом"};
  static const std::set<std::string> building = {"к", "корп", "корпус"};
  static const std::set<std::string> structure = {"стр", "строение", "лит", "литер", "литера"};
  static const std::set<std::string> flat = {"кв",  "квартира",  "ком", "комн", "комната",
                                             "пом", "помещение", "оф",  "офис"};
  static const std::set<std::string> street = {
      "ул",      "улица", "пр",      "просп", "проспект", "пер",        "переулок",   "пл",
      "площадь", "бул",   "бульвар", "ш",     "шоссе",    "наб",        "набережная", "проезд",
      "туп",     "тупик", "аллея",   "линия", "мкр",      "микрорайон", "квартал",    "тракт"};
  static const std::set<std::string> locality = {
      "г",   "город",   "гор",   "пос",     "поселок", "п",       "пгт",  "с",    "село",
      "дер", "деревня", "ст",    "станица", "обл",     "область", "край", "респ", "республика",
      "р",   "рн",      "район", "ао",      "россия",  "рф",      "мо",   "м"};
  static const std::set<std::string> filler = {"им", "имени", "т", "б"};
  if (house.count(w)) return Marker::kHouse;
  if (building.count(w)) return Marker::kBuilding;
  if (structure.count(w)) return Marker::kStructure;
  if (flat.count(w)) return Marker::kFlat;
  if (street.count(w)) return Marker::kStreet;
  if (locality.count(w)) return Marker::kLocality;
  if (filler.count(w)) return Marker::kFiller;
  return Marker::kNone;
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  std::u32string cur;
  int segment = 0;
  auto flush = [&] {
    if (cur.empty()) return;
    Token t;
    t.number = is_digit(cur[0]);
    if (t.number) {
      for (auto& c : cur) c = cyrillic_lookalike(c);
    }
    t.text = encode(cur);
    t.segment = segment;
    out.push_back(std::move(t));
    cur.clear();
  };
  for (char32_t raw : decode(text)) {
    const char32_t c = lower(raw);
    if (is_letter(c) || is_digit(c)) {
      // "10к2", "12а" stay one token; a letter after digits ends a number only when a word
      // follows ("10корп" is rare enough to read as one token).
      cur.push_back(c);
    } else if (c == U'/' && !cur.empty() && is_digit(cur.back())) {
      cur.push_back(c);  // 10/2
    } else {
      flush();
      if (c == U',' || c == U';') ++segment;
    }
  }
  flush();
  return out;
}

}  // namespace

std::string normalise_number(std::string_view text) {
  std::u32string out;
  for (char32_t raw : decode(text)) {
    const char32_t c = cyrillic_lookalike(lower(raw));
    if (is_letter(c) || is_digit(c) || c == U'/') out.push_back(c);
  }
  return encode(out);
}

std::string normalise_words(std::string_view text) {
  std::u32string out;
  bool space = false;
  for (char32_t raw : decode(text)) {
    const char32_t c = lower(raw);
    if (is_letter(c) || is_digit(c)) {
      if (space && !out.empty()) out.push_back(U' ');
      space = false;
      out.push_back(c);
    } else {
      space = true;
    }
  }
  return encode(out);
}

std::string surname_of(std::string_view full_name) {
  const auto words = normalise_words(full_name);
  const auto sp = words.find(' ');
  return sp == std::string::npos ? words : words.substr(0, sp);
}

int edit_distance(std::string_view a8, std::string_view b8) {
  const auto a = decode(a8);
  const auto b = decode(b8);
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

ParsedAddress parse_address(std::string_view text) {
  ParsedAddress out;
  const auto tokens = tokenize(text);
  std::string building, structure;
  Marker pending = Marker::kNone;
  int house_segment = -1;
  std::size_t house_index = 0;
  int street_marker = -1;  // token index of "ул", "пр", ...
  std::set<int> locality_segments;
  std::vector<int> word_index;  // token indexes of plain words

  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (pending == Marker::kHouse || pending == Marker::kBuilding ||
        pending == Marker::kStructure || pending == Marker::kFlat) {
      const Marker m = pending;
      pending = Marker::kNone;
      if (t.number || t.text.size() <= 2 || m == Marker::kStructure) {
        if (m == Marker::kHouse && out.house.empty()) {
          out.house = t.text, house_segment = t.segment, house_index = i;
          continue;
        }
        if (m == Marker::kBuilding) {
          building = t.text;
          continue;
        }
        if (m == Marker::kStructure) {
          structure = t.text;
          continue;
        }
        if (m == Marker::kFlat) {
          out.flat = t.text;
          continue;
        }
      }
    }
    if (!t.number) {
      const Marker m = marker_of(t.text);
      if (m == Marker::kHouse || m == Marker::kBuilding || m == Marker::kStructure ||
          m == Marker::kFlat) {
        // "к" after a house number is корпус; before any number it is a locality/street word.
        if (m == Marker::kBuilding && out.house.empty() && t.text == "к") continue;
        pending = m;
        continue;
      }
      if (m == Marker::kStreet) {
        if (street_marker < 0) street_marker = static_cast<int>(i);
        continue;
      }
      if (m == Marker::kLocality) {
        locality_segments.insert(t.segment);
        continue;
      }
      if (m == Marker::kFiller) continue;
      // A lone letter right after the house number: "10 а".
      if (!out.house.empty() && house_index + 1 == i && t.text.size() <= 2 && out.flat.empty()) {
        out.house += t.text;
        continue;
      }
      out.words.push_back(t.text);
      word_index.push_back(static_cast<int>(i));
      continue;
    }
    // A number without a marker: a postcode, then the house, then the flat.
    if (t.text.size() == 6 && t.text.find_first_not_of("0123456789") == std::string::npos &&
        out.house.empty()) {
      continue;
    }
    if (out.house.empty()) {
      out.house = t.text, house_segment = t.segment, house_index = i;
    } else if (out.flat.empty()) {
      out.flat = t.text;
    }
  }
  if (!building.empty()) out.house += "к" + building;
  if (!structure.empty()) out.house += "с" + structure;

  // The street: words after its marker; else words before the house in its segment; else the
  // last segment before the house that is not a city or region.
  std::vector<std::string> street;
  auto word_at = [&](int idx) -> const Token& { return tokens[idx]; };
  if (street_marker >= 0) {
    const int seg = tokens[street_marker].segment;
    for (int idx : word_index) {
      if (idx > street_marker && word_at(idx).segment == seg &&
          (out.house.empty() || idx < static_cast<int>(house_index) || house_segment != seg))
        street.push_back(word_at(idx).text);
    }
    if (street.empty()) {
      for (int idx : word_index)
        if (idx < street_marker && word_at(idx).segment == seg) street.push_back(word_at(idx).text);
    }
  }
  if (street.empty() && house_segment >= 0) {
    for (int idx : word_index)
      if (word_at(idx).segment == house_segment && idx < static_cast<int>(house_index))
        street.push_back(word_at(idx).text);
    for (int seg = house_segment - 1; street.empty() && seg >= 0; --seg) {
      if (locality_segments.count(seg)) continue;
      for (int idx : word_index)
        if (word_at(idx).segment == seg) street.push_back(word_at(idx).text);
    }
  }
  for (const auto& w : street) out.street += (out.street.empty() ? "" : " ") + w;
  return out;
}

}  // namespace hub::billing
