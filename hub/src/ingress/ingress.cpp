#include "hub/ingress/ingress.h"

#include <algorithm>
#include <chrono>
#include <future>
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

/// An envelope's body parsed and validated, or why it was refused.
struct CheckedBody {
  xml::Document doc;
  std::string error;
};

/// Bodies below this, in all, are checked on the calling thread: a thread costs more than it
/// saves on the few KB of an API call.
constexpr std::size_t kParallelCheckBytes = 256u << 10;
/// Envelopes are checked in windows of about this many bytes of body, so that a window's parsed
/// trees are all that is held at once, and a thread is started per window, not per envelope.
constexpr std::size_t kCheckWindowBytes = 2u << 20;

/// Parses and validates the bodies of batch[first, last), split between this thread and one more
/// when `parallel`. Both are pure CPU work, and independent per envelope.
std::vector<CheckedBody> parse_and_validate(const std::vector<Envelope>& batch, std::size_t first,
                                            std::size_t last, bool parallel,
                                            const xml::SchemaRegistry& schemas) {
  std::vector<CheckedBody> out(last - first);
  auto check = [&](std::size_t from, std::size_t step) {
    for (std::size_t k = from; k < out.size(); k += step) {
      const auto& e = batch[first + k];
      try {
        out[k].doc = xml::parse_xml(e.body, e.id);
        schemas.validate_or_throw(e.type, out[k].doc);
      } catch (const XmlError& err) {
        out[k].error = err.what();
      }
    }
  };
  if (!parallel || out.size() < 2) {
    check(0, 1);
    return out;
  }
  auto odd = std::async(std::launch::async, check, 1, 2);
  check(0, 2);
  odd.get();
  return out;
}

struct Prepared {
  Envelope envelope;
  router::RoutingDecision decision;
};

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

  // Validation and routing are pure CPU work: done before the transaction opens so that the
  // transaction only writes.
  std::vector<Prepared> prepared;
  prepared.reserve(batch.size());
  try {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      complete_envelope(i, batch[i], now);
      if (!schemas_->knows(batch[i].type)) {
        throw plugin::RejectedInput(describe(i, batch[i]) + ": unknown message type");
      }
    }
    // A batch of big bodies (a registry's payment.batch messages are 300 KB each, a line
    // parser's 500 payments 350 KB) is checked in windows of about 2 MB, each split between
    // this thread and one more: that is what lets a file import validate on the second core while
    // its parser reads on. Windows, not the whole batch, so that no more than a window's parsed
    // trees are held at once.
    std::vector<CheckedBody> bodies;
    std::size_t window_first = 0, window_last = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i == window_last) {
        window_first = i;
        std::size_t bytes = 0;
        while (window_last < batch.size() &&
               (window_last == i || bytes + batch[window_last].body.size() <= kCheckWindowBytes)) {
          bytes += batch[window_last++].body.size();
        }
        bodies = parse_and_validate(batch, window_first, window_last, bytes >= kParallelCheckBytes,
                                    *schemas_);
      }
      Envelope& e = batch[i];
      const auto& checked = bodies[i - window_first];
      if (!checked.error.empty())
        throw plugin::RejectedInput(describe(i, e) + ": " + checked.error);
      const xml::Document& body = checked.doc;
      router::RoutingDecision decision;
      try {
        decision = router->route(e, body);
        if (fan_out_) fan_out_(e, decision);
      } catch (const std::exception& err) {
        throw plugin::RejectedInput(describe(i, e) + ": routing failed: " + err.what());
      }
      prepared.push_back({std::move(e), std::move(decision)});
    }
  } catch (const plugin::RejectedInput& err) {
    metrics.add("zhkh_messages_rejected_total");
    log().warn("batch_rejected", {{"reason", err.what()}, {"size", std::to_string(batch.size())}});
    throw;
  }
  step(Step::kValidated);
  step(Step::kRouted);

  plugin::EmitResult result;
  std::set<std::string> notify_targets;
  auto lease = pool_.lease();
  prepare(lease.conn());
  pqxx::work tx(lease.conn());

  if (!prepared.empty()) {
    // The arrays are built straight from the envelopes: the bodies are the bulk of the bytes and
    // are copied once, into the literal.
    std::size_t body_bytes = 0, key_bytes = 0;
    for (const auto& p : prepared) {
      body_bytes += p.envelope.body.size();
      key_bytes += p.envelope.idempotency_key.size();
    }
    const std::size_t n = prepared.size();
    store::PgArrayBuilder ids(n * 38), types(n * 24), versions(n * 4), sources(n * 16),
        occurred(n * 32), correlations(n * 38), causations(n * 8), keys(key_bytes + n * 3),
        headers(n * 8), bodies(body_bytes + n * 3);
    store::PgArrayBuilder d_message(n * 38), d_route(n * 16), d_target(n * 16), d_body(n * 8);
    for (const auto& p : prepared) {
      const Envelope& e = p.envelope;
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
      const auto& all = p.decision.deliveries;
      for (auto d_it = all.begin(); d_it != all.end(); ++d_it) {
        const auto& d = *d_it;
        if (std::any_of(all.begin(), d_it, [&](const auto& o) {
              return o.route == d.route && o.target == d.target;
            })) {
          continue;
        }
        d_message.add(e.id);
        d_route.add(d.route);
        d_target.add(d.target);
        d_body.add_or_null(d.body);
      }
    }
    // One statement journals the batch and writes its outbox. ON CONFLICT DO NOTHING drops keys
    // already journalled and repeats inside the batch; the RETURNING set is exactly what is new,
    // and only the deliveries of new messages are written (the join on it).
    auto inserted = tx.exec_prepared(
        kJournalStatement, ids.finish(), types.finish(), versions.finish(), sources.finish(),
        occurred.finish(), correlations.finish(), causations.finish(), keys.finish(),
        headers.finish(), bodies.finish(), router->version(), d_message.finish(), d_route.finish(),
        d_target.finish(), d_body.finish());
    std::set<std::string> fresh;
    for (const auto& row : inserted) fresh.insert(row[0].c_str());
    step(Step::kMessagesInserted);

    for (const auto& p : prepared) {
      if (!fresh.count(p.envelope.id)) continue;
      result.ids.push_back(p.envelope.id);
      metrics.add("zhkh_messages_in_total",
                  {{"type", p.envelope.type}, {"source", p.envelope.source}});
      for (const auto& d : p.decision.deliveries) notify_targets.insert(d.target);
    }
    result.accepted = fresh.size();
    result.duplicates = prepared.size() - fresh.size();
    if (result.duplicates) metrics.add("zhkh_messages_duplicate_total", {}, result.duplicates);
    step(Step::kDeliveriesInserted);
  }

  if (checkpoint) {
    tx.exec_prepared(
        kCheckpointStatement, checkpoint->source, checkpoint->key, checkpoint->file_name,
        checkpoint->position,
        checkpoint->status.empty() ? std::string("in_progress") : checkpoint->status,
        checkpoint->report.empty() ? std::optional<std::string>() : checkpoint->report);
    step(Step::kCheckpointWritten);
  }
  tx.commit();
  step(Step::kCommitted);
  // Wakes dispatchers of these targets. Sent after the commit, in a statement of its own: a NOTIFY
  // inside the transaction holds PostgreSQL's global notify lock across the commit's WAL flush,
  // which serializes every committing Ingress (measured: 2,500 -> 400-650 commits/s with 16
  // clients). Lost by a crash right here, it costs one poll interval, never a message.
  if (!notify_targets.empty()) {
    try {
      pqxx::nontransaction ntx(lease.conn());
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
