#pragma once
// Who an incoming payment is for, as its purpose (НазначениеПлатежа) names it: the
// organisation's own personal account after a keyword (л/с, ЛС, лицевой счёт …), or a GIS ZhKH
// identifier — ИПД (ЕЛС-NN-ГГММ), ИЖКУ (ЕЛС-NN, also after the `///ЖКУ` prefix banks write) or
// ЕЛС (10 characters, after the keyword ЕЛС unless its letters make it unmistakable: a bare
// 10-digit number is as likely an ИНН). And the month paid for, when the purpose says it.

#include <optional>
#include <string>
#include <string_view>

namespace hub::bank {

struct PayerReference {
  enum class Kind { kAccount, kEls, kIzhku, kIpd };
  Kind kind = Kind::kAccount;
  std::string value;  ///< as the canonical types want it: GIS ids upper-case
};

/// The element of payment.received that carries `kind`: account, els, izhku, ipd.
const char* element_of(PayerReference::Kind kind);

/// The explicit personal account wins (it is the organisation's own key), then the most specific
/// GIS identifier (ИПД, ИЖКУ, ЕЛС). nullopt when the purpose names none — or several different
/// personal accounts, which `ambiguous` (when given) then lists: one payment for two accounts
/// cannot be split from the purpose alone.
std::optional<PayerReference> find_payer_reference(std::string_view purpose_utf8,
                                                   std::string* ambiguous = nullptr);

/// "YYYY-MM" from "за ноябрь 2026", "ноября 2026 г.", "11.2026", "11/2026", "период 11-2026";
/// nullopt when the purpose names no month.
std::optional<std::string> find_period(std::string_view purpose_utf8);

}  // namespace hub::bank
