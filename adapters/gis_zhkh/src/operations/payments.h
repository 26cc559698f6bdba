#pragma once
// importNotificationsOfOrderExecution (payment, base:version 10.0.1.1): the one place where
// payment.received maps to a GIS payment notice (извещение о принятии к исполнению распоряжения).
//
// payment.received → NotificationOfOrderExecutionType:
//   RecipientInfo (INN, Legal{KPP, Name}, PaymentInformation{RecipientINN/KPP, BankName,
//   PaymentRecipient, BankBIK, operatingAccountNumber, CorrespondentBankAccount}) from the
//   `recipient_*` / `bank_*` config (the organisation's own requisites);
//   OrderInfo: OrderID = order_id() of the payment's key (below), OrderDate = paidAt, OrderNum =
//   transactionId, Amount = amountKopecks, PaymentDocumentID = ipd, Year/Month = period,
//   UnifiedAccountNumber = els, Service/ServiceID = izhku, AccountNumber = account; a new
//   TransportGUID. The external.state result names the payment by its message id (objectKind
//   payment).
//
// importNotificationsOfOrderExecutionCancellation (payment, base:version 10.0.1.1):
// payment.cancelled → NotificationOfOrderExecutionCancellation: OrderID = order_id() of the same
//   key, CancellationDate = cancelledOn, Comment = reason (first 210 characters), a new
//   TransportGUID. The external.state result names it objectKind payment_cancellation, objectRef
//   the payment key ("sber:tx:2026112012345678").
//
// OrderID: 32 hex digits of two 64-bit FNV-1a hashes of "agent code U+001F payment ref", where
// the payment ref is "tx:<transactionId>" or, without one, "reg:<registryRef>" (billing's
// payment_ref). A notice and its cancellation thus name the same OrderID without the hub keeping
// a map, and a payment re-sent under another message id is the same order to GIS (SRV008001).

#include <string>
#include <vector>

#include "operation.h"

namespace hub::adapters::gis_zhkh {

inline constexpr std::size_t kNotificationsLimit = 500;

/// The organisation's requisites every notice carries.
struct Recipient {
  std::string inn, kpp, name;
  std::string bank_name, bank_bik, account, correspondent_account;
  /// What is missing ("recipient_inn, bank_bik"), empty when complete.
  std::string missing() const;
};

struct PaymentInput {
  std::string message_id;  ///< the payment.received message id (OrderID, objectRef)
  std::string body;
};

/// The payment's key as external.state names a cancellation: "<agent>:tx:<id>" /
/// "<agent>:reg:<ref>".
std::string payment_key(const std::string& agent_code, const std::string& transaction_id,
                        const std::string& registry_ref);
/// The GIS OrderID of that key (32 lower-case hex digits).
std::string order_id(const std::string& payment_key);

BuiltRequest build_import_notifications(const std::vector<PaymentInput>& payments,
                                        const Recipient& recipient, std::vector<Refused>& refused);

inline constexpr std::size_t kCancellationsLimit = 500;

struct CancellationInput {
  std::string message_id;  ///< the payment.cancelled message id (for refusals)
  std::string body;
};

/// Up to kCancellationsLimit payment.cancelled bodies; unmappable ones go to `refused`.
BuiltRequest build_import_cancellations(const std::vector<CancellationInput>& cancellations,
                                        std::vector<Refused>& refused);

}  // namespace hub::adapters::gis_zhkh
