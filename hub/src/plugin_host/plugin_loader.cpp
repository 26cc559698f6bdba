#include "hub/plugin_host/plugin_loader.h"

#include <algorithm>
#include <boost/dll/shared_library_load_mode.hpp>
#include <boost/system/system_error.hpp>
#include <system_error>

#include "hub/core/error.h"
#include "hub/core/log.h"

namespace hub::plugin_host {

namespace {

Log& log() {
  static Log l("plugin_host");
  return l;
}

PluginError error(const std::filesystem::path& file, const std::string& why) {
  return PluginError("plugin " + file.string() + ": " + why);
}

bool is_shared_object_name(const std::filesystem::path& p) {
  return p.extension() == ".so";
}

}  // namespace

std::unique_ptr<plugin::Adapter> LoadedPlugin::create(plugin::Context& ctx) const {
  plugin::Adapter* raw = nullptr;
  try {
    raw = factory_(ctx);
  } catch (const std::exception& e) {
    throw error(descriptor_.file,
                std::string("factory ") + plugin::kFactorySymbol + " threw: " + e.what());
  } catch (...) {
    throw error(descriptor_.file, std::string("factory ") + plugin::kFactorySymbol +
                                      " threw a non-standard exception");
  }
  if (!raw)
    throw error(descriptor_.file,
                std::string("factory ") + plugin::kFactorySymbol + " returned null");
  return std::unique_ptr<plugin::Adapter>(raw);
}

std::shared_ptr<LoadedPlugin> PluginLoader::load_file(const std::filesystem::path& file) {
  namespace dll = boost::dll;
  if (!std::filesystem::is_regular_file(file)) throw error(file, "no such file");

  boost::system::error_code ec;
  // rtld_local: two plugins may carry symbols of the same name without one binding to the other's.
  dll::shared_library lib(dll::fs::path(file.string()),
                          dll::load_mode::rtld_lazy | dll::load_mode::rtld_local, ec);
  if (ec || !lib.is_loaded()) {
    throw error(file, "not a loadable shared object (" + ec.message() + ")");
  }

  // The info symbol is plain C data: safe to read whatever SDK the plugin was built with.
  if (!lib.has(plugin::kInfoSymbol)) {
    throw error(file, std::string("missing symbol ") + plugin::kInfoSymbol +
                          " (not a zhkh-hub plugin, or built without HUB_PLUGIN)");
  }
  const auto& info = lib.get<const plugin::PluginInfo>(plugin::kInfoSymbol);
  if (info.abi_version != plugin::kAbiVersion) {
    throw error(file, "plugin ABI version " + std::to_string(info.abi_version) +
                          " does not match the hub's ABI version " +
                          std::to_string(plugin::kAbiVersion) + "; rebuild the plugin");
  }
  PluginDescriptor d;
  d.name = info.name ? info.name : "";
  d.version = info.version ? info.version : "";
  d.description = info.description ? info.description : "";
  d.file = file;
  if (d.name.empty()) throw error(file, std::string(plugin::kInfoSymbol) + " has an empty name");

  if (!lib.has(plugin::kConfigSpecSymbol)) {
    throw error(file, std::string("missing symbol ") + plugin::kConfigSpecSymbol);
  }
  if (!lib.has(plugin::kFactorySymbol)) {
    throw error(file, std::string("missing factory symbol ") + plugin::kFactorySymbol);
  }
  try {
    d.spec = lib.get<plugin::ConfigSpec()>(plugin::kConfigSpecSymbol)();
  } catch (const std::exception& e) {
    throw error(file, std::string(plugin::kConfigSpecSymbol) + " threw: " + e.what());
  }
  auto* factory = &lib.get<LoadedPlugin::Factory>(plugin::kFactorySymbol);
  log().info("plugin_loaded",
             {{"plugin", d.name}, {"version", d.version}, {"file", file.string()}});
  return std::make_shared<LoadedPlugin>(std::move(lib), std::move(d), factory);
}

std::shared_ptr<LoadedPlugin> PluginLoader::load_cached(const std::filesystem::path& file) {
  {
    std::lock_guard lock(mu_);
    auto it = by_file_.find(file);
    if (it != by_file_.end()) return it->second;
  }
  auto loaded = load_file(file);
  std::lock_guard lock(mu_);
  return by_file_.emplace(file, std::move(loaded)).first->second;
}

std::shared_ptr<LoadedPlugin> PluginLoader::find(const std::string& name) {
  for (const auto& candidate : {dir_ / (name + ".so"), dir_ / ("lib" + name + ".so")}) {
    if (!std::filesystem::is_regular_file(candidate)) continue;
    auto p = load_cached(candidate);
    if (p->descriptor().name == name) return p;
  }
  for (const auto& p : load_all()) {
    if (p->descriptor().name == name) return p;
  }
  return nullptr;
}

std::vector<std::shared_ptr<LoadedPlugin>> PluginLoader::load_all(
    std::vector<std::string>* errors) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.is_regular_file() && is_shared_object_name(entry.path()))
      files.push_back(entry.path());
  }
  if (ec && errors) errors->push_back(dir_.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<std::shared_ptr<LoadedPlugin>> out;
  for (const auto& f : files) {
    try {
      out.push_back(load_cached(f));
    } catch (const PluginError& e) {
      if (errors) errors->push_back(e.what());
      log().warn("plugin_skipped", {{"file", f.string()}, {"reason", e.what()}});
    }
  }
  return out;
}

}  // namespace hub::plugin_host
