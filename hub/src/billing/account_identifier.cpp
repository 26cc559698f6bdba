#include "hub/billing/account_identifier.h"

#include <algorithm>
#include <map>
#include <set>

#include "hub/billing/address.h"
#include "hub/store/pg_array.h"

namespace hub::billing {
namespace {

constexpr const char* kExactStatement = "billing_identify_exact";
// Exact keys, each branch on its own index. `kind` says which key the row matched by.
constexpr const char* kExactSql = R"SQL(
WITH v(ord, kind, val) AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[]))
SELECT v.ord, v.kind, a.id, a.number, a.els FROM v JOIN billing.account a ON a.number = v.val
 WHERE v.kind = 'account'
UNION ALL
SELECT v.ord, v.kind, a.id, a.number, a.els FROM v JOIN billing.account a ON a.els = v.val
 WHERE v.kind = 'els'
UNION ALL
SELECT v.ord, v.kind, a.id, a.number, a.els FROM v JOIN billing.account a ON a.izhku = v.val
 WHERE v.kind = 'izhku'
UNION ALL
SELECT DISTINCT v.ord, v.kind, a.id, a.number, a.els FROM v
  JOIN billing.payment_document d ON d.ipd = v.val
  JOIN billing.account a ON a.number = d.account
 WHERE v.kind = 'ipd'
)SQL";

constexpr const char* kFallbackStatement = "billing_identify_fallback";
// Address candidates: by the account's own address line, or by its house's.
constexpr const char* kFallbackSql = R"SQL(
WITH v(ord, house_no, flat) AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[])),
c AS (
  SELECT v.ord, a.id FROM v JOIN billing.account a
      ON a.address_house_no = v.house_no AND a.premise_key = v.flat WHERE v.flat <> ''
  UNION
  SELECT v.ord, a.id FROM v JOIN billing.account a
      ON a.address_house_no = v.house_no WHERE v.flat = ''
  UNION
  SELECT v.ord, a.id FROM v JOIN billing.house h ON h.house_no = v.house_no
    JOIN billing.account a ON a.house_fias_guid = h.fias_guid AND a.premise_key = v.flat
   WHERE v.flat <> ''
  UNION
  SELECT v.ord, a.id FROM v JOIN billing.house h ON h.house_no = v.house_no
    JOIN billing.account a ON a.house_fias_guid = h.fias_guid WHERE v.flat = ''
)
SELECT c.ord, a.id, a.number, coalesce(a.els, ''), coalesce(a.payer_surname, ''),
       concat_ws(' ', a.payer_last_name, a.payer_first_name, a.payer_middle_name, a.payer_org_name),
       coalesce(nullif(a.address_street, ''), h.street_key, ''),
       coalesce(a.address, h.address, ''), coalesce(a.premise_key, '')
  FROM c JOIN billing.account a ON a.id = c.id
  LEFT JOIN billing.house h ON h.fias_guid = a.house_fias_guid
)SQL";

// The ЕЛС an ИЖКУ or ИПД starts with: everything before the first dash.
std::string els_prefix(const std::string& id) {
  const auto dash = id.find('-');
  return dash == std::string::npos ? std::string() : id.substr(0, dash);
}

struct Exact {
  long long id;
  std::string number, els;
};

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

const char* label(const std::string& kind) {
  if (kind == "account") return "ЛС";
  if (kind == "els") return "ЕЛС";
  if (kind == "izhku") return "ИЖКУ";
  return "ИПД";
}

}  // namespace

Identification AccountIdentifier::identify(const PayerRef& payer) {
  if (!pool_) throw std::logic_error("AccountIdentifier::identify needs a pool");
  auto lease = pool_->lease();
  pqxx::read_transaction tx(lease.conn());
  auto out = identify_batch(tx, {payer});
  return out.front();
}

