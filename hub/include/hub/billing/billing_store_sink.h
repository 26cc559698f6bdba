#pragma once
// The built-in delivery target `billing_store`: routes name it to keep the billing state. A batch
// is applied in one transaction (BillingStore::apply_batch). Results:
//   delivered — applied (inserted, updated, or already there: re-delivery is harmless);
//   rejected  — the body cannot be stored (unknown element, bad value, wrong root; the reason
//               names the XPath), or PostgreSQL refused the row's data (class 22/23);
//   retry     — the database is unreachable, busy or the transaction was aborted (deadlock,
//               serialization): nothing was kept, the dispatcher tries again with backoff.
// When PostgreSQL refuses a batch for one row's data, the batch is re-applied message by message
// so the others still get in.
//
// Its whole effect is in the hub's database, so it delivers inside the dispatcher's transaction
// (Sink::delivers_in_transaction): a batch's rows, payments and "delivered" marks commit together.

#include <functional>
#include <memory>
#include <optional>

#include "hub/billing/billing_store.h"
#include "hub/dispatcher/sink.h"

namespace hub::billing {

using dispatcher::DeliveryResult;

class BillingStoreSink : public dispatcher::Sink {
 public:
  explicit BillingStoreSink(std::shared_ptr<BillingStore> store) : store_(std::move(store)) {}

  DeliveryResult deliver(const Envelope& message) override;
  std::vector<DeliveryResult> deliver_batch(const std::vector<Envelope>& messages) override;
  bool delivers_in_transaction() const override { return true; }
  std::vector<DeliveryResult> deliver_batch_in(pqxx::dbtransaction& tx,
                                               const std::vector<Envelope>& messages) override;

 private:
  std::shared_ptr<BillingStore> store_;
};

}  // namespace hub::billing
