#include "hub/billing/billing_export.h"

#include <stdexcept>

#include "hub/billing/canonical_mapping.h"
#include "hub/billing/type_specs.h"
#include "hub/store/pg_array.h"

namespace hub::billing {

namespace {

constexpr ExportTarget kTargets[] = {
    {"house.upsert", "fias_guid", "gis_house_guid"},
    {"premise.upsert", "number", "gis_premises_guid"},
    {"account.upsert", "number", "gis_account_guid"},
    {"meter.upsert", "meter_id", "gis_root_guid"},
    {"payment_document.issued", "document_number", "gis_payment_document_guid"},
};

const ExportTarget* find_target(const std::string& type) {
  for (const auto& t : kTargets) {
    if (type == t.type) return &t;
  }
  return nullptr;
}

// The lexical form the canonical body wants (timestamps in UTC with Z), as in billing_store.cpp.
std::string select_expr(const ColumnSpec& c) {
  const std::string col = "t." + c.column;
  if (!c.json && c.kind == FieldKind::kTimestamp)
    return "(to_json(" + col + " AT TIME ZONE 'UTC')#>>'{}') || 'Z'";
  return col + "::text";
}

std::string filter_sql(const ExportTarget& t, plugin::ExportFilter f) {
  const std::string guid = std::string("t.") + t.guid;
  switch (f) {
    case plugin::ExportFilter::kAll:
      return "";
    case plugin::ExportFilter::kWithoutExternalId:
      return " AND " + guid + " IS NULL AND t.ext_error_code IS NULL";
    case plugin::ExportFilter::kWithExternalId:
      return " AND " + guid + " IS NOT NULL";
    case plugin::ExportFilter::kWithError:
      return " AND t.ext_error_code IS NOT NULL";
  }
  return "";
}

}  // namespace

std::span<const ExportTarget> export_targets() {
  return kTargets;
}

std::vector<plugin::ExportedObject> PgBillingExport::page(const plugin::ExportQuery& q) {
  return select(q, {});
}

std::vector<plugin::ExportedObject> PgBillingExport::find(const std::string& type,
                                                          const std::vector<std::string>& refs) {
  std::vector<plugin::ExportedObject> out;
  if (refs.empty()) return out;
  plugin::ExportQuery q{type, plugin::ExportFilter::kAll, 0, 1000};
  for (;;) {
    auto page = select(q, refs);
    if (page.empty()) break;
    q.after_id = page.back().id;
    for (auto& o : page) out.push_back(std::move(o));
  }
  return out;
}

std::vector<plugin::ExportedObject> PgBillingExport::select(const plugin::ExportQuery& q,
                                                            const std::vector<std::string>& refs) {
  const ExportTarget* target = find_target(q.type);
  const TypeSpec* spec = find_type_spec(q.type);
  if (!target || !spec)
    throw std::invalid_argument("billing export: cannot export type '" + q.type + "'");
  const auto cols = columns_of(spec->fields);
  std::string sql = std::string("SELECT t.id, t.") + target->ref + ", coalesce(t." + target->guid +
                    ", ''), coalesce(t.ext_error_code, ''), coalesce(t.ext_error_text, '')";
  for (const auto& c : cols) sql += ", " + select_expr(c);
  sql += " FROM billing." + spec->table + " t WHERE t.id > $1" + filter_sql(*target, q.filter) +
         (refs.empty() ? "" : std::string(" AND t.") + target->ref + " = ANY($3::text[])") +
         " ORDER BY t.id LIMIT $2";
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = refs.empty() ? tx.exec_params(sql, static_cast<long long>(q.after_id),
                                                 static_cast<long long>(q.limit))
                                : tx.exec_params(sql, static_cast<long long>(q.after_id),
                                                 static_cast<long long>(q.limit),
                                                 store::pg_array_literal(refs));
  std::vector<plugin::ExportedObject> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    plugin::ExportedObject o;
    o.id = row[0].as<std::int64_t>();
    o.ref = row[1].is_null() ? "" : row[1].c_str();
    o.external_id = row[2].c_str();
    o.error_code = row[3].c_str();
    o.error_text = row[4].c_str();
    Record rec;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const auto f = row[static_cast<int>(c + 5)];
      if (!f.is_null()) rec[cols[c].column] = f.c_str();
    }
    o.body = write_body(spec->root, spec->fields, rec);
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<plugin::PlacementCount> PgBillingExport::placement() {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  std::vector<plugin::PlacementCount> out;
  for (const auto& t : kTargets) {
    const TypeSpec* spec = find_type_spec(t.type);
    if (!spec) continue;
    const auto r = tx.exec(std::string("SELECT count(*), count(*) FILTER (WHERE ") + t.guid +
                           " IS NULL), count(*) FILTER (WHERE ext_error_code IS NOT NULL)"
                           " FROM billing." +
                           spec->table);
    out.push_back({t.type, r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>(),
                   r[0][2].as<std::int64_t>()});
  }
  return out;
}

std::vector<plugin::BillingExport::ErrorCount> PgBillingExport::errors() {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  std::vector<ErrorCount> out;
  std::vector<std::string> tables = {"house",   "premise", "account",         "meter",
                                     "reading", "payment", "payment_document"};
  for (const auto& table : tables) {
    const auto r = tx.exec("SELECT ext_error_code, count(*) FROM billing." + table +
                           " WHERE ext_error_code IS NOT NULL GROUP BY 1 ORDER BY 1");
    for (const auto& row : r) out.push_back({table, row[0].c_str(), row[1].as<std::int64_t>()});
  }
  return out;
}

}  // namespace hub::billing
