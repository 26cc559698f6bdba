#pragma once
// One СекцияДокумент of a statement as the canonical model sees it (bank_statement.line), and
// the checks that turn a section into one: required Номер, Дата and Сумма > 0; requisites (ИНН,
// КПП, accounts, БИК) that are not well-formed are left out and reported; direction and booking
// date from the statement's own accounts.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client_bank/exchange_section.h"
#include "client_bank/payer_reference.h"
#include "hub/plugin/file_parser.h"

namespace hub::bank {

struct StatementParty {
  std::string name, inn, kpp, account;
  std::string bank_name, bank_city, bik, correspondent_account;
};

struct StatementSourceInfo {
  std::string file_name;
  std::string format_version;
  std::string encoding;
};

struct StatementLine {
  std::string statement_account;
  std::string direction;  ///< in, out, internal, unknown
  std::string booked_on;  ///< ISO date
  std::int64_t amount_kopecks = 0;
  std::string kind, number, date;  ///< date ISO
  std::string operation_type, payment_method, priority, uin, purpose_code;
  StatementParty payer, payee;
  std::string purpose;
  std::string budget_status, budget_kbk, budget_oktmo, budget_basis, budget_period, budget_number,
      budget_date, budget_type;
  std::optional<PayerReference> reference;  ///< only for incoming payments
  std::int64_t line = 0;                    ///< the section's opening line
  std::int64_t end_line = 0;
  StatementSourceInfo source;

  /// Who is on the other side: the payee of an outgoing payment, the payer otherwise.
  const StatementParty& counterparty() const { return direction == "out" ? payee : payer; }
};

struct StatementLineResult {
  std::optional<StatementLine> line;  ///< nullopt: the document is skipped (see errors)
  std::vector<plugin::InputError> errors;
};

/// `accounts`: the statement's own accounts (header РасчСчет and СекцияРасчСчет).
StatementLineResult build_statement_line(const ExchangeSection& document,
                                         const std::set<std::string>& accounts,
                                         const StatementSourceInfo& source);

/// The account a document debits / credits, as written (ПлательщикСчет, else
/// ПлательщикРасчСчет; likewise for the payee).
std::string payer_account_of(const ExchangeSection& document);
std::string payee_account_of(const ExchangeSection& document);

/// The balances of one СекцияРасчСчет.
struct StatementBalance {
  std::string account, from, to;  ///< dates ISO
  std::int64_t opening = 0, incoming = 0, outgoing = 0, closing = 0;
  std::int64_t line = 0, end_line = 0;
  StatementSourceInfo source;
};

struct StatementBalanceResult {
  std::optional<StatementBalance> balance;  ///< nullopt: incomplete section (see errors)
  std::vector<plugin::InputError> errors;
  /// Set when the four amounts are there but opening + in - out != closing.
  std::optional<plugin::InputError> mismatch;
};

/// `header`: ДатаНачала/ДатаКонца default to the header's.
StatementBalanceResult build_statement_balance(const ExchangeSection& section,
                                               const ExchangeSection& header,
                                               const StatementSourceInfo& source);

}  // namespace hub::bank
