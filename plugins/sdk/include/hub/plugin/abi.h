#pragma once
// The binary contract between the hub and an adapter plugin.
//
// The hub first reads the plain-C `hub_plugin_info` symbol and compares its abi_version with
// kAbiVersion; only when they match does it touch any C++ symbol (config spec, factory), since a
// plugin built against another SDK may lay out those types differently.

#include <cstdint>

#include <boost/config.hpp>

namespace hub::plugin {

/// Bumped whenever any SDK type changes layout or a virtual function is added or reordered.
// 2: Context::signers, xml, exchanges, billing_export, debts; ParseSink::progress.
// 4: ExchangeStore::update_unsynced.
// 5: SchemaPackageHandle::validate_soap(const _xmlDoc*), Signer::sign_document.
// 6: Signer::sign_document(doc, parsed_from).
inline constexpr std::uint32_t kAbiVersion = 6;

/// What a plugin says about itself, readable without running any of its code.
struct PluginInfo {
  std::uint32_t abi_version;
  const char* name;         ///< plugin name used in config (`plugin: file_inbox`)
  const char* version;      ///< the plugin's own version
  const char* description;  ///< one line for `zhkh-hub adapters list`
};

inline constexpr const char* kInfoSymbol = "hub_plugin_info";
inline constexpr const char* kConfigSpecSymbol = "hub_plugin_config_spec";
inline constexpr const char* kFactorySymbol = "hub_plugin_create";

}  // namespace hub::plugin

/// Exports the three plugin symbols. Use once, at the bottom of the plugin's main source file:
///
///   HUB_PLUGIN("file_inbox", "1.0.0", "Watches a directory", FileInbox::config_spec,
///              [](hub::plugin::Context& ctx) { return std::make_unique<FileInbox>(ctx); })
#define HUB_PLUGIN(NAME, VERSION, DESCRIPTION, SPEC_FN, FACTORY)                                 \
  extern "C" BOOST_SYMBOL_EXPORT const ::hub::plugin::PluginInfo hub_plugin_info{                \
      ::hub::plugin::kAbiVersion, NAME, VERSION, DESCRIPTION};                                    \
  extern "C" BOOST_SYMBOL_EXPORT ::hub::plugin::ConfigSpec hub_plugin_config_spec() {            \
    return SPEC_FN();                                                                             \
  }                                                                                               \
  extern "C" BOOST_SYMBOL_EXPORT ::hub::plugin::Adapter* hub_plugin_create(                      \
      ::hub::plugin::Context& ctx) {                                                              \
    return (FACTORY)(ctx).release();                                                              \
  }
