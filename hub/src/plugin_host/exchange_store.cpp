#include "hub/plugin_host/exchange_store.h"

#include <algorithm>
#include <stdexcept>

#include "hub/store/pg_array.h"

namespace hub::plugin_host {

namespace {

using Clock = std::chrono::system_clock;

// A record by its id, if it is this instance's. The adapter is compared with IS NOT DISTINCT
// FROM (the column is NOT NULL, so the same as `=`), which no index can serve: the row is found
// through the primary key. With `adapter = $1` the plan a connection keeps for its prepared
// update, made while the table was empty and both indexes looked alike, was a scan of the
// (adapter, key) index over every record of the adapter with `id = $2` as a filter: each update
// of a record read all of them (bench_gis_export: ~2.6 million index entries read at 200,000
// accounts, a cost growing with the square of the export).
constexpr const char* kThisRecord = " WHERE id = $2 AND adapter IS NOT DISTINCT FROM $1";

// The order read_row() reads; hub.gis_exchange_claim() (migration 0011) returns the same.
constexpr const char* kColumns =
    "id, key, operation, state, coalesce(request_id, ''), coalesce(ack_guid, ''),"
    " (extract(epoch FROM next_poll_at) * 1000)::bigint, polls, sends, coalesce(request, ''),"
    " coalesce(context, ''), objects::text, coalesce(result, ''), coalesce(error_code, ''),"
    " coalesce(error_text, ''), (extract(epoch FROM created_at) * 1000)::bigint,"
    " (extract(epoch FROM updated_at) * 1000)::bigint";

Clock::time_point from_ms(long long ms) {
  return Clock::time_point(std::chrono::milliseconds(ms));
}
long long to_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// PostgreSQL's text form of a text[]: {a,"b c"} with backslash escapes inside quotes.
std::vector<std::string> parse_text_array(const std::string& s) {
  std::vector<std::string> out;
  if (s.size() < 2) return out;
  std::string cur;
  bool quoted = false, in_item = false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    const char ch = s[i];
    if (quoted) {
      if (ch == '\\' && i + 2 < s.size()) {
        cur += s[++i];
      } else if (ch == '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      quoted = in_item = true;
    } else if (ch == ',') {
      out.push_back(cur);
      cur.clear();
      in_item = false;
    } else {
      cur += ch;
      in_item = true;
    }
  }
  if (in_item || !cur.empty()) out.push_back(cur);
  return out;
}

plugin::ExchangeRecord read_row(const pqxx::row& r) {
  plugin::ExchangeRecord e;
  e.id = r[0].as<std::int64_t>();
  e.key = r[1].c_str();
  e.operation = r[2].c_str();
  e.state = r[3].c_str();
  e.request_id = r[4].c_str();
  e.ack_guid = r[5].c_str();
  e.next_poll_at = from_ms(r[6].as<long long>());
  e.polls = r[7].as<int>();
  e.sends = r[8].as<int>();
  e.request = r[9].c_str();
  e.context = r[10].c_str();
  e.objects = parse_text_array(r[11].c_str());
  e.result = r[12].c_str();
  e.error_code = r[13].c_str();
  e.error_text = r[14].c_str();
  e.created_at = from_ms(r[15].as<long long>());
  e.updated_at = from_ms(r[16].as<long long>());
  return e;
}

std::optional<std::string> opt(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

plugin::ExchangeRecord PgExchangeStore::create(const plugin::ExchangeRecord& rec) {
  auto lease = pool_.lease();
  const auto next = rec.next_poll_at == Clock::time_point{} ? Clock::now() : rec.next_poll_at;
  // One prepared statement in its own implicit (durable) transaction: a bulk export creates a
  // record per request, and BEGIN, the INSERT parsed and planned anew, and COMMIT were three
  // round trips and a plan each time.
  lease.conn().prepare(
      "hub_gis_exchange_create",
      "INSERT INTO hub.gis_exchange (adapter, key, operation, state, request_id, ack_guid,"
      " next_poll_at, polls, sends, request, context, objects, result, error_code, error_text)"
      " VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::bigint / 1000.0), $8, $9, $10, $11,"
      " $12::text[], $13, $14, $15) ON CONFLICT (adapter, key) DO NOTHING"
      " RETURNING id, (extract(epoch FROM created_at) * 1000)::bigint,"
      " (extract(epoch FROM updated_at) * 1000)::bigint");
  pqxx::nontransaction tx(lease.conn());
  const auto inserted = tx.exec_prepared(
      "hub_gis_exchange_create", adapter_, rec.key, rec.operation, rec.state, opt(rec.request_id),
      opt(rec.ack_guid), to_ms(next), rec.polls, rec.sends, opt(rec.request), opt(rec.context),
      store::pg_array_literal(rec.objects), opt(rec.result), opt(rec.error_code),
      opt(rec.error_text));
  if (!inserted.empty()) {
    // Stored as given: only what the database assigned comes back (reading the row again sent
    // its request, tens of KB, back for each of an export's requests).
    plugin::ExchangeRecord out = rec;
    out.id = inserted[0][0].as<std::int64_t>();
    out.next_poll_at = from_ms(to_ms(next));
    out.created_at = from_ms(inserted[0][1].as<long long>());
    out.updated_at = from_ms(inserted[0][2].as<long long>());
    return out;
  }
  // The key was there already (a resumed job, a replayed message): the stored record, as it is.
  // The INSERT's implicit transaction has ended, so this reads a snapshot taken after it; the
  // record is never deleted, so it is found.
  const auto r = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM hub.gis_exchange WHERE adapter = $1 AND key = $2",
      adapter_, rec.key);
  if (r.empty())
    throw std::runtime_error("exchange '" + rec.key + "' of adapter '" + adapter_ +
                             "' conflicted on insert but cannot be read");
  return read_row(r[0]);
}

std::optional<plugin::ExchangeRecord> PgExchangeStore::find_by_key(const std::string& key) {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM hub.gis_exchange WHERE adapter = $1 AND key = $2",
      adapter_, key);
  if (r.empty()) return std::nullopt;
  return read_row(r[0]);
}

std::optional<plugin::ExchangeRecord> PgExchangeStore::find(std::int64_t id) {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM hub.gis_exchange" + kThisRecord, adapter_, id);
  if (r.empty()) return std::nullopt;
  return read_row(r[0]);
}

std::vector<plugin::ExchangeRecord> PgExchangeStore::claim_due(
    const std::vector<std::string>& states, std::size_t limit,
    std::chrono::milliseconds lease_for) {
  auto lease = pool_.lease();
  // One statement, its own (durable) transaction, prepared: every poller runs it every pass. The
  // function (migration 0011) leases the due rows oldest first with FOR UPDATE SKIP LOCKED by an
  // index scan (a bitmap scan re-read every dead index entry on each claim) and returns the
  // request only of records not yet acknowledged.
  lease.conn().prepare("hub_gis_exchange_claim",
                       "SELECT * FROM hub.gis_exchange_claim($1, $2::text[], $3, $4)");
  pqxx::nontransaction tx(lease.conn());
  const auto r =
      tx.exec_prepared("hub_gis_exchange_claim", adapter_, store::pg_array_literal(states),
                       static_cast<long long>(limit), static_cast<long long>(lease_for.count()));
  std::vector<plugin::ExchangeRecord> out;
  for (const auto& row : r) out.push_back(read_row(row));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.next_poll_at < b.next_poll_at; });
  return out;
}

