#include "hub/ingress/ingress.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "hub/core/error.h"
#include "hub/core/json_text.h"
#include "hub/core/log.h"
#include "hub/core/uuid.h"
#include "hub/metrics/registry.h"
#include "hub/store/pg_array.h"
#include "hub/xml/document.h"
#include "hub/xml/envelope_xml.h"

namespace hub::ingress {

const char* to_string(Step s) {
  switch (s) {
    case Step::kValidated:
      return "validated";
    case Step::kRouted:
      return "routed";
    case Step::kMessagesInserted:
      return "messages_inserted";
    case Step::kDeliveriesInserted:
      return "deliveries_inserted";
    case Step::kCheckpointWritten:
      return "checkpoint_written";
    case Step::kCommitted:
      return "committed";
  }
  return "?";
}

namespace {

// The statements of every submit are prepared once per pooled connection: parsing and planning
// them again for each call cost PostgreSQL more than the insert itself when messages come one at
// a time (a steady trickle of single messages is the latency case).
constexpr const char* kJournalStatement = "hub_ingress_journal";
constexpr const char* kJournalSql =
    "WITH m AS ("
    "  INSERT INTO hub.message (id, type, schema_version, source, occurred_at, correlation_id,"
    "   causation_id, idempotency_key, headers, body, route_version)"
    "  SELECT id, type, ver, src, occ, corr, caus, key, hdr::jsonb, body, $11"
    "  FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::timestamptz[],"
    "              $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])"
    "    AS t(id, type, ver, src, occ, corr, caus, key, hdr, body)"
    "  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id),"
    " d AS ("
    "  INSERT INTO hub.delivery (message_id, route, target, body)"
    "  SELECT o.message_id, o.route, o.target, o.body"
    "  FROM unnest($12::uuid[], $13::text[], $14::text[], $15::text[])"
    "    AS o(message_id, route, target, body)"
    "  JOIN m ON m.id = o.message_id)"
    " SELECT id::text FROM m";
constexpr const char* kCheckpointStatement = "hub_ingress_checkpoint";
constexpr const char* kCheckpointSql =
    "INSERT INTO hub.file_checkpoint (source, key, file_name, position, status, report)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (source, key) DO UPDATE SET file_name = EXCLUDED.file_name,"
    "   position = EXCLUDED.position, status = EXCLUDED.status,"
    "   report = coalesce(EXCLUDED.report, hub.file_checkpoint.report), updated_at = now()";
constexpr const char* kNotifyStatement = "hub_ingress_notify";
constexpr const char* kNotifySql =
    "SELECT pg_notify('zhkh_delivery', t) FROM unnest($1::text[]) AS t";

void prepare(pqxx::connection& conn) {
  // libpqxx registers a definition with the server on its first use and treats an identical
  // repeat as a no-op, so every pooled connection is prepared lazily.
  conn.prepare(kJournalStatement, kJournalSql);
  conn.prepare(kCheckpointStatement, kCheckpointSql);
  conn.prepare(kNotifyStatement, kNotifySql);
}

Log& log() {
  static Log l("ingress");
  return l;
}

std::string describe(std::size_t index, const Envelope& e) {
  return "message #" + std::to_string(index + 1) + " (type '" + e.type + "', idempotency key '" +
         e.idempotency_key + "')";
}

// Fills what the producer may leave empty and checks what it must not.
void complete_envelope(std::size_t index, Envelope& e, std::chrono::system_clock::time_point now) {
  if (e.idempotency_key.empty()) {
    throw plugin::RejectedInput(describe(index, e) + ": idempotency key is empty");
  }
  if (e.type.empty()) throw plugin::RejectedInput(describe(index, e) + ": type is empty");
  if (e.source.empty()) throw plugin::RejectedInput(describe(index, e) + ": source is empty");
  if (e.id.empty()) {
    e.id = new_uuid_v7();
  } else if (!is_uuid(e.id)) {
    throw plugin::RejectedInput(describe(index, e) + ": id '" + e.id + "' is not a UUID");
  }
  if (e.occurred_at == std::chrono::system_clock::time_point{}) e.occurred_at = now;
  if (e.correlation_id.empty()) e.correlation_id = e.id;
}

/// Batches with less body than this, in all, are checked on the calling thread alone: a thread
/// costs more than it saves on the few KB of an API call.
constexpr std::size_t kParallelCheckBytes = 256u << 10;
/// A big batch is journalled in statements of about this many bytes of body, each as soon as
/// every envelope before its end is checked: PostgreSQL stores one part while the next is still
/// being validated, instead of the two taking turns.
constexpr std::size_t kJournalChunkBytes = 2u << 20;

/// What checking one envelope decided: where it goes, or why it was refused.
struct CheckOutcome {
  router::RoutingDecision decision;
  std::string error;
};

/// Parses, validates and routes the envelopes of a batch. Any number of threads call check_one()
/// until it returns false; each call takes the next envelope by position, so no thread waits for
/// another, and a parsed tree lives only while its envelope is checked. No envelope after a
/// refused one is started, and every one before it is finished by the thread that took it, so the
/// first refusal by position is always found. What is not a refusal of the input (no memory, a
/// failing library) is kept and rethrown by rethrow_failure().
class BatchCheck {
 public:
  BatchCheck(std::vector<Envelope>& batch, const xml::SchemaRegistry& schemas,
             const router::Router& router, const Ingress::FanOut& fan_out)
      : batch_(batch),
        schemas_(schemas),
        router_(router),
        fan_out_(fan_out),
        outcomes_(batch.size()),
        stop_at_(batch.size()),
        done_(batch.size(), 0) {}

