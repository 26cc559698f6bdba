#include "hub/tickets/ticket_model.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "hub/core/error.h"
#include "hub/core/yaml_checker.h"

namespace hub::tickets {
namespace {

using std::chrono::minutes;
using std::chrono::system_clock;

int line_of(const YAML::Node& n) {
  return n.Mark().line + 1;
}

using Checker = YamlChecker;

bool is_code(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '_' || c == '-';
  });
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

/// "90m", "1h", "3d", "8 working hours" / "8wh".
SlaDuration parse_sla(const Checker& c, const YAML::Node& n, const std::string& key) {
  const auto text = c.str(n, key);
  std::size_t pos = 0;
  long long amount = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    amount = amount * 10 + (text[pos] - '0');
    if (amount > 100000) c.fail(n, key, "duration '" + text + "' is too long");
    ++pos;
  }
  const auto unit = fold_case(trim(text.substr(pos)));
  if (pos == 0 || amount <= 0) {
    c.fail(n, key,
           "expected a positive duration like 90m, 1h, 3d or 8 working hours, got '" + text + "'");
  }
  SlaDuration d;
  d.text = text;
  d.kind = SlaDuration::Kind::kCalendar;
  if (unit == "m" || unit == "min") {
    d.amount = minutes(amount);
  } else if (unit == "h") {
    d.amount = minutes(amount * 60);
  } else if (unit == "d") {
    d.amount = minutes(amount * 24 * 60);
  } else if (unit == "wh" || unit == "working hours" || unit == "working hour") {
    d.kind = SlaDuration::Kind::kWorking;
    d.amount = minutes(amount * 60);
  } else {
    c.fail(n, key,
           "unknown unit in '" + text + "' (use m, h, d for calendar time or 'working hours')");
  }
  return d;
}

/// "08:00" → 480; -1 when malformed.
int parse_clock(const std::string& s) {
  if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[3])) ||
      !std::isdigit(static_cast<unsigned char>(s[4]))) {
    return -1;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
long long days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

WorkingTime parse_working_time(const Checker& c, const YAML::Node& n) {
  const std::string key = "working_time";
  c.keys(n, {"days", "hours", "utc_offset", "holidays"}, key);
  WorkingTime wt;
  if (n["days"]) {
    static const std::vector<std::string> kNames = {"mon", "tue", "wed", "thu",
                                                    "fri", "sat", "sun"};
    wt.days.fill(false);
    const auto days = c.str_list(n["days"], key + ".days");
    for (std::size_t i = 0; i < days.size(); ++i) {
      const auto it = std::find(kNames.begin(), kNames.end(), days[i]);
      if (it == kNames.end()) {
        c.fail(n["days"], key + ".days[" + std::to_string(i) + "]",
               "unknown day '" + days[i] + "' (mon, tue, wed, thu, fri, sat, sun)");
      }
      wt.days[static_cast<std::size_t>(it - kNames.begin())] = true;
    }
    if (days.empty()) c.fail(n["days"], key + ".days", "at least one working day is needed");
  }
  if (n["hours"]) {
    const auto text = c.str(n["hours"], key + ".hours");
    const auto dash = text.find('-');
    const int from = dash == std::string::npos ? -1 : parse_clock(trim(text.substr(0, dash)));
    const int to = dash == std::string::npos ? -1 : parse_clock(trim(text.substr(dash + 1)));
    if (from < 0 || to < 0 || from >= to) {
      c.fail(n["hours"], key + ".hours",
             "expected \"HH:MM-HH:MM\" with start before end, got '" + text + "'");
    }
    wt.from_minute = from;
    wt.to_minute = to;
  }
  if (n["utc_offset"]) {
    const auto text = c.str(n["utc_offset"], key + ".utc_offset");
    const int clock = text.size() == 6 ? parse_clock(text.substr(1)) : -1;
    if ((text[0] != '+' && text[0] != '-') || clock < 0 || clock > 14 * 60) {
      c.fail(n["utc_offset"], key + ".utc_offset", "expected +HH:MM or -HH:MM, got '" + text + "'");
    }
    wt.utc_offset_minutes = text[0] == '-' ? -clock : clock;
  }
  if (n["holidays"]) {
    const auto dates = c.str_list(n["holidays"], key + ".holidays");
    for (std::size_t i = 0; i < dates.size(); ++i) {
      const auto& d = dates[i];
      int y = 0;
      unsigned m = 0, day = 0;
      char tail = 0;
      const bool shaped = d.size() == 10 && d[4] == '-' && d[7] == '-' &&
                          std::sscanf(d.c_str(), "%4d-%2u-%2u%c", &y, &m, &day, &tail) == 3;
      if (!shaped || m < 1 || m > 12 || day < 1 || day > 31) {
        c.fail(n["holidays"], key + ".holidays[" + std::to_string(i) + "]",
               "expected a date YYYY-MM-DD, got '" + d + "'");
      }
      wt.holidays.insert(days_from_civil(y, m, day));
    }
  }
  return wt;
}

}  // namespace

