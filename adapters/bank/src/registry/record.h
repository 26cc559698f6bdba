#pragma once
// One registry line in normalised form, the same for every layout: what the reader produces and
// the writer consumes. Values are keyed by role (layout.h) and normalised: amounts in kopecks as
// a decimal integer, dates YYYY-MM-DD, date-times YYYY-MM-DDTHH:MM:SS[Z], periods YYYY-MM, meter
// values as plain decimals; text as written (UTF-8, trimmed when the layout trims).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub::bank {

/// A line's values by role: a dozen short entries, read and written a few times per line, for
/// lines by the million. A flat vector searched in order (a std::map cost a node allocation per
/// value and string comparisons per lookup: a sixth of the parser's time). The order of entries
/// is the order they were set in and does not matter for equality.
class RoleValues {
 public:
  using Entry = std::pair<std::string, std::string>;
  using const_iterator = std::vector<Entry>::const_iterator;
  using iterator = std::vector<Entry>::iterator;

  RoleValues() = default;
  RoleValues(const RoleValues&) = default;
  RoleValues& operator=(const RoleValues&) = default;
  // A moved-from one is empty: used_ must not outlive the entries it counts.
  RoleValues(RoleValues&& o) noexcept
      : entries_(std::move(o.entries_)), used_(std::exchange(o.used_, 0)) {
    o.entries_.clear();
  }
  RoleValues& operator=(RoleValues&& o) noexcept {
    entries_ = std::move(o.entries_);
    used_ = std::exchange(o.used_, 0);
    o.entries_.clear();
    return *this;
  }
  RoleValues(std::initializer_list<Entry> entries) {
    for (const auto& e : entries) (*this)[e.first] = e.second;
  }

  iterator find(std::string_view role) {
    return std::find_if(begin(), end(), [role](const Entry& e) { return is(e.first, role); });
  }
  const_iterator find(std::string_view role) const {
    return std::find_if(begin(), end(), [role](const Entry& e) { return is(e.first, role); });
  }
  /// The entry for `role` and whether it was made now (empty value).
  std::pair<iterator, bool> try_emplace(std::string_view role) {
    auto it = find(role);
    if (it != end()) return {it, false};
    if (used_ < entries_.size()) {
      // An entry of an earlier line: its strings keep their buffers.
      auto& e = entries_[used_];
      e.first.assign(role);
      e.second.clear();
    } else {
      entries_.emplace_back(std::string(role), std::string());
    }
    ++used_;
    return {begin() + static_cast<std::ptrdiff_t>(used_ - 1), true};
  }
  std::string& operator[](std::string_view role) { return try_emplace(role).first->second; }
  std::size_t count(std::string_view role) const { return find(role) != end() ? 1 : 0; }
  const std::string& at(std::string_view role) const {
    auto it = find(role);
    if (it == end()) throw std::out_of_range("no value for role " + std::string(role));
    return it->second;
  }
  std::size_t size() const { return used_; }
  bool empty() const { return used_ == 0; }
  /// Forgets the values but keeps the entries, and so their strings' buffers, for the next line:
  /// a payer's name or address is longer than the short-string buffer, and a registry has
  /// millions of lines.
  void clear() { used_ = 0; }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.begin() + static_cast<std::ptrdiff_t>(used_); }
  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.begin() + static_cast<std::ptrdiff_t>(used_); }

  bool operator==(const RoleValues& o) const {
    if (size() != o.size()) return false;
    for (const auto& [k, v] : *this) {
      auto it = o.find(k);
      if (it == o.end() || it->second != v) return false;
    }
    return true;
  }

 private:
  // Roles of one size mostly differ in their first letter: compared first, it spares the call.
  static bool is(const std::string& a, std::string_view b) {
    return a.size() == b.size() && (b.empty() || (a[0] == b[0] && a.compare(b) == 0));
  }

  std::vector<Entry> entries_;  ///< the first used_ are this line's
  std::size_t used_ = 0;
};

struct MeterEntry {
  std::string id;
  std::string name;
  std::string previous;
  std::string value;
};

struct ServiceEntry {
  std::string code;
  std::string name;
  std::string amount;  ///< kopecks, may be empty
  std::string currency;
};

struct Record {
  std::int64_t line = 0;  ///< 1-based line in the file
  RoleValues values;
  std::vector<MeterEntry> meters;
  std::vector<ServiceEntry> services;

  /// Empties the record for the next line, keeping what it allocated (a parser reads millions).
  void clear() {
    line = 0;
    values.clear();
    meters.clear();
    services.clear();
  }
  const std::string& get(std::string_view role) const {
    static const std::string kEmpty;
    auto it = values.find(role);
    return it == values.end() ? kEmpty : it->second;
  }
  bool operator==(const Record& o) const {
    auto same_meters = meters.size() == o.meters.size();
    for (std::size_t i = 0; same_meters && i < meters.size(); ++i) {
      same_meters = meters[i].id == o.meters[i].id && meters[i].value == o.meters[i].value &&
                    meters[i].name == o.meters[i].name &&
                    meters[i].previous == o.meters[i].previous;
    }
    auto same_services = services.size() == o.services.size();
    for (std::size_t i = 0; same_services && i < services.size(); ++i) {
      same_services = services[i].code == o.services[i].code &&
                      services[i].name == o.services[i].name &&
                      services[i].amount == o.services[i].amount &&
                      services[i].currency == o.services[i].currency;
    }
    return values == o.values && same_meters && same_services;
  }
};

}  // namespace hub::bank
