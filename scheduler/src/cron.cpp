#include "hub/scheduler/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <sstream>
#include <vector>

#include "civil.h"

namespace hub::scheduler {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kSearchHorizon = 10 * 366 * kDay;  // Feb 29 recurs within 8 years

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is value min+i... or nullptr
  int names_base;            // value of names[0]
  int names_count;
  bool allows_question;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0, 0, false};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0, 0, false};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0, 0, false};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr, 0, 0, true};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames, 1, 12, false};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, kDayNames, 0, 7, true};

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class FieldParser {
 public:
  FieldParser(const std::string& expr, const FieldSpec& spec, const std::string& field_text)
      : expr_(expr), spec_(spec), text_(field_text) {}

  /// Bit v set for each selected value v (day-of-week 7 folded onto 0).
  std::uint64_t parse() {
    std::uint64_t bits = 0;
    std::size_t start = 0;
    while (true) {
      const auto comma = text_.find(',', start);
      const std::string item =
          text_.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      bits |= parse_item(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (spec_.min == 0 && spec_.max == 7 && (bits & (1ull << 7))) bits = (bits & ~(1ull << 7)) | 1;
    return bits;
  }

 private:
  [[noreturn]] void fail(const std::string& token, const std::string& why) const {
    throw CronError(expr_, spec_.name, token, why);
  }

  int value(const std::string& token, const std::string& item) const {
    if (token.empty()) fail(item, "empty value");
    int v = 0;
    if (std::all_of(token.begin(), token.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      if (token.size() > 4) fail(token, "value out of range " + range_text());
      v = std::stoi(token);
    } else {
      const std::string u = upper(token);
      int found = -1;
      for (int i = 0; i < spec_.names_count; ++i)
        if (u == spec_.names[i]) found = spec_.names_base + i;
      if (found < 0) {
        if (spec_.names)
          fail(token,
               std::string("not a number or a ") +
                   (spec_.names == kMonthNames ? "month name (JAN..DEC)" : "day name (SUN..SAT)"));
        fail(token, "not a number");
      }
      v = found;
    }
    if (v < spec_.min || v > spec_.max) fail(token, "value out of range " + range_text());
    return v;
  }

  std::string range_text() const {
    return std::to_string(spec_.min) + "-" + std::to_string(spec_.max);
  }

  std::uint64_t parse_item(const std::string& item) {
    if (item.empty()) fail(text_, "empty list element");
    const auto slash = item.find('/');
    const std::string base = item.substr(0, slash);
    int step = 1;
    if (slash != std::string::npos) {
      const std::string step_text = item.substr(slash + 1);
      if (step_text.empty() || step_text.size() > 4 ||
          !std::all_of(step_text.begin(), step_text.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        fail(item, "step must be a positive number");
      step = std::stoi(step_text);
      if (step < 1) fail(item, "step must be at least 1");
      if (step > spec_.max - spec_.min + 1)
        fail(item, "step " + step_text + " is larger than the field's range " + range_text());
    }
    int lo = spec_.min, hi = spec_.max;
    if (base == "*" || base == "?") {
      if (base == "?" && !spec_.allows_question)
        fail(item, "'?' is only allowed in day-of-month and day-of-week");
      if (spec_.max == 7) hi = 6;  // '*' in day-of-week: 0..6, 7 would repeat Sunday
    } else if (const auto dash = base.find('-'); dash != std::string::npos) {
      lo = value(base.substr(0, dash), item);
      hi = value(base.substr(dash + 1), item);
      // SUN is 0 by name, but MON-SUN means Monday through Sunday.
      if (spec_.max == 7 && hi == 0 && lo > 0) hi = 7;
      if (lo > hi) fail(item, "range start is greater than its end");
    } else {
      lo = value(base, item);
      hi = slash == std::string::npos ? lo : spec_.max;
    }
    std::uint64_t bits = 0;
    for (int v = lo; v <= hi; v += step) bits |= 1ull << v;
    return bits;
  }

  const std::string& expr_;
  const FieldSpec& spec_;
  const std::string& text_;
};

template <std::size_t N>
std::bitset<N> to_bits(std::uint64_t v) {
  return std::bitset<N>(v);
}

/// The first set bit at or after `from`, or -1.
template <std::size_t N>
int next_bit(const std::bitset<N>& bits, int from) {
  for (int i = std::max(from, 0); i < static_cast<int>(N); ++i)
    if (bits[static_cast<std::size_t>(i)]) return i;
  return -1;
}

std::int64_t to_seconds(CronExpr::TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

CronExpr::TimePoint from_seconds(std::int64_t s) {
  return CronExpr::TimePoint(
      std::chrono::duration_cast<CronExpr::TimePoint::duration>(std::chrono::seconds(s)));
}

}  // namespace

CronError::CronError(const std::string& expression, const std::string& field,
                     const std::string& token, const std::string& why)
    : Error("cron '" + expression + "': " + field + " '" + token + "': " + why),
      field_(field),
      token_(token) {}

CronExpr CronExpr::parse(const std::string& text) {
  std::vector<std::string> fields;
  {
    std::istringstream in(text);
    std::string f;
    while (in >> f) fields.push_back(f);
  }
  if (fields.size() == 1 && !fields[0].empty() && fields[0][0] == '@') {
    static const std::array<std::pair<const char*, const char*>, 7> kMacros = {{
        {"@yearly", "0 0 0 1 1 *"},
        {"@annually", "0 0 0 1 1 *"},
        {"@monthly", "0 0 0 1 * *"},
        {"@weekly", "0 0 0 * * 0"},
        {"@daily", "0 0 0 * * *"},
        {"@midnight", "0 0 0 * * *"},
        {"@hourly", "0 0 * * * *"},
    }};
    std::string lower = fields[0];
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [name, expansion] : kMacros) {
      if (lower == name) {
        CronExpr e = parse(expansion);
        e.text_ = text;
        return e;
      }
    }
    throw CronError(text, "macro", fields[0],
                    "unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, "
                    "@midnight or @hourly");
  }
  if (fields.size() != 5 && fields.size() != 6)
    throw CronError(text, "expression", text,
                    "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with "
                    "seconds first), got " +
                        std::to_string(fields.size()));
  if (fields.size() == 5) fields.insert(fields.begin(), "0");

  CronExpr e;
  e.text_ = text;
  e.seconds_ = to_bits<60>(FieldParser(text, kSecond, fields[0]).parse());
  e.minutes_ = to_bits<60>(FieldParser(text, kMinute, fields[1]).parse());
  e.hours_ = to_bits<24>(FieldParser(text, kHour, fields[2]).parse());
  e.days_of_month_ = to_bits<32>(FieldParser(text, kDayOfMonth, fields[3]).parse());
  e.months_ = to_bits<13>(FieldParser(text, kMonth, fields[4]).parse());
  e.days_of_week_ = to_bits<7>(FieldParser(text, kDayOfWeek, fields[5]).parse());
  e.dom_any_ = fields[3] == "*" || fields[3] == "?";
  e.dow_any_ = fields[5] == "*" || fields[5] == "?";

  // With the day-of-week unrestricted, only day-of-month decides: some selected day must exist in
  // some selected month (in a leap year at best), or the job would never run.
  if (!e.dom_any_ && e.dow_any_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if (!e.months_[static_cast<std::size_t>(m)]) continue;
      for (int d = 1; d <= civil::days_in_month(2000, m); ++d)
        if (e.days_of_month_[static_cast<std::size_t>(d)]) possible = true;
    }
    if (!possible)
      throw CronError(
          text, "day-of-month", fields[3],
          "never fires: no selected month has this day (month field '" + fields[4] + "')");
  }
  return e;
}

bool CronExpr::day_matches(int year, int month, int day, int weekday) const {
  const bool dom = days_of_month_[static_cast<std::size_t>(day)];
  const bool dow = days_of_week_[static_cast<std::size_t>(weekday)];
  if (dom_any_ && dow_any_) return true;
  if (dom_any_) return dow;
  if (dow_any_) return dom;
  return dom || dow;
}

std::optional<LocalSeconds> CronExpr::next_local_match(LocalSeconds local,
                                                       LocalSeconds limit) const {
  std::int64_t days = civil::floor_div(local, kDay);
  std::int64_t sod = local - days * kDay;
  int h = static_cast<int>(sod / 3600), m = static_cast<int>(sod % 3600 / 60),
      s = static_cast<int>(sod % 60);
  const auto next_day = [&] {
    ++days;
    h = m = s = 0;
  };
  while (days * kDay <= limit) {
    const civil::Date date = civil::civil_from_days(days);
    if (!months_[static_cast<std::size_t>(date.month)]) {
      days += civil::days_in_month(date.year, date.month) - date.day + 1;  // 1st of next month
      h = m = s = 0;
      continue;
    }
    if (!day_matches(date.year, date.month, date.day, civil::weekday_from_days(days))) {
      next_day();
      continue;
    }
    const int hh = next_bit(hours_, h);
    if (hh < 0) {
      next_day();
      continue;
    }
    if (hh != h) {
      h = hh;
      m = s = 0;
    }
    const int mm = next_bit(minutes_, m);
    if (mm < 0) {
      ++h;
      m = s = 0;
      if (h == 24) next_day();
      continue;
    }
    if (mm != m) {
      m = mm;
      s = 0;
    }
    const int ss = next_bit(seconds_, s);
    if (ss < 0) {
      ++m;
      s = 0;
      if (m == 60) {
        m = 0;
        ++h;
        if (h == 24) next_day();
      }
      continue;
    }
    const LocalSeconds found = days * kDay + h * 3600 + mm * 60 + ss;
    if (found > limit) return std::nullopt;
    return found;
  }
  return std::nullopt;
}

std::optional<CronExpr::TimePoint> CronExpr::next_after(TimePoint after,
                                                        const std::string& time_zone) const {
  return next_after(after, *TimeZone::locate(time_zone));
}

std::optional<CronExpr::TimePoint> CronExpr::next_after(TimePoint after,
                                                        const TimeZone& zone) const {
  const SysSeconds a = to_seconds(after);
  // Hourly-or-more-often jobs follow real time through DST changes; the others follow the wall
  // clock and fire once per wall time (see the header).
  const bool every_hour = hours_.all();
  // Wall times are searched in order, but around a fall-back the wall clock runs backwards, so
  // the search starts at the earliest wall time any instant shortly after `a` can show.
  int lo = zone.offset_range(a + 1, a + 1 + 2 * kDay).first;
  if (!every_hour) {
    // A wall time in a spring-forward gap fires at (wall time - offset before the gap), which
    // lies within the gap's length after the transition: if `a` is that close after a forward
    // transition, search from the wall clock before it, or such a time would be missed.
    const auto& tr = zone.transitions();
    auto it =
        std::upper_bound(tr.begin(), tr.end(), a + 1 - 2 * kDay,
                         [](SysSeconds v, const TimeZone::Transition& t) { return v < t.at; });
    for (; it != tr.end() && it->at <= a + 1; ++it) {
      const int before = it == tr.begin() ? zone.offset_at(it->at - 1) : std::prev(it)->offset;
      if (before < it->offset && it->at + (it->offset - before) > a + 1) lo = std::min(lo, before);
    }
  }
  LocalSeconds local = a + 1 + lo;
  const LocalSeconds limit = local + kSearchHorizon;
  std::optional<SysSeconds> best;
  while (true) {
    const auto match = next_local_match(local, limit);
    if (!match) break;
    const LocalTimeInfo info = zone.resolve(*match);
    const auto offer = [&](SysSeconds c) {
      if (c > a && (!best || c < *best)) best = c;
    };
    switch (info.kind) {
      case LocalTimeInfo::Kind::kUnique:
        offer(info.first);
        break;
      case LocalTimeInfo::Kind::kOverlap:
        offer(info.first);
        if (every_hour) offer(info.second);
        break;
      case LocalTimeInfo::Kind::kGap:
        if (!every_hour) offer(info.first);
        break;
    }
    if (best) {
      // Later wall times can only give instants after `best` once wall - max offset > best.
      const int hi = zone.offset_range(a - kDay, *best + kDay).second;
      if (*match + 1 - hi > *best) break;
    }
    local = *match + 1;
  }
  if (!best) return std::nullopt;
  return from_seconds(*best);
}

std::optional<CronExpr::TimePoint> CronExpr::last_at_or_before(TimePoint at,
                                                               const TimeZone& zone) const {
  const TimePoint a = from_seconds(to_seconds(at));
  // Widen the look-back window until it holds a fire time, then walk forward to the last one:
  // the walk is short because the previous, narrower window held none.
  for (std::int64_t window : {std::int64_t{2}, std::int64_t{120}, std::int64_t{7200}, 2 * kDay,
                              35 * kDay, 400 * kDay, kSearchHorizon}) {
    auto t = next_after(a - std::chrono::seconds(window), zone);
    if (!t || *t > a) continue;
    TimePoint last = *t;
    while (true) {
      auto n = next_after(last, zone);
      if (!n || *n > a) return last;
      last = *n;
    }
  }
  return std::nullopt;
}

}  // namespace hub::scheduler