std::string fold_case(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += static_cast<char>(std::tolower(b));
      continue;
    }
    if (i + 1 < text.size()) {
      const auto b2 = static_cast<unsigned char>(text[i + 1]);
      const unsigned cp = ((b & 0x1Fu) << 6) | (b2 & 0x3Fu);
      if ((b & 0xE0) == 0xC0) {
        unsigned lower = cp;
        if (cp >= 0x0410 && cp <= 0x042F) lower = cp + 0x20;  // А-Я → а-я
        if (cp == 0x0401 || cp == 0x0451) lower = 0x0435;     // Ё, ё → е: written either way
        out += static_cast<char>(0xC0 | (lower >> 6));
        out += static_cast<char>(0x80 | (lower & 0x3F));
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

system_clock::time_point add_working_time(system_clock::time_point from, minutes amount,
                                          const WorkingTime& wt) {
  using std::chrono::duration_cast;
  const bool any_day = std::find(wt.days.begin(), wt.days.end(), true) != wt.days.end();
  if (!any_day || wt.from_minute >= wt.to_minute) return from + amount;  // nothing to count in
  const auto offset = minutes(wt.utc_offset_minutes);
  // Work in local minutes since the epoch; seconds below a minute are carried along unchanged.
  auto local = duration_cast<minutes>((from + offset).time_since_epoch());
  auto carry = (from + offset).time_since_epoch() - local;
  auto left = amount;
  // A year of holidays at most: bounded, so a pathological calendar cannot loop forever.
  for (int guard = 0; guard < 366 * 3 && left.count() > 0; ++guard) {
    long long day = local.count() / (24 * 60);
    if (local.count() < 0 && local.count() % (24 * 60) != 0) --day;
    const int minute_of_day = static_cast<int>(local.count() - day * 24 * 60);
    const int weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
    const bool working = wt.days[static_cast<std::size_t>(weekday)] && !wt.holidays.count(day);
    // Outside working time the count starts at the next opening, on the minute.
    if (!working || minute_of_day >= wt.to_minute) {
      local = minutes((day + 1) * 24 * 60 + wt.from_minute);
      carry = carry.zero();
      continue;
    }
    if (minute_of_day < wt.from_minute) {
      local = minutes(day * 24 * 60 + wt.from_minute);
      carry = carry.zero();
      continue;
    }
    const auto room = minutes(wt.to_minute - minute_of_day);
    const auto step = std::min(room, left);
    local += step;
    left -= step;
  }
  return system_clock::time_point(duration_cast<system_clock::duration>(local + carry)) - offset;
}

minutes working_time_between(system_clock::time_point from, system_clock::time_point to,
                             const WorkingTime& wt) {
  using std::chrono::duration_cast;
  if (to <= from) return minutes(0);
  const bool any_day = std::find(wt.days.begin(), wt.days.end(), true) != wt.days.end();
  if (!any_day || wt.from_minute >= wt.to_minute) return duration_cast<minutes>(to - from);
  const auto offset = minutes(wt.utc_offset_minutes);
  const long long a = duration_cast<minutes>((from + offset).time_since_epoch()).count();
  const long long b = duration_cast<minutes>((to + offset).time_since_epoch()).count();
  auto floor_day = [](long long m) { return m >= 0 ? m / 1440 : (m - 1439) / 1440; };
  long long total = 0;
  // Day by day over the local calendar; bounded by the span, which a deadline keeps short.
  for (long long day = floor_day(a); day <= floor_day(b) && day - floor_day(a) < 3660; ++day) {
    const int weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);  // 1970-01-01: Thursday
    if (!wt.days[static_cast<std::size_t>(weekday)] || wt.holidays.count(day)) continue;
    const long long open = day * 1440 + wt.from_minute;
    const long long close = day * 1440 + wt.to_minute;
    const long long lo = std::max(open, a), hi = std::min(close, b);
    if (hi > lo) total += hi - lo;
  }
  return minutes(total);
}

TicketModel TicketModel::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path.string(), 0, "", "cannot read the ticket model file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path.string());
}

