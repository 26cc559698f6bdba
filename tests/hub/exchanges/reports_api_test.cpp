// The exchange-log and GIS report routes through a real AdminServer with tokens and roles, and
// `zhkh-hub gis report` against it. Report data is made the way the hub makes it: accounts and
// external.state through the billing store (as the billing sink applies them), failed requests
// through the exchange store the adapter uses.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "../billing/billing_fixture.h"
#include "exchanges_fixture.h"
#include "hub/billing/billing_store.h"
#include "hub/plugin_host/exchange_store.h"

namespace hub::exchanges {
namespace {

using api::testsupport::http;
using Poco::JSON::Object;
using testing::ExchangesTest;
using testing::soap;

Object::Ptr parse(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
}

class ReportsTest : public ExchangesTest {
 protected:
  /// Accounts 100234 (placed by GIS) and 100235 (refused: INT002000) from the canonical samples;
  /// a meter without GUID; an importMeteringDeviceValues that failed as a whole with AUT011003
  /// carrying one meter's reading; a payment notice refused before it was sent.
  void seed_reports() {
    billing::BillingStore store(admin.pool());
    namespace bt = billing::testing;
    const auto a = bt::without(bt::sample("account.upsert"), "gisAccountGuid");
    ASSERT_TRUE(store.apply(bt::envelope("account.upsert", a, "a1")).ok());
    ASSERT_TRUE(store
                    .apply(bt::envelope("account.upsert",
                                        bt::replace(a, "<c:account>100234</c:account>",
                                                    "<c:account>100235</c:account>"),
                                        "a2"))
                    .ok());
    const auto st = store.apply(bt::envelope("external.state", bt::sample("external.state"), "x"));
    ASSERT_TRUE(st.ok()) << st.error;
    const auto m = store.apply(bt::envelope(
        "meter.upsert",
        bt::without(
            bt::without(bt::without(bt::sample("meter.upsert"), "gisRootGuid"), "gisVersionGuid"),
            "gisNumber"),
        "m1"));
    ASSERT_TRUE(m.ok()) << m.error;

    plugin_host::PgExchangeStore exchanges(admin.pool(), "gis");
    plugin::ExchangeRecord r;
    r.key = "job:readings:1";
    r.operation = "importMeteringDeviceValues";
    r.state = "failed";
    r.request_id = "aaaaaaaa-0000-4000-8000-000000000001";
    r.objects = {"meter_reading:reading-77"};
    r.error_code = "AUT011003";
    r.error_text = "Нет прав на выполнение операции";
    exchanges.create(r);
    plugin::ExchangeRecord p;
    p.key = "msg:payment-1";
    p.operation = "importNotificationsOfOrderExecution";
    p.state = "failed";
    p.request_id = "aaaaaaaa-0000-4000-8000-000000000002";
    p.objects = {"payment:0190aaaa-0000-7000-8000-000000000009"};
    p.error_code = "XSD";
    p.error_text = "request does not validate: /Body/x";
    exchanges.create(p);
    // Still running: not an error.
    plugin::ExchangeRecord q = p;
    q.key = "msg:payment-2";
    q.state = "sent";
    q.objects = {"payment:other"};
    exchanges.create(q);
  }

