// Debt registry export: PgDebtReader (Context::debts()) on a real billing schema, and the bank
// plugin's export_debts job writing one file per bank (layout, file-name rule, footer) that the
// same plugin's parsers then read back and reconcile.
#include <gtest/gtest.h>

#include "bank_adapter.h"
#include "bank_test_util.h"
#include "hub/billing/debt_reader.h"
#include "hub/ingress/ingress.h"
#include "hub/plugin_host/adapter_host.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "registry/record_reader.h"
#include "registry/scanner.h"
#include "test_database.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;

class DebtExportTest : public ::testing::Test {
 protected:
  DebtExportTest() {
    dir_ = hub::testing::make_temp_dir("zhkh-debts");
    db_.exec(R"SQL(
      INSERT INTO billing.house (nkey, fias_guid, address)
        VALUES ('h1', '0c5b2444-70a0-4932-980c-b4dc0d3f02b5', 'Димитровград, Гагарина ул, д.15');
      INSERT INTO billing.account (nkey, number, els, house_fias_guid, premise_number,
                                   payer_last_name, payer_first_name, payer_middle_name, closed_on)
      VALUES ('a1', '100001', '34АА011432', '0c5b2444-70a0-4932-980c-b4dc0d3f02b5', '12А',
              'Иванова', 'Мария', 'Петровна', NULL),
             ('a2', '100002', NULL, NULL, NULL, 'Петров', NULL, NULL, NULL),
             ('a3', '100003', NULL, NULL, NULL, 'Сидоров', NULL, NULL, '2026-09-15'),
             ('a4', '100004', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      UPDATE billing.account SET payer_org_name = 'ООО Ромашка' WHERE number = '100004';
      INSERT INTO billing.charge (nkey, account, period, total_kopecks) VALUES
        ('c1', '100001', '2026-09', 100000), ('c2', '100001', '2026-10', 100000),
        ('c3', '100001', '2026-11', 99999),
        ('c4', '100002', '2026-10', 50000),
        ('c5', '100003', '2026-10', 70000),
        ('c6', '100004', '2026-10', 12345);
      INSERT INTO billing.payment (nkey, agent_code, amount_kopecks, payment_ref, account_id,
                                   status, paid_on)
      SELECT 'p1', 'sber', 50000, 'tx:1', id, 'identified', date '2026-10-20' FROM billing.account
       WHERE number = '100001'
      UNION ALL
      SELECT 'p2', 'sber', 50000, 'tx:2', id, 'identified', date '2026-10-05' FROM billing.account
       WHERE number = '100002'
      UNION ALL
      SELECT 'p3', 'sber', 12345, 'tx:3', id, 'identified', date '2026-11-02' FROM billing.account
       WHERE number = '100004'
      UNION ALL
      SELECT 'p4', 'sber', 1, 'tx:4', NULL, 'unidentified', date '2026-10-02';
      INSERT INTO billing.reading (nkey, meter_key, meter_id, account, zone_values, channel,
                                   taken_at)
      VALUES ('r1', 'CW-1', 'CW-1', '100001', '[{"zone":"total","value":"310.5"}]', 'portal',
              '2026-10-10T10:00:00Z'),
             ('r2', 'CW-1', 'CW-1', '100001', '[{"zone":"total","value":"312.457"}]', 'portal',
              '2026-10-25T10:00:00Z'),
             ('r3', 'CW-1', 'CW-1', '100001', '[{"zone":"total","value":"400"}]', 'portal',
              '2026-11-25T10:00:00Z');
    )SQL");
  }
  ~DebtExportTest() override {
    host_.reset();
    fs::remove_all(dir_);
  }

  plugin_host::AdapterHost& host() {
    schemas_ = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(router::parse_routing_config(
        "routes:\n  - name: all\n    match: {type: [payment.received]}\n    to: [billing_store]\n",
        "r.yaml"));
    auto xslt = std::make_shared<xml::StylesheetCache>(hub::testing::source_dir() / "mappings");
    router_.set(std::make_shared<router::Router>(config, xslt, 1));
    ingress_ = std::make_unique<ingress::Ingress>(*pool_, schemas_, router_);
    host_ =
        std::make_unique<plugin_host::AdapterHost>(hub::testing::plugin_dir(), *pool_, *ingress_);
    host_->add_instances(
        YAML::Load("bank:\n  plugin: bank\n  layouts: " + testing::layouts_dir().string() +
                   "\n  outbox: " + (dir_ / "out").string() +
                   "\n  export_period: 2026-10\n  export_banks:\n"
                   "    - \"bank=sber; layout=debt_pipe; inn=1234567890; "
                   "rs=40702810012345678912; seq=001; org_name=УК Пример\"\n"
                   "    - \"bank=gorod; layout=gorod; service_code=42; service_name=Квартплата\"\n"
                   "    - \"bank=sber2; layout=debt_meters; meters=true\"\n"),
        "test.yaml");
    host_->start_all();
    return *host_;
  }

  hub::testing::TestDatabase db_;
  std::unique_ptr<store::Pool> pool_ = db_.make_pool(3);
  fs::path dir_;
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  router::RouterHolder router_;
  std::unique_ptr<ingress::Ingress> ingress_;
  std::unique_ptr<plugin_host::AdapterHost> host_;
};

TEST_F(DebtExportTest, DebtIsChargesUpToThePeriodMinusPaymentsBeforeItsEnd) {
  billing::PgDebtReader reader(*pool_, 2);  // pages of 2 accounts: the keyset is exercised
  std::vector<plugin::DebtorRow> rows;
  plugin::DebtQuery q;
  q.period = "2026-10";
  q.with_meters = true;
  EXPECT_EQ(reader.for_each_debtor(q, [&](const plugin::DebtorRow& r) { rows.push_back(r); }), 2u);
  ASSERT_EQ(rows.size(), 2u);
  // 100001: 1000 + 1000 charged up to October, 500 paid in October; November's charge not yet.
  EXPECT_EQ(rows[0].account, "100001");
  EXPECT_EQ(rows[0].charged_kopecks, 200000);
  EXPECT_EQ(rows[0].paid_kopecks, 50000);
  EXPECT_EQ(rows[0].debt_kopecks, 150000);
  EXPECT_EQ(rows[0].payer_name, "Иванова Мария Петровна");
  EXPECT_EQ(rows[0].address, "Димитровград, Гагарина ул, д.15, кв. 12А");
  EXPECT_EQ(rows[0].els, "34АА011432");
  EXPECT_EQ(rows[0].premise, "12А");
  ASSERT_EQ(rows[0].meters.size(), 1u);
  EXPECT_EQ(rows[0].meters[0].meter_id, "CW-1");
  EXPECT_EQ(rows[0].meters[0].last_value, "312.457");  // the last one before November
  // 100002 paid in full; 100003 closed before October; 100004 paid only in November.
  EXPECT_EQ(rows[1].account, "100004");
  EXPECT_EQ(rows[1].debt_kopecks, 12345);
  EXPECT_EQ(rows[1].payer_name, "ООО Ромашка");
  EXPECT_THROW(reader.for_each_debtor({"2026-13"}, [](const plugin::DebtorRow&) {}),
               std::invalid_argument);
}

TEST_F(DebtExportTest, ExportJobWritesOneFilePerBankThatImportsBack) {
  auto& h = host();
  auto r = h.run_job("bank.export_debts");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message,
            "2026-10 sber: 1234567890_40702810012345678912_001_1026.txt 2 debtors, 1623.45 rub; "
            "gorod: gorod_gorod_202610.txt 2 debtors, 1623.45 rub; "
            "sber2: sber2_debt_meters_202610.txt 2 debtors, 1623.45 rub");
  // With meters: the last reading before the period's end, in the `:[!]` blocks.
  EXPECT_EQ(testing::read_file(dir_ / "out/sber2_debt_meters_202610.txt"),
            testing::in_encoding(
                "Иванова Мария Петровна;34АА011432;0c5b2444-70a0-4932-980c-b4dc0d3f02b5;12А;"
                "Димитровград, Гагарина ул, д.15, кв. 12А;100001;1500.00;:[!]102026;:[!]CW-1;;"
                "312.457;:[!];;\n"
                "ООО Ромашка;;;;;100004;123.45;:[!]102026;:[!];:[!];;\n",
                Encoding::kCp1251));
  const auto sber = dir_ / "out/1234567890_40702810012345678912_001_1026.txt";
  const auto gorod = dir_ / "out/gorod_gorod_202610.txt";
  const auto bytes = testing::read_file(sber);
  EXPECT_EQ(bytes, testing::in_encoding(
                       "100001|34АА011432|0c5b2444-70a0-4932-980c-b4dc0d3f02b5,12А|Иванова Мария "
                       "Петровна|Димитровград, Гагарина ул, д.15, кв. 12А|1|Квартплата УК "
                       "Пример|102026||150000|\r\n"
                       "100004|||ООО Ромашка||1|Квартплата УК Пример|102026||12345|\r\n"
                       "=|2|162345|\r\n",
                       Encoding::kCp1251));
  EXPECT_EQ(testing::read_file(gorod).substr(0, 18), "#FILESUM 1623.45\r\n");

