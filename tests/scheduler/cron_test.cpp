#include "hub/scheduler/cron.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace hub::scheduler {
namespace {

using TimePoint = CronExpr::TimePoint;

TimePoint utc(const std::string& iso) {  // "2025-03-30T01:30:00Z", optional ".mmm"
  std::tm tm{};
  const char* rest = strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  EXPECT_NE(rest, nullptr) << iso;
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (rest && *rest == '.') t += std::chrono::milliseconds(std::stoi(std::string(rest + 1, 3)));
  return t;
}

std::string iso(std::optional<TimePoint> t) {
  if (!t) return "never";
  const std::time_t s = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string next(const std::string& expr, const std::string& after,
                 const std::string& zone = "UTC") {
  return iso(CronExpr::parse(expr).next_after(utc(after), zone));
}

/// The first `n` fire times after `after`.
std::vector<std::string> series(const std::string& expr, const std::string& after,
                                const std::string& zone, int n) {
  const auto cron = CronExpr::parse(expr);
  std::vector<std::string> out;
  auto t = utc(after);
  for (int i = 0; i < n; ++i) {
    auto next = cron.next_after(t, zone);
    out.push_back(iso(next));
    if (!next) break;
    t = *next;
  }
  return out;
}

TEST(CronParse, AcceptsTheDocumentedForms) {
  for (const char* text : {"* * * * *",
                           "*/5 * * * *",
                           "0 0 1,15 * MON-FRI",
                           "0 30 2 * * ?",
                           "0 0 12 ? JAN-MAR SUN",
                           "@daily",
                           "@HOURLY",
                           "@yearly",
                           "@annually",
                           "@monthly",
                           "@weekly",
                           "@midnight",
                           "0 0 * * 7",
                           "5/15 * * * * *",
                           "0 9-17/2 * * 1-5",
                           "0 0 29 2 *",
                           "0 0 * * mon-sun",
                           "0 0 * * 5-7",
                           "  1   2  3  4  5  ",
                           "0-59/10 0,12 1-7 jan,jul ?",
                           "*/1 * * * * *"}) {
    EXPECT_NO_THROW(CronExpr::parse(text)) << text;
  }
}

struct Invalid {
  const char* text;
  const char* field;
  const char* token;
  const char* why;
};

TEST(CronParse, RejectsWithFieldTokenAndReason) {
  const std::vector<Invalid> cases = {
      {"* * * *", "expression", "* * * *", "expected 5 fields"},
      {"* * * * * * *", "expression", "* * * * * * *", "got 7"},
      {"", "expression", "", "got 0"},
      {"61 * * * *", "minute", "61", "out of range 0-59"},
      {"* 24 * * *", "hour", "24", "out of range 0-23"},
      {"* * 0 * *", "day-of-month", "0", "out of range 1-31"},
      {"* * 32 * *", "day-of-month", "32", "out of range 1-31"},
      {"* * * 13 *", "month", "13", "out of range 1-12"},
      {"* * * FOO *", "month", "FOO", "month name"},
      {"* * * * 8", "day-of-week", "8", "out of range 0-7"},
      {"* * * * FUN", "day-of-week", "FUN", "day name"},
      {"60 * * * * *", "second", "60", "out of range 0-59"},
      {"*/0 * * * *", "minute", "*/0", "at least 1"},
      {"*/x * * * *", "minute", "*/x", "positive number"},
      {"0/61 * * * * *", "second", "0/61", "larger than the field's range"},
      {"5-1 * * * *", "minute", "5-1", "greater than its end"},
      {"? * * * *", "minute", "?", "only allowed in day-of-month and day-of-week"},
      {"1,,2 * * * *", "minute", "1,,2", "empty list element"},
      {"a * * * *", "minute", "a", "not a number"},
      {"-5 * * * *", "minute", "-5", "empty value"},
      {"@reboot", "macro", "@reboot", "unknown macro"},
      {"0 0 30 2 *", "day-of-month", "30", "never fires"},
      {"0 0 31 4,6,9,11 *", "day-of-month", "31", "never fires"},
      {"0 0 30,31 FEB ?", "day-of-month", "30,31", "never fires"},
  };
  for (const auto& c : cases) {
    try {
      CronExpr::parse(c.text);
      ADD_FAILURE() << "accepted: '" << c.text << "'";
    } catch (const CronError& e) {
      EXPECT_EQ(e.field(), c.field) << c.text << " → " << e.what();
      EXPECT_EQ(e.token(), c.token) << c.text << " → " << e.what();
      const std::string what = e.what();
      EXPECT_NE(what.find(c.why), std::string::npos) << c.text << " → " << what;
      EXPECT_NE(what.find(std::string("cron '") + c.text + "'"), std::string::npos) << what;
    }
  }
}

TEST(CronNext, FieldsStepsAndSeconds) {
  EXPECT_EQ(next("*/15 * * * * *", "2025-05-05T12:00:07Z"), "2025-05-05T12:00:15Z");
  // Strictly after, from a fractional instant too.
  EXPECT_EQ(next("*/15 * * * * *", "2025-05-05T12:00:15Z"), "2025-05-05T12:00:30Z");
  EXPECT_EQ(next("*/15 * * * * *", "2025-05-05T12:00:15.500Z"), "2025-05-05T12:00:30Z");
  EXPECT_EQ(next("* * * * *", "2025-05-05T12:00:00.500Z"), "2025-05-05T12:01:00Z");
  EXPECT_EQ(next("5/20 * * * * *", "2025-05-05T12:00:46Z"), "2025-05-05T12:01:05Z");
  EXPECT_EQ(next("0 9-17/4 * * *", "2025-05-05T13:00:00Z"), "2025-05-05T17:00:00Z");
  EXPECT_EQ(next("0 9-17/4 * * *", "2025-05-05T17:00:00Z"), "2025-05-06T09:00:00Z");
  EXPECT_EQ(next("59 23 31 12 *", "2025-01-01T00:00:00Z"), "2025-12-31T23:59:00Z");
  EXPECT_EQ(next("0 0 1 * *", "2025-12-15T10:00:00Z"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(next("@hourly", "2025-05-05T12:34:56Z"), "2025-05-05T13:00:00Z");
  EXPECT_EQ(next("@weekly", "2025-05-05T12:00:00Z"), "2025-05-11T00:00:00Z");  // a Sunday
  EXPECT_EQ(next("@yearly", "2025-05-05T12:00:00Z"), "2026-01-01T00:00:00Z");
}

TEST(CronNext, MonthEndsFireOnlyInMonthsThatHaveTheDay) {
  EXPECT_EQ(series("0 0 31 * *", "2025-01-31T00:00:00Z", "UTC", 6),
            (std::vector<std::string>{"2025-03-31T00:00:00Z", "2025-05-31T00:00:00Z",
                                      "2025-07-31T00:00:00Z", "2025-08-31T00:00:00Z",
                                      "2025-10-31T00:00:00Z", "2025-12-31T00:00:00Z"}));
  EXPECT_EQ(series("0 12 30 * *", "2025-01-30T12:00:00Z", "UTC", 2),
            (std::vector<std::string>{"2025-03-30T12:00:00Z", "2025-04-30T12:00:00Z"}));
  EXPECT_EQ(next("0 0 29-31 2 *", "2025-01-01T00:00:00Z"), "2028-02-29T00:00:00Z");
}

TEST(CronNext, LeapDayOnlyInLeapYears) {
  EXPECT_EQ(series("0 0 29 2 *", "2023-01-01T00:00:00Z", "UTC", 3),
            (std::vector<std::string>{"2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z",
                                      "2032-02-29T00:00:00Z"}));
  // 2100 is not a leap year (divisible by 100), 2000 was (divisible by 400).
  EXPECT_EQ(next("0 0 29 2 *", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00Z");
  EXPECT_EQ(next("0 0 29 2 *", "1997-03-01T00:00:00Z"), "2000-02-29T00:00:00Z");
  // Restricting the weekday as well makes it an OR: any Monday of February, or Feb 29.
  EXPECT_EQ(next("0 0 29 2 MON", "2025-02-25T00:00:00Z"), "2026-02-02T00:00:00Z");
  EXPECT_EQ(next("0 0 29 2 MON", "2028-02-28T00:00:00Z"), "2028-02-29T00:00:00Z");  // a Tuesday
}

TEST(CronNext, DayOfMonthAndDayOfWeek) {
  // Both restricted: either matches (2025-06-06 and 06-13 are Fridays; the 13th is too).
  EXPECT_EQ(series("0 0 13 * FRI", "2025-06-01T00:00:00Z", "UTC", 4),
            (std::vector<std::string>{"2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z",
                                      "2025-06-20T00:00:00Z", "2025-06-27T00:00:00Z"}));
  EXPECT_EQ(next("0 0 13 * *", "2025-06-01T00:00:00Z"), "2025-06-13T00:00:00Z");
  EXPECT_EQ(next("0 0 ? * FRI", "2025-06-07T00:00:00Z"), "2025-06-13T00:00:00Z");
  // 0, 7 and SUN are all Sunday; MON-SUN is every day; 5-7 is Friday to Sunday.
  for (const char* sunday : {"0 0 * * 0", "0 0 * * 7", "0 0 * * SUN", "0 0 * * sun"})
    EXPECT_EQ(next(sunday, "2025-06-02T00:00:00Z"), "2025-06-08T00:00:00Z") << sunday;
  EXPECT_EQ(next("0 0 * * MON-SUN", "2025-06-02T00:00:00Z"), "2025-06-03T00:00:00Z");
  EXPECT_EQ(series("0 0 * * 5-7", "2025-06-02T00:00:00Z", "UTC", 4),
            (std::vector<std::string>{"2025-06-06T00:00:00Z", "2025-06-07T00:00:00Z",
                                      "2025-06-08T00:00:00Z", "2025-06-13T00:00:00Z"}));
  EXPECT_EQ(next("0 0 1 JAN,jul *", "2025-02-01T00:00:00Z"), "2025-07-01T00:00:00Z");
}

TEST(CronNext, TimeZonesShiftTheSameWallClock) {
  const char* daily9 = "0 0 9 * * *";
  EXPECT_EQ(next(daily9, "2025-06-01T00:00:00Z", "UTC"), "2025-06-01T09:00:00Z");
  EXPECT_EQ(next(daily9, "2025-06-01T00:00:00Z", "Europe/Moscow"), "2025-06-01T06:00:00Z");
  // At 00:00Z it is already 10:00 in Vladivostok (UTC+10): the next 09:00 is tomorrow's.
  EXPECT_EQ(next(daily9, "2025-06-01T00:00:00Z", "Asia/Vladivostok"), "2025-06-01T23:00:00Z");
  // Moscow is the default zone, and has had no DST since 2014: same offset in January.
  EXPECT_EQ(iso(CronExpr::parse(daily9).next_after(utc("2025-01-10T00:00:00Z"))),
            "2025-01-10T06:00:00Z");
  // Midnight on the 1st in Moscow is still the previous month in UTC.
  EXPECT_EQ(next("0 0 1 * *", "2025-03-15T00:00:00Z", "Europe/Moscow"), "2025-03-31T21:00:00Z");
  EXPECT_THROW(CronExpr::parse(daily9).next_after(utc("2025-06-01T00:00:00Z"), "Mars/Olympus"),
               TimeZoneError);
}

// Europe/Berlin: 2025-03-30 02:00 CET → 03:00 CEST (01:00Z); 2025-10-26 03:00 CEST → 02:00 CET
// (01:00Z).
TEST(CronNext, DaylightSavingGapFiresOnceShiftedForward) {
  // 02:30 does not exist on 30 March: fires at 03:30 CEST (01:30Z), then at 02:30 CEST.
  EXPECT_EQ(series("30 2 * * *", "2025-03-29T12:00:00Z", "Europe/Berlin", 3),
            (std::vector<std::string>{"2025-03-30T01:30:00Z", "2025-03-31T00:30:00Z",
                                      "2025-04-01T00:30:00Z"}));
  // Hourly jobs just go on in real time: 01:00 CET (00:00Z), then 03:00 CEST (01:00Z).
  EXPECT_EQ(series("0 * * * *", "2025-03-29T23:30:00Z", "Europe/Berlin", 3),
            (std::vector<std::string>{"2025-03-30T00:00:00Z", "2025-03-30T01:00:00Z",
                                      "2025-03-30T02:00:00Z"}));
  // Two fixed times inside the gap stay two distinct runs after it.
  EXPECT_EQ(series("0,30 2 * * *", "2025-03-29T12:00:00Z", "Europe/Berlin", 2),
            (std::vector<std::string>{"2025-03-30T01:00:00Z", "2025-03-30T01:30:00Z"}));
}

TEST(CronNext, DaylightSavingOverlapFiresOnceForFixedTimesAndInBothPassesForHourly) {
  // 02:30 happens twice on 26 October: a nightly job runs at the first one only.
  EXPECT_EQ(series("30 2 * * *", "2025-10-25T12:00:00Z", "Europe/Berlin", 2),
            (std::vector<std::string>{"2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"}));
  // An every-30-minutes job keeps its rhythm through the repeated hour.
  EXPECT_EQ(series("*/30 * * * *", "2025-10-26T00:15:00Z", "Europe/Berlin", 4),
            (std::vector<std::string>{"2025-10-26T00:30:00Z", "2025-10-26T01:00:00Z",
                                      "2025-10-26T01:30:00Z", "2025-10-26T02:00:00Z"}));
  // A run in the second pass does not go back to the first pass.
  EXPECT_EQ(next("30 2 * * *", "2025-10-26T00:30:00Z", "Europe/Berlin"), "2025-10-27T01:30:00Z");
  // Counting: hourly fires 23 times on the short day and 25 times on the long day.
  auto count_day = [](const std::string& from, const std::string& to) {
    const auto cron = CronExpr::parse("0 * * * *");
    int n = 0;
    for (auto t = cron.next_after(utc(from), "Europe/Berlin"); t && *t < utc(to);
         t = cron.next_after(*t, "Europe/Berlin"))
      ++n;
    return n;
  };
  EXPECT_EQ(count_day("2025-03-29T22:59:59Z", "2025-03-30T22:00:00Z"), 23);
  EXPECT_EQ(count_day("2025-10-25T21:59:59Z", "2025-10-26T23:00:00Z"), 25);
}

TEST(CronLast, FindsTheLatestFireTimeAtOrBefore) {
  const auto utc_zone = TimeZone::locate("UTC");
  EXPECT_EQ(
      iso(CronExpr::parse("0 0 * * * *").last_at_or_before(utc("2025-05-05T12:34:56Z"), *utc_zone)),
      "2025-05-05T12:00:00Z");
  EXPECT_EQ(
      iso(CronExpr::parse("0 0 * * * *").last_at_or_before(utc("2025-05-05T12:00:00Z"), *utc_zone)),
      "2025-05-05T12:00:00Z");
  EXPECT_EQ(iso(CronExpr::parse("* * * * * *")
                    .last_at_or_before(utc("2025-05-05T12:00:00.700Z"), *utc_zone)),
            "2025-05-05T12:00:00Z");
  EXPECT_EQ(
      iso(CronExpr::parse("0 0 29 2 *").last_at_or_before(utc("2025-06-01T00:00:00Z"), *utc_zone)),
      "2024-02-29T00:00:00Z");
  EXPECT_EQ(
      iso(CronExpr::parse("0 9 * * *")
              .last_at_or_before(utc("2025-06-01T05:00:00Z"), *TimeZone::locate("Europe/Moscow"))),
      "2025-05-31T06:00:00Z");
}

}  // namespace
}  // namespace hub::scheduler

namespace hub::scheduler {
namespace {

// Property check against a brute force that walks minute by minute and asks glibc for the wall
// clock: for hourly-or-more-frequent expressions the rule is simply "every instant whose local
// wall time matches", in UTC as in a DST zone.
TEST(CronNext, AgreesWithBruteForceMinuteWalk) {
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi, int max_items) {
    std::set<int> v;
    const int n = std::uniform_int_distribution<int>(1, max_items)(rng);
    for (int i = 0; i < n; ++i) v.insert(std::uniform_int_distribution<int>(lo, hi)(rng));
    return v;
  };
  auto join = [](const std::set<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
  };
  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz ? old_tz : "";
  for (const char* zone : {"UTC", "Europe/Berlin", "America/New_York"}) {
    setenv("TZ", (std::string(":") + zone).c_str(), 1);
    tzset();
    for (int round = 0; round < 60; ++round) {
      const auto minutes = pick(0, 59, 3);
      const bool use_dom = rng() % 2, use_dow = rng() % 2;
      const auto doms = pick(1, 28, 3);
      const auto dows = pick(0, 6, 2);
      const std::string expr = join(minutes) + " * " + (use_dom ? join(doms) : "*") + " * " +
                               (use_dow ? join(dows) : "*");
      const auto cron = CronExpr::parse(expr);
      // Around DST changes of 2025 and random days.
      std::time_t start = std::vector<std::time_t>{
          1743292800, 1761436800, 1741500000, 1762000000,
          1700000000 + static_cast<std::time_t>(rng() % 50000000)}[round % 5];
      start += static_cast<std::time_t>(rng() % 7200) - 3600;
      const auto got = cron.next_after(std::chrono::system_clock::from_time_t(start), zone);
      std::time_t t = (start / 60 + 1) * 60;
      for (;; t += 60) {
        std::tm tm{};
        localtime_r(&t, &tm);
        const bool dom_ok = doms.count(tm.tm_mday) > 0, dow_ok = dows.count(tm.tm_wday) > 0;
        const bool day_ok = use_dom && use_dow ? (dom_ok || dow_ok)
                            : use_dom          ? dom_ok
                            : use_dow          ? dow_ok
                                               : true;
        if (day_ok && minutes.count(tm.tm_min) && tm.tm_sec == 0) break;
      }
      ASSERT_TRUE(got.has_value()) << expr;
      ASSERT_EQ(std::chrono::system_clock::to_time_t(*got), t)
          << expr << " in " << zone << " after " << start;
    }
  }
  if (old_tz)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

}  // namespace
}  // namespace hub::scheduler
