// `zhkh-hub import bank --layout ...` against a running zhkh-hub (the real binary, bank.so loaded
// from its config, the test database): a dry run reconciles and prints the totals as the last
// JSON line without committing; the real run journals the payments, the dispatcher delivers them
// to billing_store, and billing.payment holds them; the same file again is recognised. The
// debt registry export runs from `zhkh-hub schedules run bank.export_debts`.
#include <gtest/gtest.h>

#include <thread>

#include "bank_test_util.h"
#include "hub_process.h"
#include "job_run.h"
#include "test_database.h"
#include "wait_for.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRoutes = R"(routes:
  - name: payments
    match: {type: [payment.received, meter.reading]}
    to: [billing_store]
)";

std::string last_line(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const auto start = out.rfind('\n', end);
  return out.substr(start == std::string::npos ? 0 : start + 1,
                    end - (start == std::string::npos ? 0 : start + 1) + 1);
}

TEST(BankCliTest, ImportBankDryRunThenRealRunEndsInTheBillingStore) {
  hub::testing::TestDatabase db;
  const auto dir = hub::testing::make_temp_dir("zhkh-bank-cli");
  hub::testing::HubProcess hub(
      dir, db.conninfo(), kRoutes,
      "adapters:\n  bank:\n    plugin: bank\n    layouts: " + testing::layouts_dir().string() +
          "\n    outbox: " + (dir / "outbox").string() +
          "\n    export_period: 2026-11\n    export_banks:\n"
          "      - \"bank=sber; layout=debt_pipe; inn=1234567890; rs=40702810012345678912; "
          "seq=001; org_name=УК\"\n");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();

  const auto file = dir / "sber_20261120.txt";
  testing::write_file(
      file, testing::in_encoding(
                "8626;0042;20/11/2026;100001;1523.40;0.00;CLIENTNO:100234;CounterVal_1:312.5\r\n"
                "8626;0042;20/11/2026;100002;500,00;0;CLIENTNO:100235\r\n"
                "8626;0042;20/11/2026;100003;bad;0;CLIENTNO:100236\r\n"
                "=;3;2023.40\r\n",
                Encoding::kCp1251));
  int rc = 0;
  // The footer counts the bad line's amount as missing: 2023.40 is what the good lines add up to.
  auto out =
      hub.cli("import bank --layout sber_payments " + file.string() + " --dry-run --json", &rc);
  EXPECT_EQ(rc, 0) << out << hub.logs();
  const auto summary = last_line(out);
  EXPECT_NE(summary.find("\"count\":3"), std::string::npos) << out;
  EXPECT_NE(summary.find("\"sum_kopecks\":202340"), std::string::npos) << out;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message"), "0");
  // --batched reads the file with bank.sber_payments.batched: the same checks and totals.
  out = hub.cli(
      "import bank --layout sber_payments --batched " + file.string() + " --dry-run --json", &rc);
  EXPECT_EQ(rc, 0) << out << hub.logs();
  EXPECT_EQ(last_line(out), summary) << out;
  EXPECT_NE(out.find("payment.lines"), std::string::npos) << out;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message"), "0");

  out = hub.cli("import bank --layout sber_payments " + file.string() + " --json", &rc);
  EXPECT_EQ(rc, 0) << out << hub.logs();
  EXPECT_NE(last_line(out).find("\"sum_kopecks\":202340"), std::string::npos) << out;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), "2");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'meter.reading'"), "1");
  // The dispatcher hands them to the billing store after the import has returned.
  EXPECT_TRUE(hub::testing::wait_for(
      [&] { return db.scalar("SELECT count(*) FROM billing.payment") == "2"; }, 30s))
      << db.scalar("SELECT count(*) FROM billing.payment") << hub.logs();
  EXPECT_EQ(db.scalar("SELECT sum(amount_kopecks) FROM billing.payment"), "202340");

  out = hub.cli("import bank --layout sber_payments " + file.string(), &rc);
  EXPECT_NE(out.find("already imported"), std::string::npos) << out;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), "2");

  // The debt registry from the CLI: account 100234 was charged 2000.00 for November and paid
  // 1523.40 of it with the registry above.
  db.exec(
      "INSERT INTO billing.account (nkey, number, payer_last_name) VALUES ('k1', '100234', "
      "'Иванова');"
      "INSERT INTO billing.charge (nkey, account, period, total_kopecks) VALUES "
      "('c1', '100234', '2026-11', 200000);"
      "UPDATE billing.payment SET account_id = (SELECT id FROM billing.account), status = "
      "'identified' WHERE payer_account = '100234';");
  // `schedules run` only starts the job: wait for the run to end (job_run.h); the job writes the
  // registry (to a temporary name, then renamed) before it ends.
  const auto exported = hub::testing::run_job(hub, db, "bank.export_debts");
  EXPECT_EQ(exported.status, "ok") << exported.error << hub.logs();
  const auto registry = dir / "outbox/1234567890_40702810012345678912_001_1126.txt";
  ASSERT_TRUE(fs::exists(registry)) << exported.summary << hub.logs();
  EXPECT_EQ(testing::read_file(registry),
            testing::in_encoding("100234|||Иванова||1|Квартплата УК|112026||47660|\r\n"
                                 "=|1|47660|\r\n",
                                 Encoding::kCp1251));
  hub.terminate();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hub::bank