  // Export -> import: the plugin's own parsers accept both files with the same totals.
  for (const auto& [parser, file] :
       {std::pair{"bank.debt_pipe", sber}, std::pair{"bank.gorod", gorod},
        std::pair{"bank.debt_meters", dir_ / "out/sber2_debt_meters_202610.txt"}}) {
    testing::CaptureSink sink;
    auto out =
        h.parsers().find(parser)->parse(file, testing::info_for(file.filename().string()), sink);
    ASSERT_TRUE(out.accepted) << parser << ": " << out.fatal.at(0).reason;
    EXPECT_TRUE(sink.errors.empty()) << sink.errors.at(0).reason;
    EXPECT_NE(out.summary.find("\"count\":2,\"sum_kopecks\":162345"), std::string::npos)
        << out.summary;
  }
  // Run again: the file is replaced, not doubled.
  ASSERT_TRUE(h.run_job("bank.export_debts").ok);
  EXPECT_EQ(testing::read_file(sber), bytes);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_ / "out")) ++files;
  EXPECT_EQ(files, 3u);
}

TEST(DebtExportConfig, EntriesAndPeriods) {
  const auto b = parse_export_bank(" bank = sber ; layout=debt_pipe; inn=1234567890; meters=true;");
  EXPECT_EQ(b.bank, "sber");
  EXPECT_EQ(b.layout, "debt_pipe");
  EXPECT_TRUE(b.meters);
  EXPECT_EQ(b.vars.at("inn"), "1234567890");
  EXPECT_THROW(parse_export_bank("bank=sber"), std::invalid_argument);
  EXPECT_THROW(parse_export_bank("layout=x; inn"), std::invalid_argument);
  using namespace std::chrono;
  EXPECT_EQ(previous_month(sys_days(2026y / January / 15)), "2025-12");
  EXPECT_EQ(previous_month(sys_days(2026y / December / 1)), "2026-11");
}

}  // namespace
}  // namespace hub::bank
