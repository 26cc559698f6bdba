#pragma once
// importPaymentDocumentData (bills, base:version 11.2.0.16) and exportPaymentDocumentData (bills,
// 13.1.0.1): the one place where payment_document.issued maps to a GIS payment document (ПД /
// ЕПД) and back.
//
// payment_document.issued → importPaymentDocumentRequest (one request per period, at most
// kImportPaymentDocumentLimit documents):
//   period → Month, Year (of the request; documents of another period are refused);
//   payee bankBik + settlementAccount (else the bank_bik / bank_account config) →
//     PaymentInformation{BankBIK, operatingAccountNumber, TransportGUID}, one per distinct pair,
//     referenced from the document by PaymentInformationKey (= that TransportGUID);
//   PaymentDocument: AccountGuid = the AccountGUID the store has for c:account (refused when it
//     has none: place the account first); PaymentDocumentNumber = documentNumber;
//     ChargeInfo per c:service, by the service table below: HousingService | MunicipalService |
//       AdditionalService{ServiceType (NSI code + GUID), Rate = tariffKopecks/100 (required),
//       TotalPayable = totalKopecks/100, AccountingPeriodTotal = chargedKopecks/100,
//       ServiceCharge{MoneyRecalculation = recalculationKopecks, MoneyDiscount = benefitKopecks},
//       Consumption/Volume type="I" = volume (municipal only)};
//     penaltyKopecks > 0 → PenaltiesAndCourtCosts{ServiceType = the `penalty` entry (NSI 329),
//       Cause, TotalPayable} (refused without that entry);
//     Expose = true; TotalPayableByChargeInfo = Σ service totals; DebtPreviousPeriods =
//     debtKopecks | AdvanceBllingPeriod = advanceKopecks; TotalPayableByPDWithDebtAndAdvance =
//     totalDueKopecks; TotalByPenaltiesAndCourtCosts = penalty; TotalPayableByPD = Σ + penalty;
//     PaidCash = paidKopecks; a new TransportGUID; PaymentDocumentID = ipd when the document
//     is already in GIS (a re-issue replaces it).
//   The ImportResult's GUID is the PaymentDocumentGUID and its UniqueNumber the PaymentDocumentID
//   (ИПД): external.state objectKind payment_document, objectRef documentNumber, so billing sets
//   gis_payment_document_guid and ipd.
// exportPaymentDocumentRequest: Year + Month + AccountGUID[..kExportPaymentDocumentLimit];
//   exportPaymentDocResult/PaymentDocument → external.state per document we asked for (matched by
//   PaymentDocumentNumber + AccountGuid): uniqueNumber = PaymentDocumentID; a document GIS shows
//   withdrawn is an error WITHDRAWN. The summary lists number → id and TotalPayableByPD.
//
// The service table (config key pd_services), canonical service code → GIS charge block and
// NSI element of the provider's dictionary:
//   code=housing:<code>:<guid>     HousingService,    NSI 50 "Вид жилищной услуги"
//   code=municipal:<code>:<guid>   MunicipalService,  NSI 51 "Главная коммунальная услуга"
//   code=additional:<code>:<guid>  AdditionalService, NSI 1 "Вид дополнительной услуги"
//   penalty=penalty:<code>:<guid>  PenaltiesAndCourtCosts, NSI 329 (for penaltyKopecks)
// The GUIDs differ per stand: take them from the nsi job (exportNsiPagingItem) or
// exportDataProviderNsiItem. A service code without an entry refuses the document naming it.

#include <map>
#include <string>
#include <vector>

#include "operation.h"
#include "payments.h"

namespace hub::adapters::gis_zhkh {

inline constexpr std::size_t kImportPaymentDocumentLimit = 500;
inline constexpr std::size_t kExportPaymentDocumentLimit = 1000;

/// One row of the service table.
struct PdService {
  std::string block;  ///< HousingService, MunicipalService, AdditionalService, penalty
  std::string nsi_code;
  std::string nsi_guid;
};
using PdServices = std::map<std::string, PdService>;

/// Parses pd_services entries; throws std::invalid_argument naming the bad entry.
PdServices parse_pd_services(const std::vector<std::string>& entries);

struct PaymentDocumentInput {
  std::string ref;           ///< documentNumber
  std::string body;          ///< payment_document.issued
  std::string account_guid;  ///< the store's AccountGUID of c:account, "" when it has none
  /// c:account is in the store but not placed in GIS yet: the document waits for it.
  bool account_unplaced = false;
};

/// Maps documents of ONE period (that of the first mappable one; others are refused) into one
/// request. `payee` gives the requisites of documents without c:payee.
BuiltRequest build_import_payment_documents(const std::vector<PaymentDocumentInput>& docs,
                                            const PdServices& services, const Recipient& payee,
                                            std::vector<Refused>& refused);

/// exportPaymentDocumentRequest for one period (YYYY-MM) by AccountGUID; `docs` are the documents
/// we expect back (ref = documentNumber, account_guid set).
BuiltRequest build_export_payment_documents(const std::string& period,
                                            const std::vector<PaymentDocumentInput>& docs);

/// exportPaymentDocResult* → external.state results for the documents asked for.
Handled handle_export_payment_documents(const ResultInput& in);

}  // namespace hub::adapters::gis_zhkh
