// The real bank.so and file_inbox.so through AdapterHost into the real Ingress (canonical schemas
// from the checkout) on a throwaway PostgreSQL database: a Sber registry dropped into the inbox
// ends as journalled payment.received / meter.reading messages with their deliveries, and those
// messages, handed to the billing store as the billing_store target would, become billing rows.
#include <gtest/gtest.h>

#include <sstream>

#include "bank_test_util.h"
#include "hub/billing/billing_store.h"
#include "hub/ingress/ingress.h"
#include "hub/plugin_host/adapter_host.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "test_database.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRoutes = R"(routes:
  - name: payments
    match: {type: [payment.received, payment.lines, meter.reading]}
    to: [billing_store]
)";

std::string registry(int lines, int first = 1) {
  std::string text;
  std::int64_t sum = 0;
  for (int i = first; i < first + lines; ++i) {
    const std::int64_t kop = 10000 + i;
    sum += kop;
    text += "8626;0042;20/11/2026;" + std::to_string(900000 + i) + ";" + std::to_string(kop / 100) +
            "." + (kop % 100 < 10 ? "0" : "") + std::to_string(kop % 100) +
            ";0;CLIENTNO:" + std::to_string(100000 + i) +
            (i % 2 ? ";CounterVal_1:" + std::to_string(100 + i) + ".5" : "") +
            ";FIO:Иванов Иван\r\n";
  }
  text += "=;" + std::to_string(lines) + ";" + std::to_string(sum / 100) + "." +
          (sum % 100 < 10 ? "0" : "") + std::to_string(sum % 100) + "\r\n";
  return testing::in_encoding(text, Encoding::kCp1251);
}

class BankPluginTest : public ::testing::Test {
 protected:
  BankPluginTest() {
    schemas_ = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(
        router::parse_routing_config(kRoutes, "test-routes.yaml"));
    auto xslt = std::make_shared<xml::StylesheetCache>(hub::testing::source_dir() / "mappings");
    router_.set(std::make_shared<router::Router>(config, xslt, 1));
    ingress_ = std::make_unique<ingress::Ingress>(*pool_, schemas_, router_);
    dir_ = hub::testing::make_temp_dir("zhkh-bank-e2e");
    inbox_ = dir_ / "in";
    host_ =
        std::make_unique<plugin_host::AdapterHost>(hub::testing::plugin_dir(), *pool_, *ingress_);
    host_->add_instances(
        YAML::Load("bank:\n  plugin: bank\n  layouts: " + testing::layouts_dir().string() +
                   "\n  batch_lines: 3\n"
                   "sber_inbox:\n  plugin: file_inbox\n  path: " +
                   inbox_.string() +
                   "\n  parser: bank.sber_payments\n  min_age: 0s\n  poll_interval: 1h\n"
                   "  batch_size: 4\n"
                   "bulk_inbox:\n  plugin: file_inbox\n  path: " +
                   (dir_ / "bulk").string() +
                   "\n  parser: bank.sber_payments.batched\n  min_age: 0s\n  poll_interval: 1h\n"),
        "test.yaml");
    host_->start_all();
  }
  ~BankPluginTest() override {
    host_.reset();
    fs::remove_all(dir_);
  }
  plugin::JobResult scan() { return host_->run_job("sber_inbox.scan"); }
  /// The journalled messages (`where`: a WHERE clause, or none), in the order they came.
  std::vector<Envelope> journal(const std::string& where = "") {
    std::vector<Envelope> out;
    auto lease = pool_->lease();
    pqxx::work tx(lease.conn());
    for (const auto& row :
         tx.exec("SELECT id::text, type, idempotency_key, body FROM hub.message " + where +
                 " ORDER BY received_at, id")) {
      Envelope e;
      e.id = row[0].c_str();
      e.type = row[1].c_str();
      e.idempotency_key = row[2].c_str();
      e.body = row[3].c_str();
      out.push_back(std::move(e));
    }
    tx.commit();
    return out;
  }
  int count(const std::string& sql) { return std::stoi(db_.scalar(sql)); }

  hub::testing::TestDatabase db_;
  std::unique_ptr<store::Pool> pool_ = db_.make_pool(3);
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  router::RouterHolder router_;
  std::unique_ptr<ingress::Ingress> ingress_;
  fs::path dir_, inbox_;
  std::unique_ptr<plugin_host::AdapterHost> host_;
};

