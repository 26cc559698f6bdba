// Exports a factory but no hub_plugin_info.
#include "hub/plugin/sdk.h"

extern "C" BOOST_SYMBOL_EXPORT hub::plugin::ConfigSpec hub_plugin_config_spec() {
  return {};
}
extern "C" BOOST_SYMBOL_EXPORT hub::plugin::Adapter* hub_plugin_create(hub::plugin::Context&) {
  return new hub::plugin::Adapter();
}
