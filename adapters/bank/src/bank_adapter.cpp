#include "bank_adapter.h"

#include "client_bank/client_bank_parser.h"
#include "registry/registry_parser.h"

namespace hub::bank {

plugin::ConfigSpec BankAdapter::config_spec() {
  using T = plugin::ConfigType;
  return {
      {"layouts", T::kPath, "mappings/bank",
       "directory of registry layouts (*.yaml); each becomes parser bank.<layout>"},
      {"batch_lines", T::kInt, "500", "registry lines per batch handed to the inbox or import"},
  };
}

BankAdapter::BankAdapter(plugin::Context& ctx)
    : ctx_(ctx),
      layouts_dir_(ctx.config().get_string("layouts")),
      batch_lines_(static_cast<std::size_t>(
          std::max<std::int64_t>(1, ctx.config().get_int("batch_lines")))) {
  for (auto& l : load_layouts(layouts_dir_)) {
    layouts_.push_back(std::make_shared<const Layout>(std::move(l)));
  }
}

ClientBankParserOptions BankAdapter::client_bank_options() const {
  ClientBankParserOptions o;
  o.batch_size = batch_lines_;
  o.source = ctx_.instance();
  return o;
}

void BankAdapter::start() {
  for (const auto& l : layouts_) {
    ctx_.parsers().add("bank." + l->name, std::make_shared<RegistryParser>(l, batch_lines_));
  }
  // 1CClientBankExchange (client_bank/, owned by the client-bank work): bank.client_bank.
  register_client_bank_parsers(ctx_.parsers(), client_bank_options());
  std::string names;
  for (const auto& l : layouts_) names += (names.empty() ? "" : ",") + l->name;
  ctx_.log().info("bank_layouts_loaded", {{"dir", layouts_dir_.string()}, {"layouts", names}});
}

plugin::Health BankAdapter::health() {
  return {true,
          std::to_string(layouts_.size()) + " registry layouts from " + layouts_dir_.string()};
}

}  // namespace hub::bank
