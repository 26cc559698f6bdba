#include "hub/scheduler/time_zone.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "civil.h"

namespace hub::scheduler {
namespace {

// The POSIX rule in a TZif footer is expanded into explicit transitions up to this year. Cron
// look-ahead never goes further than a few years past "now".
constexpr int kLastExpandedYear = 2400;

struct Reader {
  const std::string& name;
  const std::string& bytes;
  std::size_t pos = 0;

  [[noreturn]] void fail(const std::string& why) const {
    throw TimeZoneError("time zone '" + name + "': malformed TZif data at byte " +
                        std::to_string(pos) + ": " + why);
  }
  void need(std::size_t n) const {
    if (pos + n > bytes.size()) fail("truncated");
  }
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(bytes[pos++]);
  }
  std::int64_t be(int n) {  // big-endian signed integer of n bytes
    need(static_cast<std::size_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes[pos++]);
    if (n < 8 && (v >> (n * 8 - 1)) != 0) v |= ~std::uint64_t{0} << (n * 8);  // sign-extend
    return static_cast<std::int64_t>(v);
  }
  void skip(std::size_t n) {
    need(n);
    pos += n;
  }
};

struct Header {
  char version;
  std::int64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

Header read_header(Reader& r) {
  r.need(44);
  if (r.bytes.compare(r.pos, 4, "TZif") != 0) r.fail("not a TZif file (bad magic)");
  r.pos += 4;
  Header h{};
  h.version = static_cast<char>(r.u8());
  r.skip(15);
  h.isutcnt = r.be(4);
  h.isstdcnt = r.be(4);
  h.leapcnt = r.be(4);
  h.timecnt = r.be(4);
  h.typecnt = r.be(4);
  h.charcnt = r.be(4);
  if (h.typecnt < 1 || h.timecnt < 0 || h.charcnt < 0 || h.leapcnt < 0 || h.isutcnt < 0 ||
      h.isstdcnt < 0)
    r.fail("bad counts in header");
  return h;
}

// ---- POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), RFC 8536 section 3.3 ----

struct PosixDate {
  char kind = 'M';  // 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.day)
  int n = 0, month = 0, week = 0, weekday = 0;
  int time = 7200;  // seconds after local midnight, may be negative or past 24h
};

struct PosixRule {
  int std_offset = 0;  // seconds east of UTC (the sign is the opposite of the POSIX text)
  bool has_dst = false;
  int dst_offset = 0;
  PosixDate start, end;
};

class PosixParser {
 public:
  PosixParser(const std::string& zone, const std::string& text) : zone_(zone), s_(text) {}

  PosixRule parse() {
    PosixRule rule;
    name();
    rule.std_offset = -hms(24);
    if (at_end()) return rule;
    name();
    rule.has_dst = true;
    rule.dst_offset = rule.std_offset + 3600;
    if (!at_end() && peek() != ',') rule.dst_offset = -hms(24);
    if (at_end()) {  // POSIX default for a DST zone without rules: the US rule
      rule.start = PosixDate{'M', 0, 3, 2, 0, 7200};
      rule.end = PosixDate{'M', 0, 11, 1, 0, 7200};
      return rule;
    }
    expect(',');
    rule.start = date();
    expect(',');
    rule.end = date();
    if (!at_end()) fail("trailing characters");
    return rule;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw TimeZoneError("time zone '" + zone_ + "': bad POSIX TZ rule '" + s_ + "' at " +
                        std::to_string(i_) + ": " + why);
  }
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  void name() {
    if (peek() == '<') {
      auto close = s_.find('>', i_);
      if (close == std::string::npos) fail("unterminated <name>");
      i_ = close + 1;
      return;
    }
    const auto begin = i_;
    while (!at_end() && std::isalpha(static_cast<unsigned char>(peek()))) ++i_;
    if (i_ - begin < 3) fail("zone abbreviation too short");
  }
  int number() {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a number");
    int v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      v = v * 10 + (s_[i_++] - '0');
      if (v > 100000) fail("number too large");
    }
    return v;
  }
  // [+-]hh[:mm[:ss]] as seconds, keeping the textual sign.
  int hms(int max_hours) {
    int sign = 1;
    if (peek() == '+' || peek() == '-') sign = s_[i_++] == '-' ? -1 : 1;
    const int h = number();
    if (h > max_hours) fail("hours out of range");
    int v = h * 3600;
    if (peek() == ':') {
      ++i_;
      v += number() * 60;
      if (peek() == ':') {
        ++i_;
        v += number();
      }
    }
    return sign * v;
  }
  PosixDate date() {
    PosixDate d;
    if (peek() == 'J') {
      ++i_;
      d.kind = 'J';
      d.n = number();
      if (d.n < 1 || d.n > 365) fail("Jn out of range");
    } else if (peek() == 'M') {
      ++i_;
      d.kind = 'M';
      d.month = number();
      expect('.');
      d.week = number();
      expect('.');
      d.weekday = number();
      if (d.month < 1 || d.month > 12 || d.week < 1 || d.week > 5 || d.weekday > 6)
        fail("Mm.w.d out of range");
    } else {
      d.kind = 'N';
      d.n = number();
      if (d.n > 365) fail("n out of range");
    }
    if (peek() == '/') {
      ++i_;
      d.time = hms(167);
    }
    return d;
  }

