#include "hub/billing/billing_store_sink.h"

#include <pqxx/pqxx>

#include "hub/core/error.h"
#include "hub/store/savepoint.h"

namespace hub::billing {
namespace {

DeliveryResult to_delivery(const ApplyResult& r) {
  if (r.ok()) return DeliveryResult::delivered();
  return DeliveryResult::rejected(r.error);
}

// SQLSTATE classes that say "this data", not "this moment": data exceptions and integrity
// violations. Anything else (connection, deadlock, serialization, resources) is worth a retry.
bool is_data_error(const pqxx::sql_error& e) {
  const std::string state = e.sqlstate();
  return state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0;
}

using Apply = std::function<std::vector<ApplyResult>(const std::vector<Envelope>&)>;

// What one failed apply means for its messages. A data error is the messages' fault (rejected
// when alone, re-applied one by one when in a batch); anything else is the moment's (retry).
struct Failure {
  bool data = false;
  std::string reason;
};

template <typename F>
std::optional<Failure> attempt(F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const pqxx::broken_connection& e) {
    return Failure{false, std::string("billing store: database unreachable: ") + e.what()};
  } catch (const pqxx::sql_error& e) {
    if (is_data_error(e))
      return Failure{
          true, "billing store: PostgreSQL refused the data (" + e.sqlstate() + "): " + e.what()};
    return Failure{false, "billing store: " + e.sqlstate() + ": " + e.what()};
  } catch (const std::exception& e) {
    return Failure{false, std::string("billing store: ") + e.what()};
  }
}

// The batch in one apply; when PostgreSQL refuses it for one row's data, each message alone so
// that only the culprit is refused.
std::vector<DeliveryResult> apply_with_fallback(const std::vector<Envelope>& messages,
                                                const Apply& apply) {
  std::vector<DeliveryResult> out;
  out.reserve(messages.size());
  const auto failed = attempt([&] {
    for (const auto& r : apply(messages)) out.push_back(to_delivery(r));
  });
  if (!failed) return out;
  out.clear();
  if (!failed->data || messages.size() == 1) {
    const auto result = failed->data ? DeliveryResult::rejected(failed->reason)
                                     : DeliveryResult::retry(failed->reason);
    return std::vector<DeliveryResult>(messages.size(), result);
  }
  for (const auto& m : messages) {
    std::vector<DeliveryResult> one = apply_with_fallback({m}, apply);
    out.push_back(std::move(one.front()));
  }
  return out;
}

}  // namespace

DeliveryResult BillingStoreSink::deliver(const Envelope& message) {
  return deliver_batch({message}).front();
}

std::vector<DeliveryResult> BillingStoreSink::deliver_batch(const std::vector<Envelope>& messages) {
  return apply_with_fallback(
      messages, [&](const std::vector<Envelope>& part) { return store_->apply_batch(part); });
}

std::vector<DeliveryResult> BillingStoreSink::deliver_batch_in(
    pqxx::dbtransaction& tx, const std::vector<Envelope>& messages) {
  // Each apply in a savepoint: a refused batch is undone without undoing the dispatcher's claim,
  // and the messages are then tried one by one on the same transaction.
  return apply_with_fallback(messages, [&](const std::vector<Envelope>& part) {
    store::Savepoint savepoint(tx, "billing_apply");
    auto results = store_->apply_batch(savepoint, part);
    savepoint.commit();
    return results;
  });
}

}  // namespace hub::billing
