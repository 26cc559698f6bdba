// Declares itself but exports no factory.
#include "hub/plugin/sdk.h"

extern "C" BOOST_SYMBOL_EXPORT const hub::plugin::PluginInfo hub_plugin_info{
    hub::plugin::kAbiVersion, "no_factory", "1.0.0", "has no factory"};
extern "C" BOOST_SYMBOL_EXPORT hub::plugin::ConfigSpec hub_plugin_config_spec() {
  return {};
}
