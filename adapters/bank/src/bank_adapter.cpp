#include "bank_adapter.h"

#include <cstdio>

#include "client_bank/client_bank_parser.h"
#include "hub/plugin/debt_reader.h"
#include "registry/file_name.h"
#include "registry/registry_parser.h"
#include "registry/registry_writer.h"
#include "registry/values.h"

namespace hub::bank {

plugin::ConfigSpec BankAdapter::config_spec() {
  using T = plugin::ConfigType;
  return {
      {"layouts", T::kPath, "mappings/bank",
       "directory of registry layouts (*.yaml); each becomes parser bank.<layout>"},
      {"batch_lines", T::kInt, "500", "registry lines per batch handed to the inbox or import"},
      {"outbox", T::kPath, "var/bank/outbox",
       "export_debts: where the debt registries are written"},
      {"export_banks", T::kStringList, "",
       "export_debts: one entry per bank, 'bank=sber; layout=debt_pipe; inn=...; rs=...; "
       "seq=001; org_name=...' (placeholders of the layout; meters=true adds meters)"},
      {"export_period", T::kString, "", "export_debts: YYYY-MM; empty = the previous month"},
      {"export_schedule", T::kString, "0 6 1 * *",
       "cron of export_debts when the scheduler config names none (monthly)"},
      // Payment orders out (client_bank/payment_order_outbox.h).
      {"payment_orders_dir", T::kString, "",
       "sink of payment_order.requested: 1CClientBankExchange files per day and account are "
       "written here; empty = the adapter is not a sink"},
      {"payment_orders_encoding", T::kString, "cp1251",
       "payment order files: cp1251 (Кодировка=Windows) or cp866 (DOS)"},
      {"payment_orders_sender", T::kString, "zhkh-hub", "payment order files: Отправитель"},
  };
}

BankAdapter::BankAdapter(plugin::Context& ctx)
    : ctx_(ctx),
      layouts_dir_(ctx.config().get_string("layouts")),
      batch_lines_(
          static_cast<std::size_t>(std::max<std::int64_t>(1, ctx.config().get_int("batch_lines")))),
      outbox_(ctx.config().get_string("outbox")),
      export_period_(ctx.config().get_string("export_period")),
      export_schedule_(ctx.config().get_string("export_schedule")) {
  for (auto& l : load_layouts(layouts_dir_)) {
    layouts_.push_back(std::make_shared<const Layout>(std::move(l)));
  }
  if (const auto& dir = ctx.config().get_string("payment_orders_dir"); !dir.empty()) {
    PaymentOrderOutboxOptions o;
    o.dir = dir;
    const auto& enc = ctx.config().get_string("payment_orders_encoding");
    const auto e = encoding_from_name(enc);
    if (!e || *e == Encoding::kKoi8r) {
      throw std::runtime_error("bank '" + ctx.instance() + "': payment_orders_encoding '" + enc +
                               "' is not cp1251, cp866 or utf-8");
    }
    o.file.encoding = *e;
    o.file.sender = ctx.config().get_string("payment_orders_sender");
    payment_orders_ = std::make_unique<PaymentOrderOutbox>(std::move(o));
  }
  for (const auto& entry : ctx.config().get_list("export_banks")) {
    ExportBank b;
    try {
      b = parse_export_bank(entry);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("bank '" + ctx.instance() + "': export_banks entry '" + entry +
                               "': " + e.what());
    }
    const auto l = find_layout(b.layout);
    if (!l) {
      throw std::runtime_error("bank '" + ctx.instance() + "': export_banks entry '" + entry +
                               "': no layout '" + b.layout + "' in " + layouts_dir_.string());
    }
    if (l->footer.kind == FooterKind::kCheckColumns) {
      throw std::runtime_error("bank '" + ctx.instance() + "': layout " + b.layout +
                               " repeats the totals in every line and cannot be exported");
    }
    export_banks_.push_back(std::move(b));
  }
}

std::shared_ptr<const Layout> BankAdapter::find_layout(const std::string& name) const {
  for (const auto& l : layouts_) {
    if (l->name == name) return l;
  }
  return nullptr;
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
    // The same registry as payment.lines messages (payment_batcher.h), for big files.
    if (l->kind == LayoutKind::kPayments) {
      ctx_.parsers().add("bank." + l->name + ".batched",
                         std::make_shared<RegistryParser>(l, batch_lines_, true));
    }
  }
  // 1CClientBankExchange (client_bank/, owned by the client-bank work): bank.client_bank.
  register_client_bank_parsers(ctx_.parsers(), client_bank_options());
  std::string names;
  for (const auto& l : layouts_) names += (names.empty() ? "" : ",") + l->name;
  ctx_.log().info("bank_layouts_loaded", {{"dir", layouts_dir_.string()}, {"layouts", names}});
}

plugin::DeliveryResult BankAdapter::deliver(const plugin::Envelope& message) {
  if (!payment_orders_) return plugin::DeliveryResult::rejected("payment_orders_dir is not set");
  return payment_orders_->deliver(message);
}

plugin::Health BankAdapter::health() {
  return {true,
          std::to_string(layouts_.size()) + " registry layouts from " + layouts_dir_.string()};
}

}  // namespace hub::bank