TicketModel TicketModel::parse(const std::string& yaml_text, const std::string& file) {
  const Checker c(file);
  YAML::Node loaded;
  try {
    loaded = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.line + 1, "", "YAML syntax: " + e.msg);
  }
  const YAML::Node& root = loaded;  // const: lookups must never insert nodes
  if (!root.IsMap()) {
    throw ConfigError(file, root.IsNull() ? 1 : line_of(root), "",
                      "expected a mapping with statuses, transitions and topics");
  }
  c.keys(root,
         {"organisation", "statuses", "transitions", "working_time", "sla", "default_topic",
          "topics", "assignment"},
         "");
  TicketModel m;
  m.file_ = file;
  if (root["organisation"]) m.organisation_ = c.str(root["organisation"], "organisation");

  // Statuses.
  const auto statuses = root["statuses"];
  if (!statuses || !statuses.IsSequence() || statuses.size() == 0) {
    c.fail(statuses ? statuses : root, "statuses", "a list of statuses is required");
  }
  std::map<std::string, int> status_lines;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    const auto n = statuses[i];
    const auto key = "statuses[" + std::to_string(i) + "]";
    c.keys(n, {"code", "staff", "resident", "initial", "terminal", "resolved", "pauses_sla"}, key);
    TicketStatus s;
    s.line = line_of(n);
    if (!n["code"]) c.fail(n, key + ".code", "every status needs a code");
    s.code = c.str(n["code"], key + ".code");
    if (!is_code(s.code)) {
      c.fail(n["code"], key + ".code",
             "status code '" + s.code + "' must be lower-case latin letters, digits, _ or -");
    }
    if (auto [it, fresh] = status_lines.emplace(s.code, s.line); !fresh) {
      c.fail(
          n["code"], key + ".code",
          "duplicate status '" + s.code + "' (first at line " + std::to_string(it->second) + ")");
    }
    if (!n["staff"]) c.fail(n, key + ".staff", "the staff label of '" + s.code + "' is missing");
    s.staff_label = c.str(n["staff"], key + ".staff");
    s.resident_label = n["resident"] ? c.str(n["resident"], key + ".resident") : s.staff_label;
    if (n["initial"]) s.initial = c.boolean(n["initial"], key + ".initial");
    if (n["terminal"]) s.terminal = c.boolean(n["terminal"], key + ".terminal");
    if (n["resolved"]) s.resolved = c.boolean(n["resolved"], key + ".resolved");
    if (s.terminal) s.resolved = true;
    if (n["pauses_sla"]) {
      s.pauses_sla = c.boolean(n["pauses_sla"], key + ".pauses_sla");
      if (s.pauses_sla && s.resolved) {
        c.fail(n["pauses_sla"], key + ".pauses_sla",
               "status '" + s.code + "' is resolved or terminal: its SLA clock is stopped already");
      }
      if (s.pauses_sla && s.initial) {
        c.fail(n["pauses_sla"], key + ".pauses_sla",
               "the initial status '" + s.code + "' cannot hold the SLA clock");
      }
    }
    if (s.initial && s.terminal) {
      c.fail(n, key + ".terminal", "the initial status '" + s.code + "' cannot be terminal");
    }
    if (s.initial) {
      if (!m.initial_.empty()) {
        c.fail(n["initial"], key + ".initial",
               "two initial statuses: '" + m.initial_ + "' and '" + s.code + "'");
      }
      m.initial_ = s.code;
    }
    m.statuses_.push_back(std::move(s));
  }
  if (m.initial_.empty()) {
    c.fail(statuses, "statuses", "no status is marked initial: true (where new tickets start)");
  }

  // Transitions.
  if (const auto t = root["transitions"]) {
    if (!t.IsMap()) c.fail(t, "transitions", "expected a mapping of status: [next statuses]");
    for (const auto& kv : t) {
      const auto from = kv.first.as<std::string>();
      const auto key = "transitions." + from;
      const auto* fs = m.status(from);
      if (!fs) c.fail(kv.first, key, "unknown status '" + from + "'");
      if (fs->terminal) {
        c.fail(kv.first, key, "status '" + from + "' is terminal: no transitions out of it");
      }
      auto targets = c.str_list(kv.second, key);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto item_key = key + "[" + std::to_string(i) + "]";
        const YAML::Node at = kv.second.IsSequence() ? kv.second[i] : kv.second;
        if (!m.status(targets[i])) c.fail(at, item_key, "unknown status '" + targets[i] + "'");
        if (targets[i] == from) c.fail(at, item_key, "a status cannot move to itself");
      }
      m.transitions_[from] = std::move(targets);
    }
  }
  for (const auto& s : m.statuses_) {
    if (!s.terminal && m.allowed_from(s.code).empty()) {
      throw ConfigError(
          file, s.line, "transitions." + s.code,
          "status '" + s.code + "' has no transitions out; add some or mark it terminal: true");
    }
  }
  {
    std::set<std::string> reached{m.initial_};
    std::vector<std::string> todo{m.initial_};
    while (!todo.empty()) {
      const auto cur = todo.back();
      todo.pop_back();
      for (const auto& next : m.allowed_from(cur)) {
        if (reached.insert(next).second) todo.push_back(next);
      }
    }
    for (const auto& s : m.statuses_) {
      if (!reached.count(s.code)) {
        throw ConfigError(file, s.line, "statuses." + s.code,
                          "status '" + s.code + "' cannot be reached from '" + m.initial_ + "'");
      }
    }
  }

  if (const auto wt = root["working_time"]) m.working_time_ = parse_working_time(c, wt);
  if (const auto sla = root["sla"]) {
    c.keys(sla, {"default"}, "sla");
    if (sla["default"]) m.default_sla_ = parse_sla(c, sla["default"], "sla.default");
  }

  // Topics.
  const auto topics = root["topics"];
  if (!topics || !topics.IsSequence() || topics.size() == 0) {
    c.fail(topics ? topics : root, "topics", "a list of topics is required");
  }
  std::map<std::string, int> topic_lines;
  for (std::size_t i = 0; i < topics.size(); ++i) {
    const auto n = topics[i];
    const auto key = "topics[" + std::to_string(i) + "]";
    c.keys(n, {"code", "label", "sla", "aliases", "keywords"}, key);
    TicketTopic t;
    t.line = line_of(n);
    if (!n["code"]) c.fail(n, key + ".code", "every topic needs a code");
    t.code = c.str(n["code"], key + ".code");
    if (!is_code(t.code)) {
      c.fail(n["code"], key + ".code",
             "topic code '" + t.code + "' must be lower-case latin letters, digits, _ or -");
    }
    if (auto [it, fresh] = topic_lines.emplace(t.code, t.line); !fresh) {
      c.fail(n["code"], key + ".code",
             "duplicate topic '" + t.code + "' (first at line " + std::to_string(it->second) + ")");
    }
    t.label = n["label"] ? c.str(n["label"], key + ".label") : t.code;
    if (n["sla"]) t.sla = parse_sla(c, n["sla"], key + ".sla");
    if (n["aliases"]) {
      for (const auto& a : c.str_list(n["aliases"], key + ".aliases")) {
        t.aliases.push_back(fold_case(a));
      }
    }
    if (n["keywords"]) {
      for (const auto& k : c.str_list(n["keywords"], key + ".keywords")) {
        t.keywords.push_back(fold_case(k));
      }
    }
    m.topics_.push_back(std::move(t));
  }
  if (!root["default_topic"]) {
    c.fail(root, "default_topic", "required: the topic for tickets whose topic is not recognised");
  }
  m.default_topic_ = c.str(root["default_topic"], "default_topic");
  if (!m.topic(m.default_topic_)) {
    c.fail(root["default_topic"], "default_topic", "unknown topic '" + m.default_topic_ + "'");
  }

  // Assignment rules.
  if (const auto a = root["assignment"]; a && !a.IsNull()) {
    if (!a.IsSequence()) c.fail(a, "assignment", "expected a list of rules");
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto n = a[i];
      const auto key = "assignment[" + std::to_string(i) + "]";
      c.keys(n, {"topic", "house", "channel", "assignee"}, key);
      AssignmentRule r;
      r.line = line_of(n);
      if (n["topic"]) r.topics = c.str_list(n["topic"], key + ".topic");
      for (std::size_t j = 0; j < r.topics.size(); ++j) {
        if (!m.topic(r.topics[j])) {
          c.fail(n["topic"], key + ".topic", "unknown topic '" + r.topics[j] + "'");
        }
      }
      if (n["house"]) r.houses = c.str_list(n["house"], key + ".house");
      if (n["channel"]) r.channels = c.str_list(n["channel"], key + ".channel");
      if (!n["assignee"]) c.fail(n, key + ".assignee", "every rule needs an assignee");
      r.assignee = c.str(n["assignee"], key + ".assignee");
      m.assignment_.push_back(std::move(r));
    }
  }
  return m;
}

