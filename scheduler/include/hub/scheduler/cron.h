#pragma once
// Cron expressions: when a scheduled job is due.
//
//   5 fields: minute hour day-of-month month day-of-week          "30 2 * * MON-FRI"
//   6 fields: second minute hour day-of-month month day-of-week   "*/10 * * * * *"
//   macros:   @yearly (@annually) @monthly @weekly @daily (@midnight) @hourly
//
// Each field is a comma list of `*`, `?` (day fields only; same as `*`), a value, a range `a-b`,
// each optionally stepped (`*/5`, `10-40/10`, `5/15` = from 5 to the field's end). Months take
// JAN..DEC, days of week SUN..SAT (0 and 7 are both Sunday; `MON-SUN` and `5-7` work as written).
// When both day fields are restricted a day matches either (classic cron OR); when one is `*` or
// `?` only the other counts. Unlike Vixie cron, `*/2` counts as restricted: only a bare `*`/`?`
// means "any day".
//
// An expression that can never fire (e.g. "0 0 30 2 *": 30 February) is rejected by parse();
// "0 0 29 2 *" is valid and fires in leap years only.
//
// Time zones and daylight-saving transitions (evaluated in an IANA zone, see time_zone.h):
//  - a wall time skipped by a spring-forward gap fires once, shifted forward by the gap's length
//    (02:30 in Berlin's 02:00→03:00 gap fires at 03:30 CEST), so a daily job is never lost —
//    unless the hour field is `*` (the job runs every hour anyway): then skipped times are skipped;
//  - a wall time repeated by a fall-back overlap fires once, at its first occurrence — unless the
//    hour field is `*`: then the job keeps its rhythm in real time and fires in both passes.
// This is what cronie does, and what operators expect of "nightly" and of "every 5 minutes".

#include <bitset>
#include <chrono>
#include <optional>
#include <string>

#include "hub/core/error.h"
#include "hub/scheduler/time_zone.h"

namespace hub::scheduler {

/// A malformed cron expression; the message names the expression, the field and the token.
class CronError : public Error {
 public:
  CronError(const std::string& expression, const std::string& field, const std::string& token,
            const std::string& why);
  const std::string& field() const { return field_; }
  const std::string& token() const { return token_; }

 private:
  std::string field_;
  std::string token_;
};

inline constexpr const char* kDefaultTimeZone = "Europe/Moscow";

class CronExpr {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// Parses and validates; throws CronError (names field and token).
  static CronExpr parse(const std::string& text);

  /// The first fire time strictly after `after`, in whole seconds, evaluated in `time_zone`.
  /// nullopt only when nothing fires within the next 10 years (cannot happen for expressions
  /// parse() accepts; kept so callers need no assumption). Throws TimeZoneError for a bad zone.
  std::optional<TimePoint> next_after(TimePoint after,
                                      const std::string& time_zone = kDefaultTimeZone) const;
  std::optional<TimePoint> next_after(TimePoint after, const TimeZone& zone) const;

  /// The last fire time at or before `at` (for misfire detection); nullopt when none in 10 years.
  std::optional<TimePoint> last_at_or_before(TimePoint at, const TimeZone& zone) const;

  const std::string& text() const { return text_; }

  /// The first matching wall-clock time at or after `local` (no zone involved), or nullopt when
  /// none before `limit`.
  std::optional<LocalSeconds> next_local_match(LocalSeconds local, LocalSeconds limit) const;

 private:
  bool day_matches(int year, int month, int day, int weekday) const;

  std::string text_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  ///< bits 1..31
  std::bitset<13> months_;         ///< bits 1..12
  std::bitset<7> days_of_week_;    ///< 0 = Sunday
  bool dom_any_ = true;
  bool dow_any_ = true;
};

}  // namespace hub::scheduler
