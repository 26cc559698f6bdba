// Built against a future SDK: the hub must refuse it before touching any C++ symbol.
#include "hub/plugin/sdk.h"

extern "C" BOOST_SYMBOL_EXPORT const hub::plugin::PluginInfo hub_plugin_info{
    hub::plugin::kAbiVersion + 998, "wrong_abi", "1.0.0", "declares another ABI"};
extern "C" BOOST_SYMBOL_EXPORT hub::plugin::ConfigSpec hub_plugin_config_spec() {
  throw std::runtime_error("must never be called");
}
extern "C" BOOST_SYMBOL_EXPORT hub::plugin::Adapter* hub_plugin_create(hub::plugin::Context&) {
  throw std::runtime_error("must never be called");
}
