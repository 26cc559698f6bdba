// The routing matrix: one configuration exercising every match kind and action, and a table of
// messages with the exact (route, target) pairs and filtered routes each must produce.

#include "hub/router/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "hub/core/error.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "test_paths.h"

namespace hub::router {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRoutes = R"yaml(routes:
  - name: big-payments
    match:
      type: payment.received
      xpath: "/c:paymentReceived[c:amountKopecks >= 100000]"
    to: [audit]
  - name: payments
    match:
      type: [payment.received]
      source: [bank-sber, bank-vtb]
    actions:
      - filter: "not(/c:paymentReceived/c:test = 'true')"
    to: [billing_store, queue-1c]
  - name: inbox-high
    match:
      headers: {channel: inbox, priority: high}
    to: [ops]
  - name: readings
    match:
      type: meter.reading
    namespaces: {m: "urn:example:meters"}
    actions:
      - transform: test/wrap.xsl
        params: {tag: R1}
      - filter: "/c:wrapped/@tag = 'R1' and not(//m:broken)"
    to: [askue, log]
    stop: true
  - name: tickets-guarded
    match:
      type: ticket.created
      xpath: "/c:ticketCreated"
    actions:
      - filter: "/c:ticketCreated/c:text != ''"
    to: [tickets]
    stop: true
  - name: catch-all
    to: [log]
)yaml";

constexpr const char* kWrapXsl = R"xsl(<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:c="urn:zhkh-hub:canonical:1">
  <xsl:param name="tag" select="'none'"/>
  <xsl:template match="/">
    <c:wrapped tag="{$tag}"><xsl:copy-of select="/*"/></c:wrapped>
  </xsl:template>
</xsl:stylesheet>
)xsl";

constexpr const char* kFailXsl = R"xsl(<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><xsl:message terminate="yes">refused by test</xsl:message></xsl:template>
</xsl:stylesheet>
)xsl";

std::string payment(int kopecks, bool test = false) {
  return std::string("<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:amountKopecks>") +
         std::to_string(kopecks) + "</c:amountKopecks>" + (test ? "<c:test>true</c:test>" : "") +
         "</c:paymentReceived>";
}

const std::string kReading =
    "<c:meterReading xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:value>12.5</c:value></c:meterReading>";
const std::string kBrokenReading =
    "<c:meterReading xmlns:c=\"urn:zhkh-hub:canonical:1\" xmlns:m=\"urn:example:meters\">"
    "<c:value>0</c:value><m:broken/></c:meterReading>";
const std::string kAccount =
    "<c:accountUpsert "
    "xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:number>1</c:number></c:accountUpsert>";

std::string ticket(const std::string& text) {
  return "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:text>" + text +
         "</c:text></c:ticketCreated>";
}

using Pairs = std::set<std::pair<std::string, std::string>>;

struct Case {
  const char* what;
  std::string type;
  std::string source;
  std::map<std::string, std::string> headers;
  std::string body;
  Pairs expected;
  std::vector<std::string> filtered_by;
  bool transformed = false;  ///< deliveries carry a transformed body
};

