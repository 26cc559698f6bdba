#include "hub/billing/billing_store.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "hub/billing/invariants.h"
#include "hub/billing/payment_batches.h"
#include "hub/billing/type_specs.h"
#include "hub/core/error.h"
#include "hub/core/json_text.h"
#include "hub/metrics/registry.h"
#include "hub/store/pg_array.h"
#include "hub/xml/document.h"
#include "hub/xml/envelope_xml.h"

namespace hub::billing {
namespace {

const char* sql_type(const ColumnSpec& c) {
  if (c.json) return "jsonb";
  switch (c.kind) {
    case FieldKind::kInt:
      return "bigint";
    case FieldKind::kDecimal:
      return "numeric";
    case FieldKind::kBool:
      return "boolean";
    case FieldKind::kDate:
      return "date";
    case FieldKind::kTimestamp:
      return "timestamptz";
    case FieldKind::kText:
      break;
  }
  return "text";
}

// A column read back as its canonical lexical form.
std::string select_expr(const ColumnSpec& c, const std::string& alias = "t") {
  const std::string col = alias + "." + c.column;
  if (!c.json && c.kind == FieldKind::kTimestamp)
    return "(to_json(" + col + " AT TIME ZONE 'UTC')#>>'{}') || 'Z'";
  return col + "::text";
}

// Columns the payment table has beyond the bodies': how the payment was identified.
const std::vector<ColumnSpec>& payment_extras() {
  static const std::vector<ColumnSpec> cols = {
      {"status", FieldKind::kText, false},       {"account_id", FieldKind::kInt, false},
      {"ident_method", FieldKind::kText, false}, {"ident_score", FieldKind::kDecimal, false},
      {"message_type", FieldKind::kText, false}, {"source_key", FieldKind::kText, false}};
  return cols;
}

// External ids the hub learns from external.state: an upsert from an engine that does not know
// them yet keeps them.
bool keeps_old_value(const std::string& table, const std::string& column) {
  static const std::set<std::string> kept = {"house.gis_house_guid",
                                             "house.gis_unique_number",
                                             "account.gis_account_guid",
                                             "meter.gis_root_guid",
                                             "meter.gis_number",
                                             "meter.gis_version_guid",
                                             "payment_document.gis_payment_document_guid",
                                             "payment_document.ipd",
                                             "premise.gis_premises_guid"};
  return kept.count(table + "." + column) > 0;
}

/// One message type's upsert: the columns it writes and the statement over them.
struct TablePlan {
  std::string table;
  std::vector<ColumnSpec> columns;  // every column an upsert writes, nkey/message_id excluded
  std::string upsert_name, upsert_sql;
  std::string lookup_name, lookup_sql;
};

// Expressions are written over {old} (the stored row) and {new} (the incoming values).
std::string over(std::string expr, const std::string& old_alias, const std::string& new_alias) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"{old}.", old_alias + "."},
                                 {"{new}.", new_alias + "."}}) {
    for (auto at = expr.find(from); at != std::string::npos; at = expr.find(from, at + to.size()))
      expr.replace(at, from.size(), to);
  }
  return expr;
}

// INSERT ... ON CONFLICT (nkey) DO UPDATE only where something differs. Incoming rows identical to
// the stored ones are filtered out before the insert: ON CONFLICT would lock (and dirty) every
// conflicting row even when its WHERE then refuses the update, which is what a re-sent registry
// is made of. The stored row is looked up by a LATERAL ... LIMIT 1, one probe of the nkey index
// per incoming row: as NOT EXISTS the planner made it a hash anti join that read the whole table
// for every batch, so that a big import slowed down with each batch it stored.
std::string make_upsert(const std::string& table, const std::vector<ColumnSpec>& cols) {
  const bool payment = table == "payment";
  std::string names = "nkey, message_id", casts = "v.nkey, v.message_id::uuid AS message_id";
  std::string selects = "n.nkey, n.message_id", unnest = "$1::text[], $2::text[]";
  std::string alias = "nkey, message_id";
  std::string sets = "message_id = EXCLUDED.message_id", old_tuple, new_tuple;
  int p = 3;
  for (const auto& c : cols) {
    names += ", " + c.column;
    casts += ", v." + c.column + "::" + sql_type(c) + " AS " + c.column;
    selects += ", n." + c.column;
    unnest += ", $" + std::to_string(p++) + "::text[]";
    alias += ", " + c.column;
    if (payment && c.column == "source_key") continue;  // the first message's key stays
    std::string value = "{new}." + c.column;
    if (keeps_old_value(table, c.column))
      value = "coalesce({new}." + c.column + ", {old}." + c.column + ")";
    // An operator's resolution outlives re-deliveries of the messages it answered.
    if (payment && c.column == "status")
      value = "CASE WHEN {old}.resolved_at IS NOT NULL THEN 'resolved' ELSE {new}.status END";
    if (payment && c.column == "ident_method")
      value = "CASE WHEN {old}.resolved_at IS NOT NULL THEN 'operator' ELSE {new}.ident_method END";
    sets += ", " + c.column + " = " + over(value, "t", "EXCLUDED");
    // When the store last looked, and under which message, is no change by itself: an identical
    // re-delivery of an unidentified payment must not grow its history.
    if (payment && (c.column == "checked_at" || c.column == "payment_message_id")) continue;
    old_tuple += (old_tuple.empty() ? "" : ", ") + std::string("{old}.") + c.column;
    new_tuple += (new_tuple.empty() ? "" : ", ") + value;
  }
  std::string changed = "ROW(" + old_tuple + ") IS DISTINCT FROM ROW(" + new_tuple + ")";
  // A payment that has an account never loses it to a later message that found none.
  if (payment) changed += " AND ({new}.account_id IS NOT NULL OR {old}.account_id IS NULL)";
  std::string sql = "INSERT INTO billing." + table + " AS t (" + names + ")\nSELECT " + selects +
                    "\n  FROM (SELECT " + casts + " FROM unnest(" + unnest + ") AS v(" + alias +
                    ")) n\n  LEFT JOIN LATERAL (SELECT * FROM billing." + table +
                    " s WHERE s.nkey = n.nkey LIMIT 1) x ON true\n WHERE x.nkey IS NULL OR (" +
                    over(changed, "x", "n") + ")\nON CONFLICT (nkey) DO UPDATE SET " + sets +
                    "\n WHERE " + over(changed, "t", "EXCLUDED");
  sql +=
      "\nRETURNING t.id, t.nkey, (t.xmax = 0), " + std::string(payment ? "t.status" : "''::text");
  return sql;
}

