#pragma once
// Payments the store could not identify, and their resolution by an operator. Resolving assigns
// an account and re-emits the payment as `payment.received` naming that account, through the
// Emitter (Ingress), so routes deliver it like any other payment — to the billing engines and back
// to the billing store, which then holds it as resolved. The re-emitted message's idempotency key
// is "resolve:" + the original message's key: resolving twice, or retrying after a failure, emits
// the same event once.

#include <optional>
#include <string>
#include <vector>

#include "hub/billing/billing_store.h"
#include "hub/core/error.h"
#include "hub/plugin/context.h"

namespace hub::billing {

/// Why a resolution was refused; `kind` maps to the API's status.
class ResolveError : public Error {
 public:
  enum class Kind { kNotFound, kConflict, kBadRequest };
  ResolveError(Kind kind, const std::string& what) : Error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct UnidentifiedPayment {
  long long id = 0;
  std::string agent_code, agent_name, registry_ref, transaction_id, paid_on, period;
  long long amount_kopecks = 0;
  std::string payer_account, payer_els, payer_ipd, payer_izhku, payer_name, payer_address;
  std::string reason, reason_text;
  std::string candidates_json;  ///< JSON array (payment.unidentified's candidates), "[]" if none
  std::string received_at;      ///< ISO UTC
};

struct Resolution {
  long long payment_id = 0;
  std::string account;
  std::string message_id;  ///< the re-emitted payment.received ("" when Ingress had it already)
  std::string idempotency_key;
  bool duplicate = false;
};

class UnidentifiedPayments {
 public:
  UnidentifiedPayments(BillingStore& store, plugin::Emitter& emitter)
      : store_(store), emitter_(emitter) {}

  /// Oldest first.
  std::vector<UnidentifiedPayment> list(int limit = 100, int offset = 0);
  /// Assigns `account` (a ЛС number) to unidentified payment `id` and re-emits it. Throws
  /// ResolveError: kNotFound (no such payment), kConflict (not unidentified any more),
  /// kBadRequest (no such account).
  Resolution resolve(long long id, const std::string& account, const std::string& actor);

 private:
  BillingStore& store_;
  plugin::Emitter& emitter_;
};

}  // namespace hub::billing
