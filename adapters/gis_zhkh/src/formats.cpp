#include "formats.h"

#include <algorithm>
#include <stdexcept>

#include "util.h"

namespace hub::adapters::gis_zhkh {

Formats::Formats(plugin::XmlServices& xml, const std::string& root,
                 const std::vector<std::string>& specs) {
  if (specs.empty()) throw std::runtime_error("format_versions: no format version given");
  for (const auto& spec : specs) {
    FormatVersion v;
    const auto at = spec.find('@');
    v.version = spec.substr(0, at);
    if (at != std::string::npos) {
      try {
        v.from = parse_date(spec.substr(at + 1));
      } catch (const std::exception& e) {
        throw std::runtime_error("format_versions: '" + spec + "': " + e.what());
      }
    }
    try {
      v.package = xml.load_schema_package(root + "/" + v.version);
    } catch (const std::exception& e) {
      throw std::runtime_error("format_versions: '" + spec + "': " + e.what());
    }
    versions_.push_back(std::move(v));
  }
  std::stable_sort(versions_.begin(), versions_.end(),
                   [](const auto& a, const auto& b) { return a.from < b.from; });
}

const FormatVersion& Formats::at(std::chrono::system_clock::time_point now) const {
  const FormatVersion* best = &versions_.front();
  for (const auto& v : versions_) {
    if (v.from <= now) best = &v;
  }
  return *best;
}

}  // namespace hub::adapters::gis_zhkh
