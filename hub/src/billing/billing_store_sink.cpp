#include "hub/billing/billing_store_sink.h"

#include <pqxx/pqxx>

#include "hub/core/error.h"

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

}  // namespace

DeliveryResult BillingStoreSink::deliver(const Envelope& message) {
  try {
    return to_delivery(store_->apply(message));
  } catch (const pqxx::broken_connection& e) {
    return DeliveryResult::retry(std::string("billing store: database unreachable: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    if (is_data_error(e))
      return DeliveryResult::rejected("billing store: PostgreSQL refused the data (" +
                                      e.sqlstate() + "): " + e.what());
    return DeliveryResult::retry("billing store: " + e.sqlstate() + ": " + e.what());
  } catch (const std::exception& e) {
    return DeliveryResult::retry(std::string("billing store: ") + e.what());
  }
}

std::vector<DeliveryResult> BillingStoreSink::deliver_batch(const std::vector<Envelope>& messages) {
  std::vector<DeliveryResult> out;
  out.reserve(messages.size());
  try {
    for (const auto& r : store_->apply_batch(messages)) out.push_back(to_delivery(r));
    return out;
  } catch (const pqxx::sql_error& e) {
    if (!is_data_error(e))
      return std::vector<DeliveryResult>(
          messages.size(),
          DeliveryResult::retry("billing store: " + e.sqlstate() + ": " + e.what()));
  } catch (const pqxx::broken_connection& e) {
    return std::vector<DeliveryResult>(
        messages.size(),
        DeliveryResult::retry(std::string("billing store: database unreachable: ") + e.what()));
  } catch (const std::exception& e) {
    return std::vector<DeliveryResult>(
        messages.size(), DeliveryResult::retry(std::string("billing store: ") + e.what()));
  }
  // One row's data spoiled the batch: apply one by one, so only that message is refused.
  out.clear();
  for (const auto& m : messages) out.push_back(deliver(m));
  return out;
}

}  // namespace hub::billing
