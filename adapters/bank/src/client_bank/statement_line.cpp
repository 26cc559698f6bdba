#include "client_bank/statement_line.h"

#include "client_bank/exchange_values.h"
#include "client_bank/text_utf8.h"

namespace hub::bank {
namespace {

using plugin::InputError;

constexpr std::size_t kTextMax = 1000;  // StatementText
constexpr std::size_t kNameMax = 255;   // Name

bool all_zeros(const std::string& s) {
  return !s.empty() && s.find_first_not_of('0') == std::string::npos;
}

bool is_kpp(const std::string& s) {
  if (s.size() != 9) return false;
  for (std::size_t i = 0; i < 9; ++i) {
    const char c = s[i];
    const bool digit = c >= '0' && c <= '9';
    const bool upper = c >= 'A' && c <= 'Z';
    if (!(digit || ((i == 4 || i == 5) && upper))) return false;
  }
  return true;
}

class Checker {
 public:
  Checker(const ExchangeSection& s, std::vector<InputError>& errors) : s_(s), errors_(errors) {}

  std::int64_t line_of(const char* key) const {
    const auto* f = s_.find(key);
    return f ? f->line : s_.begin_line;
  }
  void error(const char* key, std::string reason) {
    errors_.push_back({line_of(key), key, std::move(reason)});
  }
  std::string text(const char* key, std::size_t max = kTextMax) const {
    return std::string(utf8_prefix(s_.value(key), max));
  }
  /// A requisite of exactly `digits` digits; "", "0…0" are "none"; others reported, left out.
  std::string digits(const char* key, std::size_t n, const char* what) {
    const std::string v = s_.value(key);
    if (v.empty() || all_zeros(v)) return {};
    if (!is_digits(v, n)) {
      error(key,
            std::string(what) + " '" + v + "' is not " + std::to_string(n) + " digits; left out");
      return {};
    }
    return v;
  }
  std::string inn(const char* key) {
    const std::string v = s_.value(key);
    if (v.empty() || all_zeros(v)) return {};
    if (!is_digits(v, 10) && !is_digits(v, 12)) {
      error(key, "ИНН '" + v + "' is not 10 or 12 digits; left out");
      return {};
    }
    return v;
  }
  std::string kpp(const char* key) {
    const std::string v = s_.value(key);
    if (v.empty() || all_zeros(v)) return {};
    if (!is_kpp(v)) {
      error(key, "КПП '" + v + "' is not 9 characters NNNNXXNNN; left out");
      return {};
    }
    return v;
  }
  std::optional<std::string> date(const char* key) {
    const std::string v = s_.value(key);
    if (v.empty()) return std::nullopt;
    auto d = parse_exchange_date(v);
    if (!d) error(key, "date '" + v + "' is not дд.мм.гггг");
    return d;
  }

