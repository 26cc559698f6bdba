#include "hub/exchanges/exchange_log.h"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>
#include <regex>

namespace hub::exchanges {

namespace {

// Fixed width (microseconds always printed), so file names built from it sort by time.
constexpr const char* kAt = "to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

std::string columns(bool with_payload) {
  return std::string("l.id, ") + kAt +
         ", l.adapter, l.operation, l.direction, coalesce(l.correlation_id, ''),"
         " coalesce(l.status, ''), coalesce(octet_length(l.payload), 0)" +
         (with_payload ? ", coalesce(l.payload, '')" : "");
}

ExchangeRow read_row(const pqxx::row& r, bool with_payload) {
  ExchangeRow x;
  x.id = r[0].as<std::int64_t>();
  x.at = r[1].c_str();
  x.adapter = r[2].c_str();
  x.operation = r[3].c_str();
  x.direction = r[4].c_str();
  x.message_guid = r[5].c_str();
  x.status = r[6].c_str();
  x.payload_bytes = r[7].as<std::int64_t>();
  if (with_payload) x.payload = r[8].c_str();
  return x;
}

std::string where(pqxx::transaction_base& tx, const ExchangeFilter& f) {
  std::string w;
  auto add = [&](const std::string& cond) { w += (w.empty() ? " WHERE " : " AND ") + cond; };
  auto quote = [&tx](const std::string& s) { return tx.quote(s); };
  if (!f.since.empty()) add(time_condition("l.at", ">=", f.since, "since", quote));
  if (!f.until.empty()) add(time_condition("l.at", "<", f.until, "until", quote));
  if (!f.adapter.empty()) add("l.adapter = " + tx.quote(f.adapter));
  if (!f.direction.empty()) {
    if (f.direction != "in" && f.direction != "out")
      throw BadFilter("direction", f.direction, "in or out");
    add("l.direction = " + tx.quote(f.direction));
  }
  if (!f.status.empty())
    add("(l.status = " + tx.quote(f.status) + " OR l.status LIKE " +
        tx.quote(tx.esc_like(f.status) + " %") + ")");
  if (!f.message_guid.empty()) add("l.correlation_id = " + tx.quote(f.message_guid));
  if (!f.operation.empty()) {
    // getState rows carry the MessageGUID of the request they ask about, not its operation: an
    // operation's exchanges are its requests, their answers and the polls about them.
    add("(l.operation = " + tx.quote(f.operation) +
        " OR (l.operation = 'getState' AND l.correlation_id IN (SELECT o.correlation_id FROM "
        "hub.exchange_log o WHERE o.operation = " +
        tx.quote(f.operation) + " AND o.direction = 'out')))");
  }
  return w;
}

}  // namespace

std::string time_condition(const std::string& column, const std::string& op,
                           const std::string& value, const std::string& parameter,
                           const std::function<std::string(const std::string&)>& quote) {
  static const std::regex kRelative(R"(^(\d{1,6})([smhd])$)");
  static const std::regex kIso(
      R"(^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$)");
  std::smatch m;
  if (std::regex_match(value, m, kRelative)) {
    static const std::map<std::string, std::string> kUnits = {
        {"s", "seconds"}, {"m", "minutes"}, {"h", "hours"}, {"d", "days"}};
    return column + " " + op + " now() - interval '" + m[1].str() + " " + kUnits.at(m[2].str()) +
           "'";
  }
  if (!std::regex_match(value, kIso))
    throw BadFilter(parameter, value, "an ISO 8601 timestamp or a relative age like 15m, 2h, 7d");
  return column + " " + op + " " + quote(value) + "::timestamptz";
}

std::vector<ExchangeRow> ExchangeLog::list(const ExchangeFilter& filter, std::size_t limit,
                                           std::size_t offset) {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const std::string sql = "SELECT " + columns(false) + " FROM hub.exchange_log l" +
                          where(tx, filter) + " ORDER BY l.id DESC LIMIT " + std::to_string(limit) +
                          " OFFSET " + std::to_string(offset);
  pqxx::result r;
  try {
    r = tx.exec(sql);
  } catch (const pqxx::data_exception& e) {
    throw BadFilter("since/until", filter.since + " " + filter.until, "a valid timestamp");
  }
  std::vector<ExchangeRow> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(read_row(row, false));
  return out;
}

std::optional<ExchangeRow> ExchangeLog::find(std::int64_t id) {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r =
      tx.exec_params("SELECT " + columns(true) + " FROM hub.exchange_log l WHERE l.id = $1",
                     static_cast<long long>(id));
  if (r.empty()) return std::nullopt;
  return read_row(r[0], true);
}

ExchangePair ExchangeLog::pair(std::int64_t id) {
  ExchangePair out;
  auto row = find(id);
  if (!row) return out;
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  // The nearest row of the other direction about the same request; rows are appended in the
  // order the adapter sent and received, so the answer follows its request.
  const bool is_request = row->direction == "out";
  const auto r = tx.exec_params(
      "SELECT " + columns(true) +
          " FROM hub.exchange_log l WHERE l.adapter = $1 AND l.operation = $2"
          " AND l.correlation_id = $3 AND l.direction = $4 AND " +
          (is_request ? std::string("l.id > $5 ORDER BY l.id") : "l.id < $5 ORDER BY l.id DESC") +
          " LIMIT 1",
      row->adapter, row->operation, row->message_guid, is_request ? "in" : "out",
      static_cast<long long>(id));
  std::optional<ExchangeRow> other;
  if (!r.empty() && !row->message_guid.empty()) other = read_row(r[0], true);
  if (is_request) {
    out.request = std::move(row);
    out.response = std::move(other);
  } else {
    out.response = std::move(row);
    out.request = std::move(other);
  }
  return out;
}

ScanPage ExchangeLog::scan(const ExchangeFilter& filter, std::int64_t after_id,
                           std::size_t max_rows, std::size_t max_bytes,
                           const std::function<void(const ExchangeRow&)>& row) {
  constexpr std::size_t kFetch = 20;  // rows in memory at once
  ScanPage page;
  page.last_id = after_id;
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  std::string w = where(tx, filter);
  w += (w.empty() ? " WHERE " : " AND ") + std::string("l.id > ") + std::to_string(after_id);
  try {
    tx.exec("DECLARE exchange_scan NO SCROLL CURSOR FOR SELECT " + columns(true) +
            " FROM hub.exchange_log l" + w + " ORDER BY l.id");
  } catch (const pqxx::data_exception& e) {
    throw BadFilter("since/until", filter.since + " " + filter.until, "a valid timestamp");
  }
  std::size_t bytes = 0;
  max_rows = std::max<std::size_t>(max_rows, 1);  // FETCH 0 would mean "the current row"
  for (;;) {
    const auto want = std::min(kFetch, max_rows - page.rows);
    const auto r = tx.exec("FETCH " + std::to_string(want) + " FROM exchange_scan");
    for (std::size_t i = 0; i < r.size(); ++i) {
      auto x = read_row(r[static_cast<int>(i)], true);
      bytes += x.payload.size();
      row(x);
      ++page.rows;
      page.last_id = x.id;
      if (bytes >= max_bytes && i + 1 < r.size()) {
        page.more = true;
        return page;
      }
    }
    if (r.size() < want) return page;  // the end of the log
    if (page.rows >= max_rows || bytes >= max_bytes) {
      page.more = !tx.exec("FETCH 1 FROM exchange_scan").empty();
      return page;
    }
  }
}

}  // namespace hub::exchanges
