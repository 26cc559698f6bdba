#pragma once
// Reads of hub.exchange_log: the raw requests and responses adapters exchanged with external
// systems (for GIS ZhKH: the signed request, its AckRequest or fault, every getState and its
// answer, all under our MessageGUID in correlation_id). Rows are written once and never changed,
// so ids give a stable order and a keyset for paging. Every call is one short read-only
// transaction; scan() reads through a server-side cursor and stops at a byte budget, so neither
// the hub nor its client holds more than one page of payloads.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hub/store/pool.h"

namespace hub::exchanges {

/// Which rows. Empty fields do not filter.
struct ExchangeFilter {
  std::string since;      ///< ISO 8601 timestamp or a relative age (15m, 2h, 7d): at >= since
  std::string until;      ///< the same: at < until
  std::string adapter;    ///< adapter instance
  std::string operation;  ///< e.g. importAccountData; also takes the getState rows of its requests
  std::string status;     ///< exact, or the first word ("fault" matches "fault FMT001300")
  std::string direction;  ///< "out" (requests) or "in" (responses)
  std::string message_guid;  ///< our MessageGUID (correlation_id)
};

struct ExchangeRow {
  std::int64_t id = 0;
  std::string at;  ///< UTC, fixed width: 2026-12-01T14:00:05.123456Z
  std::string adapter;
  std::string operation;
  std::string direction;  ///< "out" = request, "in" = response
  std::string message_guid;
  std::string status;
  std::int64_t payload_bytes = 0;
  std::string payload;  ///< filled by find() and scan() only
};

/// One request with its answer (either may be missing: no answer yet, a transport error).
struct ExchangePair {
  std::optional<ExchangeRow> request;
  std::optional<ExchangeRow> response;
};

/// What one scan() call covered.
struct ScanPage {
  std::size_t rows = 0;
  std::int64_t last_id = 0;  ///< the next page's after_id
  bool more = false;         ///< stopped by max_rows / max_bytes with rows left
};

/// A filter value the store cannot take (e.g. since=yesterday), naming the parameter.
class BadFilter : public std::invalid_argument {
 public:
  BadFilter(std::string parameter, const std::string& value, const std::string& expected)
      : std::invalid_argument("invalid " + parameter + " '" + value + "': expected " + expected),
        parameter_(std::move(parameter)) {}
  const std::string& parameter() const { return parameter_; }

 private:
  std::string parameter_;
};

class ExchangeLog {
 public:
  explicit ExchangeLog(store::Pool& pool) : pool_(pool) {}

  /// Newest first, without payloads. Throws BadFilter.
  std::vector<ExchangeRow> list(const ExchangeFilter& filter, std::size_t limit,
                                std::size_t offset);
  /// One row with its payload.
  std::optional<ExchangeRow> find(std::int64_t id);
  /// The request and the response row `id` belongs to (`id` is either), with payloads: a
  /// request's answer is the next "in" row of the same adapter, operation and MessageGUID.
  ExchangePair pair(std::int64_t id);
  /// Rows with id > after_id in id order, payloads included, through a cursor: stops after
  /// max_rows rows or once max_bytes of payload were handed over (at least one row a call).
  /// Throws BadFilter.
  ScanPage scan(const ExchangeFilter& filter, std::int64_t after_id, std::size_t max_rows,
                std::size_t max_bytes, const std::function<void(const ExchangeRow&)>& row);

 private:
  store::Pool& pool_;
};

/// SQL condition for a since/until value on `column`: a relative age (15m, 2h, 7d) or an ISO
/// timestamp; throws BadFilter naming `parameter` for anything else. Shared with the reports.
std::string time_condition(const std::string& column, const std::string& op,
                           const std::string& value, const std::string& parameter,
                           const std::function<std::string(const std::string&)>& quote);

}  // namespace hub::exchanges