  const std::string& zone_;
  const std::string& s_;
  std::size_t i_ = 0;
};

// Local midnight (as days since epoch) of the rule's date in `year`.
std::int64_t rule_day(const PosixDate& d, int year) {
  const std::int64_t jan1 = civil::days_from_civil(year, 1, 1);
  switch (d.kind) {
    case 'J':
      return jan1 + d.n - 1 + (civil::is_leap(year) && d.n >= 60 ? 1 : 0);
    case 'N':
      return jan1 + d.n;
    default: {
      const std::int64_t first = civil::days_from_civil(year, d.month, 1);
      const int wd = civil::weekday_from_days(first);
      std::int64_t day = first + (d.weekday - wd + 7) % 7 + 7 * (d.week - 1);
      const std::int64_t next_month = first + civil::days_in_month(year, d.month);
      while (day >= next_month) day -= 7;  // week 5 = the last such weekday
      return day;
    }
  }
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::from_tzif(const std::string& name,
                                                    const std::string& bytes) {
  Reader r{name, bytes};
  Header h = read_header(r);
  int time_size = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block: the 64-bit one that follows covers the same data and more.
    r.skip(static_cast<std::size_t>(h.timecnt * 5 + h.typecnt * 6 + h.charcnt + h.leapcnt * 8 +
                                    h.isstdcnt + h.isutcnt));
    h = read_header(r);
    time_size = 8;
  }
  std::vector<std::int64_t> times(static_cast<std::size_t>(h.timecnt));
  for (auto& t : times) t = r.be(time_size);
  std::vector<std::uint8_t> idx(static_cast<std::size_t>(h.timecnt));
  for (auto& i : idx) {
    i = r.u8();
    if (i >= h.typecnt) r.fail("transition type index out of range");
  }
  std::vector<int> type_offset(static_cast<std::size_t>(h.typecnt));
  for (auto& off : type_offset) {
    off = static_cast<int>(r.be(4));
    r.skip(2);  // isdst, abbreviation index: not needed to compute wall-clock time
    if (off < -26 * 3600 || off > 26 * 3600) r.fail("UTC offset out of range");
  }
  r.skip(
      static_cast<std::size_t>(h.charcnt + h.leapcnt * (time_size + 4) + h.isstdcnt + h.isutcnt));

  std::shared_ptr<TimeZone> tz(new TimeZone());
  tz->name_ = name;
  tz->initial_offset_ = type_offset[0];
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (i > 0 && times[i] <= times[i - 1]) r.fail("transition times not ascending");
    tz->transitions_.push_back({times[i], type_offset[idx[i]]});
  }