namespace hub::bank {

ExportBank parse_export_bank(const std::string& entry) {
  ExportBank b;
  std::size_t start = 0;
  while (start <= entry.size()) {
    auto end = entry.find(';', start);
    if (end == std::string::npos) end = entry.size();
    std::string part = entry.substr(start, end - start);
    start = end + 1;
    const auto a = part.find_first_not_of(" \t");
    if (a == std::string::npos) continue;
    part = part.substr(a, part.find_last_not_of(" \t") - a + 1);
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::invalid_argument("'" + part + "' is not key=value");
    }
    auto key = part.substr(0, eq);
    auto value = part.substr(eq + 1);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (key == "bank")
      b.bank = value;
    else if (key == "layout")
      b.layout = value;
    else if (key == "meters")
      b.meters = value == "true" || value == "yes" || value == "1";
    else
      b.vars[key] = value;
  }
  if (b.layout.empty()) throw std::invalid_argument("layout= is missing");
  if (b.bank.empty()) b.bank = b.layout;
  b.vars["bank"] = b.bank;
  return b;
}

std::string previous_month(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(now)};
  const auto prev = year_month{ymd.year(), ymd.month()} - months{1};
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(prev.year()),
                static_cast<unsigned>(prev.month()));
  return buf;
}

std::vector<plugin::JobSpec> BankAdapter::jobs() {
  return {{"export_debts",
           "Write the debt registry of each export bank for the previous month (export_period)",
           export_schedule_}};
}

plugin::JobResult BankAdapter::run_job(const std::string& job) {
  if (job != "export_debts") return plugin::JobResult::failure("bank offers no job '" + job + "'");
  return export_debts(export_period_.empty() ? previous_month(ctx_.clock().now()) : export_period_);
}

plugin::JobResult BankAdapter::export_debts(const std::string& period) {
  if (export_banks_.empty()) return plugin::JobResult::success("no export_banks configured");
  std::error_code ec;
  std::filesystem::create_directories(outbox_, ec);
  if (ec)
    return plugin::JobResult::failure("cannot create " + outbox_.string() + ": " + ec.message());
  std::string summary;
  bool ok = true;
  for (const auto& b : export_banks_) {
    const auto layout = find_layout(b.layout);
    auto vars = b.vars;
    vars["period"] = period;
    vars["mmyy"] = period.substr(5, 2) + period.substr(2, 2);
    vars["mmyyyy"] = period.substr(5, 2) + period.substr(0, 4);
    vars["yyyymm"] = period.substr(0, 4) + period.substr(5, 2);
    std::string name;
    try {
      name = layout->file_name.pattern.empty()
                 ? b.bank + "_" + layout->name + "_" + vars["yyyymm"] + ".txt"
                 : make_file_name(layout->file_name.pattern, vars);
    } catch (const std::invalid_argument& e) {
      ok = false;
      summary += (summary.empty() ? "" : "; ") + b.bank + ": " + e.what();
      continue;
    }
    RegistryWriter writer(*layout, vars);
    std::size_t skipped = 0;
    std::pair<std::int64_t, std::int64_t> totals{0, 0};
    try {
      writer.open(outbox_ / name);
      plugin::DebtQuery q;
      q.period = period;
      q.with_meters = b.meters;
      ctx_.debts().for_each_debtor(q, [&](const plugin::DebtorRow& d) {
        Record r;
        r.values = {{"account", d.account},
                    {"period", d.period},
                    {"amount", std::to_string(d.debt_kopecks)}};
        if (!d.els.empty()) r.values["els"] = d.els;
        if (!d.payer_name.empty()) r.values["payer_name"] = d.payer_name;
        if (!d.address.empty()) r.values["address"] = d.address;
        if (!d.house_guid.empty()) r.values["house_guid"] = d.house_guid;
        if (!d.premise.empty()) r.values["premise"] = d.premise;
        for (const auto& m : d.meters) r.meters.push_back({m.meter_id, "", "", m.last_value});
        std::string why;
        if (!writer.write(r, why)) {
          ++skipped;
          ctx_.log().warn("debt_row_skipped",
                          {{"bank", b.bank}, {"account", d.account}, {"reason", why}});
        }
      });
      totals = writer.finish();
    } catch (const std::exception& e) {
      ok = false;
      summary += (summary.empty() ? "" : "; ") + b.bank + ": " + e.what();
      continue;
    }
    ctx_.metrics().add("debt_rows_total", {{"bank", b.bank}}, static_cast<double>(totals.first));
    ctx_.log().info("debt_registry_written", {{"bank", b.bank},
                                              {"file", (outbox_ / name).string()},
                                              {"period", period},
                                              {"rows", std::to_string(totals.first)},
                                              {"sum_kopecks", std::to_string(totals.second)},
                                              {"skipped", std::to_string(skipped)}});
    summary += (summary.empty() ? "" : "; ") + b.bank + ": " + name + " " +
               std::to_string(totals.first) + " debtors, " +
               format_amount(totals.second, AmountUnit::kRubles) + " rub" +
               (skipped ? ", " + std::to_string(skipped) + " skipped" : "");
  }
  return ok ? plugin::JobResult::success(period + " " + summary)
            : plugin::JobResult::failure(period + " " + summary);
}

}  // namespace hub::bank
