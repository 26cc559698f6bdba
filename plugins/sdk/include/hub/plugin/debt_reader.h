#pragma once
// Debtors of the billing store for a period, streamed row by row (a debt registry for a bank is
// written while it is read, so memory does not grow with the number of accounts).
//
// Debt of an account for period P (YYYY-MM): every charge of the account for periods up to and
// including P, minus every identified or resolved payment of the account paid before the first
// day of the month after P. Accounts closed before P are left out.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hub::plugin {

struct DebtorMeter {
  std::string meter_id;
  std::string last_value;     ///< the latest reading's first zone value, as a plain decimal
  std::string last_taken_at;  ///< ISO-8601
};

struct DebtorRow {
  std::string account;     ///< ЛС (account number)
  std::string els;         ///< ЕЛС, may be empty
  std::string payer_name;  ///< ФИО or organisation, may be empty
  std::string address;     ///< the account's address line, or the house's with the premise
  std::string house_guid;  ///< FIAS GUID of the house, may be empty
  std::string premise;     ///< premise number, may be empty
  std::string period;      ///< YYYY-MM asked for
  std::int64_t charged_kopecks = 0;
  std::int64_t paid_kopecks = 0;
  std::int64_t debt_kopecks = 0;    ///< charged - paid
  std::vector<DebtorMeter> meters;  ///< filled when DebtQuery::with_meters
};

struct DebtQuery {
  std::string period;                 ///< YYYY-MM
  std::int64_t min_debt_kopecks = 1;  ///< rows with less debt are skipped
  bool with_meters = false;           ///< the last reading of each meter of the account
};

class DebtReader {
 public:
  virtual ~DebtReader() = default;
  /// Calls `row` for each debtor, by account in store order; returns the number of rows. Throws
  /// std::invalid_argument for a malformed period.
  virtual std::size_t for_each_debtor(const DebtQuery& query,
                                      const std::function<void(const DebtorRow&)>& row) = 0;
};

}  // namespace hub::plugin
