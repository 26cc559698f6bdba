#pragma once
// IANA time zones read from the system's compiled tz database (TZif files under
// /usr/share/zoneinfo, or $TZDIR).
//
// Why our own reader: GCC 12's libstdc++ has no std::chrono::locate_zone (it arrives in GCC 13),
// POCO only knows the process's own zone, and switching $TZ around localtime_r is process-global
// state that races with every other thread calling localtime. A TZif file is a small, documented
// format (RFC 8536): a table of transitions plus a POSIX TZ rule for times after the table, which
// we expand up to year 2400. A loaded zone is immutable, so it is shared freely between threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hub/core/error.h"

namespace hub::scheduler {

/// An unknown zone name or an unreadable/malformed TZif file; the message names the zone.
class TimeZoneError : public Error {
 public:
  using Error::Error;
};

/// Seconds since 1970-01-01 00:00:00 UTC (an instant) ...
using SysSeconds = std::int64_t;
/// ... and seconds since 1970-01-01 00:00:00 of a wall clock (a local date and time, no zone).
using LocalSeconds = std::int64_t;

/// How one local (wall-clock) time maps to instants in a zone.
struct LocalTimeInfo {
  enum class Kind {
    kUnique,   ///< exactly one instant: `first`
    kGap,      ///< skipped by a forward transition (spring forward): no instant exists;
               ///< `first` = the same wall time read with the offset before the gap, i.e. shifted
               ///< forward by the gap's length (02:30 in a 02:00→03:00 gap gives 03:30)
    kOverlap,  ///< repeated by a backward transition (fall back): `first` then `second`
  };
  Kind kind = Kind::kUnique;
  SysSeconds first = 0;
  SysSeconds second = 0;
};

class TimeZone {
 public:
  /// Loads (once per process; cached) the zone `name`, e.g. "Europe/Moscow" or "UTC".
  /// Thread-safe. Throws TimeZoneError for an unknown name or a malformed file.
  static std::shared_ptr<const TimeZone> locate(const std::string& name);

  /// Parses TZif bytes; `name` is used in messages. For tests and unusual installations.
  static std::shared_ptr<const TimeZone> from_tzif(const std::string& name,
                                                   const std::string& bytes);

  const std::string& name() const { return name_; }

  /// UTC offset in seconds east of Greenwich at instant `t` (Moscow: 10800).
  int offset_at(SysSeconds t) const;
  LocalSeconds to_local(SysSeconds t) const { return t + offset_at(t); }
  LocalTimeInfo resolve(LocalSeconds local) const;

  /// The smallest and largest offsets in effect at any instant of [from, to].
  std::pair<int, int> offset_range(SysSeconds from, SysSeconds to) const;

  struct Transition {
    SysSeconds at;  ///< from this instant on ...
    int offset;     ///< ... this offset applies
  };
  /// The transition table, including the ones generated from the POSIX rule (for tests).
  const std::vector<Transition>& transitions() const { return transitions_; }

 private:
  TimeZone() = default;
  std::string name_;
  int initial_offset_ = 0;  ///< before the first transition
  std::vector<Transition> transitions_;
};

}  // namespace hub::scheduler
