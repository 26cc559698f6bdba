#include "hub/exchanges/gis_reports.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "hub/billing/billing_export.h"
#include "hub/billing/type_specs.h"
#include "hub/exchanges/exchange_log.h"

namespace hub::exchanges {

namespace {

constexpr const char* kIso = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

std::string iso(const std::string& column) {
  return std::string("to_char(") + column + " AT TIME ZONE 'UTC', " + kIso + ")";
}

/// The kind the adapter records for a canonical kind (only readings differ).
std::string recorded_kind(const std::string& kind) {
  return kind == "reading" ? "meter_reading" : kind;
}

void check_kind(const std::string& kind, const std::vector<std::string>& allowed) {
  if (kind.empty() || std::find(allowed.begin(), allowed.end(), kind) != allowed.end()) return;
  std::string list;
  for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
  throw BadFilter("kind", kind, "one of " + list);
}

struct PlacementTable {
  std::string kind;  ///< = the billing table
  const billing::ExportTarget* target;
};

std::vector<PlacementTable> placement_tables() {
  std::vector<PlacementTable> out;
  for (const auto& t : billing::export_targets()) {
    if (const auto* spec = billing::find_type_spec(t.type)) out.push_back({spec->table, &t});
  }
  return out;
}

}  // namespace

const std::vector<std::string>& gis_error_kinds() {
  static const std::vector<std::string> kinds = {
      "account", "payment_document", "meter", "reading", "payment", "house", "premise"};
  return kinds;
}

const std::vector<std::string>& gis_placement_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (const auto& t : placement_tables()) out.push_back(t.kind);
    return out;
  }();
  return kinds;
}

ErrorReport GisReports::errors(const ErrorQuery& q) {
  check_kind(q.kind, gis_error_kinds());
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  auto quote = [&tx](const std::string& s) { return tx.quote(s); };
  std::string filter = " WHERE true";
  if (!q.kind.empty()) filter += " AND e.kind = " + tx.quote(recorded_kind(q.kind));
  if (!q.since.empty()) filter += " AND " + time_condition("e.at", ">=", q.since, "since", quote);
  if (q.open_only) filter += " AND NOT e.resolved";
  // Per-object errors of the answers, then the requests that failed as a whole (their objects
  // are in hub.gis_exchange.objects as "kind:ref"; the whole-message external.state they also
  // produced names no objects, so nothing is counted twice).
  const std::string errors =
      "WITH raw AS ("
      " SELECT r->>'objectKind' AS kind, coalesce(r->>'objectRef', '') AS ref,"
      "        coalesce(x->>'code', '') AS code, coalesce(x->>'text', '') AS text,"
      "        coalesce(s.operation, '') AS operation, s.request_id AS guid,"
      "        coalesce(s.checked_at, s.updated_at) AS at, 'object' AS source"
      "   FROM billing.external_state s"
      "   CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(s.results) = 'array'"
      "                                          THEN s.results ELSE '[]' END) r"
      "   CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r->'error') = 'array'"
      "                                          THEN r->'error' ELSE '[]' END) x"
      "  WHERE s.system = 'gis_zhkh'"
      " UNION ALL"
      " SELECT split_part(o, ':', 1), substr(o, strpos(o, ':') + 1), coalesce(g.error_code, ''),"
      "        coalesce(g.error_text, ''), g.operation, coalesce(g.request_id, ''), g.updated_at,"
      "        'request'"
      "   FROM hub.gis_exchange g CROSS JOIN LATERAL unnest(g.objects) o"
      "  WHERE g.state = 'failed'),"
      // The last success GIS reported for each object: an error before it is resolved.
      " ok AS ("
      " SELECT r->>'objectKind' AS kind, r->>'objectRef' AS ref,"
      "        max(coalesce(s.checked_at, s.updated_at)) AS at"
      "   FROM billing.external_state s"
      "   CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(s.results) = 'array'"
      "                                          THEN s.results ELSE '[]' END) r"
      "  WHERE s.system = 'gis_zhkh' AND coalesce(jsonb_array_length(CASE WHEN"
      "        jsonb_typeof(r->'error') = 'array' THEN r->'error' END), 0) = 0"
      "  GROUP BY 1, 2),"
      " e AS (SELECT raw.*, coalesce(ok.at > raw.at, false) AS resolved FROM raw"
      "        LEFT JOIN ok ON ok.kind = raw.kind AND ok.ref = raw.ref)";
  ErrorReport out;
  pqxx::result counts;
  try {
    counts = tx.exec(errors + " SELECT e.kind, e.code, count(*) FROM e" + filter +
                     " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2");
  } catch (const pqxx::data_exception&) {  // a date the pattern lets through, e.g. 2026-13-01
    throw BadFilter("since", q.since, "a valid ISO 8601 timestamp");
  }
  for (const auto& r : counts) {
    std::string kind = r[0].c_str();
    if (kind == "meter_reading") kind = "reading";
    out.by_code.push_back({kind, r[1].c_str(), r[2].as<std::int64_t>()});
    out.total += r[2].as<std::int64_t>();
  }
  const auto items = tx.exec(
      errors + " SELECT e.kind, e.ref, e.code, e.text, e.operation, e.guid, " + iso("e.at") +
      ", e.source, e.resolved FROM e" + filter + " ORDER BY e.at DESC, e.kind, e.ref LIMIT " +
      std::to_string(q.limit) + " OFFSET " + std::to_string(q.offset));
  for (const auto& r : items) {
    ObjectError e;
    e.kind = r[0].c_str();
    if (e.kind == "meter_reading") e.kind = "reading";
    e.ref = r[1].c_str();
    e.code = r[2].c_str();
    e.text = r[3].c_str();
    e.operation = r[4].c_str();
    e.message_guid = r[5].c_str();
    e.at = r[6].c_str();
    e.source = r[7].c_str();
    e.resolved = r[8].as<bool>();
    out.items.push_back(std::move(e));
  }
  return out;
}