TEST_F(BankPluginTest, RegistersAParserPerLayoutAndClientBank) {
  for (const char* name :
       {"bank.sber_payments", "bank.debt_pipe", "bank.vtb_partner", "bank.gorod",
        "bank.client_bank", "bank.sber_payments.batched", "bank.vtb_partner.batched"}) {
    EXPECT_NE(host_->parsers().find(name), nullptr) << name;
  }
  EXPECT_EQ(host_->parsers().find("bank.debt_pipe.batched"), nullptr);  // debts are outgoing
  const auto info = host_->instances();
  ASSERT_EQ(info.size(), 3u);
  EXPECT_TRUE(info[0].health.ok) << info[0].health.detail;
}

TEST_F(BankPluginTest, RegistryInTheInboxEndsAsJournalledPaymentsAndBillingRows) {
  testing::write_file(inbox_ / "sber_20261120.txt", registry(7));
  scan();  // this pass or the poll thread's first one takes the file; either way it is done now
  EXPECT_TRUE(fs::exists(inbox_ / "done/sber_20261120.txt"));
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), 7);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'meter.reading'"), 4);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE source <> 'sber_inbox'"), 0);
  EXPECT_EQ(db_.scalar("SELECT idempotency_key FROM hub.message WHERE body LIKE '%900001%'"
                       " AND type = 'payment.received'"),
            "bank:sber:2026-11-20:8626:900001:10001");
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery WHERE target = 'billing_store'"), 11);
  // Readings are correlated to their payment.
  EXPECT_EQ(count("SELECT count(*) FROM hub.message r JOIN hub.message p"
                  " ON r.causation_id = p.id::text AND r.correlation_id = p.correlation_id"
                  " WHERE r.type = 'meter.reading' AND p.type = 'payment.received'"),
            4);
  EXPECT_EQ(db_.scalar("SELECT status || '|' || position FROM hub.file_checkpoint"
                       " WHERE source = 'sber_inbox'"),
            "done|7");  // the last registry line (the footer is line 8)
  const auto report = testing::read_file(inbox_ / "done/sber_20261120.txt.report.json");
  EXPECT_NE(report.find("\\\"count\\\":7"), std::string::npos) << report;

  // What the billing_store target does with each delivery.
  billing::BillingStore store(*pool_);
  for (const auto& res : store.apply_batch(journal())) {
    EXPECT_NE(res.outcome, billing::ApplyResult::Outcome::kRejected) << res.error;
  }
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 7);
  EXPECT_EQ(count("SELECT count(*) FROM billing.reading WHERE channel = 'bank'"), 4);
  EXPECT_EQ(db_.scalar("SELECT sum(amount_kopecks) FROM billing.payment"), "70028");
  EXPECT_EQ(
      db_.scalar("SELECT payer_account || '|' || period || '|' || paid_on FROM billing.payment"
                 " WHERE transaction_id = '900003'"),
      "100003|2026-10|2026-11-20");
}

// The same registry through bank.sber_payments.batched: a payment.lines per 3 lines (batch_lines),
// and the billing store ends with the same payments and readings as from the line parser.
TEST_F(BankPluginTest, BatchedRegistryEndsAsTheSamePaymentsInFewerMessages) {
  testing::write_file(dir_ / "bulk" / "sber_20261120.txt", registry(7));
  host_->run_job("bulk_inbox.scan");
  EXPECT_TRUE(fs::exists(dir_ / "bulk" / "done/sber_20261120.txt"));
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 3);  // lines 1-3, 4-6, 7
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'payment.lines'"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery WHERE target = 'billing_store'"), 3);
  EXPECT_EQ(db_.scalar("SELECT status || '|' || position FROM hub.file_checkpoint"
                       " WHERE source = 'bulk_inbox'"),
            "done|7");
  const auto report = testing::read_file(dir_ / "bulk" / "done/sber_20261120.txt.report.json");
  EXPECT_NE(report.find("\\\"count\\\":7"), std::string::npos) << report;

  // The payers' accounts are known: a payment's readings are recorded once it is identified.
  db_.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, residents)"
      " SELECT 'a' || g, (100000 + g)::text, '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', g::text, 40, 1"
      " FROM generate_series(1, 7) g");
  billing::BillingStore store(*pool_);
  for (const auto& res : store.apply_batch(journal())) EXPECT_TRUE(res.ok()) << res.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 7);
  EXPECT_EQ(count("SELECT count(*) FROM billing.reading WHERE channel = 'bank'"), 4);
  EXPECT_EQ(db_.scalar("SELECT sum(amount_kopecks) FROM billing.payment"), "70028");
  EXPECT_EQ(db_.scalar("SELECT source_key FROM billing.payment WHERE transaction_id = '900001'"),
            "bank:sber:2026-11-20:8626:900001:10001");

  // The same registry through the line parser adds no payment: the keys are the same.
  testing::write_file(inbox_ / "sber_20261120.txt", registry(7));
  scan();
  const auto by_line = journal("WHERE type <> 'payment.lines'");
  ASSERT_EQ(by_line.size(), 11u);
  for (const auto& res : store.apply_batch(by_line)) EXPECT_TRUE(res.ok()) << res.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 7);
}