// Per message type. A type writes its own columns only, so two types sharing a table (document
// .outgoing / document.status) leave each other's columns alone; payment types also write how the
// payment was identified.
const std::map<std::string, TablePlan>& plans() {
  static const std::map<std::string, TablePlan> out = [] {
    std::map<std::string, TablePlan> plans;
    for (const auto& spec : type_specs()) {
      std::vector<ColumnSpec> v;
      auto add = [&](const ColumnSpec& c) {
        for (const auto& x : v)
          if (x.column == c.column) return;
        v.push_back(c);
      };
      for (const auto& c : columns_of(spec.fields)) add(c);
      for (const auto& c : spec.derived) add(c);
      if (spec.table == "payment") {
        for (const auto& c : columns_of(find_type_spec("payment.unidentified")->fields)) add(c);
        for (const auto& c : payment_extras()) add(c);
      }
      TablePlan p;
      const std::string tag = spec.type.substr(0, spec.type.find('.')) + "_" +
                              spec.type.substr(spec.type.find('.') + 1);
      p.table = spec.table;
      p.columns = v;
      p.upsert_name = "billing_upsert_" + tag;
      p.upsert_sql = make_upsert(spec.table, v);
      p.lookup_name = "billing_lookup_" + spec.table;
      p.lookup_sql = "SELECT id, nkey, " +
                     std::string(spec.table == "payment" ? "status" : "''::text") +
                     " FROM billing." + spec.table + " WHERE nkey = ANY($1::text[])";
      plans[spec.type] = std::move(p);
    }
    return plans;
  }();
  return out;
}

std::string now_utc() {
  return *normalise(FieldKind::kTimestamp, xml::format_timestamp(std::chrono::system_clock::now()));
}

std::string get(const Record& r, const std::string& k) {
  auto it = r.find(k);
  return it == r.end() ? std::string() : it->second;
}

std::string format_score(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", s);
  std::string out = buf;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

std::string candidates_json(const std::vector<Candidate>& cands) {
  std::string out = "[";
  for (const auto& c : cands) {
    if (out.size() > 1) out += ',';
    out += "{\"account\":";
    append_json_string(out, c.account);
    if (!c.els.empty()) out += ",\"els\":", append_json_string(out, c.els);
    out += ",\"score\":";
    append_json_string(out, format_score(c.score));
    out += ",\"matchedBy\":[";
    for (std::size_t i = 0; i < c.matched_by.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, c.matched_by[i]);
    }
    out += "]";
    if (!c.payer_name.empty()) out += ",\"payerName\":", append_json_string(out, c.payer_name);
    if (!c.address.empty()) out += ",\"address\":", append_json_string(out, c.address);
    out += "}";
  }
  return out + "]";
}

struct Item {
  std::size_t index;
  const TypeSpec* spec;
  Record record;
  std::string nkey;
};

bool is_payment_type(const std::string& type) {
  return type == "payment.received" || type == "payment.unidentified";
}

void fill_identification(Item& item, const Envelope& m, const Identification& id) {
  auto& r = item.record;
  for (const char* k :
       {"payment_message_id", "unidentified_reason", "reason_text", "checked_at", "candidates"})
    r.erase(k);
  if (id.identified()) {
    r["status"] = "identified";
    r["account_id"] = std::to_string(id.account_id);
    r["ident_method"] = id.method;
    r["ident_score"] = format_score(id.score);
  } else {
    r["status"] = "unidentified";
    r.erase("account_id");
    r.erase("ident_method");
    r.erase("ident_score");
    if (!m.id.empty()) r["payment_message_id"] = m.id;
    r["unidentified_reason"] = id.reason;
    if (!id.reason_text.empty()) r["reason_text"] = id.reason_text.substr(0, 255);
    r["checked_at"] = now_utc();
    if (!id.candidates.empty()) r["candidates"] = candidates_json(id.candidates);
  }
}

