// The plugin entry of build/plugins/bank.so.
#include "bank_adapter.h"

HUB_PLUGIN("bank", "1.0.0",
           "Bank registries (layouts from YAML: payments in, debts out) and 1CClientBankExchange",
           hub::bank::BankAdapter::config_spec,
           [](hub::plugin::Context& ctx) { return std::make_unique<hub::bank::BankAdapter>(ctx); })
