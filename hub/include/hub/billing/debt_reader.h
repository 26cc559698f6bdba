#pragma once
// Context::debts() on the billing store (SDK hub/plugin/debt_reader.h): debtors for a period,
// keyset-paged over billing.account so that any number of accounts streams in bounded memory.
//
// debt(account, P) = Σ billing.charge.total_kopecks of the account number for periods <= P
//                  − Σ billing.payment.amount_kopecks identified/resolved to the account with
//                    paid_on before the first day of the month after P.
// Charges are keyed (account, period), so a recalculated period counts once. Accounts closed
// before P are left out. The address is the account's own line, else the house's with the
// premise number; the payer is ФИО, else the organisation's name. Meters (with_meters): the
// latest billing.reading per meter of the account.

#include "hub/plugin/debt_reader.h"
#include "hub/store/pool.h"

namespace hub::billing {

class PgDebtReader : public plugin::DebtReader {
 public:
  explicit PgDebtReader(store::Pool& pool, std::size_t page_size = 1000)
      : pool_(pool), page_size_(page_size) {}
  std::size_t for_each_debtor(const plugin::DebtQuery& query,
                              const std::function<void(const plugin::DebtorRow&)>& row) override;

 private:
  store::Pool& pool_;
  std::size_t page_size_;
};

}  // namespace hub::billing