// What external.state's results set on the objects they name: the external id and unique number
// for a success, the first error otherwise (a success clears an earlier error). These are the
// objects' GIS link-state columns, which billing.link_state_mask() (migration 0013) lists per
// table: a change confined to them writes no history version. Keep the two in step.
struct ExternalTarget {
  const char* kind;
  const char* table;
  const char* ref;        // the column objectRef names
  const char* guid;       // set from externalGuid
  const char* number;     // set from uniqueNumber, or nullptr
  bool uuid_ref = false;  // `ref` is a uuid column (objectRef is then a message id)
};
constexpr ExternalTarget kExternalTargets[] = {
    {"house", "house", "fias_guid", "gis_house_guid", "gis_unique_number"},
    {"premise", "premise", "fias_guid", "gis_premises_guid", "gis_unique_number"},
    {"account", "account", "number", "gis_account_guid", nullptr},
    {"meter", "meter", "meter_id", "gis_root_guid", "gis_number"},
    // GIS gives a payment document's ИПД (PaymentDocumentID) as the CommonResult's UniqueNumber.
    {"payment_document", "payment_document", "document_number", "gis_payment_document_guid", "ipd"},
    {"payment_cancellation", "payment_cancellation", "ref", "gis_cancellation_guid", nullptr},
    // A payment notice names the payment by its payment.received message's id.
    {"payment", "payment", "message_id", "gis_notification_guid", nullptr, true},
};

// The result's objectRef as the target's `ref` column holds it. A ref that is not a uuid where
// one is expected names nothing (NULL) rather than failing the cast and the whole message.
std::string object_ref(const ExternalTarget& t) {
  if (!t.uuid_ref) return "r->>'objectRef'";
  return "CASE WHEN r->>'objectRef' ~* "
         "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
         " THEN (r->>'objectRef')::uuid END";
}

void apply_external_results(pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  const auto id_array = store::pg_array_literal(ids);
  // A GIS answer is about one kind of object (an importAccountData result names accounts only):
  // one look at the kinds present spares the other tables' updates, each of which would walk
  // every result again to find nothing.
  tx.conn().prepare("billing_external_kinds",
                    "SELECT DISTINCT r->>'objectKind' FROM billing.external_state s,"
                    " jsonb_array_elements(s.results) r WHERE s.id = ANY($1::bigint[])");
  std::set<std::string> kinds;
  for (const auto& row : tx.exec_prepared("billing_external_kinds", id_array)) {
    if (!row[0].is_null()) kinds.insert(row[0].c_str());
  }
  for (const auto& t : kExternalTargets) {
    if (!kinds.count(t.kind)) continue;
    const std::string name = std::string("billing_external_") + t.kind;
    std::string sets = std::string(t.guid) + " = coalesce(r->>'externalGuid', o." + t.guid + ")";
    if (t.number)
      sets += std::string(", ") + t.number + " = coalesce(r->>'uniqueNumber', o." + t.number + ")";
    sets +=
        ", ext_error_code = r#>>'{error,0,code}', ext_error_text = r#>>'{error,0,text}',"
        " ext_state_at = coalesce((r->>'updatedAt')::timestamptz, s.checked_at)";
    tx.conn().prepare(name, std::string("UPDATE billing.") + t.table + " o SET " + sets +
                                " FROM billing.external_state s,"
                                " jsonb_array_elements(s.results) r"
                                " WHERE s.id = ANY($1::bigint[]) AND r->>'objectKind' = '" +
                                t.kind + "' AND o." + t.ref + " = " + object_ref(t));
    tx.exec_prepared(name, id_array);
  }
}

// A cancellation marks the payments it names (agent + payment_ref: a cancellation knows neither
// the payment date nor the amount of the payment's natural key): from the cancellations just
// written, and for payments just written whose cancellation came first. Each side through an
// index (payment_agent_ref; the cancellation's nkey is agent U+001F payment_ref).
constexpr const char* kCancelFromCancellations = R"SQL(
UPDATE billing.payment p SET cancelled_on = c.cancelled_on, cancellation_id = c.id
  FROM billing.payment_cancellation c
 WHERE c.id = ANY($1::bigint[]) AND p.agent_code = c.agent_code AND p.payment_ref = c.payment_ref
   AND (p.cancelled_on, p.cancellation_id) IS DISTINCT FROM (c.cancelled_on, c.id)
)SQL";
constexpr const char* kCancelFromPayments = R"SQL(
UPDATE billing.payment p SET cancelled_on = c.cancelled_on, cancellation_id = c.id
  FROM billing.payment_cancellation c
 WHERE p.id = ANY($1::bigint[]) AND c.nkey = p.agent_code || E'\x1f' || p.payment_ref
   AND (p.cancelled_on, p.cancellation_id) IS DISTINCT FROM (c.cancelled_on, c.id)
)SQL";