  bool check_one() {
    const std::size_t i = next_.fetch_add(1);
    if (i >= batch_.size() || i > stop_at_.load() || abandoned_.load()) return false;
    const Envelope& e = batch_[i];
    CheckOutcome& out = outcomes_[i];
    try {
      // A body no route looks into is checked as it is read, without a tree (a fifth cheaper);
      // one that fails that check, or that a route reads, is parsed into a tree, which also
      // names what is wrong with it.
      xml::Document doc;
      if (router_.needs_body(e) || !schemas_.conforms(e.type, e.body)) {
        doc = xml::parse_xml(e.body, e.id);
        schemas_.validate_or_throw(e.type, doc);
      }
      try {
        out.decision = router_.route(e, doc);
        if (fan_out_) fan_out_(e, out.decision);
      } catch (const std::exception& err) {
        out.error = std::string("routing failed: ") + err.what();
      }
    } catch (const XmlError& err) {
      out.error = err.what();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
      abandoned_ = true;
      return false;  // not done: the prefix stops before it, and the submit fails
    }
    if (!out.error.empty()) {
      for (auto at = stop_at_.load(); i < at && !stop_at_.compare_exchange_weak(at, i);) {
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    done_[i] = 1;
    while (prefix_ < done_.size() && done_[prefix_] && outcomes_[prefix_].error.empty()) {
      ++prefix_;
    }
    return true;
  }
  /// The longest run of envelopes from the start that are checked and were not refused.
  std::size_t checked_prefix() {
    std::lock_guard<std::mutex> lock(mutex_);
    return prefix_;
  }
  /// Makes every check_one() from now on return false (the submit is failing anyway).
  void abandon() { abandoned_ = true; }
  void rethrow_failure() {
    if (failure_) std::rethrow_exception(failure_);
  }
  /// The first refused envelope, or batch.size() when none was.
  std::size_t first_refused() const {
    for (std::size_t i = 0; i < outcomes_.size(); ++i) {
      if (!outcomes_[i].error.empty()) return i;
    }
    return outcomes_.size();
  }
  CheckOutcome& outcome(std::size_t i) { return outcomes_[i]; }

 private:
  std::vector<Envelope>& batch_;
  const xml::SchemaRegistry& schemas_;
  const router::Router& router_;
  const Ingress::FanOut& fan_out_;
  std::vector<CheckOutcome> outcomes_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> stop_at_;
  std::atomic<bool> abandoned_{false};
  std::mutex mutex_;  // guards done_, prefix_ and failure_
  std::vector<char> done_;
  std::size_t prefix_ = 0;
  std::exception_ptr failure_;
};

/// Writes journal rows and their outbox rows for batch[from, to) in the open transaction; adds
/// the ids of the messages that were new to `fresh`. The arrays are built straight from the
/// envelopes: the bodies are the bulk of the bytes and are copied into their array once (and once
/// more by pqxx::binarystring, which takes no buffer over).
void write_journal(pqxx::work& tx, const std::vector<Envelope>& batch, BatchCheck& check,
                   std::size_t from, std::size_t to, int route_version,
                   std::set<std::string>& fresh) {
  std::size_t body_bytes = 0, key_bytes = 0;
  for (std::size_t i = from; i < to; ++i) {
    body_bytes += batch[i].body.size();
    key_bytes += batch[i].idempotency_key.size();
  }
  const std::size_t n = to - from;
  store::PgArrayBuilder ids(n * 38), types(n * 24), versions(n * 4), sources(n * 16),
      occurred(n * 32), correlations(n * 38), causations(n * 8), keys(key_bytes + n * 3),
      headers(n * 8);
  // The bodies are nearly all of the bytes: they go as a binary array, which PostgreSQL takes by
  // the elements' lengths (as a literal, its array_in scanning them was ~9% of all CPU of a
  // registry import, and escaping them here 1-2% more).
  store::PgBinaryTextArray bodies(body_bytes + n * 4);
  store::PgArrayBuilder d_message(n * 38), d_route(n * 16), d_target(n * 16);
  store::PgBinaryTextArray d_body(n * 4);
  for (std::size_t i = from; i < to; ++i) {
    const Envelope& e = batch[i];
    ids.add(e.id);
    types.add(e.type);
    versions.add(std::to_string(e.schema_version));
    sources.add(e.source);
    occurred.add(xml::format_timestamp(e.occurred_at));
    correlations.add(e.correlation_id);
    if (e.causation_id.empty()) {
      causations.add_null();
    } else {
      causations.add(e.causation_id);
    }
    keys.add(e.idempotency_key);
    headers.add(json_object(e.headers));
    bodies.add(e.body);
    // One delivery per (route, target) of a message, however often a configuration names the
    // pair: hub.delivery keeps no unique constraint for it (see migration 0014). A message has
    // a handful of deliveries, so the earlier ones are simply looked through.
    const auto& all = check.outcome(i).decision.deliveries;
    for (auto d_it = all.begin(); d_it != all.end(); ++d_it) {
      const auto& d = *d_it;
      if (std::any_of(all.begin(), d_it,
                      [&](const auto& o) { return o.route == d.route && o.target == d.target; })) {
        continue;
      }
      d_message.add(e.id);
      d_route.add(d.route);
      d_target.add(d.target);
      d_body.add_or_null(d.body);
    }
  }
  // One statement journals the part and writes its outbox. ON CONFLICT DO NOTHING drops keys
  // already journalled (by an earlier part too) and repeats inside the batch; the RETURNING set
  // is exactly what is new, and only the deliveries of new messages are written (the join on it).
  const auto inserted = tx.exec_prepared(
      kJournalStatement, ids.finish(), types.finish(), versions.finish(), sources.finish(),
      occurred.finish(), correlations.finish(), causations.finish(), keys.finish(),
      headers.finish(), bodies.finish(), route_version, d_message.finish(), d_route.finish(),
      d_target.finish(), d_body.finish());
  for (const auto& row : inserted) fresh.insert(row[0].c_str());
}

}  // namespace

Ingress::Ingress(store::Pool& pool, std::shared_ptr<const xml::SchemaRegistry> schemas,
                 router::RouterHolder& router)
    : pool_(pool), schemas_(std::move(schemas)), router_(router) {
  auto& m = metrics::Registry::global();
  m.describe("zhkh_messages_in_total", "Messages journalled by Ingress, by type and source");
  m.describe("zhkh_messages_duplicate_total", "Messages ignored as already journalled");
  m.describe("zhkh_messages_rejected_total", "Batches refused by Ingress validation");
  m.describe("zhkh_ingress_seconds", "Time to validate, route and journal one batch");
}

plugin::EmitResult Ingress::submit(std::vector<Envelope> batch,
                                   const std::optional<plugin::Checkpoint>& checkpoint) {
  const auto started = std::chrono::steady_clock::now();
  const auto now = std::chrono::system_clock::now();
  auto& metrics = metrics::Registry::global();
  auto router = router_.get();
  if (!router) throw Error("ingress: no routing configuration is loaded");

  auto count_refusal = [&](const plugin::RejectedInput& err) {
    metrics.add("zhkh_messages_rejected_total");
    log().warn("batch_rejected", {{"reason", err.what()}, {"size", std::to_string(batch.size())}});
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      complete_envelope(i, batch[i], now);
      if (!schemas_->knows(batch[i].type)) {
        throw plugin::RejectedInput(describe(i, batch[i]) + ": unknown message type");
      }
    } catch (const plugin::RejectedInput& err) {
      count_refusal(err);
      throw;
    }
  }

