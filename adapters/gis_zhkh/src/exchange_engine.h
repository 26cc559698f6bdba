#pragma once
// The asynchronous exchange state machine, persisted through Context::exchanges():
//
//   queued ──send──► sent ──getState 1/2 (cadence)──► sent ──getState 3──► done | failed
//     ▲  (transient: EXP001000, 5xx, timeout → later)      │ ErrorMessage EXP001000 → queued
//     └────────────────────────────────────────────────────┘ (new MessageGUID, up to max_resends)
//   pending: a routed message's request whose send failed transiently; the dispatcher's retry
//            (not the poller) sends it again.
//
// A request is stored (with its MessageGUID) before it goes out, so a crash between send and
// Ack resends the same MessageGUID, which GIS deduplicates. A result is emitted through Ingress
// with a checkpoint keyed "exchange:<key>" in the same transaction, and the record is marked done
// after; a crash in between finds the checkpoint done on the next poll and emits nothing again
// (the idempotency keys would drop a re-emission anyway). Every request is validated against the
// format package in force before it is signed and sent, every response after it is received, and
// both go to the exchange log.
//
// Durability: the record's creation, the claim of due records, a dead-lettered record's closing
// and the Ingress checkpoint commit durably; everything else (exchange log lines, the record's
// "sent" after the Ack, poll bookkeeping, "done"/"failed" after the checkpoint) is written with
// update_unsynced(): a database crash that loses such a write puts the record back in a state
// from which the engine redoes the step with the same effect (same MessageGUID, same checkpoint),
// and the next durable commit flushes them all. This spares a request about seven of its ten
// fsyncs.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "formats.h"
#include "hub/plugin/context.h"
#include "hub/plugin/exchange_state.h"
#include "hub/plugin/signer.h"
#include "operations/operation.h"
#include "soap_client.h"

namespace hub::adapters::gis_zhkh {

struct EngineSettings {
  std::string org_ppa_guid;
  bool operator_signature = true;
  std::vector<std::chrono::milliseconds> cadence;  ///< first poll after [0], then [1], ...
  std::chrono::milliseconds send_timeout{180000};
  std::chrono::milliseconds poll_timeout{60000};
  int max_resends = 5;
  std::chrono::milliseconds lease{300000};
  /// Verifies the signature GIS puts on getStateResult (when it carries one); a result whose
  /// signature does not verify is not taken (polled again later).
  plugin::SignerFactory* verifier = nullptr;
};

/// How a send ended.
struct SendOutcome {
  enum class Kind { kSent, kQueued, kTransient, kRejected };
  Kind kind = Kind::kTransient;
  std::string code;    ///< GIS error code when known
  std::string reason;  ///< for logs / dead letters
  plugin::ExchangeRecord record;
};

/// What one poll pass did.
struct PollReport {
  std::size_t claimed = 0, sent = 0, polled = 0, done = 0, failed = 0, retried = 0;
  std::vector<std::string> failures;  ///< "<operation> <key>: <code> <text>"
};

class ExchangeEngine {
 public:
  ExchangeEngine(plugin::Context& ctx, EngineSettings settings, std::shared_ptr<Formats> formats,
                 std::shared_ptr<SoapClient> soap, std::shared_ptr<plugin::Signer> signer);

  /// The result handler of an export operation (imports use import_results()).
  void on_result(const std::string& operation, ResultHandler handler);

  /// Stores the request under `key` (idempotent: an existing record is returned as it is) and,
  /// unless the record is already past sending, sends it now. `deliver_path` records wait in
  /// "pending" for the dispatcher's retry after a transient failure; job records wait in "queued"
  /// for the poller. With `send_now` false a job record is only queued: the pollers (several
  /// hub-owned threads) send it, which is how a bulk export uses more than one connection.
  SendOutcome submit(const std::string& key, const BuiltRequest& request, bool deliver_path,
                     bool send_now = true);

  /// The hub dead-lettered the routed message whose record is `key`: a record still "pending"
  /// (never acknowledged) becomes "failed" with code kDeadLetterCode, so its objects are no longer
  /// in flight. The record keeps its MessageGUID: a replay of the message resumes it (submit()
  /// sends it again as it was), so GIS never sees the request under two ids.
  void abandon(const std::string& key, const std::string& reason);
  static constexpr const char* kDeadLetterCode = "DEAD_LETTER";

  /// Claims due records (queued and sent) and advances each once.
  PollReport poll_once(std::size_t limit);

  const EngineSettings& settings() const { return settings_; }

 private:
  SendOutcome send(plugin::ExchangeRecord& rec, const std::string& transient_state);
  void poll(plugin::ExchangeRecord& rec, PollReport& report);
  /// Emits the result messages with the checkpoint, then marks the record done / failed.
  void finish(plugin::ExchangeRecord& rec, const StateReport& state,
              std::vector<plugin::Envelope> messages, const std::string& final_state,
              const std::string& summary);
  std::string envelope(const plugin::ExchangeRecord& rec, const std::string& body,
                       const plugin::PackageOperation& op) const;
  std::chrono::milliseconds cadence(int polls) const;

  plugin::Context& ctx_;
  EngineSettings settings_;
  std::shared_ptr<Formats> formats_;
  std::shared_ptr<SoapClient> soap_;
  std::shared_ptr<plugin::Signer> signer_;
  std::map<std::string, ResultHandler> handlers_;
};

/// A SOAP 1.1 envelope: RequestHeader (Date, MessageGUID, orgPPAGUID, IsOperatorSignature) or,
/// for `header` "ISRequestHeader", the organisation-less header; then `body` in soap:Body.
std::string soap_envelope(const std::string& header, const std::string& date,
                          const std::string& message_guid, const std::string& org_ppa_guid,
                          bool operator_signature, const std::string& body);

/// How a record's object lines are written to and read from its context text.
std::string encode_objects(const std::vector<ObjectLine>& objects);
std::vector<ObjectLine> decode_objects(const std::string& context);

}  // namespace hub::adapters::gis_zhkh
