#pragma once
// What a 1CClientBankExchange file is made of, as read: the header and the sections
// (СекцияРасчСчет … КонецРасчСчет, СекцияДокумент=<вид> … КонецДокумента), each a list of
// Ключ=Значение fields with their line numbers. Values are UTF-8, whatever the file's encoding.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hub::bank {

struct ExchangeField {
  std::string key;
  std::string value;
  std::int64_t line = 0;
};

/// One section, or the header (kind kHeader, lines from the first key to the first section).
struct ExchangeSection {
  enum class Kind { kHeader, kBalance, kDocument };

  Kind kind = Kind::kHeader;
  std::string document_kind;  ///< СекцияДокумент=<вид>, e.g. "Платежное поручение"
  std::int64_t begin_line = 0;  ///< the section's opening line
  std::int64_t end_line = 0;    ///< its closing line
  std::vector<ExchangeField> fields;

  /// The first value of `key`, or nullptr.
  const ExchangeField* find(std::string_view key) const {
    for (const auto& f : fields) {
      if (f.key == key) return &f;
    }
    return nullptr;
  }
  /// The first value of `key` with blanks trimmed, or "".
  std::string value(std::string_view key) const;
  /// Every value of a repeatable key (РасчСчет, Документ), in order.
  std::vector<std::string> values(std::string_view key) const;
};

/// Blanks (space, tab, NBSP) trimmed off both ends.
std::string_view trim_blanks(std::string_view s);

}  // namespace hub::bank
