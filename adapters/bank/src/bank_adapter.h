#pragma once
// The bank adapter. At start() it loads every layout YAML from its `layouts` directory and
// registers a FileParser `bank.<layout>` for each (and the 1CClientBankExchange parser
// `bank.client_bank`) in the shared parser registry, where the file inbox and the import service
// find them.

#include <memory>
#include <string>
#include <vector>

#include "client_bank/client_bank_parser.h"
#include "hub/plugin/sdk.h"
#include "registry/layout.h"

namespace hub::bank {

class BankAdapter : public plugin::Adapter {
 public:
  static plugin::ConfigSpec config_spec();

  /// Loads the layouts (throws LayoutError naming file, line and key) and the export banks.
  explicit BankAdapter(plugin::Context& ctx);

  void start() override;
  plugin::Health health() override;

  const std::vector<std::shared_ptr<const Layout>>& layouts() const { return layouts_; }

 private:
  ClientBankParserOptions client_bank_options() const;

  plugin::Context& ctx_;
  std::filesystem::path layouts_dir_;
  std::size_t batch_lines_;
  std::vector<std::shared_ptr<const Layout>> layouts_;
};

}  // namespace hub::bank