void apply_cancellations(pqxx::transaction_base& tx, const std::vector<std::string>& cancellations,
                         const std::vector<std::string>& payments) {
  if (!cancellations.empty()) {
    tx.conn().prepare("billing_cancel_from_cancellations", kCancelFromCancellations);
    tx.exec_prepared("billing_cancel_from_cancellations", store::pg_array_literal(cancellations));
  }
  if (!payments.empty()) {
    tx.conn().prepare("billing_cancel_from_payments", kCancelFromPayments);
    tx.exec_prepared("billing_cancel_from_payments", store::pg_array_literal(payments));
  }
}

// Readings a payer handed over with a payment become meter readings of the identified account
// (channel bank, taken on the payment date), with the natural key a meter.reading of the same
// meter, moment and channel has; a reading already there is left as it is.
constexpr const char* kPaymentReadingsStatement = "billing_payment_readings";
constexpr const char* kPaymentReadingsSql = R"SQL(
INSERT INTO billing.reading (nkey, message_id, meter_key, meter_id, account, zone_values, channel,
                             taken_at)
SELECT DISTINCT ON (1) (r->>'meterId') || E'\x1f' || to_char(p.paid_on, 'YYYY-MM-DD') ||
       'T00:00:00Z' || E'\x1f' || 'bank',
       p.message_id, r->>'meterId', r->>'meterId', a.number, r->'value', 'bank',
       p.paid_on::timestamp AT TIME ZONE 'UTC'
  FROM billing.payment p JOIN billing.account a ON a.id = p.account_id,
       jsonb_array_elements(p.readings) r
 WHERE p.id = ANY($1::bigint[]) AND p.readings IS NOT NULL AND r ? 'meterId'
ON CONFLICT (nkey) DO NOTHING
)SQL";

void record_payment_readings(pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  tx.conn().prepare(kPaymentReadingsStatement, kPaymentReadingsSql);
  tx.exec_prepared(kPaymentReadingsStatement, store::pg_array_literal(ids));
}

// After the transaction: what was applied (by type and outcome), how payments came out, and how
// many waiting payments an arriving account identified.
void count(const std::vector<Envelope>& messages, const std::vector<ApplyResult>& results,
           std::size_t reidentified) {
  static const bool described = [] {
    auto& m = metrics::Registry::global();
    m.describe("zhkh_billing_applied_total",
               "Messages the billing store applied, by type and outcome "
               "(inserted, updated, unchanged, rejected)");
    m.describe("zhkh_billing_payments_total",
               "Payments written by the billing store, by status (identified, unidentified, "
               "resolved)");
    m.describe("zhkh_billing_payments_reidentified_total",
               "Unidentified payments identified later by an arriving account or document");
    return true;
  }();
  (void)described;
  std::map<std::pair<std::string, std::string>, double> applied;
  std::map<std::string, double> payments;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    applied[{messages[i].type, to_string(r.outcome)}] += 1;
    if (!r.payment_status.empty() && (r.outcome == ApplyResult::Outcome::kInserted ||
                                      r.outcome == ApplyResult::Outcome::kUpdated))
      payments[r.payment_status] += 1;
  }
  auto& m = metrics::Registry::global();
  for (const auto& [k, n] : applied)
    m.add("zhkh_billing_applied_total", {{"type", k.first}, {"outcome", k.second}}, n);
  for (const auto& [status, n] : payments)
    m.add("zhkh_billing_payments_total", {{"status", status}}, n);
  if (reidentified)
    m.add("zhkh_billing_payments_reidentified_total", {}, static_cast<double>(reidentified));
}

}  // namespace

const char* to_string(ApplyResult::Outcome o) {
  switch (o) {
    case ApplyResult::Outcome::kInserted:
      return "inserted";
    case ApplyResult::Outcome::kUpdated:
      return "updated";
    case ApplyResult::Outcome::kUnchanged:
      return "unchanged";
    case ApplyResult::Outcome::kRejected:
      return "rejected";
  }
  return "?";
}

BillingStore::BillingStore(store::Pool& pool, IdentifierOptions identification)
    : pool_(pool), identifier_(identification) {}