  if (h.version >= '2' && r.pos < bytes.size()) {
    if (bytes[r.pos] != '\n') r.fail("footer does not start with a newline");
    const auto end = bytes.find('\n', r.pos + 1);
    if (end == std::string::npos) r.fail("unterminated footer");
    const std::string footer = bytes.substr(r.pos + 1, end - r.pos - 1);
    if (!footer.empty()) {
      const PosixRule rule = PosixParser(name, footer).parse();
      const std::int64_t last = tz->transitions_.empty() ? INT64_MIN : tz->transitions_.back().at;
      int current = tz->transitions_.empty() ? tz->initial_offset_ : tz->transitions_.back().offset;
      auto add = [&](SysSeconds at, int offset) {
        if (at <= last || offset == current) return;
        tz->transitions_.push_back({at, offset});
        current = offset;
      };
      if (!rule.has_dst) {
        add(last == INT64_MIN ? INT64_MIN + 1 : last + 1, rule.std_offset);
      } else {
        const int first_year =
            last == INT64_MIN ? 1970 : civil::civil_from_days(civil::floor_div(last, 86400)).year;
        for (int y = first_year; y <= kLastExpandedYear; ++y) {
          // The start time is given in standard time, the end time in daylight time.
          const SysSeconds start =
              rule_day(rule.start, y) * 86400 + rule.start.time - rule.std_offset;
          const SysSeconds stop = rule_day(rule.end, y) * 86400 + rule.end.time - rule.dst_offset;
          if (start < stop) {
            add(start, rule.dst_offset);
            add(stop, rule.std_offset);
          } else {  // southern hemisphere: DST spans the new year
            add(stop, rule.std_offset);
            add(start, rule.dst_offset);
          }
        }
      }
    }
  }
  return tz;
}

std::shared_ptr<const TimeZone> TimeZone::locate(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;

  const bool safe = !name.empty() && name.front() != '/' && name.find("..") == std::string::npos &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' ||
                             c == '-' || c == '+';
                    });
  if (!safe) throw TimeZoneError("time zone '" + name + "': not a valid IANA zone name");

  const char* dir = std::getenv("TZDIR");
  const std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + name;
  std::ifstream in(path, std::ios::binary);
  std::shared_ptr<const TimeZone> tz;
  if (!in) {
    if (name != "UTC" && name != "Etc/UTC")
      throw TimeZoneError("time zone '" + name + "': unknown (no " + path +
                          "; is the tzdata package installed?)");
    std::shared_ptr<TimeZone> utc(new TimeZone());  // UTC needs no database
    utc->name_ = name;
    tz = utc;
  } else {
    std::ostringstream buf;
    buf << in.rdbuf();
    tz = from_tzif(name, buf.str());
  }
  cache.emplace(name, tz);
  return tz;
}

int TimeZone::offset_at(SysSeconds t) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t,
                             [](SysSeconds v, const Transition& tr) { return v < tr.at; });
  return it == transitions_.begin() ? initial_offset_ : std::prev(it)->offset;
}

std::pair<int, int> TimeZone::offset_range(SysSeconds from, SysSeconds to) const {
  int lo = offset_at(from), hi = lo;
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), from,
                             [](SysSeconds v, const Transition& tr) { return v < tr.at; });
  for (; it != transitions_.end() && it->at <= to; ++it) {
    lo = std::min(lo, it->offset);
    hi = std::max(hi, it->offset);
  }
  return {lo, hi};
}

LocalTimeInfo TimeZone::resolve(LocalSeconds local) const {
  // An instant for `local` is local - offset for an offset in effect at that instant; offsets are
  // within +-26 h, so only offsets in effect within that window of `local` can qualify.
  constexpr SysSeconds kWindow = 30 * 3600;
  std::vector<SysSeconds> found;
  const auto consider = [&](int offset) {
    const SysSeconds u = local - offset;
    if (offset_at(u) == offset && std::find(found.begin(), found.end(), u) == found.end())
      found.push_back(u);
  };
  consider(offset_at(local - kWindow));
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), local - kWindow,
                             [](SysSeconds v, const Transition& tr) { return v < tr.at; });
  auto first_in_window = it;
  for (; it != transitions_.end() && it->at <= local + kWindow; ++it) consider(it->offset);
  std::sort(found.begin(), found.end());

  LocalTimeInfo info;
  if (found.size() == 1) {
    info.first = found.front();
  } else if (found.size() > 1) {
    info.kind = LocalTimeInfo::Kind::kOverlap;
    info.first = found.front();
    info.second = found.back();
  } else {
    info.kind = LocalTimeInfo::Kind::kGap;
    // Find the forward transition whose skipped wall-clock span holds `local`.
    info.first = local - offset_at(local - kWindow);
    for (auto t = first_in_window; t != transitions_.end() && t->at <= local + kWindow; ++t) {
      const int before = t == transitions_.begin() ? initial_offset_ : std::prev(t)->offset;
      if (before < t->offset && t->at + before <= local && local < t->at + t->offset) {
        info.first = local - before;
        break;
      }
    }
  }
  return info;
}

}  // namespace hub::scheduler
