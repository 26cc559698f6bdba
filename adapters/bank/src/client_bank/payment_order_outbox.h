#pragma once
// The bank adapter as a sink of payment_order.requested: orders are batched into one
// 1CClientBankExchange file per day and payer account in an outbox directory, where the
// client-bank program picks them up:
//
//   <dir>/1c_to_kl_<YYYYMMDD>_<account>.txt        the day's orders of that account
//   <dir>/1c_to_kl_<YYYYMMDD>_<account>_<n>.txt    orders that came after the file was taken
//   <dir>/.orders/<YYYYMMDD>_<account>/<n>/<message id>.xml   each order as delivered
//
// Idempotent by message id: a redelivered message is not written twice. A file is rewritten
// whole (write, then rename, so a reader never sees half a file) while it is still there; once
// the client-bank program has taken it away, later orders of that day start file _<n+1>, so an
// order already handed to the bank is never offered again. A number used twice for the same
// account and day is refused (the bank would refuse the second). The sink answers delivered,
// rejected (the order cannot be written: named field) or retry (disk errors).

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "client_bank/payment_order_writer.h"
#include "hub/plugin/delivery_result.h"
#include "hub/plugin/envelope.h"

namespace hub::bank {

inline constexpr const char* kPaymentOrderType = "payment_order.requested";

struct PaymentOrderOutboxOptions {
  std::filesystem::path dir;
  PaymentOrderFileOptions file;  ///< encoding (cp1251 by default) and sender
};

class PaymentOrderOutbox {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  /// Creates `dir` when missing (throws std::runtime_error naming it when it cannot).
  explicit PaymentOrderOutbox(PaymentOrderOutboxOptions options, Clock now = {});

  /// Thread-safe; one delivery at a time.
  plugin::DeliveryResult deliver(const plugin::Envelope& message);

  /// The file orders of `date` (ISO) from `account` go to; `batch` 1 is the day's first file.
  std::filesystem::path file_for(const std::string& date, const std::string& account,
                                 int batch = 1) const;

 private:
  plugin::DeliveryResult write(const std::string& id, const PaymentOrder& order);

  PaymentOrderOutboxOptions options_;
  Clock now_;
  std::mutex mu_;
};

}  // namespace hub::bank