  // Checking (parsing, validating, routing) is pure CPU work. A small batch is checked first
  // and written after, so that its transaction only writes. A big one (a registry's
  // payment.lines messages are ~120 KB each) is checked on this thread and one more, and its
  // journal is written in parts as the checked prefix grows, so that a file import keeps both
  // cores and PostgreSQL busy at once. A refusal found after a part was written rolls the
  // transaction back: nothing of the batch is kept either way.
  std::size_t body_bytes = 0;
  for (const auto& e : batch) body_bytes += e.body.size();
  const bool parallel = batch.size() >= 2 && body_bytes >= kParallelCheckBytes;
  BatchCheck check(batch, *schemas_, *router, fan_out_);

  std::optional<store::Lease> lease;
  std::optional<pqxx::work> tx;
  std::set<std::string> fresh;
  std::size_t written = 0;
  // Every statement takes at most a part's worth of body (or one envelope, if that is larger).
  // The checked prefix can be far ahead of what is written (the helper goes on checking while a
  // part is stored, and a batch's tail is written after the last check): written whole, a
  // statement took several parts' worth by timing, and its arrays (ours and pqxx's copy) and
  // libpq's buffer, which keeps the largest size it was grown to, set a registry import's peak
  // RSS by timing too: bench_registry_import's 100k rounds peaked at 54-71 MB, with a writing
  // thread's arena at 5.7-15.5 MB (malloc_info). Capped, the rounds of 100k and of 1M lines
  // peaked at 51.6-55.6 MB.
  auto write_up_to = [&](std::size_t to) {
    while (written < to) {
      if (!tx) {
        lease.emplace(pool_.lease());
        prepare(lease->conn());
        tx.emplace(lease->conn());
      }
      std::size_t end = written, bytes = batch[written].body.size();
      while (++end < to && bytes + batch[end].body.size() <= kJournalChunkBytes)
        bytes += batch[end].body.size();
      write_journal(*tx, batch, check, written, end, router->version(), fresh);
      written = end;
    }
  };
  {
    std::future<void> helper;
    // Whatever leaves this block, the helper thread stops taking envelopes and is waited for
    // (the future's destructor) before `check` goes away.
    struct Abandon {
      BatchCheck& check;
      ~Abandon() { check.abandon(); }
    } abandon_on_exit{check};
    if (parallel) {
      helper = std::async(std::launch::async, [&check] {
        while (check.check_one()) {
        }
      });
    }
    std::size_t counted = 0, part_bytes = 0;  // body bytes of batch[written, counted)
    while (check.check_one()) {
      if (!parallel) continue;
      // Write the checked prefix once it holds a part's worth of body.
      const std::size_t prefix = check.checked_prefix();
      for (; counted < prefix; ++counted) part_bytes += batch[counted].body.size();
      if (part_bytes >= kJournalChunkBytes) {
        write_up_to(prefix);
        part_bytes = 0;
      }
    }
    if (helper.valid()) helper.get();
  }
  check.rethrow_failure();
  if (const auto bad = check.first_refused(); bad < batch.size()) {
    const auto err =
        plugin::RejectedInput(describe(bad, batch[bad]) + ": " + check.outcome(bad).error);
    count_refusal(err);
    throw err;
  }
  step(Step::kValidated);
  step(Step::kRouted);