 private:
  const ExchangeSection& s_;
  std::vector<InputError>& errors_;
};

StatementParty party(Checker& c, bool payer, const ExchangeSection& s) {
  StatementParty p;
  const std::string who = payer ? "Плательщик" : "Получатель";
  auto key = [&](const char* suffix) { return who + suffix; };
  // Keys are built at run time; the checker takes C strings.
  const std::string k_name = key(""), k_name1 = key("1"), k_inn = key("ИНН"), k_kpp = key("КПП"),
                    k_acc = key("Счет"), k_acc2 = key("РасчСчет"), k_bank1 = key("Банк1"),
                    k_bank2 = key("Банк2"), k_bik = key("БИК"), k_corr = key("Корсчет");
  p.name = c.text(k_name.c_str());
  if (p.name.empty()) p.name = c.text(k_name1.c_str());
  p.inn = c.inn(k_inn.c_str());
  p.kpp = c.kpp(k_kpp.c_str());
  p.account = c.digits(s.value(k_acc).empty() ? k_acc2.c_str() : k_acc.c_str(), 20, "account");
  p.bank_name = c.text(k_bank1.c_str());
  p.bank_city = c.text(k_bank2.c_str());
  p.bik = c.digits(k_bik.c_str(), 9, "БИК");
  p.correspondent_account = c.digits(k_corr.c_str(), 20, "correspondent account");
  return p;
}

std::string join_purpose(const ExchangeSection& s) {
  std::string out = s.value("НазначениеПлатежа");
  static const char* kMore[] = {"НазначениеПлатежа1", "НазначениеПлатежа2", "НазначениеПлатежа3",
                                "НазначениеПлатежа4", "НазначениеПлатежа5", "НазначениеПлатежа6"};
  for (const char* k : kMore) {
    const std::string v = s.value(k);
    if (v.empty()) continue;
    if (!out.empty()) out += ' ';
    out += v;
  }
  return std::string(utf8_prefix(out, kTextMax));
}

}  // namespace

std::string payer_account_of(const ExchangeSection& d) {
  std::string v = d.value("ПлательщикСчет");
  return v.empty() ? d.value("ПлательщикРасчСчет") : v;
}

std::string payee_account_of(const ExchangeSection& d) {
  std::string v = d.value("ПолучательСчет");
  return v.empty() ? d.value("ПолучательРасчСчет") : v;
}

StatementLineResult build_statement_line(const ExchangeSection& d,
                                         const std::set<std::string>& accounts,
                                         const StatementSourceInfo& source) {
  StatementLineResult r;
  Checker c(d, r.errors);
  StatementLine l;
  l.line = d.begin_line;
  l.end_line = d.end_line;
  l.source = source;
  l.kind = std::string(utf8_prefix(d.document_kind.empty() ? "?" : d.document_kind, kNameMax));

  bool ok = true;
  l.number = c.text("Номер", kNameMax);
  if (l.number.empty()) {
    c.error("Номер", "no document number; document skipped");
    ok = false;
  }
  const std::string date_text = d.value("Дата");
  if (auto dt = parse_exchange_date(date_text)) {
    l.date = *dt;
  } else {
    c.error("Дата", (date_text.empty() ? std::string("no document date")
                                       : "date '" + date_text + "' is not дд.мм.гггг") +
                        "; document skipped");
    ok = false;
  }
  const std::string sum_text = d.value("Сумма");
  if (auto k = parse_exchange_amount(sum_text); k && *k > 0) {
    l.amount_kopecks = *k;
  } else {
    c.error("Сумма", (sum_text.empty() ? std::string("no amount")
                                       : "amount '" + sum_text + "' is not a positive руб[.коп]") +
                         "; document skipped");
    ok = false;
  }

  l.payer = party(c, true, d);
  l.payee = party(c, false, d);
  const std::string payer_acc = payer_account_of(d), payee_acc = payee_account_of(d);
  const bool payer_ours = !payer_acc.empty() && accounts.count(payer_acc) > 0;
  const bool payee_ours = !payee_acc.empty() && accounts.count(payee_acc) > 0;
  const auto debited = c.date("ДатаСписано");
  const auto credited = c.date("ДатаПоступило");
  if (payer_ours && payee_ours) {
    l.direction = "internal";
    l.statement_account = l.payer.account;
  } else if (payee_ours) {
    l.direction = "in";
    l.statement_account = l.payee.account;
  } else if (payer_ours) {
    l.direction = "out";
    l.statement_account = l.payer.account;
  } else if (accounts.empty() && credited && !debited) {
    // No account in the header: the bank's booking dates tell the side.
    l.direction = "in";
    l.statement_account = l.payee.account;
  } else if (accounts.empty() && debited && !credited) {
    l.direction = "out";
    l.statement_account = l.payer.account;
  } else {
    l.direction = "unknown";
    l.statement_account = accounts.size() == 1 ? *accounts.begin() : l.payer.account;
  }
  if (l.statement_account.empty() || !is_digits(l.statement_account, 20)) {
    r.errors.push_back({d.begin_line, "ПлательщикСчет",
                        "neither the payer's nor the payee's account is a 20-digit account of "
                        "this statement; document skipped"});
    ok = false;
  }
  if (l.direction == "in") {
    l.booked_on = credited.value_or(l.date);
  } else if (l.direction == "out") {
    l.booked_on = debited.value_or(l.date);
  } else {
    l.booked_on = debited.value_or(credited.value_or(l.date));
  }

  l.operation_type = c.text("ВидОплаты", 64);
  l.payment_method = c.text("ВидПлатежа", kNameMax);
  l.priority = c.text("Очередность", 64);
  l.uin = c.text("Код", 64);
  if (all_zeros(l.uin)) l.uin.clear();
  l.purpose_code = c.text("КодНазПлатежа", 64);
  // Code elements take [A-Za-z0-9_.:/-] only; anything else is kept out rather than refused.
  for (std::string* code : {&l.operation_type, &l.priority, &l.uin, &l.purpose_code}) {
    for (char ch : *code) {
      const bool ok_char = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
                           (ch >= 'a' && ch <= 'z') || ch == '_' || ch == '.' || ch == ':' ||
                           ch == '/' || ch == '-';
      if (!ok_char) {
        code->clear();
        break;
      }
    }
  }
  l.purpose = join_purpose(d);
  l.budget_status = c.text("СтатусСоставителя", kNameMax);
  l.budget_kbk = c.text("ПоказательКБК", kNameMax);
  l.budget_oktmo = c.text("ОКАТО", kNameMax);
  l.budget_basis = c.text("ПоказательОснования", kNameMax);
  l.budget_period = c.text("ПоказательПериода", kNameMax);
  l.budget_number = c.text("ПоказательНомера", kNameMax);
  l.budget_date = c.text("ПоказательДаты", kNameMax);
  l.budget_type = c.text("ПоказательТипа", kNameMax);
  // Treasury and budget money (subsidies, refunds) names the treasury's own "л/с" in the
  // purpose: never a resident's account.
  const bool budget = payer_acc.rfind("03", 0) == 0 || payer_acc.rfind("40101", 0) == 0 ||
                      payer_acc.rfind("40102", 0) == 0 || !l.budget_kbk.empty() ||
                      !l.budget_status.empty();
  if (l.direction == "in" && !budget) {
    std::string several;
    l.reference = find_payer_reference(l.purpose, &several);
    if (!several.empty()) {
      c.error("НазначениеПлатежа", "the purpose names several personal accounts (" + several +
                                       "): not published as payment.received, to be attributed "
                                       "by hand");
    }
  }

  if (ok) r.line = std::move(l);
  return r;
}

StatementBalanceResult build_statement_balance(const ExchangeSection& s,
                                               const ExchangeSection& header,
                                               const StatementSourceInfo& source) {
  StatementBalanceResult r;
  Checker c(s, r.errors);
  StatementBalance b;
  b.line = s.begin_line;
  b.end_line = s.end_line;
  b.source = source;
  bool ok = true;
  b.account = s.value("РасчСчет");
  if (!is_digits(b.account, 20)) {
    c.error("РасчСчет", "account '" + b.account + "' is not 20 digits; balances not published");
    ok = false;
  }
  auto date_or_header = [&](const char* key) -> std::optional<std::string> {
    const std::string v = s.value(key).empty() ? header.value(key) : s.value(key);
    auto d = parse_exchange_date(v);
    if (!d) {
      c.error(key, "date '" + v + "' is not дд.мм.гггг; balances not published");
    }
    return d;
  };
  auto from = date_or_header("ДатаНачала");
  auto to = date_or_header("ДатаКонца");
  ok = ok && from && to;
  if (from) b.from = *from;
  if (to) b.to = *to;
  auto amount = [&](const char* key, bool negative_ok, std::int64_t& out) {
    const std::string v = s.value(key);
    auto k = parse_exchange_amount(v, negative_ok);
    if (!k) {
      c.error(key, (v.empty() ? std::string("missing") : "'" + v + "' is not руб[.коп]") +
                       "; balances not published");
      return false;
    }
    out = *k;
    return true;
  };
  bool amounts = amount("НачальныйОстаток", true, b.opening);
  amounts = amount("ВсегоПоступило", false, b.incoming) && amounts;
  amounts = amount("ВсегоСписано", false, b.outgoing) && amounts;
  amounts = amount("КонечныйОстаток", true, b.closing) && amounts;
  if (amounts && b.opening + b.incoming - b.outgoing != b.closing) {
    r.mismatch = InputError{s.begin_line, "КонечныйОстаток",
                            "balances of " + b.account + " do not add up: НачальныйОстаток " +
                                format_exchange_amount(b.opening) + " + ВсегоПоступило " +
                                format_exchange_amount(b.incoming) + " - ВсегоСписано " +
                                format_exchange_amount(b.outgoing) + " = " +
                                format_exchange_amount(b.opening + b.incoming - b.outgoing) +
                                ", not КонечныйОстаток " + format_exchange_amount(b.closing)};
  }
  if (ok && amounts && !r.mismatch) r.balance = std::move(b);
  return r;
}

}  // namespace hub::bank