namespace {

// Payments a payment batch's apply handles at once (see apply_batch_on): of claims of 4, 20 and
// 100 payment.lines messages applied whole in bench_registry_import's child, the 4 (2,000
// payments) held the least (88 MB) and applied fastest.
constexpr std::size_t kPaymentsPerApply = 2000;

// A batch's result from its payments' results [first, last).
ApplyResult fold_batch(const Envelope& batch, const std::vector<Envelope>& items,
                       const std::vector<ApplyResult>& results, std::size_t first,
                       std::size_t last) {
  ApplyResult out;
  out.table = "payment";
  std::size_t refused = 0, inserted = 0, updated = 0;
  std::string first_error;
  for (std::size_t k = first; k < last; ++k) {
    const auto& r = results[k];
    if (!r.ok()) {
      if (!refused++) {
        first_error = "payment " + std::to_string(k - first + 1) + " (key '" +
                      items[k].idempotency_key + "'): " + r.error;
      }
    } else if (r.outcome == ApplyResult::Outcome::kInserted) {
      ++inserted;
    } else if (r.outcome == ApplyResult::Outcome::kUpdated) {
      ++updated;
    }
  }
  if (first == last) {
    out.error =
        batch.type == kPaymentLines ? "/c:paymentLines: no lines" : "/c:paymentBatch: no payments";
  } else if (refused) {
    out.error = std::to_string(refused) + " of " + std::to_string(last - first) +
                " payments refused (the others are applied); first: " + first_error;
  } else {
    out.outcome = inserted  ? ApplyResult::Outcome::kInserted
                  : updated ? ApplyResult::Outcome::kUpdated
                            : ApplyResult::Outcome::kUnchanged;
  }
  return out;
}

}  // namespace

bool BillingStore::handles(const std::string& type) {
  return is_payment_batch(type) || find_type_spec(type) != nullptr;
}

std::vector<std::string> BillingStore::types() {
  std::vector<std::string> out;
  for (const auto& s : type_specs()) out.push_back(s.type);
  return out;
}

ApplyResult BillingStore::apply(const Envelope& message) {
  return apply_batch({message}).front();
}

std::vector<ApplyResult> BillingStore::apply_batch(const std::vector<Envelope>& messages) {
  return apply_batch_on(nullptr, messages);
}

std::vector<ApplyResult> BillingStore::apply_batch(pqxx::dbtransaction& tx,
                                                   const std::vector<Envelope>& messages) {
  return apply_batch_on(&tx, messages);
}

std::vector<ApplyResult> BillingStore::apply_batch_on(pqxx::dbtransaction* tx,
                                                      const std::vector<Envelope>& messages) {
  bool batches = false;
  for (const auto& m : messages) batches = batches || is_payment_batch(m.type);
  if (!batches) return apply_messages(tx, messages, {});
  // Batches expand into their payments (an item and a parsed subtree each), applied in groups of
  // about kPaymentsPerApply payments, message by message, all on one transaction. The
  // dispatcher's claim of 100 payment.lines messages (deploy/local.yaml) is 50,000 payments:
  // applied in one go they held ~1 GB (bench_registry_import's child: 1,080 MB peak at 100
  // messages a claim, 247 MB at 20, 88 MB at 4) and went slower. A claim's messages are whichever
  // were due, so a group is what a smaller claim would have been.
  std::optional<store::Lease> lease;
  std::optional<pqxx::work> own;
  if (!tx) {  // one transaction for the call, as apply_messages() would have used
    lease.emplace(pool_.lease());
    own.emplace(lease->conn());
    tx = &*own;
  }
  std::vector<ApplyResult> results(messages.size());
  std::vector<Envelope> items;
  std::vector<ParsedBody> docs;
  std::vector<std::pair<std::size_t, std::size_t>> ranges(messages.size());
  std::vector<std::optional<ApplyResult>> refused(messages.size());
  std::size_t group = 0;  // the first message of the group being collected
  auto apply_group = [&](std::size_t end) {
    const auto item_results = apply_messages(tx, items, docs);
    for (std::size_t i = group; i < end; ++i) {
      if (refused[i]) {
        results[i] = *refused[i];
      } else if (!is_payment_batch(messages[i].type)) {
        results[i] = item_results[ranges[i].first];
      } else {
        results[i] =
            fold_batch(messages[i], items, item_results, ranges[i].first, ranges[i].second);
      }
    }
    items.clear();
    docs.clear();
    group = end;
  };
  for (std::size_t i = 0; i < messages.size(); ++i) {
    ranges[i].first = items.size();
    if (!is_payment_batch(messages[i].type)) {
      items.push_back(messages[i]);
      docs.emplace_back();
    } else {
      try {
        split_payment_batch(messages[i], items, docs);
      } catch (const XmlError& e) {
        items.resize(ranges[i].first);
        docs.resize(ranges[i].first);
        refused[i] = ApplyResult{};
        refused[i]->error = std::string("/: ") + e.what();
      }
    }
    ranges[i].second = items.size();
    if (items.size() >= kPaymentsPerApply) apply_group(i + 1);
  }
  if (group < messages.size()) apply_group(messages.size());
  if (own) own->commit();
  return results;
}

