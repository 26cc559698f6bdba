#pragma once
// The GIS format versions this instance holds at once, each with the date it takes effect:
// `format_versions: ["16.2.0.0", "16.3.0.0@2026-12-15"]` uses 16.2.0.0 until 15 December and
// 16.3.0.0 from then on (GIS switches versions on announced dates). Every package is compiled at
// start (through Context::xml()), so a switch needs no restart and a broken package stops the
// start naming its file.

#include <chrono>
#include <string>
#include <vector>

#include "hub/plugin/xml_services.h"

namespace hub::adapters::gis_zhkh {

struct FormatVersion {
  std::string version;
  std::chrono::system_clock::time_point from{};  ///< epoch = always
  plugin::SchemaPackagePtr package;
};

class Formats {
 public:
  /// `specs` are "VERSION" or "VERSION@YYYY-MM-DD"; each is loaded from root/VERSION. Throws
  /// std::runtime_error naming the entry (bad date, package that does not load, none given).
  Formats(plugin::XmlServices& xml, const std::string& root, const std::vector<std::string>& specs);

  /// The package in force at `now`: the latest whose date has come (the earliest when none has).
  const FormatVersion& at(std::chrono::system_clock::time_point now) const;
  const std::vector<FormatVersion>& all() const { return versions_; }

 private:
  std::vector<FormatVersion> versions_;  // by date ascending
};

}  // namespace hub::adapters::gis_zhkh