std::vector<Identification> AccountIdentifier::identify_batch(pqxx::transaction_base& tx,
                                                              const std::vector<PayerRef>& payers) {
  std::vector<Identification> out(payers.size());
  std::vector<std::string> why(payers.size());  // what did not resolve, for reason_text
  if (payers.empty()) return out;
  tx.conn().prepare(kExactStatement, kExactSql);
  tx.conn().prepare(kFallbackStatement, kFallbackSql);

  // Round 1: the key the payer was named by. Round 2: the ЕЛС inside an ИЖКУ or ИПД that found
  // nothing by itself.
  std::vector<std::map<long long, Exact>> found(payers.size());
  std::vector<std::string> method(payers.size());
  auto run_exact = [&](const std::vector<std::size_t>& idx,
                       const std::vector<std::pair<std::string, std::string>>& keys) {
    if (idx.empty()) return;
    std::vector<std::string> ord, kind, val;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      ord.push_back(std::to_string(idx[k]));
      kind.push_back(keys[k].first);
      val.push_back(keys[k].second);
    }
    const auto r = tx.exec_prepared(kExactStatement, store::pg_array_literal(ord),
                                    store::pg_array_literal(kind), store::pg_array_literal(val));
    for (const auto& row : r) {
      const auto i = row[0].as<std::size_t>();
      found[i][row[2].as<long long>()] = {row[2].as<long long>(), row[3].as<std::string>(),
                                          row[4].is_null() ? "" : row[4].as<std::string>()};
    }
  };
  {
    std::vector<std::size_t> idx;
    std::vector<std::pair<std::string, std::string>> keys;
    for (std::size_t i = 0; i < payers.size(); ++i) {
      const auto& p = payers[i];
      std::string kind, val;
      if (!p.account.empty())
        kind = "account", val = p.account;
      else if (!p.els.empty())
        kind = "els", val = p.els;
      else if (!p.izhku.empty())
        kind = "izhku", val = p.izhku;
      else if (!p.ipd.empty())
        kind = "ipd", val = p.ipd;
      if (kind.empty()) continue;
      method[i] = kind;
      why[i] = std::string("no account with ") + label(kind) + " " + val;
      idx.push_back(i);
      keys.emplace_back(kind, val);
    }
    run_exact(idx, keys);
  }
  {
    std::vector<std::size_t> idx;
    std::vector<std::pair<std::string, std::string>> keys;
    for (std::size_t i = 0; i < payers.size(); ++i) {
      if (!found[i].empty() || (method[i] != "izhku" && method[i] != "ipd")) continue;
      const auto els = els_prefix(method[i] == "izhku" ? payers[i].izhku : payers[i].ipd);
      if (els.empty()) continue;
      idx.push_back(i);
      keys.emplace_back("els", els);
    }
    run_exact(idx, keys);
  }

  std::vector<std::size_t> fallback;
  for (std::size_t i = 0; i < payers.size(); ++i) {
    auto& res = out[i];
    if (found[i].size() == 1) {
      const auto& a = found[i].begin()->second;
      res.account_id = a.id;
      res.account = a.number;
      res.method = method[i];
      res.score = 1.0;
      continue;
    }
    if (found[i].size() > 1) {
      res.reason = "ambiguous";
      res.reason_text = std::to_string(found[i].size()) + " accounts match " + label(method[i]) +
                        " " +
                        (method[i] == "account" ? payers[i].account
                         : method[i] == "els"   ? payers[i].els
                         : method[i] == "izhku" ? payers[i].izhku
                                                : payers[i].ipd);
      for (const auto& [id, a] : found[i]) {
        if (res.candidates.size() >= options_.max_candidates) break;
        res.candidates.push_back({id, a.number, a.els, 1.0, {method[i]}, "", ""});
      }
      continue;
    }
    if (!payers[i].address.empty()) {
      fallback.push_back(i);
    } else {
      res.reason = "not_found";
      res.reason_text = why[i].empty() ? "the payer names no account, ЕЛС, ИЖКУ, ИПД or address"
                                       : why[i] + " and no address to fall back on";
    }
  }
  if (fallback.empty()) return out;

  // Round 3: candidates by house number and flat, scored here.
  std::vector<ParsedAddress> parsed(payers.size());
  std::vector<std::string> ord, house_no, flat;
  for (auto i : fallback) {
    parsed[i] = parse_address(payers[i].address);
    if (parsed[i].house.empty()) continue;
    ord.push_back(std::to_string(i));
    house_no.push_back(parsed[i].house);
    flat.push_back(parsed[i].flat);
  }
  std::map<std::size_t, std::vector<Candidate>> scored;
  if (!ord.empty()) {
    const auto r =
        tx.exec_prepared(kFallbackStatement, store::pg_array_literal(ord),
                         store::pg_array_literal(house_no), store::pg_array_literal(flat));
    for (const auto& row : r) {
      const auto i = row[0].as<std::size_t>();
      const auto& p = parsed[i];
      Candidate c;
      c.account_id = row[1].as<long long>();
      c.account = row[2].as<std::string>();
      c.els = row[3].as<std::string>();
      const auto surname = row[4].as<std::string>();
      c.payer_name = row[5].as<std::string>();
      const auto street = split_words(row[6].as<std::string>());
      c.address = row[7].as<std::string>();
      const auto premise = row[8].as<std::string>();

      std::set<std::string> payer_words(p.words.begin(), p.words.end());
      double s = 0;
      if (!street.empty()) {
        std::size_t hit = 0;
        for (const auto& w : street) hit += payer_words.count(w);
        s += 0.4 * static_cast<double>(hit) / static_cast<double>(street.size());
        if (hit == street.size()) c.matched_by.push_back("address");
      }
      s += 0.2;  // the house number matched (the query's condition)
      if (!p.flat.empty() && p.flat == premise) s += 0.2;
      const auto payer_surname = surname_of(payers[i].name);
      if (!payer_surname.empty() && !surname.empty()) {
        const int d = edit_distance(payer_surname, surname);
        if (d == 0)
          s += 0.2;
        else if (d == 1 && surname.size() > 4)
          s += 0.12;
        if (d <= 1) c.matched_by.push_back("name");
      }
      if (c.matched_by.empty()) c.matched_by.push_back("address");
      c.score = std::min(1.0, s);
      scored[i].push_back(std::move(c));
    }
  }
  for (auto i : fallback) {
    auto& res = out[i];
    auto& cands = scored[i];
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
      return a.score != b.score ? a.score > b.score : a.account < b.account;
    });
    const std::string prefix = why[i].empty() ? "" : why[i] + "; ";
    if (!cands.empty() && cands[0].score + 1e-9 >= options_.threshold &&
        (cands.size() == 1 || cands[1].score + options_.ambiguity_margin < cands[0].score)) {
      res.account_id = cands[0].account_id;
      res.account = cands[0].account;
      res.method = "address";
      res.score = cands[0].score;
      continue;
    }
    if (!cands.empty() && cands[0].score + 1e-9 >= options_.threshold) {
      res.reason = "ambiguous";
      res.reason_text = prefix + "address and name fit several accounts equally well";
    } else if (parsed[i].house.empty()) {
      res.reason = "not_found";
      res.reason_text = prefix + "no house number in the address '" + payers[i].address + "'";
    } else {
      res.reason = "not_found";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2f", cands.empty() ? 0.0 : cands[0].score);
      res.reason_text = prefix + "address fallback: " + std::to_string(cands.size()) +
                        " candidate(s), best score " + buf + " below " +
                        std::to_string(options_.threshold).substr(0, 4);
    }
    for (auto& c : cands) {
      if (res.candidates.size() >= options_.max_candidates || c.score < options_.candidate_floor)
        break;
      res.candidates.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace hub::billing
