#pragma once
// The billing store: applies canonical messages to schema `billing` and builds canonical messages
// back from what it holds.
//
// apply_batch() parses every body (hub/xml), maps it (type_specs.h), identifies the payer of each
// payment (account_identifier.h), and then, in ONE transaction, upserts each type's rows with one
// set-based statement per type (unnest of column arrays, ON CONFLICT (nkey) DO UPDATE only when
// something differs). A body the mapping refuses is rejected by itself, naming the XPath; the
// others still apply. A database error throws (pqxx / StoreError) and nothing of the batch is kept.
// When an account or payment document arrives that an unidentified payment's key names, that
// payment is identified in the same transaction; an operator only resolves what no key explains.
//
// build() is the reverse: the canonical message of a stored object, from its columns, so that
// message → store → message is lossless (values in their canonical lexical form, dateTimes in UTC).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/billing/account_identifier.h"
#include "hub/billing/canonical_mapping.h"
#include "hub/core/envelope.h"
#include "hub/store/pool.h"
#include "hub/xml/document.h"

namespace hub::billing {

struct ApplyResult {
  enum class Outcome { kInserted, kUpdated, kUnchanged, kRejected };
  Outcome outcome = Outcome::kRejected;
  std::string table;  ///< billing table written ("" when rejected)
  long long id = 0;   ///< the object's id (house.id, payment.id, ...); for external.state, 0
  std::string error;  ///< when rejected: "<xpath>: <what>"
  /// Payments: identified | unidentified | resolved.
  std::string payment_status;

  bool ok() const { return outcome != Outcome::kRejected; }
};
const char* to_string(ApplyResult::Outcome outcome);

class BillingStore {
 public:
  explicit BillingStore(store::Pool& pool, IdentifierOptions identification = {});

  /// Whether the store handles messages of `type`.
  static bool handles(const std::string& type);
  /// Every type it stores (payment.batch and payment.lines, which it also handles, are stored as
  /// their payments).
  static std::vector<std::string> types();

  /// One message in its own transaction.
  ApplyResult apply(const Envelope& message);
  /// Many messages in one transaction; one result per message, in order. A payment.batch or
  /// payment.lines stands for its payments: each is applied as the payment.received it holds or
  /// stands for (under the key it carries), and the batch's result is rejected when any of them
  /// is, naming the first. Messages with payment batches among them are applied in groups of
  /// about 2,000 payments, in order, on the same transaction, so that memory does not grow with
  /// the claim (50,000 payments for 100 payment.lines messages).
  std::vector<ApplyResult> apply_batch(const std::vector<Envelope>& messages);
  /// apply_batch() on the caller's open transaction, which it neither commits nor aborts; a
  /// database error throws and leaves `tx` aborted (run it in a store::Savepoint to keep `tx`).
  std::vector<ApplyResult> apply_batch(pqxx::dbtransaction& tx,
                                       const std::vector<Envelope>& messages);

  /// The canonical message of the object `id` stored for `type` (its table), or nullopt when
  /// there is none. For payments the type picks the form: payment.received, or
  /// payment.unidentified (only while the payment is unidentified).
  std::optional<Envelope> build(const std::string& type, long long id);

  /// The mapped columns of object `id` as `type`'s body holds them, read on `tx`; nullopt when
  /// there is none. write_body(spec.root, spec.fields, record) makes the body.
  std::optional<Record> load_record(pqxx::transaction_base& tx, const std::string& type,
                                    long long id);

  AccountIdentifier& identifier() { return identifier_; }
  store::Pool& pool() { return pool_; }

  /// A message's body already parsed: `root` is the element to read, inside `doc`. A payment of a
  /// payment.batch is read where it stands in the batch's tree, not copied out of it; a line of a
  /// payment.lines in the tree of the payments the message's lines expand into.
  struct ParsedBody {
    xml::Document doc;
    xmlNodePtr root = nullptr;
  };

 private:
  /// apply_batch() on `tx`, or on a transaction of its own when `tx` is null.
  std::vector<ApplyResult> apply_batch_on(pqxx::dbtransaction* tx,
                                          const std::vector<Envelope>& messages);
  /// apply_batch_on() of messages none of which is a payment.batch or payment.lines;
  /// `bodies[i]`, when its root is set, is messages[i]'s body already parsed.
  std::vector<ApplyResult> apply_messages(pqxx::dbtransaction* tx,
                                          const std::vector<Envelope>& messages,
                                          const std::vector<ParsedBody>& bodies);
  /// Unidentified payment.received rows whose key names one of the accounts / payment documents
  /// just written are identified again (the hub often learns an account after its first payment);
  /// returns the ids of those now identified.
  std::vector<std::string> reidentify(pqxx::transaction_base& tx,
                                      const std::vector<std::string>& account_ids,
                                      const std::vector<std::string>& document_ids);

  store::Pool& pool_;
  AccountIdentifier identifier_;
};

}  // namespace hub::billing