  write_up_to(batch.size());
  if (!tx) {  // an empty batch: only the checkpoint
    lease.emplace(pool_.lease());
    prepare(lease->conn());
    tx.emplace(lease->conn());
  }
  plugin::EmitResult result;
  std::set<std::string> notify_targets;
  if (!batch.empty()) {
    step(Step::kMessagesInserted);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Envelope& e = batch[i];
      if (!fresh.count(e.id)) continue;
      result.ids.push_back(e.id);
      metrics.add("zhkh_messages_in_total", {{"type", e.type}, {"source", e.source}});
      for (const auto& d : check.outcome(i).decision.deliveries) notify_targets.insert(d.target);
    }
    result.accepted = fresh.size();
    result.duplicates = batch.size() - fresh.size();
    if (result.duplicates) metrics.add("zhkh_messages_duplicate_total", {}, result.duplicates);
    step(Step::kDeliveriesInserted);
  }

  if (checkpoint) {
    tx->exec_prepared(
        kCheckpointStatement, checkpoint->source, checkpoint->key, checkpoint->file_name,
        checkpoint->position,
        checkpoint->status.empty() ? std::string("in_progress") : checkpoint->status,
        checkpoint->report.empty() ? std::optional<std::string>() : checkpoint->report);
    step(Step::kCheckpointWritten);
  }
  tx->commit();
  step(Step::kCommitted);
  // Wakes dispatchers of these targets. Sent after the commit, in a statement of its own: a NOTIFY
  // inside the transaction holds PostgreSQL's global notify lock across the commit's WAL flush,
  // which serializes every committing Ingress (measured: 2,500 -> 400-650 commits/s with 16
  // clients). Lost by a crash right here, it costs one poll interval, never a message.
  if (!notify_targets.empty()) {
    try {
      pqxx::nontransaction ntx(lease->conn());
      ntx.exec_prepared(kNotifyStatement, store::pg_array_literal(std::vector<std::string>(
                                              notify_targets.begin(), notify_targets.end())));
    } catch (const std::exception& e) {
      log().warn("notify_failed", {{"error", e.what()}});
    }
  }

  metrics.observe(
      "zhkh_ingress_seconds", {},
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return result;
}

plugin::EmitResult SourceEmitter::emit(std::vector<Envelope> batch,
                                       const std::optional<plugin::Checkpoint>& checkpoint) {
  for (auto& e : batch) {
    if (e.source.empty()) e.source = source_;
  }
  if (checkpoint && checkpoint->source.empty()) {
    auto cp = *checkpoint;
    cp.source = source_;
    return ingress_.emit(std::move(batch), cp);
  }
  return ingress_.emit(std::move(batch), checkpoint);
}

}  // namespace hub::ingress
