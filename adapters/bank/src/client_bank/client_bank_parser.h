#pragma once
// FileParser `bank.client_bank`: a 1CClientBankExchange statement (1.01–1.03, any of the
// encodings banks use) into canonical messages — bank_statement.line per document,
// bank_statement.summary per СекцияРасчСчет, and payment.received for each incoming payment whose
// purpose names a personal account, ЕЛС, ИЖКУ or ИПД (correlated with its line).
//
// Two streaming passes. The first checks the whole file — structure (sections balanced,
// КонецФайла present), encoding, balances adding up — and refuses it (accepted=false, the fatal
// error naming the line) before anything is emitted. The second emits in batches, each with the
// closing line of its last section as position (a resumed file skips what was committed), and
// reports per-document problems through ParseSink::error without stopping the file: such a
// document is skipped when its number, date, amount or account is unusable; unknown keys and
// kinds, ill-formed requisites (left out) and documents that do not add up to the balance
// section's totals are reported only.
//
// ParseOutcome.summary is a JSON object: documents, lines (published), skipped, sum_kopecks,
// incoming_kopecks, outgoing_kopecks, payments, payments_kopecks, opening_balance_kopecks and
// closing_balance_kopecks (over all balance sections), accounts [{account, opening_kopecks,
// incoming_kopecks, outgoing_kopecks, closing_kopecks, reconciled}], errors, encoding,
// declared_encoding, version.

#include <cstddef>
#include <memory>
#include <string>

#include "client_bank/exchange_reader.h"
#include "hub/plugin/context.h"
#include "hub/plugin/file_parser.h"

namespace hub::bank {

inline constexpr const char* kClientBankParserName = "bank.client_bank";

struct ClientBankParserOptions {
  std::size_t batch_size = 500;            ///< envelopes per ParseSink::emit
  std::string agent_code = "client_bank";  ///< payment.received agent/code
  std::string source;                      ///< Envelope.source when ParsedFile.source is empty
  ExchangeReaderOptions reader;
};

class ClientBankParser : public plugin::FileParser {
 public:
  explicit ClientBankParser(ClientBankParserOptions options = {}) : options_(std::move(options)) {}
  plugin::ParseOutcome parse(const std::filesystem::path& file, const plugin::ParsedFile& info,
                             plugin::ParseSink& sink) override;

 private:
  ClientBankParserOptions options_;
};

/// Registers ClientBankParser as `bank.client_bank` in `registry`.
void register_client_bank_parsers(plugin::ParserRegistry& registry,
                                  const ClientBankParserOptions& options = {});

}  // namespace hub::bank