namespace {

// request and context are tens of KB each and rarely change after the send; a poll's update that
// wrote them again made PostgreSQL compress and TOAST them again every time. Kept when equal, the
// row keeps the stored (compressed) value as it is; kept when not given (empty: a claimed
// acknowledged record comes without its request), nothing is compared or sent. The same for
// objects, which a claimed record never brings (migration 0023).
constexpr const char* kUpdateSet =
    "UPDATE hub.gis_exchange SET operation = $3, state = $4, request_id = $5, ack_guid = $6,"
    " next_poll_at = to_timestamp($7::bigint / 1000.0), polls = $8, sends = $9,"
    " request = CASE WHEN $10::text IS NULL OR request IS NOT DISTINCT FROM $10 THEN request"
    "   ELSE $10 END,"
    " context = CASE WHEN $11::text IS NULL OR context IS NOT DISTINCT FROM $11 THEN context"
    "   ELSE $11 END,"
    " objects = CASE WHEN cardinality($12::text[]) = 0 THEN objects ELSE $12::text[] END,"
    " result = $13, error_code = $14, error_text = $15,"
    " lease_until = NULL, updated_at = now()";

}  // namespace

void PgExchangeStore::write(const plugin::ExchangeRecord& rec, bool synced) {
  auto lease = pool_.lease();
  // One statement in its own implicit transaction: one round trip instead of BEGIN, UPDATE and
  // COMMIT; prepared, as every poller writes its records this way several times per request.
  // The unsynced form turns synchronous_commit off for that transaction only (set_config's
  // is_local), from a CTE joined to the row it updates.
  const char* name = synced ? "hub_gis_exchange_update" : "hub_gis_exchange_update_unsynced";
  lease.conn().prepare(
      name, synced ? std::string(kUpdateSet) + kThisRecord
                   : std::string("WITH unsynced AS (SELECT set_config('synchronous_commit',"
                                 " 'off', true)) ") +
                         kUpdateSet + " FROM unsynced" + kThisRecord);
  pqxx::nontransaction tx(lease.conn());
  const auto r =
      tx.exec_prepared(name, adapter_, rec.id, rec.operation, rec.state, opt(rec.request_id),
                       opt(rec.ack_guid), to_ms(rec.next_poll_at), rec.polls, rec.sends,
                       opt(rec.request), opt(rec.context), store::pg_array_literal(rec.objects),
                       opt(rec.result), opt(rec.error_code), opt(rec.error_text));
  if (r.affected_rows() != 1) {
    throw std::runtime_error("exchange " + std::to_string(rec.id) + " of adapter '" + adapter_ +
                             "' does not exist");
  }
}

