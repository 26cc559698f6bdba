// An unidentified payment end to end: Ingress journals it, the dispatcher delivers it to the
// billing_store sink, which keeps it unidentified; an operator resolves it, which re-emits
// payment.received through the same Ingress with a key derived from the original, and the
// dispatcher's delivery of that message leaves the payment resolved to the account.

#include <gtest/gtest.h>

#include <thread>

#include "billing_fixture.h"
#include "hub/billing/billing_store_sink.h"
#include "hub/billing/unidentified_payments.h"
#include "hub/dispatcher/dispatcher.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"

namespace hub::billing {
namespace {

using testing::BillingTest;
using testing::envelope;
using testing::replace;
using testing::sample;

constexpr const char* kRoutes = R"(routes:
  - name: billing
    match: {type: [payment.received, account.upsert]}
    to: [billing_store]
)";

class ResolveTest : public BillingTest {
 protected:
  void SetUp() override {
    schemas = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(
        router::parse_routing_config(kRoutes, "test-routes.yaml"));
    auto xslt = std::make_shared<xml::StylesheetCache>(hub::testing::source_dir() / "mappings");
    router.set(std::make_shared<router::Router>(config, xslt, 1));
    ingress = std::make_unique<ingress::Ingress>(*pool, schemas, router);
    auto shared = std::make_shared<BillingStore>(*dispatch_pool);
    sinks->add("billing_store", std::make_shared<BillingStoreSink>(shared));
    dispatcher::DispatcherOptions opt;
    opt.node_id = "test";
    opt.defaults.workers = 1;
    opt.defaults.poll_interval = std::chrono::milliseconds(50);
    dispatcher = std::make_unique<dispatcher::Dispatcher>(*dispatch_pool, sinks, opt);
    dispatcher->start();
  }
  void TearDown() override { dispatcher->stop(); }

  /// Polls `sql` until it gives `want`; generous (30 s): the dispatcher's thread does the work.
  bool wait_for(const std::string& sql, const std::string& want) {
    for (int i = 0; i < 600; ++i) {
      if (db.scalar(sql) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<store::Pool> dispatch_pool = db.make_pool(3);
  std::shared_ptr<const xml::SchemaRegistry> schemas;
  router::RouterHolder router;
  std::unique_ptr<ingress::Ingress> ingress;
  std::shared_ptr<dispatcher::SinkRegistry> sinks = std::make_shared<dispatcher::SinkRegistry>();
  std::unique_ptr<dispatcher::Dispatcher> dispatcher;
};

TEST_F(ResolveTest, OperatorResolutionReemitsPaymentReceivedThroughIngress) {
  ingress->submit({envelope("account.upsert", sample("account.upsert"), "acc-1")});
  // A wrong ЛС and no payer name or address to fall back on.
  const auto unknown = replace(testing::without(sample("payment.received"), "payer"),
                               "<c:account>100234</c:account>", "<c:account>10023</c:account>");
  ingress->submit({envelope("payment.received", unknown, "bank:sber:17")});
  ASSERT_TRUE(wait_for("SELECT count(*) FROM billing.payment WHERE status = 'unidentified'", "1"));
  ASSERT_TRUE(wait_for("SELECT count(*) FROM billing.account", "1"));

  UnidentifiedPayments payments(store, *ingress);
  const auto list = payments.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].payer_account, "10023");
  EXPECT_EQ(list[0].reason, "not_found");
  EXPECT_EQ(list[0].amount_kopecks, 152340);

  const auto r = payments.resolve(list[0].id, "100234", "operator-anna");
  EXPECT_EQ(r.idempotency_key, "resolve:bank:sber:17");
  EXPECT_FALSE(r.duplicate);
  ASSERT_FALSE(r.message_id.empty());
  EXPECT_EQ(db.scalar("SELECT status FROM billing.payment"), "resolved");

  // The re-emitted message: journalled once, caused by the original, naming the account.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE idempotency_key = "
                      "'resolve:bank:sber:17' AND type = 'payment.received'"),
            "1");
  EXPECT_EQ(db.scalar("SELECT causation_id = (SELECT id::text FROM hub.message WHERE "
                      "idempotency_key = 'bank:sber:17') FROM hub.message WHERE id = '" +
                      r.message_id + "'"),
            "t");
  const auto body = db.scalar("SELECT body FROM hub.message WHERE id = '" + r.message_id + "'");
  EXPECT_NE(body.find("<c:account>100234</c:account>"), std::string::npos) << body;
  EXPECT_NE(body.find("<c:amountKopecks>152340</c:amountKopecks>"), std::string::npos) << body;

  // Delivered back to the store: still one payment, now naming the account, still resolved.
  ASSERT_TRUE(wait_for("SELECT state FROM hub.delivery WHERE message_id = '" + r.message_id + "'",
                       "delivered"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM billing.payment"), "1");
  EXPECT_EQ(db.scalar("SELECT payer_account || ' ' || status || ' ' || ident_method || ' ' || "
                      "resolved_by FROM billing.payment"),
            "100234 resolved operator operator-anna");
  EXPECT_EQ(db.scalar("SELECT a.number FROM billing.payment p JOIN billing.account a ON "
                      "a.id = p.account_id"),
            "100234");
  EXPECT_TRUE(payments.list().empty());
  // The two-zone reading handed over with the payment is now the account's meter reading.
  EXPECT_EQ(db.scalar("SELECT account || ' ' || channel || ' ' || jsonb_array_length(zone_values) "
                      "FROM billing.reading WHERE meter_id = 'E-100234-1'"),
            "100234 bank 2");

  // A second resolution is refused; the original delivered again does not undo the resolution.
  try {
    payments.resolve(list[0].id, "100234", "operator-anna");
    FAIL() << "expected a conflict";
  } catch (const ResolveError& e) {
    EXPECT_EQ(e.kind(), ResolveError::Kind::kConflict);
  }
  BillingStore direct(*pool);
  const auto again = direct.apply(envelope("payment.received", unknown, "bank:sber:17"));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.outcome, ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(db.scalar("SELECT status FROM billing.payment"), "resolved");
}

TEST_F(ResolveTest, ResolutionRefusesUnknownPaymentsAndAccounts) {
  UnidentifiedPayments payments(store, *ingress);
  try {
    payments.resolve(42, "100234", "op");
    FAIL();
  } catch (const ResolveError& e) {
    EXPECT_EQ(e.kind(), ResolveError::Kind::kNotFound);
  }
  const auto r = store.apply(
      envelope("payment.received", testing::without(sample("payment.received"), "payer"), "p"));
  ASSERT_EQ(r.payment_status, "unidentified");  // no accounts at all
  try {
    payments.resolve(r.id, "no-such", "op");
    FAIL();
  } catch (const ResolveError& e) {
    EXPECT_EQ(e.kind(), ResolveError::Kind::kBadRequest);
    EXPECT_NE(std::string(e.what()).find("no-such"), std::string::npos);
  }
  EXPECT_EQ(db.scalar("SELECT status FROM billing.payment"), "unidentified");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message"), "0");
}

}  // namespace
}  // namespace hub::billing