PlacementReport GisReports::placement(const PlacementQuery& q) {
  check_kind(q.kind, gis_placement_kinds());
  PlacementReport out;
  // The counts are the billing export's own (what the adapter's `report` job logs).
  billing::PgBillingExport store(pool_);
  const auto tables = placement_tables();
  for (const auto& c : store.placement()) {
    for (const auto& t : tables) {
      if (c.type != t.target->type || (!q.kind.empty() && q.kind != t.kind)) continue;
      out.counts.push_back({t.kind, c.total, c.without_external_id, c.with_error});
    }
  }
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  std::string sql;
  int order = 0;
  for (const auto& t : tables) {
    ++order;
    if (!q.kind.empty() && q.kind != t.kind) continue;
    if (!sql.empty()) sql += " UNION ALL ";
    sql += "SELECT " + std::to_string(order) + " AS o, " + tx.quote(t.kind) +
           " AS kind, t.id, coalesce(t." + t.target->ref +
           "::text, ''), coalesce(t.ext_error_code, ''), coalesce(t.ext_error_text, ''), " +
           iso("coalesce(t.ext_state_at, t.updated_at)") + " FROM billing." + t.kind +
           " t WHERE t." + t.target->guid + " IS NULL";
  }
  if (sql.empty()) return out;
  const auto r = tx.exec("SELECT kind, id, ref, code, text, at FROM (" + sql +
                         ") x(o, kind, id, ref, code, text, at) ORDER BY o, id LIMIT " +
                         std::to_string(q.limit) + " OFFSET " + std::to_string(q.offset));
  for (const auto& row : r) {
    UnplacedObject u;
    u.kind = row[0].c_str();
    u.id = row[1].as<std::int64_t>();
    u.ref = row[2].c_str();
    u.error_code = row[3].c_str();
    u.error_text = row[4].c_str();
    u.updated_at = row[5].c_str();
    out.items.push_back(std::move(u));
  }
  return out;
}

}  // namespace hub::exchanges
