// The unidentified-payments API on a real AdminServer (roles, errors, audit) and the CLI over it.

#include <gtest/gtest.h>

#include <sstream>

#include "../api/admin_fixture.h"
#include "billing_fixture.h"
#include "hub/billing/payment_routes.h"
#include "hub/cli/cli.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"

namespace hub::billing {
namespace {

using api::testsupport::http;
using testing::envelope;
using testing::replace;
using testing::sample;
using testing::without;

class PaymentApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = std::make_shared<router::RoutingConfig>(router::parse_routing_config(
        "routes:\n  - name: b\n    match: {type: [payment.received]}\n    to: [billing_store]\n",
        "routes.yaml"));
    router.set(std::make_shared<router::Router>(
        config, std::make_shared<xml::StylesheetCache>(hub::testing::source_dir() / "mappings"),
        1));
    ingress = std::make_unique<ingress::Ingress>(
        f.pool(), xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical"),
        router);
    store = std::make_unique<BillingStore>(f.pool());
    payments = std::make_unique<UnidentifiedPayments>(*store, *ingress);
    f.server->add_routes(payment_routes(*payments));
    f.server->start();

    ASSERT_TRUE(store->apply(envelope("account.upsert", sample("account.upsert"), "a")).ok());
    const auto body = replace(without(sample("payment.received"), "payer"),
                              "<c:account>100234</c:account>", "<c:account>0100234</c:account>");
    const auto r = store->apply(envelope("payment.received", body, "bank:1"));
    ASSERT_EQ(r.payment_status, "unidentified");
    id = std::to_string(r.id);
  }

  int cli(const std::vector<std::string>& args, std::string& out) {
    std::vector<std::string> full = args;
    full.insert(full.end(),
                {"--url", "http://127.0.0.1:" + std::to_string(f.port()), "--token", f.operator_});
    std::ostringstream o, e;
    const int code = cli::run_cli(full, o, e);
    out = o.str() + e.str();
    return code;
  }

  api::testsupport::AdminFixture f{{}, true, false};
  router::RouterHolder router;
  std::unique_ptr<ingress::Ingress> ingress;
  std::unique_ptr<BillingStore> store;
  std::unique_ptr<UnidentifiedPayments> payments;
  std::string id;
};

TEST_F(PaymentApiTest, ListsResolvesAndRefusesWithTheRightStatus) {
  auto list = http(f.port(), "GET", "/api/v1/payments/unidentified", f.viewer);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"reason\":\"not_found\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("0100234"), std::string::npos) << list.body;
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/payments/unidentified?limit=0", f.viewer).status, 400);

  const auto path = "/api/v1/payments/unidentified/" + id + "/resolve";
  EXPECT_EQ(http(f.port(), "POST", path, f.viewer, R"({"account":"100234"})").status, 403);
  EXPECT_EQ(http(f.port(), "POST", path, f.operator_, "not json").status, 400);
  EXPECT_EQ(http(f.port(), "POST", path, f.operator_, R"({"account":""})").status, 400);
  const auto unknown = http(f.port(), "POST", path, f.operator_, R"({"account":"999"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("999"), std::string::npos) << unknown.body;
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/payments/unidentified/777/resolve", f.operator_,
                 R"({"account":"100234"})")
                .status,
            404);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/payments/unidentified/x/resolve", f.operator_,
                 R"({"account":"100234"})")
                .status,
            400);

  const auto ok = http(f.port(), "POST", path, f.operator_, R"({"account":"100234"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\"idempotency_key\":\"resolve:bank:1\""), std::string::npos) << ok.body;
  EXPECT_EQ(http(f.port(), "POST", path, f.operator_, R"({"account":"100234"})").status, 409);
  EXPECT_EQ(f.db.scalar("SELECT resolved_by FROM billing.payment"), "ops-operator");
  EXPECT_EQ(
      f.db.scalar("SELECT count(*) FROM hub.message WHERE idempotency_key = 'resolve:bank:1'"),
      "1");
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.audit WHERE action = 'api.payments.resolve'"),
            "8");
}

TEST_F(PaymentApiTest, CliListsAndResolves) {
  std::string out;
  ASSERT_EQ(cli({"payments", "unidentified"}, out), 0) << out;
  EXPECT_NE(out.find("ЛС 0100234"), std::string::npos) << out;
  EXPECT_NE(out.find("1523.40"), std::string::npos) << out;
  EXPECT_NE(out.find("not_found"), std::string::npos) << out;
  ASSERT_EQ(cli({"payments", "unidentified", "--json"}, out), 0) << out;
  EXPECT_NE(out.find("\"items\""), std::string::npos) << out;

  EXPECT_EQ(cli({"payments", "resolve", id}, out), cli::kExitUsage) << out;
  EXPECT_NE(cli({"payments", "resolve", id, "--account", "nope"}, out), 0) << out;
  ASSERT_EQ(cli({"payments", "resolve", id, "--account", "100234"}, out), 0) << out;
  EXPECT_NE(out.find("resolved to account 100234"), std::string::npos) << out;
  ASSERT_EQ(cli({"payments", "unidentified"}, out), 0) << out;
  EXPECT_NE(out.find("no unidentified payments"), std::string::npos) << out;
}

}  // namespace
}  // namespace hub::billing
