// `zhkh-hub import bank --layout ...` against a running zhkh-hub (the real binary, bank.so loaded
// from its config, the test database): a dry run reconciles and prints the totals as the last
// JSON line without committing; the real run journals the payments, the dispatcher delivers them
// to billing_store, and billing.payment holds them; the same file again is recognised.
#include <gtest/gtest.h>

#include <thread>

#include "bank_test_util.h"
#include "hub_process.h"
#include "test_database.h"

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
      "adapters:\n  bank: {plugin: bank, layouts: " + testing::layouts_dir().string() + "}\n");
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

  out = hub.cli("import bank --layout sber_payments " + file.string() + " --json", &rc);
  EXPECT_EQ(rc, 0) << out << hub.logs();
  EXPECT_NE(last_line(out).find("\"sum_kopecks\":202340"), std::string::npos) << out;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), "2");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'meter.reading'"), "1");
  std::string payments;
  for (int i = 0; i < 100 && payments != "2"; ++i) {
    std::this_thread::sleep_for(200ms);
    payments = db.scalar("SELECT count(*) FROM billing.payment");
  }
  EXPECT_EQ(payments, "2") << hub.logs();
  EXPECT_EQ(db.scalar("SELECT sum(amount_kopecks) FROM billing.payment"), "202340");

  out = hub.cli("import bank --layout sber_payments " + file.string(), &rc);
  EXPECT_NE(out.find("already imported"), std::string::npos) << out;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), "2");
  hub.terminate();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hub::bank
