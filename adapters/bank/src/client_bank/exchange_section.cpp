#include "client_bank/exchange_section.h"

namespace hub::bank {

std::string_view trim_blanks(std::string_view s) {
  auto blank_front = [&]() {
    if (s.empty()) return std::size_t{0};
    if (s.front() == ' ' || s.front() == '\t') return std::size_t{1};
    if (s.size() >= 2 && s[0] == '\xC2' && s[1] == '\xA0') return std::size_t{2};
    return std::size_t{0};
  };
  auto blank_back = [&]() {
    if (s.empty()) return std::size_t{0};
    if (s.back() == ' ' || s.back() == '\t') return std::size_t{1};
    if (s.size() >= 2 && s[s.size() - 2] == '\xC2' && s.back() == '\xA0') return std::size_t{2};
    return std::size_t{0};
  };
  for (std::size_t n; (n = blank_front()) != 0;) s.remove_prefix(n);
  for (std::size_t n; (n = blank_back()) != 0;) s.remove_suffix(n);
  return s;
}

std::string ExchangeSection::value(std::string_view key) const {
  const ExchangeField* f = find(key);
  return f ? std::string(trim_blanks(f->value)) : std::string();
}

std::vector<std::string> ExchangeSection::values(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    if (f.key == key) out.emplace_back(trim_blanks(f.value));
  }
  return out;
}

}  // namespace hub::bank