std::vector<ApplyResult> BillingStore::apply_messages(pqxx::dbtransaction* outer,
                                                      const std::vector<Envelope>& messages,
                                                      const std::vector<ParsedBody>& bodies) {
  std::vector<ApplyResult> results(messages.size());
  std::vector<Item> items;
  items.reserve(messages.size());

  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    auto& res = results[i];
    const std::string name = m.id.empty() ? m.idempotency_key : m.id;
    const TypeSpec* spec = find_type_spec(m.type);
    if (!spec) {
      res.error = "type '" + m.type + "' is not one the billing store handles";
      continue;
    }
    xml::Document doc;
    xmlNodePtr root = nullptr;
    if (i < bodies.size() && bodies[i].root) {
      root = bodies[i].root;
    } else {
      try {
        doc = xml::parse_xml(m.body, name);
      } catch (const XmlError& e) {
        res.error = std::string("/: ") + e.what();
        continue;
      }
      root = doc.root();
    }
    const std::string local = root ? reinterpret_cast<const char*>(root->name) : "";
    if (local != spec->root) {
      res.error = "/" + local + ": the root element of " + m.type + " is c:" + spec->root;
      continue;
    }
    Item item{i, spec, {}, {}};
    auto issues = read_record(root, spec->fields, item.record);
    if (issues.empty()) issues = check_invariants(m.type, item.record);
    if (!issues.empty()) {
      res.error = issues[0].xpath + ": " + issues[0].message;
      if (issues.size() > 1) res.error += " (and " + std::to_string(issues.size() - 1) + " more)";
      continue;
    }
    if (spec->derive) spec->derive(item.record);
    item.nkey = natural_key(*spec, item.record);
    if (is_payment_type(m.type)) {
      item.record["message_type"] = m.type;
      item.record["source_key"] = m.idempotency_key;
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    count(messages, results, 0);
    return results;
  }

  // On the caller's transaction when given one (the dispatcher's: see Sink::deliver_batch_in),
  // otherwise on our own, committed here.
  std::optional<store::Lease> lease;
  std::optional<pqxx::work> own;
  if (!outer) {
    lease.emplace(pool_.lease());
    own.emplace(lease->conn());
  }
  pqxx::dbtransaction& tx = outer ? *outer : *own;

  // Identify the payers of payment.received in one go, after the batch's accounts and payment
  // documents are written so that they count; payment.unidentified stays as sent.
  auto identify_payments = [&] {
    std::vector<std::size_t> idx;
    std::vector<PayerRef> payers;
    for (std::size_t k = 0; k < items.size(); ++k) {
      const auto& r = items[k].record;
      if (items[k].spec->type == "payment.received") {
        idx.push_back(k);
        payers.push_back({get(r, "payer_account"), get(r, "payer_els"), get(r, "payer_izhku"),
                          get(r, "payer_ipd"), get(r, "payer_name"), get(r, "payer_address")});
      } else if (items[k].spec->type == "payment.unidentified") {
        items[k].record["status"] = "unidentified";
      }
    }
    const auto found = identifier_.identify_batch(tx, payers);
    for (std::size_t k = 0; k < idx.size(); ++k) {
      auto& item = items[idx[k]];
      fill_identification(item, messages[item.index], found[k]);
    }
  };

  // One statement per type, payments last, external.state after the objects it names. Within a
  // batch the last message for a natural key wins; the earlier ones get its result.
  std::map<std::string, std::vector<std::size_t>> by_type;
  for (std::size_t k = 0; k < items.size(); ++k) by_type[items[k].spec->type].push_back(k);
  std::vector<std::string> order;
  for (const auto& [type, _] : by_type)
    if (!is_payment_type(type) && type != "external.state" && type != "payment.cancelled")
      order.push_back(type);
  for (const char* t :
       {"payment.received", "payment.unidentified", "payment.cancelled", "external.state"})
    if (by_type.count(t)) order.push_back(t);
  bool identified = false;
  std::vector<std::string> states_changed, paid_changed, accounts_changed, documents_changed;
  std::vector<std::string> payments_written, cancellations_written;
  for (const auto& type : order) {
    const auto& ks = by_type[type];
    if (is_payment_type(type) && !identified) identify_payments(), identified = true;
    const auto& plan = plans().at(type);
    const auto& table = plan.table;
    tx.conn().prepare(plan.upsert_name, plan.upsert_sql);
    tx.conn().prepare(plan.lookup_name, plan.lookup_sql);
    // The last message per natural key wins; rows go in natural-key order, so that two workers
    // upserting overlapping batches lock rows in the same order and cannot deadlock. A stable
    // sort keeps equal keys in message order, so the last of each run is the winner. (A map
    // keyed by natural key did the same at ~20 string compares per payment; natural keys of one
    // registry share long prefixes, and memcmp was the billing store's top symbol.)
    std::vector<std::size_t> sorted(ks);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](std::size_t a, std::size_t b) { return items[a].nkey < items[b].nkey; });
    std::vector<std::size_t> winners;
    winners.reserve(sorted.size());
    for (std::size_t j = 0; j < sorted.size(); ++j) {
      if (j + 1 == sorted.size() || items[sorted[j]].nkey != items[sorted[j + 1]].nkey)
        winners.push_back(sorted[j]);
    }
    std::vector<char> wins(items.size(), 0);
    for (auto k : winners) wins[k] = 1;
    // The plan's columns by name, to read a record (sorted by name too) in one walk.
    std::vector<std::size_t> by_name(plan.columns.size());
    for (std::size_t c = 0; c < by_name.size(); ++c) by_name[c] = c;
    std::sort(by_name.begin(), by_name.end(), [&](std::size_t a, std::size_t b) {
      return plan.columns[a].column < plan.columns[b].column;
    });
    std::vector<const std::string*> values(plan.columns.size());
    std::vector<std::string> arrays(plan.columns.size() + 2, "{");
    bool first = true;
    for (const auto k : winners) {
      const auto& item = items[k];
      auto add = [&](std::size_t col, const std::string* v) {
        if (!first) arrays[col] += ',';
        if (v)
          store::append_array_element(arrays[col], std::string_view(*v));
        else
          store::append_array_element(arrays[col], std::optional<std::string>());
      };
      add(0, &item.nkey);
      const auto& id = messages[item.index].id;
      add(1, id.empty() ? nullptr : &id);
      auto field = item.record.begin();
      for (const auto c : by_name) {
        const auto& column = plan.columns[c].column;
        while (field != item.record.end() && field->first < column) ++field;
        values[c] = field != item.record.end() && field->first == column ? &field->second : nullptr;
      }
      for (std::size_t c = 0; c < plan.columns.size(); ++c) add(c + 2, values[c]);
      first = false;
    }
    for (auto& a : arrays) a += '}';
    const auto r = tx.exec_prepared(plan.upsert_name, pqxx::prepare::make_dynamic_params(arrays));
    struct Row {
      long long id;
      bool inserted;
      std::string status;
    };
    std::unordered_map<std::string, Row> done;
    done.reserve(r.size());
    for (const auto& row : r)
      done[row[1].as<std::string>()] = {row[0].as<long long>(), row[2].as<bool>(),
                                        row[3].as<std::string>()};
    std::vector<std::string> unchanged;
    for (const auto k : winners)
      if (!done.count(items[k].nkey)) unchanged.push_back(items[k].nkey);
    std::unordered_map<std::string, Row> kept;
    if (!unchanged.empty()) {
      for (const auto& row : tx.exec_prepared(plan.lookup_name, store::pg_array_literal(unchanged)))
        kept[row[1].as<std::string>()] = {row[0].as<long long>(), false, row[2].as<std::string>()};
    }
    for (auto k : ks) {
      auto& res = results[items[k].index];
      res.table = table;
      const auto& nkey = items[k].nkey;
      if (auto it = done.find(nkey); it != done.end()) {
        res.outcome =
            it->second.inserted ? ApplyResult::Outcome::kInserted : ApplyResult::Outcome::kUpdated;
        res.id = it->second.id;
        res.payment_status = it->second.status;
      } else if (auto jt = kept.find(nkey); jt != kept.end()) {
        res.outcome = ApplyResult::Outcome::kUnchanged;
        res.id = jt->second.id;
        res.payment_status = jt->second.status;
      } else {
        res.error = "row for natural key vanished during the upsert";
      }
      if (!wins[k] && res.ok()) res.outcome = ApplyResult::Outcome::kUnchanged;
    }
    // The rows written, in natural-key order as before.
    std::vector<const Row*> written_rows;
    written_rows.reserve(done.size());
    for (const auto k : winners)
      if (auto it = done.find(items[k].nkey); it != done.end()) written_rows.push_back(&it->second);
    if (type == "external.state")
      for (const auto* row : written_rows) states_changed.push_back(std::to_string(row->id));
    if (is_payment_type(type))
      for (const auto* row : written_rows)
        if (row->status != "unidentified") paid_changed.push_back(std::to_string(row->id));
    if (is_payment_type(type))
      for (const auto* row : written_rows) payments_written.push_back(std::to_string(row->id));
    if (type == "payment.cancelled")
      for (const auto* row : written_rows) cancellations_written.push_back(std::to_string(row->id));
    if (type == "account.upsert")
      for (const auto* row : written_rows) accounts_changed.push_back(std::to_string(row->id));
    if (type == "payment_document.issued")
      for (const auto* row : written_rows) documents_changed.push_back(std::to_string(row->id));
  }
  if (!cancellations_written.empty() || !payments_written.empty())
    apply_cancellations(tx, cancellations_written, payments_written);
  if (!states_changed.empty()) apply_external_results(tx, states_changed);
  std::size_t reidentified = 0;
  if (!accounts_changed.empty() || !documents_changed.empty()) {
    for (auto& id : reidentify(tx, accounts_changed, documents_changed)) {
      paid_changed.push_back(std::move(id));
      ++reidentified;
    }
  }
  if (!paid_changed.empty()) record_payment_readings(tx, paid_changed);

  if (own) own->commit();
  count(messages, results, reidentified);
  return results;
}

