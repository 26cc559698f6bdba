// parse_routing_config: what a valid file yields, and that every kind of mistake is a ConfigError
// naming the exact line and key.

#include "hub/router/routing_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hub/core/error.h"
#include "test_paths.h"

namespace hub::router {
namespace {

TEST(RoutingConfig, ParsesEveryPart) {
  const std::string yaml = R"yaml(routes:
  - name: payments-to-billing
    description: bank payments go to billing and 1C
    match:
      type: [payment.received, payment.reversed]
      source: bank-sber
      headers: {channel: inbox}
      xpath: "/c:paymentReceived[c:amountKopecks > 0]"
    namespaces: {g: "urn:example:g"}
    actions:
      - filter: "not(/c:paymentReceived/g:test)"
      - transform: bank/enrich.xsl
        params: {mode: full}
    to: [billing_store, queue-1c]
    stop: true
  - name: everything-to-log
    to: log
schedules:
  - job: inbox.scan
    cron: "*/10 * * * * *"
  - job: gis.export
    cron: "0 3 * * *"
    time_zone: UTC
    enabled: false
)yaml";
  const auto c = parse_routing_config(yaml, "routes.yaml");
  EXPECT_EQ(c.source_text, yaml);
  ASSERT_EQ(c.routes.size(), 2u);
  const auto& r = c.routes[0];
  EXPECT_EQ(r.name, "payments-to-billing");
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(r.match.types, (std::vector<std::string>{"payment.received", "payment.reversed"}));
  EXPECT_EQ(r.match.sources, (std::vector<std::string>{"bank-sber"}));
  EXPECT_EQ(r.match.headers, (std::map<std::string, std::string>{{"channel", "inbox"}}));
  ASSERT_TRUE(r.match.xpath.has_value());
  EXPECT_EQ(r.match.xpath->expression(), "/c:paymentReceived[c:amountKopecks > 0]");
  ASSERT_EQ(r.actions.size(), 2u);
  EXPECT_EQ(r.actions[0].kind, RouteAction::Kind::kFilter);
  ASSERT_TRUE(r.actions[0].filter.has_value());
  EXPECT_EQ(r.actions[1].kind, RouteAction::Kind::kTransform);
  EXPECT_EQ(r.actions[1].stylesheet, "bank/enrich.xsl");
  EXPECT_EQ(r.actions[1].params, (std::map<std::string, std::string>{{"mode", "full"}}));
  EXPECT_EQ(r.targets, (std::vector<std::string>{"billing_store", "queue-1c"}));
  EXPECT_TRUE(r.stop);

  const auto& any = c.routes[1];
  EXPECT_EQ(any.line, 16);
  EXPECT_TRUE(any.match.types.empty());
  EXPECT_TRUE(any.match.sources.empty());
  EXPECT_FALSE(any.match.xpath.has_value());
  EXPECT_EQ(any.targets, (std::vector<std::string>{"log"}));
  EXPECT_FALSE(any.stop);

