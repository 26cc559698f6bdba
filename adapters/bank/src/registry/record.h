#pragma once
// One registry line in normalised form, the same for every layout: what the reader produces and
// the writer consumes. Values are keyed by role (layout.h) and normalised: amounts in kopecks as
// a decimal integer, dates YYYY-MM-DD, date-times YYYY-MM-DDTHH:MM:SS[Z], periods YYYY-MM, meter
// values as plain decimals; text as written (UTF-8, trimmed when the layout trims).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hub::bank {

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
  std::map<std::string, std::string> values;
  std::vector<MeterEntry> meters;
  std::vector<ServiceEntry> services;

  const std::string& get(const std::string& role) const {
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
