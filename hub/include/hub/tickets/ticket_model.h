#pragma once
// An organisation's ticket model (deploy/tickets.yaml): statuses with labels for staff and for
// residents, allowed transitions, SLA per topic, working time, and assignment rules. Parsed and
// validated once at start into an immutable object; errors name file, line and key.
//
//   organisation: УК «Пример»                 # shown in the API
//   statuses:                                 # in display order
//     - {code: new, staff: Новая, resident: Принята, initial: true}
//     - {code: clarification, staff: Требует уточнения, pauses_sla: true}  # waiting for the
//     resident
//     - {code: done, staff: Выполнена, resident: Выполнена, resolved: true}
//     - {code: closed, staff: Закрыта, resident: Закрыта, terminal: true}
//   transitions:                              # from: [to, ...]; terminal statuses have none
//     new: [done, closed]
//     done: [closed]
//   working_time:                             # for "N working hours"
//     days: [mon, tue, wed, thu, fri]
//     hours: "08:00-17:00"
//     utc_offset: "+03:00"                    # Russia has no DST: a fixed offset is exact
//     holidays: [2026-01-01]                  # non-working dates (production calendar)
//   sla: {default: 8 working hours}           # "90m", "1h", "3d", "8 working hours"
//   default_topic: other                      # unknown topics land here (original text is kept)
//   topics:
//     - code: emergency
//       label: Аварийная
//       sla: 1h
//       aliases: [Авария]                     # whole topic text, case-insensitive
//       keywords: [протечк, затоп]            # substrings, case-insensitive
//   assignment:                               # first match wins; no match = unassigned
//     - {topic: [emergency], assignee: АДС}
//     - {house: [<fias guid>], channel: [gis], assignee: Участок №2}
//
// Terminal statuses are also resolved (they stop the SLA clock); `resolved` alone marks a status
// like "Выполнена" that stops it but can still go back to work. `pauses_sla` holds the clock
// while the ticket waits for the resident: leaving the status moves the deadline by the time
// spent there (in working time for working-hours SLAs).

#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hub::tickets {

/// Whose wording of a status is wanted.
enum class Audience { kStaff, kResident };

struct TicketStatus {
  std::string code;
  std::string staff_label;
  std::string resident_label;
  bool initial = false;
  bool terminal = false;    ///< no transitions out
  bool resolved = false;    ///< stops the SLA clock (always true for terminal statuses)
  bool pauses_sla = false;  ///< holds the clock; the deadline moves on by the time spent here
  int line = 0;
};

/// A deadline: calendar time, or time counted inside the working time only.
struct SlaDuration {
  enum class Kind { kNone, kCalendar, kWorking };
  Kind kind = Kind::kNone;
  std::chrono::minutes amount{0};
  std::string text;  ///< as configured, for display
};

struct WorkingTime {
  std::array<bool, 7> days{true, true, true, true, true, false, false};  ///< mon..sun
  int from_minute = 9 * 60;  ///< minutes after local midnight
  int to_minute = 18 * 60;
  int utc_offset_minutes = 180;
  std::set<long long> holidays;  ///< local dates as days since 1970-01-01
};

struct TicketTopic {
  std::string code;
  std::string label;
  std::vector<std::string> aliases;   ///< folded to lower case
  std::vector<std::string> keywords;  ///< folded to lower case
  SlaDuration sla;                    ///< kNone = the model's default
  int line = 0;
};

struct AssignmentRule {
  std::vector<std::string> topics;    ///< topic codes; empty = any
  std::vector<std::string> houses;    ///< house ids; empty = any
  std::vector<std::string> channels;  ///< empty = any
  std::string assignee;
  int line = 0;
};

class TicketModel {
 public:
  /// Parses and validates; throws ConfigError(file, line, key, why). Keys are paths such as
  /// "statuses[2].code" or "transitions.new[1]". Checks: exactly one initial status, transitions
  /// only between known statuses, none out of terminal statuses, a way out of every other one,
  /// every status reachable from the initial one, topics and assignment naming known codes,
  /// durations and working time well-formed.
  static TicketModel parse(const std::string& yaml_text, const std::string& file);
  /// Reads `path` and parses it; ConfigError(line 0) when it cannot be read.
  static TicketModel load(const std::filesystem::path& path);