std::vector<Case> matrix() {
  const Pairs pay{{"payments", "billing_store"}, {"payments", "queue-1c"}, {"catch-all", "log"}};
  return {
      {"small payment: type+source route and catch-all",
       "payment.received",
       "bank-sber",
       {},
       payment(500),
       pay,
       {}},
      {"big payment: xpath route too",
       "payment.received",
       "bank-vtb",
       {},
       payment(150000),
       Pairs{{"big-payments", "audit"},
             {"payments", "billing_store"},
             {"payments", "queue-1c"},
             {"catch-all", "log"}},
       {}},
      {"xpath boundary just below", "payment.received", "bank-vtb", {}, payment(99999), pay, {}},
      {"test payment: filter drops it on that route only",
       "payment.received",
       "bank-sber",
       {},
       payment(500, true),
       Pairs{{"catch-all", "log"}},
       {"payments"}},
      {"unknown source: only the catch-all",
       "payment.received",
       "bank-other",
       {},
       payment(500),
       Pairs{{"catch-all", "log"}},
       {}},
      {"type mismatch: xpath route not tried",
       "account.upsert",
       "bank-sber",
       {},
       kAccount,
       Pairs{{"catch-all", "log"}},
       {}},
      {"all headers equal",
       "account.upsert",
       "onec",
       {{"channel", "inbox"}, {"priority", "high"}, {"x", "y"}},
       kAccount,
       Pairs{{"inbox-high", "ops"}, {"catch-all", "log"}},
       {}},
      {"one header missing",
       "account.upsert",
       "onec",
       {{"channel", "inbox"}},
       kAccount,
       Pairs{{"catch-all", "log"}},
       {}},
      {"one header different",
       "account.upsert",
       "onec",
       {{"channel", "inbox"}, {"priority", "low"}},
       kAccount,
       Pairs{{"catch-all", "log"}},
       {}},
      {"transform then filter on the result, fan-out, stop",
       "meter.reading",
       "askue",
       {},
       kReading,
       Pairs{{"readings", "askue"}, {"readings", "log"}},
       {},
       true},
      {"filter after transform drops; stop still ends the search",
       "meter.reading",
       "askue",
       {},
       kBrokenReading,
       Pairs{},
       {"readings"}},
      {"stop route delivers",
       "ticket.created",
       "web",
       {},
       ticket("leak"),
       Pairs{{"tickets-guarded", "tickets"}},
       {}},
      {"stop route filtered",
       "ticket.created",
       "web",
       {},
       ticket(""),
       Pairs{},
       {"tickets-guarded"}},
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mappings_ = hub::testing::make_temp_dir("router-mappings");
    fs::create_directories(mappings_ / "test");
    std::ofstream(mappings_ / "test" / "wrap.xsl") << kWrapXsl;
    std::ofstream(mappings_ / "test" / "fail.xsl") << kFailXsl;
    xslt_ = std::make_shared<xml::StylesheetCache>(mappings_);
  }
  void TearDown() override { fs::remove_all(mappings_); }

  static Envelope envelope(const Case& c) {
    Envelope e;
    e.id = "0190d7a0-0000-7000-8000-000000000001";
    e.type = c.type;
    e.source = c.source;
    e.headers = c.headers;
    e.idempotency_key = c.what;
    e.body = c.body;
    return e;
  }

  static void check(const Case& c, const RoutingDecision& d) {
    Pairs got;
    for (const auto& del : d.deliveries) {
      EXPECT_TRUE(got.emplace(del.route, del.target).second)
          << c.what << ": duplicate " << del.route << "/" << del.target;
      if (c.transformed) {
        ASSERT_TRUE(del.body.has_value()) << c.what;
        EXPECT_NE(del.body->find("tag=\"R1\""), std::string::npos) << *del.body;
        EXPECT_NE(del.body->find("12.5"), std::string::npos) << *del.body;
      } else {
        EXPECT_FALSE(del.body.has_value()) << c.what;
      }
    }
    EXPECT_EQ(got, c.expected) << c.what;
    EXPECT_EQ(d.filtered_by, c.filtered_by) << c.what;
  }

  fs::path mappings_;
  std::shared_ptr<xml::StylesheetCache> xslt_;
};

TEST_F(RouterTest, Matrix) {
  auto router = make_router(kRoutes, "matrix.yaml", xslt_, 7);
  EXPECT_EQ(router->version(), 7);
  for (const auto& c : matrix()) {
    const auto body = xml::parse_xml(c.body, c.what);
    check(c, router->route(envelope(c), body));
  }
}

// Ingress skips the tree of a body no route reads: for such a message the decision without the
// body is the decision with it, and any route with an XPath, filter or transform it may take
// makes the body needed.
TEST_F(RouterTest, TheBodyIsNeededOnlyWhereARouteReadsIt) {
  auto router = make_router(kRoutes, "matrix.yaml", xslt_, 1);
  std::size_t without = 0;
  for (const auto& c : matrix()) {
    if (router->needs_body(envelope(c))) continue;
    ++without;
    check(c, router->route(envelope(c), xml::Document{}));
  }
  EXPECT_GT(without, 0u);
  auto message = [](const std::string& type, const std::string& source) {
    Envelope e;
    e.type = type;
    e.source = source;
    return e;
  };
  EXPECT_TRUE(router->needs_body(message("payment.received", "bank-sber")));  // xpath, filter
  EXPECT_TRUE(router->needs_body(message("meter.reading", "askue")));         // transform
  EXPECT_TRUE(router->needs_body(message("ticket.created", "web")));          // xpath
  EXPECT_FALSE(router->needs_body(message("account.upsert", "1c")));          // catch-all only
  auto after_stop = make_router(
      "routes:\n  - name: all\n    match: {type: x.y}\n    to: [a]\n    stop: true\n"
      "  - name: late\n    match: {type: x.y}\n    actions:\n      - filter: \"/x\"\n"
      "    to: [b]\n",
      "stop.yaml", xslt_, 1);
  EXPECT_FALSE(after_stop->needs_body(message("x.y", "s")));  // the filter's route is never tried
}

TEST_F(RouterTest, DeliveriesFollowRouteOrderThenTargetOrder) {
  auto router = make_router(kRoutes, "matrix.yaml", xslt_, 1);
  const auto c = matrix()[1];
  const auto d = router->route(envelope(c), xml::parse_xml(c.body, "big"));
  std::vector<std::string> order;
  for (const auto& del : d.deliveries) order.push_back(del.route + "/" + del.target);
  EXPECT_EQ(order, (std::vector<std::string>{"big-payments/audit", "payments/billing_store",
                                             "payments/queue-1c", "catch-all/log"}));
}

