#include "hub/billing/debt_reader.h"

#include <pqxx/pqxx>
#include <regex>
#include <stdexcept>

namespace hub::billing {

namespace {

constexpr const char* kPageSql = R"SQL(
WITH acc AS (
  SELECT a.id, a.number, a.els, a.house_fias_guid, a.premise_number, a.address,
         coalesce(nullif(concat_ws(' ', a.payer_last_name, a.payer_first_name,
                                   a.payer_middle_name), ''), a.payer_org_name) AS payer
    FROM billing.account a
   WHERE a.id > $1 AND (a.closed_on IS NULL OR a.closed_on >= $2::date)
   ORDER BY a.id
   LIMIT $3)
SELECT acc.id, acc.number, coalesce(acc.els, ''), coalesce(acc.house_fias_guid, ''),
       coalesce(acc.premise_number, ''),
       coalesce(acc.address, h.address || coalesce(', кв. ' || acc.premise_number, ''), ''),
       coalesce(acc.payer, ''),
       coalesce((SELECT sum(c.total_kopecks) FROM billing.charge c
                  WHERE c.account = acc.number AND c.period <= $4), 0),
       coalesce((SELECT sum(p.amount_kopecks) FROM billing.payment p
                  WHERE p.account_id = acc.id AND p.status IN ('identified', 'resolved')
                    AND p.paid_on < ($2::date + interval '1 month')), 0)
  FROM acc LEFT JOIN billing.house h ON h.fias_guid = acc.house_fias_guid
 ORDER BY acc.id
)SQL";

constexpr const char* kMetersSql = R"SQL(
SELECT DISTINCT ON (r.meter_key) r.meter_key, coalesce(r.zone_values->0->>'value', ''),
       to_char(r.taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
  FROM billing.reading r
 WHERE r.account = $1 AND r.taken_at < ($2::date + interval '1 month')
 ORDER BY r.meter_key, r.taken_at DESC
)SQL";

}  // namespace

std::size_t PgDebtReader::for_each_debtor(
    const plugin::DebtQuery& query, const std::function<void(const plugin::DebtorRow&)>& row) {
  static const std::regex period_re("[0-9]{4}-(0[1-9]|1[0-2])");
  if (!std::regex_match(query.period, period_re)) {
    throw std::invalid_argument("debt period '" + query.period + "' is not YYYY-MM");
  }
  const std::string first_day = query.period + "-01";
  std::size_t rows = 0;
  long long after = 0;
  while (true) {
    std::vector<plugin::DebtorRow> page;
    bool any = false;
    {
      auto lease = pool_.lease();
      pqxx::read_transaction tx(lease.conn());
      const auto result = tx.exec_params(kPageSql, after, first_day,
                                         static_cast<long long>(page_size_), query.period);
      for (const auto& r : result) {
        any = true;
        after = r[0].as<long long>();
        plugin::DebtorRow d;
        d.account = r[1].c_str();
        d.els = r[2].c_str();
        d.house_guid = r[3].c_str();
        d.premise = r[4].c_str();
        d.address = r[5].c_str();
        d.payer_name = r[6].c_str();
        d.period = query.period;
        d.charged_kopecks = r[7].as<long long>();
        d.paid_kopecks = r[8].as<long long>();
        d.debt_kopecks = d.charged_kopecks - d.paid_kopecks;
        if (d.debt_kopecks < query.min_debt_kopecks) continue;
        if (query.with_meters) {
          for (const auto& m : tx.exec_params(kMetersSql, d.account, first_day)) {
            d.meters.push_back({m[0].c_str(), m[1].c_str(), m[2].c_str()});
          }
        }
        page.push_back(std::move(d));
      }
    }
    // The callback runs outside the transaction: a slow writer holds no connection.
    for (const auto& d : page) {
      row(d);
      ++rows;
    }
    if (!any) break;
  }
  return rows;
}

}  // namespace hub::billing
