// End to end: the real bank.so and file_inbox.so through AdapterHost into the real Ingress
// (canonical schemas from the checkout) on a throwaway PostgreSQL database. A 1C statement
// dropped into an inbox with `parser: bank.client_bank` ends as journalled bank_statement.line /
// bank_statement.summary messages and, for identified incoming payments, payment.received
// (correlated with their line) that the billing store takes; an overlapping statement adds only
// what is new; a truncated one is quarantined with nothing journalled.
#include <gtest/gtest.h>

#include "client_bank_test_util.h"
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
using namespace client_bank_testing;

constexpr const char* kRoutes = R"(routes:
  - name: payments
    match: {type: [payment.received]}
    to: [billing_store]
  - name: statements
    match: {type: [bank_statement.line, bank_statement.summary]}
    to: [accounting]
)";

std::string document(const std::string& number, const std::string& amount,
                     const std::string& purpose, bool incoming) {
  const std::string ours = "40702810900000012345";
  const std::string theirs = "4081781050000" + std::string(7 - number.size(), '0') + number;
  return "СекцияДокумент=Платежное поручение\r\nНомер=" + number +
         "\r\nДата=19.11.2026\r\nСумма=" + amount +
         "\r\nПлательщикСчет=" + (incoming ? theirs : ours) +
         "\r\nПлательщик=" + (incoming ? "Иванова Мария Петровна" : "ООО \"УК Уютный дом\"") +
         "\r\nПолучательСчет=" + (incoming ? ours : theirs) +
         "\r\nПолучатель=" + (incoming ? "ООО \"УК Уютный дом\"" : "АО \"Энергосбыт\"") +
         "\r\nПолучательБИК=047308602\r\n" + (incoming ? "ДатаПоступило" : "ДатаСписано") +
         "=20.11.2026\r\nНазначениеПлатежа=" + purpose + "\r\nКонецДокумента\r\n";
}

std::string statement(const std::vector<std::string>& docs, const std::string& in,
                      const std::string& out, const std::string& closing) {
  std::string s =
      "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nОтправитель=Банк\r\n"
      "ДатаНачала=20.11.2026\r\nДатаКонца=20.11.2026\r\nРасчСчет=40702810900000012345\r\n"
      "СекцияРасчСчет\r\nДатаНачала=20.11.2026\r\nДатаКонца=20.11.2026\r\nРасчСчет="
      "40702810900000012345\r\nНачальныйОстаток=1000.00\r\nВсегоПоступило=" +
      in + "\r\nВсегоСписано=" + out + "\r\nКонечныйОстаток=" + closing + "\r\nКонецРасчСчет\r\n";
  for (const auto& d : docs) s += d;
  return to_encoding(s + "КонецФайла\r\n", Encoding::kCp1251);
}

class ClientBankPluginTest : public ::testing::Test {
 protected:
  ClientBankPluginTest() {
    schemas_ = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(
        router::parse_routing_config(kRoutes, "test-routes.yaml"));
    auto xslt = std::make_shared<xml::StylesheetCache>(hub::testing::source_dir() / "mappings");
    router_.set(std::make_shared<router::Router>(config, xslt, 1));
    ingress_ = std::make_unique<ingress::Ingress>(*pool_, schemas_, router_);
    dir_ = hub::testing::make_temp_dir("zhkh-client-bank-e2e");
    inbox_ = dir_ / "in";
    host_ =
        std::make_unique<plugin_host::AdapterHost>(hub::testing::plugin_dir(), *pool_, *ingress_);
    host_->add_instances(
        YAML::Load("bank:\n  plugin: bank\n  layouts: " +
                   (hub::testing::source_dir() / "mappings/bank").string() +
                   "\n  batch_lines: 3\n"
                   "statements:\n  plugin: file_inbox\n  path: " +
                   inbox_.string() +
                   "\n  parser: bank.client_bank\n  min_age: 0s\n  poll_interval: 1h\n"
                   "  batch_size: 4\n"),
        "test.yaml");
    host_->start_all();
  }
  ~ClientBankPluginTest() override {
    host_.reset();
    fs::remove_all(dir_);
  }
  plugin::JobResult scan() { return host_->run_job("statements.scan"); }
  int count(const std::string& sql) { return std::stoi(db_.scalar(sql)); }

  hub::testing::TestDatabase db_;
  std::unique_ptr<store::Pool> pool_ = db_.make_pool(3);
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  router::RouterHolder router_;
  std::unique_ptr<ingress::Ingress> ingress_;
  fs::path dir_, inbox_;
  std::unique_ptr<plugin_host::AdapterHost> host_;
};