const TicketStatus* TicketModel::status(const std::string& code) const {
  for (const auto& s : statuses_) {
    if (s.code == code) return &s;
  }
  return nullptr;
}

const std::vector<std::string>& TicketModel::allowed_from(const std::string& from) const {
  static const std::vector<std::string> kNone;
  auto it = transitions_.find(from);
  return it == transitions_.end() ? kNone : it->second;
}

bool TicketModel::allows(const std::string& from, const std::string& to) const {
  const auto& next = allowed_from(from);
  return std::find(next.begin(), next.end(), to) != next.end();
}

std::string TicketModel::label(const std::string& code, Audience audience) const {
  const auto* s = status(code);
  if (!s) return code;
  return audience == Audience::kResident ? s->resident_label : s->staff_label;
}

bool TicketModel::is_resolved(const std::string& code) const {
  const auto* s = status(code);
  return s && s->resolved;
}

bool TicketModel::pauses_sla(const std::string& code) const {
  const auto* s = status(code);
  return s && s->pauses_sla;
}

system_clock::time_point TicketModel::resume_due(const std::string& topic_code,
                                                 system_clock::time_point due,
                                                 system_clock::time_point paused_at,
                                                 system_clock::time_point resumed_at) const {
  if (due <= paused_at || resumed_at <= paused_at) return due;
  const auto& sla = sla_for(topic_code);
  if (sla.kind == SlaDuration::Kind::kWorking) {
    return add_working_time(resumed_at, working_time_between(paused_at, due, working_time_),
                            working_time_);
  }
  return resumed_at + (due - paused_at);
}

