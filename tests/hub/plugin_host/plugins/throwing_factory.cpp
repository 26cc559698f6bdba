// A factory that fails, as an adapter does when it cannot use its config.
#include <memory>
#include <stdexcept>

#include "hub/plugin/sdk.h"

namespace {
hub::plugin::ConfigSpec spec() {
  return {};
}
}  // namespace

HUB_PLUGIN("throwing_factory", "1.0.0", "factory throws", spec,
           [](hub::plugin::Context&) -> std::unique_ptr<hub::plugin::Adapter> {
             throw std::runtime_error("cannot reach the bank at 10.0.0.1");
           })
