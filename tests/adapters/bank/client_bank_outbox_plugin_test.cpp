// End to end, the way out: payment_order.requested journalled by the real Ingress (validated
// against its XSD) and delivered to the real bank.so through AdapterHost, as the dispatcher does
// for a route to the `bank` target, ends as a 1CClientBankExchange file in the outbox that
// bank.client_bank reads back; redelivery writes nothing twice.
#include <gtest/gtest.h>

#include "client_bank/client_bank_parser.h"
#include "client_bank/payment_order.h"
#include "client_bank_test_util.h"
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
  - name: transfers
    match: {type: [payment_order.requested]}
    to: [bank]
)";

class ClientBankOutboxPluginTest : public ::testing::Test {
 protected:
  ClientBankOutboxPluginTest() {
    schemas_ = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(
        router::parse_routing_config(kRoutes, "test-routes.yaml"));
    auto xslt = std::make_shared<xml::StylesheetCache>(hub::testing::source_dir() / "mappings");
    router_.set(std::make_shared<router::Router>(config, xslt, 1));
    ingress_ = std::make_unique<ingress::Ingress>(*pool_, schemas_, router_);
    dir_ = hub::testing::make_temp_dir("zhkh-client-bank-out");
    host_ =
        std::make_unique<plugin_host::AdapterHost>(hub::testing::plugin_dir(), *pool_, *ingress_);
    host_->add_instances(YAML::Load("bank:\n  plugin: bank\n  layouts: " +
                                    (hub::testing::source_dir() / "mappings/bank").string() +
                                    "\n  payment_orders_dir: " + (dir_ / "outbox").string() + "\n"),
                         "test.yaml");
    host_->start_all();
  }
  ~ClientBankOutboxPluginTest() override {
    host_.reset();
    fs::remove_all(dir_);
  }
  /// Journals the order as a producer would and returns it as the dispatcher hands it over.
  Envelope journalled(const std::string& number, const std::string& date) {
    std::string body = read_bytes(hub::testing::source_dir() /
                                  "schemas/canonical/samples/payment_order.requested.xml");
    body = body.substr(body.find("<c:paymentOrderRequested"));
    body.replace(body.find("<c:number>318</c:number>"), 24, "<c:number>" + number + "</c:number>");
    body.replace(body.find("<c:date>2026-11-21</c:date>"), 27, "<c:date>" + date + "</c:date>");
    Envelope e;
    e.type = "payment_order.requested";
    e.source = "billing";
    e.idempotency_key = "billing:transfer:" + date + ":" + number;
    e.body = body;
    ingress_->submit({e});
    auto lease = pool_->lease();
    pqxx::work tx(lease.conn());
    auto row = tx.exec1("SELECT id::text, body FROM hub.message WHERE idempotency_key = " +
                        tx.quote(e.idempotency_key));
    tx.commit();
    e.id = row[0].c_str();
    e.body = row[1].c_str();
    return e;
  }

  hub::testing::TestDatabase db_;
  std::unique_ptr<store::Pool> pool_ = db_.make_pool(3);
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  router::RouterHolder router_;
  std::unique_ptr<ingress::Ingress> ingress_;
  fs::path dir_;
  std::unique_ptr<plugin_host::AdapterHost> host_;
};

TEST_F(ClientBankOutboxPluginTest, OrdersRoutedToTheBankBecomeTheDaysFile) {
  auto sink = host_->sink("bank");
  ASSERT_NE(sink, nullptr) << "the bank adapter is not a sink with payment_orders_dir set";
  EXPECT_EQ(std::stoi(db_.scalar("SELECT count(*) FROM hub.delivery WHERE target = 'bank'")), 0);
  const Envelope a = journalled("318", "2026-11-21");
  const Envelope b = journalled("319", "2026-11-21");
  EXPECT_EQ(std::stoi(db_.scalar("SELECT count(*) FROM hub.delivery WHERE target = 'bank'")), 2);
  for (const auto* e : {&a, &b, &a}) {  // the first one twice: a redelivery
    const auto r = sink->deliver(*e);
    EXPECT_EQ(r.kind, plugin::DeliveryResult::Kind::kDelivered) << r.reason;
  }
  const fs::path file = dir_ / "outbox" / "1c_to_kl_20261121_40702810900000012345.txt";
  ASSERT_TRUE(fs::exists(file));
  ClientBankParser parser;
  KeepingSink read;
  auto outcome = parser.parse(file, {file.filename().string(), std::string(64, 'c'), 0, "x"}, read);
  ASSERT_TRUE(outcome.accepted);
  EXPECT_EQ(invalid_body(read.envelopes), "");
  ASSERT_EQ(read.of("bank_statement.line").size(), 2u);
  EXPECT_NE(outcome.summary.find("\"outgoing_kopecks\":40000000"), std::string::npos)
      << outcome.summary;
  EXPECT_NE(outcome.summary.find("\"encoding\":\"cp1251\""), std::string::npos);
  // Another message type routed here by mistake is refused with a reason.
  Envelope wrong = a;
  wrong.type = "payment.received";
  EXPECT_EQ(sink->deliver(wrong).kind, plugin::DeliveryResult::Kind::kRejected);
}

}  // namespace
}  // namespace hub::bank
