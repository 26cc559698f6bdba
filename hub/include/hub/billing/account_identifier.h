#pragma once
// Account identification: the ONE place that decides which personal account a payer reference
// (a payment line, a reading from a portal, an appeal) means. Every adapter and the billing store
// use it, so a bank registry and a GIS export identify the same way.
//
// Order: ЛС (account number) → ЕЛС → ИЖКУ → ИПД (its payment document's account; without one the
// ЕЛС the ИПД starts with) → address + name as a scored fallback. An exact key that finds exactly
// one account wins with score 1. Otherwise candidates come from the normalised house number and
// flat (address.h) and are scored: street words 0.4, house 0.2, flat 0.2, surname 0.2 (0.12 at
// one typo). The best candidate is taken when it reaches the threshold and no other one is within
// `ambiguity_margin`; otherwise the result is unidentified with the reason and the candidates.

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "hub/store/pool.h"

namespace hub::billing {

/// What a source knows about the payer; any field may be empty.
struct PayerRef {
  std::string account;  ///< ЛС as written
  std::string els;
  std::string izhku;
  std::string ipd;
  std::string name;     ///< ФИО as one line
  std::string address;  ///< address as one line
};

struct Candidate {
  long long account_id = 0;
  std::string account;
  std::string els;
  double score = 0;
  std::vector<std::string> matched_by;  ///< account | els | izhku | ipd | address | name
  std::string payer_name;
  std::string address;
};

struct Identification {
  long long account_id = 0;  ///< 0 = unidentified
  std::string account;       ///< the account number found
  std::string method;        ///< account | els | izhku | ipd | address (empty when unidentified)
  double score = 0;
  /// When unidentified: not_found | ambiguous | invalid_identifier (payment.unidentified's reason).
  std::string reason;
  std::string reason_text;            ///< for the operator, naming the key that did not resolve
  std::vector<Candidate> candidates;  ///< best first, at most IdentifierOptions::max_candidates

  bool identified() const { return account_id != 0; }
};

struct IdentifierOptions {
  double threshold = 0.85;         ///< the fallback's least score to identify
  double ambiguity_margin = 0.05;  ///< a runner-up this close makes the result ambiguous
  double candidate_floor = 0.4;    ///< fallback candidates below this are not reported
  std::size_t max_candidates = 5;
};

class AccountIdentifier {
 public:
  explicit AccountIdentifier(store::Pool& pool, IdentifierOptions options = {})
      : pool_(&pool), options_(options) {}
  /// Without a pool: only identify_batch() on a caller's transaction.
  explicit AccountIdentifier(IdentifierOptions options = {}) : options_(options) {}

  /// One payer, on a pooled connection.
  Identification identify(const PayerRef& payer);
  /// Many payers in a few set-based statements on `tx` (the billing store's transaction): one
  /// for the exact keys, one for ЕЛС prefixes of ИЖКУ/ИПД, one for address candidates.
  std::vector<Identification> identify_batch(pqxx::transaction_base& tx,
                                             const std::vector<PayerRef>& payers);

  const IdentifierOptions& options() const { return options_; }

 private:
  store::Pool* pool_ = nullptr;
  IdentifierOptions options_;
};

}  // namespace hub::billing
