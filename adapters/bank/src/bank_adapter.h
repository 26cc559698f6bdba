#pragma once
// The bank adapter. At start() it loads every layout YAML from its `layouts` directory and
// registers a FileParser `bank.<layout>` for each (and the 1CClientBankExchange parser
// `bank.client_bank`) in the shared parser registry, where the file inbox and the import service
// find them. It offers the job `export_debts`: one debt registry per `export_banks` entry
// (a debts layout plus that bank's details) into the outbox, from the store (Context::debts()).

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client_bank/client_bank_parser.h"
#include "client_bank/payment_order_outbox.h"
#include "hub/plugin/sdk.h"
#include "registry/layout.h"

namespace hub::bank {

/// One `export_banks` entry: "bank=sber; layout=debt_pipe; inn=...; rs=...; seq=001; ...".
/// Every key but bank, layout and meters is a placeholder for the layout's fixed values and file
/// name rule (inn, rs, seq, org_name, service_code, service_name).
struct ExportBank {
  std::string bank;
  std::string layout;
  std::map<std::string, std::string> vars;
  bool meters = false;  ///< rows carry the account's meters with their last readings
};

/// Parses one entry; throws std::invalid_argument naming what is wrong.
ExportBank parse_export_bank(const std::string& entry);

/// "YYYY-MM" of the month before `now` (UTC).
std::string previous_month(std::chrono::system_clock::time_point now);

class BankAdapter : public plugin::Adapter {
 public:
  static plugin::ConfigSpec config_spec();

  /// Loads the layouts (throws LayoutError naming file, line and key) and the export banks.
  explicit BankAdapter(plugin::Context& ctx);

  void start() override;
  plugin::Health health() override;
  /// A sink of payment_order.requested when `payment_orders_dir` is set (client_bank/).
  bool is_sink() const override { return payment_orders_ != nullptr; }
  plugin::DeliveryResult deliver(const plugin::Envelope& message) override;
  std::vector<plugin::JobSpec> jobs() override;
  plugin::JobResult run_job(const std::string& job) override;

  /// Writes one debt registry per export bank for `period` (YYYY-MM); returns the summary.
  plugin::JobResult export_debts(const std::string& period);

  const std::vector<std::shared_ptr<const Layout>>& layouts() const { return layouts_; }

 private:
  ClientBankParserOptions client_bank_options() const;

  std::shared_ptr<const Layout> find_layout(const std::string& name) const;

  plugin::Context& ctx_;
  std::unique_ptr<PaymentOrderOutbox> payment_orders_;  ///< null: not a sink
  std::filesystem::path layouts_dir_;
  std::size_t batch_lines_;
  std::filesystem::path outbox_;
  std::string export_period_;
  std::string export_schedule_;
  std::vector<ExportBank> export_banks_;
  std::vector<std::shared_ptr<const Layout>> layouts_;
};

}  // namespace hub::bank
