#pragma once
// The canonical messages a statement becomes: bank_statement.line per document,
// bank_statement.summary per СекцияРасчСчет, and payment.received for an incoming payment whose
// purpose names the payer (correlated with its line: same correlation id).
//
// Idempotency keys are built from what identifies the business event, not from the file, so the
// same document in two overlapping statements is one message:
//   line     bank:client_bank:line:<statement account>:<booked>:<direction>:<kind>:<doc date>:
//            <number>:<counterparty account or ИНН or ->:<kopecks>
//   payment  bank:client_bank:payment:<the same tail>
//   summary  bank:client_bank:summary:<account>:<from>:<to>:<closing kopecks>

#include <string>

#include "client_bank/statement_line.h"
#include "hub/plugin/envelope.h"

namespace hub::bank {

struct StatementMessageOptions {
  std::string source;                      ///< Envelope.source (the adapter instance)
  std::string agent_code = "client_bank";  ///< payment.received agent/code
};

std::string statement_line_key(const StatementLine& line);
std::string statement_line_xml(const StatementLine& line);
plugin::Envelope statement_line_envelope(const StatementLine& line,
                                         const StatementMessageOptions& options);

/// payment.received for an incoming line with a payer reference. The period is the month the
/// purpose names, else the month of the booking date (header period_from says which).
plugin::Envelope payment_received_envelope(const StatementLine& line,
                                           const StatementMessageOptions& options);

std::string statement_summary_xml(const StatementBalance& balance);
plugin::Envelope statement_summary_envelope(const StatementBalance& balance,
                                            const StatementMessageOptions& options);

}  // namespace hub::bank
