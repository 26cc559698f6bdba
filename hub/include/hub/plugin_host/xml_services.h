#pragma once
// plugin::XmlServices over hub::xml::SchemaPackage (hub/xml/schema_set.h): each official package
// directory is compiled once per process and cached by canonical path, so every adapter instance
// (and several format versions at once) share one read-only compiled set. Text handed in is parsed
// with the hub's hardened parser (hub/xml/document.h) before it is validated.

#include <map>
#include <mutex>

#include "hub/plugin/xml_services.h"

namespace hub::plugin_host {

class PackageXmlServices : public plugin::XmlServices {
 public:
  /// Throws std::runtime_error naming the file (the hub's XmlError / ConfigError text).
  plugin::SchemaPackagePtr load_schema_package(const std::filesystem::path& dir) override;

  /// The process-wide instance the plugin host hands to adapters.
  static PackageXmlServices& shared();

 private:
  std::mutex mu_;
  std::map<std::filesystem::path, plugin::SchemaPackagePtr> packages_;
};

}  // namespace hub::plugin_host