  const std::string& organisation() const { return organisation_; }
  const std::string& file() const { return file_; }
  const std::vector<TicketStatus>& statuses() const { return statuses_; }
  const std::vector<TicketTopic>& topics() const { return topics_; }
  const std::vector<AssignmentRule>& assignment() const { return assignment_; }
  const WorkingTime& working_time() const { return working_time_; }
  const SlaDuration& default_sla() const { return default_sla_; }

  /// nullptr for a code not in the model (e.g. a ticket from before a model change).
  const TicketStatus* status(const std::string& code) const;
  const std::string& initial_status() const { return initial_; }
  /// The statuses `from` may move to, in configured order; empty for unknown or terminal.
  const std::vector<std::string>& allowed_from(const std::string& from) const;
  bool allows(const std::string& from, const std::string& to) const;
  /// The label for `audience`; the code itself for an unknown status.
  std::string label(const std::string& code, Audience audience) const;
  /// Whether a ticket in `code` has its SLA clock stopped (unknown codes: no).
  bool is_resolved(const std::string& code) const;
  /// Whether `code` holds the SLA clock while the ticket waits (unknown codes: no).
  bool pauses_sla(const std::string& code) const;

  const TicketTopic* topic(const std::string& code) const;
  /// The topic a channel's wording names: a topic code, label or alias (whole text), then the
  /// first topic with a keyword inside the text; else the default topic. Case-insensitive for
  /// Latin and Cyrillic letters.
  const TicketTopic& resolve_topic(const std::string& text) const;
  /// The SLA that applies to `topic_code` (its own, else the default; kNone = no deadline).
  const SlaDuration& sla_for(const std::string& topic_code) const;
  /// When a ticket received at `from` with `topic_code` is due; nullopt without an SLA.
  std::optional<std::chrono::system_clock::time_point> due_at(
      const std::string& topic_code, std::chrono::system_clock::time_point from) const;
  /// The deadline after a pause from `paused_at` to `resumed_at`: what was left at the pause,
  /// counted again from `resumed_at` (working time for working-hours SLAs). A ticket already
  /// late when paused keeps its deadline.
  std::chrono::system_clock::time_point resume_due(
      const std::string& topic_code, std::chrono::system_clock::time_point due,
      std::chrono::system_clock::time_point paused_at,
      std::chrono::system_clock::time_point resumed_at) const;
  /// The first matching rule's assignee, or nullopt.
  std::optional<std::string> assignee_for(const std::string& topic_code, const std::string& house,
                                          const std::string& channel) const;

 private:
  std::string file_;
  std::string organisation_;
  std::vector<TicketStatus> statuses_;
  std::map<std::string, std::vector<std::string>> transitions_;
  std::string initial_;
  std::vector<TicketTopic> topics_;
  std::string default_topic_;
  SlaDuration default_sla_;
  WorkingTime working_time_;
  std::vector<AssignmentRule> assignment_;
};

/// Adds `amount` to `from` counting only minutes inside `wt` (working days, hours, no holidays).
std::chrono::system_clock::time_point add_working_time(std::chrono::system_clock::time_point from,
                                                       std::chrono::minutes amount,
                                                       const WorkingTime& wt);

/// Minutes of working time in [from, to) under `wt`; 0 when `to` is not after `from`.
std::chrono::minutes working_time_between(std::chrono::system_clock::time_point from,
                                          std::chrono::system_clock::time_point to,
                                          const WorkingTime& wt);

/// Lower case for ASCII and Cyrillic (А-Я) in UTF-8, with Ё/ё folded to е (Russian text uses
/// them interchangeably: "счётчик" = "счетчик"); other bytes unchanged.
std::string fold_case(const std::string& text);

}  // namespace hub::tickets