  ASSERT_EQ(c.schedules.size(), 2u);
  EXPECT_EQ(c.schedules[0].job, "inbox.scan");
  EXPECT_EQ(c.schedules[0].cron, "*/10 * * * * *");
  EXPECT_EQ(c.schedules[0].time_zone, "Europe/Moscow");
  EXPECT_TRUE(c.schedules[0].enabled);
  EXPECT_EQ(c.schedules[0].line, 19);
  EXPECT_EQ(c.schedules[1].time_zone, "UTC");
  EXPECT_FALSE(c.schedules[1].enabled);
}

TEST(RoutingConfig, ImplicitPrefixesNeedNoDeclaration) {
  const auto c = parse_routing_config(
      "routes:\n  - name: a\n    match:\n      xpath: \"/c:x or /e:envelope or child::c:y\"\n"
      "    to: [x]\n",
      "p.yaml");
  ASSERT_TRUE(c.routes[0].match.xpath.has_value());
}

TEST(RoutingConfig, EmptyFileIsAnEmptyConfig) {
  const auto c = parse_routing_config("# nothing yet\n", "empty.yaml");
  EXPECT_TRUE(c.routes.empty());
  EXPECT_TRUE(c.schedules.empty());
  const auto d = parse_routing_config("routes: []\nschedules:\n", "empty2.yaml");
  EXPECT_TRUE(d.routes.empty());
}

TEST(RoutingConfig, ShippedLocalRoutesParse) {
  std::ifstream in(hub::testing::source_dir() / "deploy" / "local-routes.yaml");
  ASSERT_TRUE(in) << "deploy/local-routes.yaml missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const auto c = parse_routing_config(ss.str(), "deploy/local-routes.yaml");
  EXPECT_FALSE(c.routes.empty());
}

struct BadCase {
  const char* what;
  const char* yaml;
  int line;
  const char* key;
  const char* message_part;
};

// Each case is a whole file; `line` is 1-based and must be the line of the offending node.
const BadCase kBad[] = {
    {"yaml syntax", "routes:\n  - name: a\n    to: [x\n", 4, "", "YAML syntax"},
    {"tab indentation", "routes:\n  - name: a\n\tto: x\n", 3, "", "YAML syntax"},
    {"top level not a map", "- a\n- b\n", 1, "", "expected a mapping"},
    {"unknown top-level key", "routes: []\nroutez: []\n", 2, "routez", "unknown key"},
    {"routes not a list", "routes:\n  name: a\n", 2, "routes", "expected a list"},
    {"unknown route key", "routes:\n  - name: a\n    to: [x]\n    too: [y]\n", 4, "routes[0].too",
     "unknown key"},
    {"unknown match key", "routes:\n  - name: a\n    match:\n      kind: x\n    to: [t]\n", 4,
     "routes[0].match.kind", "unknown key"},
    {"route without name", "routes:\n  - to: [x]\n", 2, "routes[0].name", "needs a name"},
    {"empty route name", "routes:\n  - name: \"\"\n    to: [x]\n", 2, "routes[0].name",
     "must not be empty"},
    {"route name not a string", "routes:\n  - name: [a, b]\n    to: [x]\n", 2, "routes[0].name",
     "expected a string"},
    {"duplicate route name",
     "routes:\n  - name: a\n    to: [x]\n  - name: b\n    to: [x]\n  - name: a\n    to: [y]\n", 6,
     "routes[2].name", "duplicate route name 'a' (first at line 2)"},
    {"route without targets", "routes:\n  - name: a\n    match: {type: x.y}\n", 2, "routes[0].to",
     "no targets"},
    {"route with empty target list", "routes:\n  - name: a\n    to: []\n", 3, "routes[0].to",
     "no targets"},
    {"target listed twice", "routes:\n  - name: a\n    to:\n      - x\n      - x\n", 5,
     "routes[0].to[1]", "listed twice"},
    {"stop not a boolean", "routes:\n  - name: a\n    to: [x]\n    stop: maybe\n", 4,
     "routes[0].stop", "expected true or false"},
    {"type is a mapping", "routes:\n  - name: a\n    match:\n      type: {a: b}\n    to: [x]\n", 4,
     "routes[0].match.type", "expected a string or a list"},
    {"headers not a map", "routes:\n  - name: a\n    match:\n      headers: [a]\n    to: [x]\n", 4,
     "routes[0].match.headers", "expected a mapping"},
    {"invalid match xpath",
     "routes:\n  - name: a\n    match:\n      type: x\n      xpath: \"/c:a[[\"\n    to: [x]\n", 5,
     "routes[0].match.xpath", "invalid XPath"},
    {"undeclared xpath prefix",
     "routes:\n  - name: a\n    match:\n      xpath: \"/g:a\"\n    to: [x]\n", 4,
     "routes[0].match.xpath", "prefix 'g'"},
    {"invalid filter xpath",
     "routes:\n  - name: a\n    actions:\n      - filter: \"count(\"\n    to: [x]\n", 4,
     "routes[0].actions[0].filter", "invalid XPath"},
    {"unknown xpath function",
     "routes:\n  - name: a\n    match:\n      xpath: \"frobnicate(/c:a)\"\n    to: [x]\n", 4,
     "routes[0].match.xpath", "invalid XPath"},
    {"action both filter and transform",
     "routes:\n  - name: a\n    actions:\n      - filter: \"true()\"\n        transform: a.xsl\n   "
     " "
     "to: [x]\n",
     4, "routes[0].actions[0]", "either a filter or a transform"},
    {"unknown action", "routes:\n  - name: a\n    actions:\n      - split: x\n    to: [x]\n", 4,
     "routes[0].actions[0].split", "unknown key"},
    {"stylesheet escaping mappings",
     "routes:\n  - name: a\n    actions:\n      - transform: ../../etc/x.xsl\n    to: [x]\n", 4,
     "routes[0].actions[0].transform", "inside mappings/"},
    {"namespace rebinding c",
     "routes:\n  - name: a\n    namespaces:\n      c: urn:other\n    to: [x]\n", 4,
     "routes[0].namespaces.c", "reserved"},
    {"cron with 4 fields", "schedules:\n  - job: inbox.scan\n    cron: \"* * * *\"\n", 3,
     "schedules[0].cron", "has 4 fields"},
    {"cron with 7 fields", "schedules:\n  - job: inbox.scan\n    cron: \"0 0 0 * * * 2026\"\n", 3,
     "schedules[0].cron", "has 7 fields"},
    {"schedule without cron", "schedules:\n  - job: inbox.scan\n", 2, "schedules[0].cron",
     "no cron"},
    {"job without adapter", "schedules:\n  - job: scan\n    cron: \"* * * * *\"\n", 2,
     "schedules[0].job", "<adapter instance>.<job>"},
    {"duplicate schedule job",
     "schedules:\n  - job: inbox.scan\n    cron: \"* * * * *\"\n  - job: gis.export\n    cron: \"0 "
     "* * "
     "* *\"\n  - job: inbox.scan\n    cron: \"*/5 * * * *\"\n",
     6, "schedules[2].job", "duplicate schedule for job 'inbox.scan' (first at line 2)"},
    {"unknown time zone",
     "schedules:\n  - job: inbox.scan\n    cron: \"* * * * *\"\n    time_zone: Europe/Atlantis\n",
     4, "schedules[0].time_zone", "unknown time zone 'Europe/Atlantis'"},
    {"time zone path escape",
     "schedules:\n  - job: inbox.scan\n    cron: \"* * * * *\"\n    time_zone: ../../etc/passwd\n",
     4, "schedules[0].time_zone", "unknown time zone"},
    {"enabled not a boolean",
     "schedules:\n  - job: inbox.scan\n    cron: \"* * * * *\"\n    enabled: sometimes\n", 4,
     "schedules[0].enabled", "expected true or false"},
    {"unknown schedule key",
     "schedules:\n  - job: inbox.scan\n    cron: \"* * * * *\"\n    timezone: UTC\n", 4,
     "schedules[0].timezone", "unknown key"},
};

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, NamesLineAndKey) {
  const auto& c = GetParam();
  try {
    parse_routing_config(c.yaml, "bad.yaml");
    FAIL() << c.what << ": no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "bad.yaml") << c.what;
    EXPECT_EQ(e.line(), c.line) << c.what << ": " << e.what();
    EXPECT_EQ(e.key(), c.key) << c.what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos)
        << c.what << ": " << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("bad.yaml:" + std::to_string(c.line) + ": ", 0), 0u)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, BadConfig, ::testing::ValuesIn(kBad),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           std::string n = info.param.what;
                           for (auto& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace hub::router
