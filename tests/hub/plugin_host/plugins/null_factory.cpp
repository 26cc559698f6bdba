// A factory that returns nothing.
#include <memory>

#include "hub/plugin/sdk.h"

namespace {
hub::plugin::ConfigSpec spec() {
  return {};
}
}  // namespace

HUB_PLUGIN("null_factory", "1.0.0", "factory returns null", spec,
           [](hub::plugin::Context&) { return std::unique_ptr<hub::plugin::Adapter>(); })