const TicketTopic* TicketModel::topic(const std::string& code) const {
  for (const auto& t : topics_) {
    if (t.code == code) return &t;
  }
  return nullptr;
}

const TicketTopic& TicketModel::resolve_topic(const std::string& text) const {
  const auto folded = fold_case(trim(text));
  for (const auto& t : topics_) {
    if (folded == t.code || folded == fold_case(t.label) ||
        std::find(t.aliases.begin(), t.aliases.end(), folded) != t.aliases.end()) {
      return t;
    }
  }
  for (const auto& t : topics_) {
    for (const auto& k : t.keywords) {
      if (folded.find(k) != std::string::npos) return t;
    }
  }
  return *topic(default_topic_);
}

const SlaDuration& TicketModel::sla_for(const std::string& topic_code) const {
  const auto* t = topic(topic_code);
  if (t && t->sla.kind != SlaDuration::Kind::kNone) return t->sla;
  return default_sla_;
}

std::optional<system_clock::time_point> TicketModel::due_at(const std::string& topic_code,
                                                            system_clock::time_point from) const {
  const auto& sla = sla_for(topic_code);
  switch (sla.kind) {
    case SlaDuration::Kind::kNone:
      return std::nullopt;
    case SlaDuration::Kind::kCalendar:
      return from + sla.amount;
    case SlaDuration::Kind::kWorking:
      return add_working_time(from, sla.amount, working_time_);
  }
  return std::nullopt;
}

std::optional<std::string> TicketModel::assignee_for(const std::string& topic_code,
                                                     const std::string& house,
                                                     const std::string& channel) const {
  auto in = [](const std::vector<std::string>& list, const std::string& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  for (const auto& r : assignment_) {
    if (in(r.topics, topic_code) && in(r.houses, house) && in(r.channels, channel)) {
      return r.assignee;
    }
  }
  return std::nullopt;
}

}  // namespace hub::tickets
