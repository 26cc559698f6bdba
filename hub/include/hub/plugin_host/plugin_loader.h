#pragma once
// Loads adapter plugins (.so) with Boost.DLL. The plain-C `hub_plugin_info` symbol is read and its
// ABI version checked before any C++ symbol of the plugin is touched; every failure is a
// hub::PluginError whose message names the file. A loaded library stays mapped for as long as any
// LoadedPlugin reference (held by the adapters created from it) lives.

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/plugin/abi.h"
#include "hub/plugin/adapter.h"
#include "hub/plugin/config.h"

namespace hub::plugin_host {

/// What a plugin declares about itself, copied out of the library.
struct PluginDescriptor {
  std::string name;
  std::string version;
  std::string description;
  std::filesystem::path file;
  plugin::ConfigSpec spec;
};

/// One mapped plugin library. Adapters created by it must be destroyed before the last reference
/// to this object goes away (AdapterHost keeps a reference in each instance for that reason).
class LoadedPlugin {
 public:
  using Factory = plugin::Adapter*(plugin::Context&);

  LoadedPlugin(boost::dll::shared_library library, PluginDescriptor descriptor, Factory* factory)
      : library_(std::move(library)), descriptor_(std::move(descriptor)), factory_(factory) {}
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const PluginDescriptor& descriptor() const { return descriptor_; }

  /// Calls the plugin's factory. Throws PluginError naming the file when the factory throws
  /// (with its what()) or returns null.
  std::unique_ptr<plugin::Adapter> create(plugin::Context& ctx) const;

 private:
  boost::dll::shared_library library_;
  PluginDescriptor descriptor_;
  Factory* factory_;
};

/// Finds and loads plugins in one directory; each library is loaded at most once.
class PluginLoader {
 public:
  explicit PluginLoader(std::filesystem::path dir) : dir_(std::move(dir)) {}

  /// Loads one file (rtld_lazy | rtld_local). Throws PluginError naming the file: not a shared
  /// object, missing info symbol, wrong ABI (both versions), missing config spec or factory.
  static std::shared_ptr<LoadedPlugin> load_file(const std::filesystem::path& file);

  /// The plugin whose info names `name`: `<name>.so` and `lib<name>.so` are tried first, then
  /// every other `*.so` in the directory. Returns null when none is called so; a named file that
  /// fails to load is an error (PluginError) rather than "not found".
  std::shared_ptr<LoadedPlugin> find(const std::string& name);

  /// Loads every `*.so` in the directory. Files that fail to load are reported in `errors`
  /// ("<file>: <why>") rather than thrown, so that one broken file does not hide the others.
  std::vector<std::shared_ptr<LoadedPlugin>> load_all(std::vector<std::string>* errors = nullptr);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::shared_ptr<LoadedPlugin> load_cached(const std::filesystem::path& file);

  std::filesystem::path dir_;
  std::mutex mu_;
  std::map<std::filesystem::path, std::shared_ptr<LoadedPlugin>> by_file_;
};

}  // namespace hub::plugin_host