std::vector<std::string> BillingStore::reidentify(pqxx::transaction_base& tx,
                                                  const std::vector<std::string>& account_ids,
                                                  const std::vector<std::string>& document_ids) {
  // From the accounts and documents just written to the unidentified payments naming them, each
  // key through its partial index (only unidentified rows are in it). `= ANY(ARRAY(...))` keeps
  // every branch an index scan whatever the statistics say: right after a bulk load they are
  // stale and joins were planned as scans of the whole payment table (314 accounts/s).
  static constexpr const char* kFind = "billing_reidentify_find";
  tx.conn().prepare(kFind, R"SQL(
WITH a AS (SELECT number, els, izhku FROM billing.account WHERE id = ANY($1::bigint[])),
c AS (
  SELECT p.id FROM billing.payment p
   WHERE p.status = 'unidentified' AND p.payer_account = ANY(ARRAY(SELECT number FROM a))
  UNION SELECT p.id FROM billing.payment p
   WHERE p.status = 'unidentified' AND p.payer_els = ANY(ARRAY(SELECT els FROM a))
  UNION SELECT p.id FROM billing.payment p
   WHERE p.status = 'unidentified' AND p.payer_izhku = ANY(ARRAY(SELECT izhku FROM a))
  UNION SELECT p.id FROM billing.payment p
   WHERE p.status = 'unidentified'
     AND split_part(coalesce(p.payer_izhku, p.payer_ipd), '-', 1) = ANY(ARRAY(SELECT els FROM a))
  UNION SELECT p.id FROM billing.payment p
   WHERE p.status = 'unidentified'
     AND p.payer_ipd = ANY(ARRAY(SELECT ipd FROM billing.payment_document
                                  WHERE id = ANY($2::bigint[]) AND ipd IS NOT NULL)))
SELECT p.id, coalesce(p.payer_account, ''), coalesce(p.payer_els, ''),
       coalesce(p.payer_izhku, ''), coalesce(p.payer_ipd, ''), coalesce(p.payer_name, ''),
       coalesce(p.payer_address, '')
  FROM billing.payment p
 WHERE p.id = ANY(ARRAY(SELECT id FROM c)) AND p.message_type = 'payment.received'
)SQL");
  static constexpr const char* kMark = "billing_reidentify_mark";
  tx.conn().prepare(kMark, R"SQL(
UPDATE billing.payment p
   SET status = 'identified', account_id = v.account_id, ident_method = v.method,
       ident_score = v.score, unidentified_reason = NULL, reason_text = NULL, checked_at = NULL,
       candidates = NULL, payment_message_id = NULL
  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::numeric[]) AS v(id, account_id, method,
                                                                          score)
 WHERE p.id = v.id AND p.status = 'unidentified'
)SQL");
  const auto r = tx.exec_prepared(kFind, store::pg_array_literal(account_ids),
                                  store::pg_array_literal(document_ids));
  if (r.empty()) return {};
  std::vector<std::string> ids;
  std::vector<PayerRef> payers;
  for (const auto& row : r) {
    ids.push_back(row[0].as<std::string>());
    payers.push_back({row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(),
                      row[4].as<std::string>(), row[5].as<std::string>(),
                      row[6].as<std::string>()});
  }
  const auto found = identifier_.identify_batch(tx, payers);
  std::vector<std::string> marked, account, method, score;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!found[i].identified()) continue;
    marked.push_back(ids[i]);
    account.push_back(std::to_string(found[i].account_id));
    method.push_back(found[i].method);
    score.push_back(format_score(found[i].score));
  }
  if (!marked.empty())
    tx.exec_prepared(kMark, store::pg_array_literal(marked), store::pg_array_literal(account),
                     store::pg_array_literal(method), store::pg_array_literal(score));
  return marked;
}