// A payment written twice in one file (the same bank document: same day, branch, operation and
// amount) is one payment, line by line and batched alike: the file is imported, not refused.
TEST_F(BankPluginTest, APaymentRepeatedInOneFileIsImportedOnceInBothModes) {
  auto bytes = testing::in_encoding("8626;0042;20/11/2026;900001;100.01;0;CLIENTNO:100001\r\n"
                                    "8626;0042;20/11/2026;900002;100.02;0;CLIENTNO:100002\r\n"
                                    "8626;0042;20/11/2026;900001;100.01;0;CLIENTNO:100001\r\n"
                                    "=;3;300.04\r\n",
                                    Encoding::kCp1251);
  testing::write_file(dir_ / "bulk" / "twice.txt", bytes);
  host_->run_job("bulk_inbox.scan");
  EXPECT_TRUE(fs::exists(dir_ / "bulk" / "done/twice.txt"));
  testing::write_file(inbox_ / "twice.txt", bytes);
  ASSERT_TRUE(scan().ok);
  EXPECT_TRUE(fs::exists(inbox_ / "done/twice.txt"));
  billing::BillingStore store(*pool_);
  for (const auto& res : store.apply_batch(journal())) EXPECT_TRUE(res.ok()) << res.error;
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 2);
  EXPECT_EQ(db_.scalar("SELECT sum(amount_kopecks) FROM billing.payment"), "20003");
}

TEST_F(BankPluginTest, SameFileTwiceAndOverlappingFilesImportEachPaymentOnce) {
  testing::write_file(inbox_ / "a.txt", registry(5));
  ASSERT_TRUE(scan().ok);
  ASSERT_TRUE(fs::exists(inbox_ / "done/a.txt"));
  testing::write_file(inbox_ / "a-again.txt", registry(5));  // the same bytes
  testing::write_file(inbox_ / "b.txt", registry(5, 4));     // lines 4..8: 4 and 5 repeat
  ASSERT_TRUE(scan().ok);
  EXPECT_NE(testing::read_file(inbox_ / "done/a-again.txt.report.json").find("duplicate of a.txt"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(inbox_ / "done/b.txt"));
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), 8);
  EXPECT_EQ(count("SELECT count(DISTINCT idempotency_key) FROM hub.message"),
            count("SELECT count(*) FROM hub.message"));
}

TEST_F(BankPluginTest, FooterMismatchQuarantinesTheWholeFile) {
  auto bytes = registry(6);
  bytes.replace(bytes.find("=;6;"), 4, "=;5;");
  testing::write_file(inbox_ / "bad.txt", bytes);
  ASSERT_TRUE(scan().ok);
  EXPECT_FALSE(fs::exists(inbox_ / "done/bad.txt"));
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  const auto report = testing::read_file(inbox_ / "quarantine/bad.txt.report.json");
  EXPECT_NE(report.find("footer at line 7 says 5 lines, the file has 6"), std::string::npos)
      << report;
  EXPECT_NE(report.find("\"line\":7"), std::string::npos) << report;
}

}  // namespace
}  // namespace hub::bank

namespace hub::bank {
namespace {

// A broken layout file stops the adapter at start-up with the file, line and key.
TEST(BankPluginConfigTest, BrokenLayoutFileIsAStartUpErrorNamingFileLineAndKey) {
  hub::testing::TestDatabase db;
  auto pool = db.make_pool(2);
  const auto dir = hub::testing::make_temp_dir("zhkh-bank-layouts");
  testing::write_file(dir / "ok.yaml", testing::read_file(testing::layouts_dir() / "gorod.yaml"));
  testing::write_file(dir / "broken.yaml",
                      "layout: broken\nkind: payments\nseparator: \";\"\nfields:\n"
                      "  - {name: d, role: paid_at, type: date, format: dd.MM.yyyy}\n"
                      "  - {name: s, role: amount, type: amount, unit: dollars}\n");
  struct NoEmitter : plugin::Emitter {
    plugin::EmitResult emit(std::vector<plugin::Envelope>,
                            const std::optional<plugin::Checkpoint>&) override {
      return {};
    }
  } emitter;
  plugin_host::AdapterHost host(hub::testing::plugin_dir(), *pool, emitter);
  try {
    host.add_instances(YAML::Load("bank:\n  plugin: bank\n  layouts: " + dir.string() + "\n"),
                       "test.yaml");
    FAIL() << "a broken layout was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(
                  (dir / "broken.yaml").string() +
                  ":6: fields[2].unit: unknown unit 'dollars' (rubles, kopecks, rubles_rounded)"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hub::bank
