#include "client_bank/payer_reference.h"

#include <array>
#include <vector>

#include "client_bank/text_utf8.h"

namespace hub::bank {
namespace {

using Text = std::u32string;

bool is_digit(char32_t c) {
  return c >= U'0' && c <= U'9';
}
bool is_latin(char32_t c) {
  return (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z');
}
bool is_cyrillic(char32_t c) {
  return (c >= 0x0410 && c <= 0x044F) || c == 0x0401 || c == 0x0451;
}
bool is_letter(char32_t c) {
  return is_latin(c) || is_cyrillic(c);
}
bool is_alnum(char32_t c) {
  return is_digit(c) || is_letter(c);
}

/// Upper case for Latin and Cyrillic.
char32_t upper(char32_t c) {
  if (c >= U'a' && c <= U'z') return c - 32;
  if (c >= 0x0430 && c <= 0x044F) return c - 0x20;
  if (c == 0x0451) return 0x0401;
  return c;
}

/// Lower case for Latin and Cyrillic, ё read as е (keywords are matched on this form).
char32_t fold(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;
  if (c == 0x0401 || c == 0x0451) return 0x0435;
  return c;
}

Text folded(const Text& t) {
  Text out(t);
  for (auto& c : out) c = fold(c);
  return out;
}

bool starts_with_at(const Text& t, std::size_t i, const Text& word) {
  return t.compare(i, word.size(), word) == 0;
}

// --- GIS identifiers ---

struct GisMatch {
  PayerReference::Kind kind;
  std::size_t begin, end;
};

/// The letters right before `i`, upper-cased (e.g. "ЖКУ" in "///ЖКУ75DA533315-01").
Text letters_before(const Text& t, std::size_t i) {
  std::size_t b = i;
  while (b > 0 && is_letter(t[b - 1])) --b;
  Text out;
  for (std::size_t k = b; k < i; ++k) out.push_back(upper(t[k]));
  return out;
}

bool digits_at(const Text& t, std::size_t i, std::size_t n) {
  if (i + n > t.size()) return false;
  for (std::size_t k = 0; k < n; ++k) {
    if (!is_digit(t[i + k])) return false;
  }
  return true;
}

/// ЕЛС core at `i`: 2 digits, 2 digits or letters, 6 digits.
bool els_at(const Text& t, std::size_t i) {
  if (!digits_at(t, i, 2) || i + 10 > t.size()) return false;
  if (!is_alnum(t[i + 2]) || !is_alnum(t[i + 3])) return false;
  return digits_at(t, i + 4, 6);
}

std::optional<GisMatch> gis_at(const Text& t, std::size_t i) {
  if (i > 0 && is_alnum(t[i - 1])) {
    const Text prefix = letters_before(t, i);
    if (!(i > 0 && is_letter(t[i - 1]) &&
          (prefix.ends_with(U"ЖКУ") || prefix.ends_with(U"ЕЛС") || prefix.ends_with(U"ИПД")))) {
      return std::nullopt;
    }
  }
  if (!els_at(t, i)) return std::nullopt;
  GisMatch m{PayerReference::Kind::kEls, i, i + 10};
  if (m.end + 3 <= t.size() && t[m.end] == U'-' && digits_at(t, m.end + 1, 2)) {
    m = {PayerReference::Kind::kIzhku, i, m.end + 3};
    if (m.end + 5 <= t.size() && t[m.end] == U'-' && digits_at(t, m.end + 1, 4)) {
      m = {PayerReference::Kind::kIpd, i, m.end + 5};
    }
  }
  if (m.end < t.size() && (is_alnum(t[m.end]) ||
                           (t[m.end] == U'-' && m.end + 1 < t.size() && is_digit(t[m.end + 1])))) {
    return std::nullopt;
  }
  return m;
}

int rank(PayerReference::Kind k) {
  switch (k) {
    case PayerReference::Kind::kIpd:
      return 3;
    case PayerReference::Kind::kIzhku:
      return 2;
    case PayerReference::Kind::kEls:
      return 1;
    default:
      return 0;
  }
}

std::optional<PayerReference> find_gis(const Text& t, const Text& f) {
  std::optional<GisMatch> best;
  for (std::size_t i = 0; i + 10 <= t.size(); ++i) {
    auto m = gis_at(t, i);
    if (!m) continue;
    if (m->kind == PayerReference::Kind::kEls) {
      // A bare ЕЛС needs its keyword shortly before, or letters in positions 3–4.
      const bool letters = is_letter(t[i + 2]) || is_letter(t[i + 3]);
      const std::size_t from = i > 24 ? i - 24 : 0;
      const Text window = f.substr(from, i - from);
      const bool keyword = window.find(U"елс") != Text::npos ||
                           window.find(U"единый лицевой") != Text::npos ||
                           window.find(U"единого лицевого") != Text::npos;
      if (!letters && !keyword) continue;
    }
    if (!best || rank(m->kind) > rank(best->kind)) best = m;
    i = m->end - 1;
  }
  if (!best) return std::nullopt;
  Text value;
  for (std::size_t k = best->begin; k < best->end; ++k) value.push_back(upper(t[k]));
  return PayerReference{best->kind, to_utf8(value)};
}

// --- personal account after a keyword ---

const std::array<Text, 16>& account_keywords() {
  // Longest first, so that "лицевой счет" is not taken as "лс"-less text; folded forms (ё=е).
  static const std::array<Text, 16> k = {U"лицевому счету",
                                         U"лицевого счета",
                                         U"лицевой счет",
                                         U"лицевой сч",
                                         U"лиц. счет",
                                         U"лиц.счет",
                                         U"лиц. сч",
                                         U"лиц.сч",
                                         U"лиц/сч",
                                         U"л/сч",
                                         U"л/счет",
                                         U"л.сч",
                                         U"л/с",
                                         U"л.с",
                                         U"лс",
                                         U"ls"};
  return k;
}

bool account_char(char32_t c) {
  return !(c == U' ' || c == U'\t' || c == U',' || c == U';' || c == U'(' || c == U')' ||
           c == 0xA0 || c == U'"' || c == 0xAB || c == 0xBB);
}

/// The first personal account at or after `from`; `next` is where the search may go on.
std::optional<PayerReference> find_account(const Text& t, const Text& f, std::size_t from,
                                           std::size_t& next) {
  for (std::size_t i = from; i < f.size(); ++i) {
    if (i > 0 && is_letter(f[i - 1])) continue;
    // "единый лицевой счёт" is the ЕЛС, found with the GIS identifiers.
    if ((i >= 7 && f.compare(i - 7, 7, U"единый ") == 0) ||
        (i >= 8 && f.compare(i - 8, 8, U"единого ") == 0) ||
        (i >= 8 && f.compare(i - 8, 8, U"единому ") == 0)) {
      continue;
    }
    for (const Text& kw : account_keywords()) {
      if (!starts_with_at(f, i, kw)) continue;
      std::size_t j = i + kw.size();
      // A keyword ends a word ("лс" is not the start of "лсб…").
      if (j < f.size() && is_letter(f[j]) && kw.back() != U'.') {
        // "лицевой сч" may continue as "счет"/"счёта"…: skip the rest of the word.
        if (kw == U"лицевой сч" || kw == U"лиц. сч" || kw == U"лиц.сч") {
          while (j < f.size() && is_letter(f[j])) ++j;
        } else {
          continue;
        }
      }
      // Separators between the keyword and the number: . : № # N = - and blanks.
      while (j < f.size()) {
        const char32_t c = f[j];
        if (c == U' ' || c == U'.' || c == U':' || c == U'#' || c == U'=' || c == U'-' ||
            c == 0x2116 || c == 0xA0 || c == U'\t') {
          ++j;
        } else if ((c == U'n') && j + 1 < f.size() && (f[j + 1] == U' ' || is_digit(f[j + 1]))) {
          ++j;
        } else {
          break;
        }
      }
      std::size_t end = j;
      while (end < t.size() && account_char(t[end])) ++end;
      while (end > j && (t[end - 1] == U'.' || t[end - 1] == U':')) --end;
      if (end == j || end - j > 30) continue;
      bool digit = false, all_digits = true;
      for (std::size_t k = j; k < end; ++k) {
        digit = digit || is_digit(t[k]);
        all_digits = all_digits && is_digit(t[k]);
      }
      if (!digit) continue;
      if (all_digits && end - j == 20) continue;  // a bank account written after "л/с"
      next = end;
      return PayerReference{PayerReference::Kind::kAccount, to_utf8(t.substr(j, end - j))};
    }
  }
  return std::nullopt;
}

// --- period ---

int two_digits(const Text& t, std::size_t i) {
  return (t[i] - U'0') * 10 + (t[i + 1] - U'0');
}

std::optional<int> year_at(const Text& t, std::size_t i) {
  if (!digits_at(t, i, 4) || (i + 4 < t.size() && is_digit(t[i + 4]))) return std::nullopt;
  const int y = two_digits(t, i) * 100 + two_digits(t, i + 2);
  if (y < 2000 || y > 2099) return std::nullopt;
  return y;
}

std::string period_text(int year, int month) {
  std::string s = std::to_string(year) + "-";
  if (month < 10) s += "0";
  return s + std::to_string(month);
}

}  // namespace

const char* element_of(PayerReference::Kind kind) {
  switch (kind) {
    case PayerReference::Kind::kAccount:
      return "account";
    case PayerReference::Kind::kEls:
      return "els";
    case PayerReference::Kind::kIzhku:
      return "izhku";
    case PayerReference::Kind::kIpd:
      return "ipd";
  }
  return "account";
}

std::optional<PayerReference> find_payer_reference(std::string_view purpose_utf8,
                                                   std::string* ambiguous) {
  const Text t = to_utf32(purpose_utf8);
  const Text f = folded(t);
  std::size_t next = 0;
  if (auto a = find_account(t, f, 0, next)) {
    // Several different accounts in one payment: splitting it is guesswork, so none is taken.
    for (std::size_t from = next; auto b = find_account(t, f, from, next); from = next) {
      if (b->value != a->value) {
        if (ambiguous) *ambiguous = a->value + ", " + b->value;
        return std::nullopt;
      }
    }
    return a;
  }
  return find_gis(t, f);
}

std::optional<std::string> find_period(std::string_view purpose_utf8) {
  const Text f = folded(to_utf32(purpose_utf8));
  static const std::array<Text, 12> kMonths = {U"январ",   U"феврал", U"март",  U"апрел",
                                               U"ма",      U"июн",    U"июл",   U"август",
                                               U"сентябр", U"октябр", U"ноябр", U"декабр"};
  for (std::size_t i = 0; i < f.size(); ++i) {
    // Month name and a year: "ноябрь 2026", "ноября 2026г".
    if ((i == 0 || !is_letter(f[i - 1])) && is_letter(f[i])) {
      std::size_t word_end = i;
      while (word_end < f.size() && is_letter(f[word_end])) ++word_end;
      const Text word = f.substr(i, word_end - i);
      for (std::size_t m = 0; m < kMonths.size(); ++m) {
        const bool may = m == 4;
        if (!(may ? (word == U"май" || word == U"мая" || word == U"мае")
                  : word.starts_with(kMonths[m]) && word.size() <= kMonths[m].size() + 3)) {
          continue;
        }
        std::size_t j = word_end;
        while (j < f.size() && (f[j] == U' ' || f[j] == 0xA0 || f[j] == U'.')) ++j;
        if (auto y = year_at(f, j)) return period_text(*y, static_cast<int>(m) + 1);
      }
      i = word_end - 1;
      continue;
    }
    // MM.YYYY, MM/YYYY, MM-YYYY, not the tail of a date дд.мм.гггг.
    if (i + 7 <= f.size() && digits_at(f, i, 2) &&
        (f[i + 2] == U'.' || f[i + 2] == U'/' || f[i + 2] == U'-')) {
      if (i > 0 && is_digit(f[i - 1])) continue;
      if (i > 1 && (f[i - 1] == U'.' || f[i - 1] == U'/' || f[i - 1] == U'-') &&
          is_digit(f[i - 2])) {
        continue;
      }
      const int month = two_digits(f, i);
      if (month < 1 || month > 12) continue;
      if (auto y = year_at(f, i + 3)) return period_text(*y, month);
    }
  }
  return std::nullopt;
}

}  // namespace hub::bank