TEST_F(RouterTest, ConcurrentRoutingGivesTheSameAnswers) {
  auto router = make_router(kRoutes, "matrix.yaml", xslt_, 1);
  const auto cases = matrix();
  std::vector<xml::Document> bodies;
  for (const auto& c : cases) bodies.push_back(xml::parse_xml(c.body, c.what));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const auto k = static_cast<std::size_t>(i + t) % cases.size();
        const auto d = router->route(envelope(cases[k]), bodies[k]);
        Pairs got;
        for (const auto& del : d.deliveries) got.emplace(del.route, del.target);
        if (got != cases[k].expected || d.filtered_by != cases[k].filtered_by) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(RouterTest, HolderSwapsVersionsAtomically) {
  RouterHolder holder;
  EXPECT_EQ(holder.get(), nullptr);
  holder.set(make_router("routes:\n  - name: a\n    to: [x]\n", "v1.yaml", xslt_, 1));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    const auto body = xml::parse_xml(kAccount, "acc");
    Envelope e;
    e.type = "account.upsert";
    while (!done) {
      const auto r = holder.get();
      const auto d = r->route(e, body);
      // Each version is whole: v1 routes to x, v2 to y, never a mix.
      if (d.deliveries.size() != 1)
        ++bad;
      else if ((r->version() == 1) != (d.deliveries[0].target == "x"))
        ++bad;
    }
  });
  for (int i = 0; i < 50; ++i) {
    holder.set(make_router(
        i % 2 ? "routes:\n  - name: a\n    to: [x]\n" : "routes:\n  - name: b\n    to: [y]\n",
        "v.yaml", xslt_, i % 2 ? 1 : 2));
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(RouterTest, TransformFailureThrowsXmlError) {
  auto router = make_router(
      "routes:\n  - name: f\n    actions:\n      - transform: test/fail.xsl\n    to: [x]\n",
      "f.yaml", xslt_, 1);
  Envelope e;
  e.type = "account.upsert";
  EXPECT_THROW(router->route(e, xml::parse_xml(kAccount, "acc")), XmlError);
}

TEST_F(RouterTest, MissingStylesheetFailsWhenTheVersionIsBuilt) {
  try {
    make_router(
        "routes:\n  - name: f\n    actions:\n      - transform: test/nope.xsl\n    to: [x]\n",
        "f.yaml", xslt_, 1);
    FAIL() << "no error for a missing stylesheet";
  } catch (const XmlError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.xsl"), std::string::npos) << e.what();
  }
}

// The shipped canonical samples, validated against their XSDs, routed on their real fields.
TEST_F(RouterTest, CanonicalSamples) {
  const auto dir = hub::testing::source_dir() / "schemas" / "canonical";
  const auto schemas = xml::SchemaRegistry::load(dir);
  auto router = make_router(R"yaml(routes:
  - name: sber-payments
    match:
      type: payment.received
      xpath: "/c:paymentReceived/c:agent/c:code = 'sber'"
    to: [billing_store]
  - name: payments-with-readings
    match:
      type: payment.received
      xpath: "/c:paymentReceived/c:readings/c:meter/c:value[@zone = 'night'] > 4000"
    to: [askue]
  - name: vtb-payments
    match:
      type: payment.received
      xpath: "/c:paymentReceived/c:agent/c:code = 'vtb'"
    to: [billing_vtb]
  - name: cold-water
    match:
      type: meter.reading
      xpath: "/c:meterReading/c:resource = 'cold_water'"
    actions:
      - transform: test/wrap.xsl
        params: {tag: CW}
    to: [askue]
    stop: true
  - name: any-reading
    match: {type: meter.reading}
    to: [energy]
  - name: log-all
    to: [log]
)yaml",
                            "samples.yaml", xslt_, 1);
  const std::map<std::string, Pairs> expected{
      {"payment.received",
       {{"sber-payments", "billing_store"},
        {"payments-with-readings", "askue"},
        {"log-all", "log"}}},
      {"meter.reading", {{"cold-water", "askue"}}},
      {"account.upsert", {{"log-all", "log"}}},
      {"ticket.created", {{"log-all", "log"}}},
  };
  for (const auto& [type, pairs] : expected) {
    const auto body = xml::parse_xml_file((dir / "samples" / (type + ".xml")).string());
    ASSERT_NO_THROW(schemas->validate_or_throw(type, body)) << type;
    Envelope e;
    e.type = type;
    e.source = "samples";
    const auto d = router->route(e, body);
    Pairs got;
    for (const auto& del : d.deliveries) {
      got.emplace(del.route, del.target);
      if (del.route == "cold-water") {
        ASSERT_TRUE(del.body.has_value());
        EXPECT_NE(del.body->find("tag=\"CW\""), std::string::npos) << *del.body;
        EXPECT_NE(del.body->find("312.457"), std::string::npos) << *del.body;
      } else {
        EXPECT_FALSE(del.body.has_value()) << del.route;
      }
    }
    EXPECT_EQ(got, pairs) << type;
    EXPECT_TRUE(d.filtered_by.empty()) << type;
  }
}

TEST_F(RouterTest, NoRoutesMeansNoDeliveries) {
  auto router = make_router("routes: []\n", "empty.yaml", nullptr, 1);
  Envelope e;
  e.type = "account.upsert";
  const auto d = router->route(e, xml::parse_xml(kAccount, "acc"));
  EXPECT_TRUE(d.deliveries.empty());
  EXPECT_TRUE(d.filtered_by.empty());
}

}  // namespace
}  // namespace hub::router