void PgExchangeStore::update(const plugin::ExchangeRecord& rec) {
  write(rec, true);
}

void PgExchangeStore::update_unsynced(const plugin::ExchangeRecord& rec) {
  write(rec, false);
}

std::vector<std::string> PgExchangeStore::in_flight(const std::vector<std::string>& refs) {
  if (refs.empty()) return {};
  auto lease = pool_.lease();
  // Prepared, in its own implicit transaction (no BEGIN / SET TRANSACTION / COMMIT round trips):
  // the job asks before each chunk it sends.
  lease.conn().prepare(
      "hub_gis_exchange_in_flight",
      // hub.gis_exchange_object holds the objects of open exchanges (migration 0015): one
      // primary-key probe per ref. The LATERAL subquery with LIMIT cannot be flattened, so the
      // plan is a nested loop over the refs whatever the statistics say. `object = ANY($2)` let
      // the planner choose: between autovacuum runs the table holds hundreds of thousands of dead
      // rows (an export inserts and deletes 100 per request) beside a few thousand live ones,
      // and it took a sequential scan of all of them, 14-31 ms per page of 1,000 refs, the largest
      // statement of a bench_gis_export run; the probes take ~1.3 ms.
      "SELECT DISTINCT r.object FROM unnest($2::text[]) AS r(object)"
      " CROSS JOIN LATERAL (SELECT 1 FROM hub.gis_exchange_object x"
      "   WHERE x.object = r.object AND x.adapter = $1 LIMIT 1) AS open_exchange");
  pqxx::nontransaction tx(lease.conn());
  const auto r =
      tx.exec_prepared("hub_gis_exchange_in_flight", adapter_, store::pg_array_literal(refs));
  std::vector<std::string> out;
  for (const auto& row : r) out.push_back(row[0].c_str());
  return out;
}

std::vector<plugin::ExchangeCount> PgExchangeStore::counts() {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(
      "SELECT operation, state, coalesce(error_code, ''), count(*) FROM hub.gis_exchange"
      " WHERE adapter = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
      adapter_);
  std::vector<plugin::ExchangeCount> out;
  for (const auto& row : r) {
    out.push_back({row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].as<std::int64_t>()});
  }
  return out;
}

std::vector<plugin::ExchangeRecord> PgExchangeStore::list(const std::string& state,
                                                          std::size_t limit) {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(std::string("SELECT ") + kColumns +
                                    " FROM hub.gis_exchange WHERE adapter = $1"
                                    " AND ($2 = '' OR state = $2) ORDER BY id DESC LIMIT $3",
                                adapter_, state, static_cast<long long>(limit));
  std::vector<plugin::ExchangeRecord> out;
  for (const auto& row : r) out.push_back(read_row(row));
  return out;
}

}  // namespace hub::plugin_host