TEST_F(ClientBankPluginTest, StatementInTheInboxEndsAsJournalledLinesAndPayments) {
  write_bytes(inbox_ / "kl_to_1c.txt",
              statement({document("101", "2345.67", "Оплата ЖКУ за октябрь 2026 л/с 100234", true),
                         document("102", "1500.00", "///ЖКУ34АА011432-01 за 11.2026", true),
                         document("103", "50.00", "Возврат подотчётных", true),
                         document("318", "2000.00", "Оплата по договору 5", false)},
                        "3895.67", "2000.00", "2895.67"));
  // This pass or the poll thread's first one takes the file (it may already have started when
  // the file appeared); either way it is done now.
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(fs::exists(inbox_ / "done/kl_to_1c.txt")) << r.message;
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 7);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'bank_statement.line'"), 4);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'bank_statement.summary'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE source <> 'statements'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery WHERE target = 'billing_store'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery WHERE target = 'accounting'"), 5);
  // Each payment shares its line's correlation id.
  EXPECT_EQ(count("SELECT count(*) FROM hub.message p JOIN hub.message l"
                  " ON p.correlation_id = l.correlation_id AND l.type = 'bank_statement.line'"
                  " WHERE p.type = 'payment.received'"),
            2);
  EXPECT_EQ(db_.scalar("SELECT status FROM hub.file_checkpoint WHERE source = 'statements'"),
            "done");
  const std::string report = read_bytes(inbox_ / "done/kl_to_1c.txt.report.json");
  EXPECT_NE(report.find("\\\"documents\\\":4"), std::string::npos) << report;
  EXPECT_NE(report.find("\\\"payments_kopecks\\\":384567"), std::string::npos) << report;

  // What the billing_store target does with the payments.
  billing::BillingStore store(*pool_);
  std::vector<Envelope> journal;
  {
    auto lease = pool_->lease();
    pqxx::work tx(lease.conn());
    for (const auto& row : tx.exec("SELECT id::text, type, body FROM hub.message"
                                   " WHERE type = 'payment.received' ORDER BY received_at, id")) {
      Envelope e;
      e.id = row[0].c_str();
      e.type = row[1].c_str();
      e.body = row[2].c_str();
      journal.push_back(std::move(e));
    }
    tx.commit();
  }
  for (const auto& res : store.apply_batch(journal)) {
    EXPECT_NE(res.outcome, billing::ApplyResult::Outcome::kRejected) << res.error;
  }
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 2);
  EXPECT_EQ(db_.scalar("SELECT sum(amount_kopecks) FROM billing.payment"), "384567");

  // The next day's statement repeats document 102 and adds one: only the new one is journalled.
  write_bytes(inbox_ / "kl_to_1c_2.txt",
              statement({document("102", "1500.00", "///ЖКУ34АА011432-01 за 11.2026", true),
                         document("104", "10.00", "л/с 100777", true)},
                        "1510.00", "0.00", "2510.00"));
  r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'payment.received'"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'bank_statement.line'"), 5);
  EXPECT_EQ(count("SELECT count(DISTINCT idempotency_key) FROM hub.message"),
            count("SELECT count(*) FROM hub.message"));
}

TEST_F(ClientBankPluginTest, TheRealSamplesGoThroughAndABrokenFileIsQuarantined) {
  for (const char* s : {"sample1.txt", "sample2.txt", "sample3.txt"}) {
    write_bytes(inbox_ / s, read_bytes(sample(s)));
  }
  std::string truncated =
      statement({document("1", "1.00", "л/с 1", true)}, "1.00", "0.00", "1001.00");
  truncated.resize(truncated.rfind(to_encoding("КонецФайла", Encoding::kCp1251)));
  write_bytes(inbox_ / "truncated.txt", truncated);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  // The inbox's own first pass may have taken some of them: what counts is where they are.
  for (const char* s : {"sample1.txt", "sample2.txt", "sample3.txt"}) {
    EXPECT_TRUE(fs::exists(inbox_ / "done" / s)) << s << "; " << r.message;
  }
  EXPECT_TRUE(fs::exists(inbox_ / "quarantine/truncated.txt")) << r.message;
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'bank_statement.line'"), 4);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'bank_statement.summary'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE body LIKE '%truncated.txt%'"), 0);
  const std::string report = read_bytes(inbox_ / "quarantine/truncated.txt.report.json");
  EXPECT_NE(report.find("no КонецФайла after line 28"), std::string::npos) << report;

  // The same file again, under another name: a duplicate, nothing journalled twice.
  const int before = count("SELECT count(*) FROM hub.message");
  write_bytes(inbox_ / "sample1-again.txt", read_bytes(sample("sample1.txt")));
  r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_NE(
      read_bytes(inbox_ / "done/sample1-again.txt.report.json").find("duplicate of sample1.txt"),
      std::string::npos)
      << r.message;
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), before);
}

}  // namespace
}  // namespace hub::bank
