#pragma once
// importNotificationsOfOrderExecution (payment, base:version 10.0.1.1): the one place where
// payment.received maps to a GIS payment notice (извещение о принятии к исполнению распоряжения).
//
// payment.received → NotificationOfOrderExecutionType:
//   RecipientInfo (INN, Legal{KPP, Name}, PaymentInformation{RecipientINN/KPP, BankName,
//   PaymentRecipient, BankBIK, operatingAccountNumber, CorrespondentBankAccount}) from the
//   `recipient_*` / `bank_*` config (the organisation's own requisites);
//   OrderInfo: OrderID = the message id without dashes (32 characters, stable for a journalled
//   message), OrderDate = paidAt, OrderNum = transactionId, Amount = amountKopecks,
//   PaymentDocumentID = ipd, Year/Month = period, UnifiedAccountNumber = els, Service/ServiceID =
//   izhku, AccountNumber = account; a new TransportGUID. The external.state result names the
//   payment by its message id (objectKind payment).

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

BuiltRequest build_import_notifications(const std::vector<PaymentInput>& payments,
                                        const Recipient& recipient, std::vector<Refused>& refused);

}  // namespace hub::adapters::gis_zhkh