  api::testsupport::HttpResult get(const std::string& path, const std::string& token) {
    return http(admin.port(), "GET", path, token);
  }
};

TEST_F(ReportsTest, ErrorsByObjectKindWithCodeTextRefOperationAndTime) {
  seed_reports();
  auto r = get("/api/v1/gis/reports/errors", admin.viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = parse(r.body);
  EXPECT_EQ(o->getValue<int>("total"), 3);
  auto items = o->getArray("items");
  ASSERT_EQ(items->size(), 3u);
  bool account = false, reading = false, payment = false;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto e = items->getObject(static_cast<unsigned>(i));
    const auto kind = e->getValue<std::string>("kind");
    if (kind == "account") {
      account = true;
      EXPECT_EQ(e->getValue<std::string>("ref"), "100235");
      EXPECT_EQ(e->getValue<std::string>("code"), "INT002000");
      EXPECT_NE(e->getValue<std::string>("text").find("ФИАС"), std::string::npos);
      EXPECT_EQ(e->getValue<std::string>("operation"), "importAccountData");
      EXPECT_EQ(e->getValue<std::string>("message_guid"), "7f1e2d3c-4b5a-4697-8877-665544332211");
      EXPECT_EQ(e->getValue<std::string>("at"), "2026-11-25T00:40:12.000000Z");
      EXPECT_EQ(e->getValue<std::string>("source"), "object");
    } else if (kind == "reading") {
      reading = true;
      EXPECT_EQ(e->getValue<std::string>("ref"), "reading-77");
      EXPECT_EQ(e->getValue<std::string>("code"), "AUT011003");
      EXPECT_EQ(e->getValue<std::string>("operation"), "importMeteringDeviceValues");
      EXPECT_EQ(e->getValue<std::string>("source"), "request");
    } else if (kind == "payment") {
      payment = true;
      EXPECT_EQ(e->getValue<std::string>("code"), "XSD");
      EXPECT_EQ(e->getValue<std::string>("ref"), "0190aaaa-0000-7000-8000-000000000009");
    }
  }
  EXPECT_TRUE(account && reading && payment) << r.body;

  r = get("/api/v1/gis/reports/errors?kind=reading", admin.viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  o = parse(r.body);
  EXPECT_EQ(o->getValue<int>("total"), 1);
  EXPECT_EQ(o->getArray("by_code")->getObject(0)->getValue<std::string>("code"), "AUT011003");
  EXPECT_EQ(o->getArray("items")->getObject(0)->getValue<std::string>("kind"), "reading");

  r = get("/api/v1/gis/reports/errors?kind=account&since=2026-11-26", admin.viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<int>("total"), 0);
  r = get("/api/v1/gis/reports/errors?kind=account&since=2026-11-24T00:00:00Z", admin.viewer);
  EXPECT_EQ(parse(r.body)->getValue<int>("total"), 1);
  r = get("/api/v1/gis/reports/errors?limit=1&offset=1", admin.viewer);
  o = parse(r.body);
  EXPECT_EQ(o->getValue<int>("total"), 3);
  EXPECT_EQ(o->getArray("items")->size(), 1u);

  r = get("/api/v1/gis/reports/errors?kind=flat", admin.viewer);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("kind"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("payment_document"), std::string::npos) << r.body;
  r = get("/api/v1/gis/reports/errors?since=soon", admin.viewer);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("since"), std::string::npos) << r.body;
  r = get("/api/v1/gis/reports/errors?since=2026-13-01", admin.viewer);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("since"), std::string::npos) << r.body;
}

TEST_F(ReportsTest, AnErrorALaterSuccessResolvedIsMarkedAndLeftOutOfOpenErrors) {
  seed_reports();
  // GIS places account 100235 a day later (a second importAccountData).
  billing::BillingStore store(admin.pool());
  namespace bt = billing::testing;
  auto later = bt::replace(bt::sample("external.state"), "7f1e2d3c-4b5a-4697-8877-665544332211",
                           "7f1e2d3c-4b5a-4697-8877-665544332299");
  later = bt::replace(later, "2026-11-25T03:40:12+03:00", "2026-11-26T03:40:12+03:00");
  const auto err_at = later.find("<c:error>");
  const auto err_end = later.find("</c:error>") + std::string("</c:error>").size();
  later.replace(err_at, err_end - err_at,
                "<c:externalGuid>2e3d4c5b-6f70-4b8c-9dae-1f2a3b4c5d6e</c:externalGuid>"
                "<c:updatedAt>2026-11-26T03:39:58+03:00</c:updatedAt>");
  const auto st = store.apply(bt::envelope("external.state", later, "x-later"));
  ASSERT_TRUE(st.ok()) << st.error;

  auto r = get("/api/v1/gis/reports/errors?kind=account", admin.viewer);
  auto o = parse(r.body);
  ASSERT_EQ(o->getValue<int>("total"), 1) << r.body;
  EXPECT_TRUE(o->getArray("items")->getObject(0)->getValue<bool>("resolved")) << r.body;
  r = get("/api/v1/gis/reports/errors?kind=account&open=1", admin.viewer);
  EXPECT_EQ(parse(r.body)->getValue<int>("total"), 0) << r.body;
  r = get("/api/v1/gis/reports/errors?open=1", admin.viewer);
  o = parse(r.body);
  EXPECT_EQ(o->getValue<int>("total"), 2) << r.body;  // the reading and the payment
  EXPECT_FALSE(o->getArray("items")->getObject(0)->getValue<bool>("resolved"));
  EXPECT_EQ(get("/api/v1/gis/reports/errors?open=maybe", admin.viewer).status, 400);

  std::string out;
  ASSERT_EQ(run({"gis", "report", "errors", "--kind", "account"}, out), 0) << out;
  EXPECT_NE(out.find("resolved"), std::string::npos) << out;
  ASSERT_EQ(run({"gis", "report", "errors", "--open", "--json"}, out), 0) << out;
  EXPECT_EQ(parse(last_stdout)->getValue<int>("total"), 2);
}

TEST_F(ReportsTest, PlacementAuditCountsAndListsWhatGisHasNoGuidFor) {
  seed_reports();
  auto r = get("/api/v1/gis/reports/placement", admin.viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = parse(r.body);
  std::map<std::string, Object::Ptr> counts;
  const auto c = o->getArray("counts");
  for (std::size_t i = 0; i < c->size(); ++i) {
    const auto x = c->getObject(static_cast<unsigned>(i));
    counts[x->getValue<std::string>("kind")] = x;
  }
  for (const char* k : {"house", "premise", "account", "meter", "payment_document"})
    EXPECT_TRUE(counts.count(k)) << k << " " << r.body;
  EXPECT_EQ(counts["account"]->getValue<int>("total"), 2);
  EXPECT_EQ(counts["account"]->getValue<int>("without_gis_guid"), 1);
  EXPECT_EQ(counts["account"]->getValue<int>("with_error"), 1);
  EXPECT_EQ(counts["meter"]->getValue<int>("without_gis_guid"), 1);
  const auto all = o->getArray("items");
  ASSERT_EQ(all->size(), 2u) << r.body;  // by kind (account before meter), then store id
  EXPECT_EQ(all->getObject(0)->getValue<std::string>("kind"), "account");
  EXPECT_EQ(all->getObject(1)->getValue<std::string>("kind"), "meter");
  EXPECT_EQ(all->getObject(1)->getValue<std::string>("ref"), "E-100234-1");

  r = get("/api/v1/gis/reports/placement?kind=account", admin.viewer);
  o = parse(r.body);
  ASSERT_EQ(o->getArray("counts")->size(), 1u);
  const auto items = o->getArray("items");
  ASSERT_EQ(items->size(), 1u) << r.body;
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("ref"), "100235");
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("error_code"), "INT002000");
  // Its time is when GIS refused it, not when its data last changed.
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("updated_at"),
            admin.db.scalar("SELECT to_char(ext_state_at AT TIME ZONE 'UTC',"
                            " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM billing.account"
                            " WHERE number = '100235'"))
      << r.body;

  r = get("/api/v1/gis/reports/placement?limit=1&offset=1", admin.viewer);
  o = parse(r.body);
  ASSERT_EQ(o->getArray("items")->size(), 1u) << r.body;
  EXPECT_EQ(o->getArray("items")->getObject(0)->getValue<std::string>("kind"), "meter");
  r = get("/api/v1/gis/reports/placement?kind=reading", admin.viewer);
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(ReportsTest, RoutesAreReadOnlyForEveryRoleAndNeedAToken) {
  seed_reports();
  log_request("importAccountData", "6f1c7a52-1c3e-4b8e-9d55-0a1b2c3d4e5f", 1);
  for (const auto* path :
       {"/api/v1/gis/reports/errors", "/api/v1/gis/reports/placement", "/api/v1/exchanges",
        "/api/v1/exchanges/1", "/api/v1/exchanges/1/request.xml", "/api/v1/exchanges/export"}) {
    EXPECT_EQ(get(path, "").status, 401) << path;
    EXPECT_EQ(get(path, "not-a-token").status, 401) << path;
    for (const auto& token : {admin.viewer, admin.operator_, admin.admin})
      EXPECT_EQ(get(path, token).status, 200) << path;
    EXPECT_EQ(http(admin.port(), "POST", path, admin.admin).status, 405) << path;
  }
  // Reads are not audited (the server audits mutating calls).
  EXPECT_EQ(admin.db.scalar("SELECT count(*) FROM hub.audit WHERE action LIKE 'api.gis%' OR "
                            "action LIKE 'api.exchanges%'"),
            "0");
}

