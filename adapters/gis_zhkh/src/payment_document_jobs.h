#pragma once
// The adapter's work around payment documents and payment cancellations: which stored documents
// go to GIS and how they are grouped (operations/payment_documents.h maps them), and what a routed
// payment_document.issued / payment.cancelled becomes. Kept apart from gis_zhkh.cpp so that the
// adapter class only dispatches to it.
//
// Jobs:
//   payment_documents — documents the store has without a GIS GUID (and without an error),
//     skipping those already in an unfinished request; the AccountGUID of each comes from the
//     store (accounts looked up by number, one page per page of documents); grouped by period
//     (Month/Year belong to the request) in chunks of kImportPaymentDocumentLimit.
//   sync_payment_documents — documents with a GIS GUID, by period, exportPaymentDocumentData by
//     their accounts' GUIDs (chunks of kExportPaymentDocumentLimit): ИПД and withdrawals back.

#include <optional>

#include "exchange_engine.h"
#include "hub/plugin/billing_export.h"
#include "hub/plugin/sdk.h"
#include "operations/payment_documents.h"

namespace hub::adapters::gis_zhkh {

/// A routed message made into a request, or the answer to give without sending anything.
struct Prepared {
  std::optional<BuiltRequest> request;
  plugin::DeliveryResult result;
};

class PaymentDocumentJobs {
 public:
  PaymentDocumentJobs(plugin::Context& ctx, ExchangeEngine& engine, PdServices services,
                      Recipient payee)
      : ctx_(ctx), engine_(engine), services_(std::move(services)), payee_(std::move(payee)) {}

  plugin::JobResult place();
  plugin::JobResult sync();

  /// payment_document.issued: retry while its account has no AccountGUID yet (placement of the
  /// account is usually under way), rejected when the mapping refuses it.
  Prepared prepare_document(const plugin::Envelope& message);
  /// payment.cancelled: rejected when the mapping refuses it.
  Prepared prepare_cancellation(const plugin::Envelope& message);

 private:
  /// The documents of `page` with their accounts' GUIDs ("" when the store has none).
  std::vector<std::pair<std::string, PaymentDocumentInput>> with_accounts(
      std::vector<plugin::ExportedObject>& page);

  plugin::Context& ctx_;
  ExchangeEngine& engine_;
  PdServices services_;
  Recipient payee_;
};

}  // namespace hub::adapters::gis_zhkh
