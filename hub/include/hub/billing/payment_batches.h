#pragma once
// The payments of the two batch types as the payment.received messages they stand for, with their
// bodies already parsed, so that the billing store applies each through the payment mapping
// unchanged:
// - payment.batch (payment_batch.xsd): each payment is a paymentReceived, read where it stands
//   in the batch's tree (copying each into a document of its own cost a node copy, a namespace
//   reconciliation and a free per payment);
// - payment.lines (payment_lines.xsd): each line is expanded into the paymentReceived the XSD's
//   comment gives, in one document for the whole message, each under a c:line named by its
//   number, so that a problem's XPath names the line.
// Each item gets the batch's id, source, correlation and time, and the line's own key.

#include <vector>

#include "hub/billing/billing_store.h"

namespace hub::billing {

inline constexpr const char* kPaymentBatch = "payment.batch";
inline constexpr const char* kPaymentLines = "payment.lines";

/// True for payment.batch and payment.lines.
bool is_payment_batch(const std::string& type);

/// Appends the batch's payments to `out` and their parsed bodies to `bodies`. Throws XmlError
/// when the body is not that type's (its root is another element, it does not parse).
void split_payment_batch(const Envelope& batch, std::vector<Envelope>& out,
                         std::vector<BillingStore::ParsedBody>& bodies);

}  // namespace hub::billing