TEST_F(ReportsTest, ExchangeRowsTheirPairsAndRawXml) {
  const std::string a = "6f1c7a52-1c3e-4b8e-9d55-0a1b2c3d4e5f";
  log_request("importAccountData", a, 1);  // ids 1..4
  log.log_exchange("exportAccountData", "out", "bbbbbbbb-0000-4000-8000-000000000001", "request",
                   soap("exportAccountDataRequest", "b"));  // 5, no answer yet

  auto r = get("/api/v1/exchanges?operation=importAccountData", admin.viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = parse(r.body)->getArray("items");
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ(items->getObject(0)->getValue<int>("id"), 4);  // newest first
  EXPECT_FALSE(items->getObject(0)->has("payload"));
  r = get("/api/v1/exchanges?limit=2&offset=1", admin.viewer);
  items = parse(r.body)->getArray("items");
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ(items->getObject(0)->getValue<int>("id"), 4);

  r = get("/api/v1/exchanges/2", admin.viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = parse(r.body);
  EXPECT_EQ(o->getValue<std::string>("direction"), "in");
  EXPECT_EQ(o->getValue<std::string>("message_guid"), a);
  EXPECT_EQ(o->getValue<int>("request_id"), 1);
  EXPECT_EQ(o->getValue<int>("response_id"), 2);
  EXPECT_TRUE(o->getValue<std::string>("file").ends_with("_000000000002_response.xml"));

  r = get("/api/v1/exchanges/1/request.xml", admin.viewer);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, soap("importAccountDataRequest", a));
  EXPECT_NE(r.content_type.find("xml"), std::string::npos) << r.content_type;
  r = get("/api/v1/exchanges/1/response.xml", admin.viewer);
  EXPECT_EQ(r.body, soap("AckRequest", a));
  // The getState poll (3) pairs with its answer (4), not with the request's acknowledgement.
  r = get("/api/v1/exchanges/3/response.xml", admin.viewer);
  EXPECT_EQ(r.body, soap("getStateResult", a + "-0"));
  r = get("/api/v1/exchanges/4/request.xml", admin.viewer);
  EXPECT_EQ(r.body, soap("getStateRequest", a));

  EXPECT_EQ(get("/api/v1/exchanges/5/response.xml", admin.viewer).status, 404);
  EXPECT_EQ(get("/api/v1/exchanges/99", admin.viewer).status, 404);
  EXPECT_EQ(get("/api/v1/exchanges/x1", admin.viewer).status, 400);
  EXPECT_EQ(get("/api/v1/exchanges?direction=sideways", admin.viewer).status, 400);
  EXPECT_EQ(get("/api/v1/exchanges?since=2026-13-01", admin.viewer).status, 400);
  EXPECT_EQ(get("/api/v1/exchanges/export?until=2026-02-30T00:00:00Z", admin.viewer).status, 400);

  std::string out;
  ASSERT_EQ(run({"exchanges", "list", "--operation", "importAccountData"}, out), 0) << out;
  EXPECT_NE(out.find("MESSAGE GUID"), std::string::npos) << out;
  EXPECT_NE(out.find(a), std::string::npos) << out;
  ASSERT_EQ(run({"exchanges", "show", "2"}, out), 0) << out;
  EXPECT_NE(out.find("request_id: 1"), std::string::npos) << out;
}

TEST_F(ReportsTest, TheCliPrintsTheReportsAsTables) {
  seed_reports();
  std::string out;
  ASSERT_EQ(run({"gis", "report", "errors"}, out), 0) << out;
  EXPECT_NE(out.find("3 errors"), std::string::npos) << out;
  EXPECT_NE(out.find("KIND"), std::string::npos) << out;
  EXPECT_NE(out.find("INT002000"), std::string::npos) << out;
  EXPECT_NE(out.find("100235"), std::string::npos) << out;
  EXPECT_NE(out.find("AUT011003"), std::string::npos) << out;

  ASSERT_EQ(run({"gis", "report", "errors", "--kind", "account", "--json"}, out), 0) << out;
  EXPECT_EQ(parse(last_stdout)->getValue<int>("total"), 1);

  ASSERT_EQ(run({"gis", "report", "placement"}, out), 0) << out;
  EXPECT_NE(out.find("WITHOUT GIS GUID"), std::string::npos) << out;
  EXPECT_NE(out.find("100235"), std::string::npos) << out;
  ASSERT_EQ(run({"gis", "report", "placement", "--kind", "meter", "--json"}, out), 0) << out;
  EXPECT_EQ(parse(last_stdout)->getArray("counts")->size(), 1u);

  EXPECT_EQ(run({"gis", "report", "everything"}, out), cli::kExitUsage) << out;
  EXPECT_NE(out.find("errors or placement"), std::string::npos) << out;
  EXPECT_EQ(run({"gis", "report", "errors", "--kind", "flat"}, out), cli::kExitFailed) << out;
  EXPECT_NE(out.find("payment_document"), std::string::npos) << out;
}

}  // namespace
}  // namespace hub::exchanges