std::optional<Record> BillingStore::load_record(pqxx::transaction_base& tx, const std::string& type,
                                                long long id) {
  const TypeSpec* spec = find_type_spec(type);
  if (!spec) return std::nullopt;
  const auto cols = columns_of(spec->fields);
  std::string sql = "SELECT t.id";
  for (const auto& c : cols) sql += ", " + select_expr(c);
  sql += " FROM billing." + spec->table + " t WHERE t.id = $1";
  if (type == "payment.unidentified") sql += " AND t.status = 'unidentified'";
  const std::string name = "billing_load_" + spec->type;
  tx.conn().prepare(name, sql);
  const auto r = tx.exec_prepared(name, id);
  if (r.empty()) return std::nullopt;
  Record rec;
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const auto f = r[0][static_cast<int>(c + 1)];
    if (!f.is_null()) rec[cols[c].column] = f.as<std::string>();
  }
  return rec;
}

std::optional<Envelope> BillingStore::build(const std::string& type, long long id) {
  const TypeSpec* spec = find_type_spec(type);
  if (!spec) return std::nullopt;
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  auto rec = load_record(tx, type, id);
  if (!rec) return std::nullopt;
  const auto meta = tx.exec_params(
      "SELECT updated_at::text, message_id::text FROM billing." + spec->table + " WHERE id = $1",
      id);
  Envelope e;
  e.type = type;
  e.source = "billing_store";
  e.occurred_at = std::chrono::system_clock::now();
  e.idempotency_key =
      "billing:" + spec->table + ":" + std::to_string(id) + ":" + meta[0][0].as<std::string>();
  if (!meta[0][1].is_null()) e.causation_id = meta[0][1].as<std::string>();
  e.headers["billing.id"] = std::to_string(id);
  e.body = write_body(spec->root, spec->fields, *rec);
  return e;
}

}  // namespace hub::billing
