// The canonical schema set: every documented sample validates as its type; broken documents are
// reported with line and XPath; the registry is safe to share between threads.

#include "hub/xml/schema_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hub/core/error.h"
#include "hub/xml/document.h"
#include "test_paths.h"

namespace hub::xml {
namespace {

namespace fs = std::filesystem;

fs::path canonical_dir() {
  return hub::testing::source_dir() / "schemas" / "canonical";
}

std::shared_ptr<const SchemaRegistry> registry() {
  static auto r = SchemaRegistry::load(canonical_dir());
  return r;
}

std::string sample(const std::string& type) {
  std::ifstream in(canonical_dir() / "samples" / (type + ".xml"));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(SchemaRegistry, KnowsTheRequiredTypes) {
  auto r = registry();
  for (const char* t :
       {"payment.received", "meter.reading", "account.upsert", "file.received", "ticket.created"}) {
    ASSERT_TRUE(r->knows(t)) << t;
    EXPECT_EQ(r->find(t)->root_ns, "urn:zhkh-hub:canonical:1");
    EXPECT_FALSE(r->find(t)->description.empty());
  }
  EXPECT_FALSE(r->knows("nope.nothing"));
  EXPECT_EQ(r->find("nope"), nullptr);
  const MessageType* p = r->find_by_root("urn:zhkh-hub:canonical:1", "paymentReceived");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type, "payment.received");
  EXPECT_EQ(r->find_by_root("urn:other", "paymentReceived"), nullptr);
}

TEST(SchemaRegistry, EverySampleValidates) {
  auto r = registry();
  auto types = r->types();
  ASSERT_GE(types.size(), 5u);
  for (const auto& t : types) {
    fs::path p = canonical_dir() / "samples" / (t.type + ".xml");
    ASSERT_TRUE(fs::exists(p)) << "every type needs a documented sample: " << p;
    auto doc = parse_xml_file(p.string());
    auto issues = r->validate(t.type, doc);
    EXPECT_TRUE(issues.empty()) << t.type << ": "
                                << (issues.empty() ? ""
                                                   : issues[0].xpath + " " + issues[0].message);
    EXPECT_NO_THROW(r->validate_or_throw(t.type, doc));
  }
}

TEST(SchemaRegistry, BrokenSampleNamesLineAndXPath) {
  auto r = registry();
  std::string xml = replace(sample("payment.received"), "<c:amountKopecks>152340</c:amountKopecks>",
                            "<c:amountKopecks>12.50</c:amountKopecks>");
  auto doc = parse_xml(xml, "broken.xml");
  auto issues = r->validate("payment.received", doc);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].xpath, "/c:paymentReceived/c:amountKopecks");
  EXPECT_EQ(issues[0].line, 19);
  EXPECT_NE(issues[0].message.find("12.50"), std::string::npos) << issues[0].message;
  try {
    r->validate_or_throw("payment.received", doc);
    FAIL() << "expected ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "payment.received broken.xml:19 /c:paymentReceived/c:amountKopecks:"),
              std::string::npos)
        << e.what();
  }
}

TEST(SchemaRegistry, NestedProblemsAndCountsAreReported) {
  auto r = registry();
  std::string xml = replace(sample("payment.received"), "<c:value zone=\"night\">4567.8</c:value>",
                            "<c:value zone=\"evening\">4567.8</c:value>");
  xml = replace(xml, "<c:period>2026-10</c:period>", "<c:period>2026-13</c:period>");
  auto doc = parse_xml(xml, "two.xml");
  auto issues = r->validate("payment.received", doc);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].xpath, "/c:paymentReceived/c:period");
  EXPECT_EQ(issues[1].xpath, "/c:paymentReceived/c:readings/c:meter/c:value[2]/@zone");
  try {
    r->validate_or_throw("payment.received", doc);
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("(and 1 more)"), std::string::npos) << e.what();
  }
}

TEST(SchemaRegistry, PayerIsExactlyOneOfAccountElsIpd) {
  auto r = registry();
  std::string base = sample("payment.received");
  auto ok_els = parse_xml(
      replace(base, "<c:account>100234</c:account>", "<c:els>34АА011432</c:els>"), "els.xml");
  EXPECT_TRUE(r->validate("payment.received", ok_els).empty());
  auto ok_ipd =
      parse_xml(replace(base, "<c:account>100234</c:account>", "<c:ipd>34АА011432-01-2610</c:ipd>"),
                "ipd.xml");
  EXPECT_TRUE(r->validate("payment.received", ok_ipd).empty());
  auto none = parse_xml(replace(base, "<c:account>100234</c:account>", ""), "none.xml");
  EXPECT_FALSE(r->validate("payment.received", none).empty());
  auto both = parse_xml(replace(base, "<c:account>100234</c:account>",
                                "<c:account>1</c:account><c:els>34АА011432</c:els>"),
                        "both.xml");
  EXPECT_FALSE(r->validate("payment.received", both).empty());
}

TEST(SchemaRegistry, WrongRootIsRefused) {
  auto r = registry();
  auto doc = parse_xml(sample("ticket.created"), "ticket.xml");
  auto issues = r->validate("payment.received", doc);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].xpath, "/c:ticketCreated");
  EXPECT_NE(issues[0].message.find("paymentReceived"), std::string::npos);
  EXPECT_FALSE(r->validate("unknown.type", doc).empty());
}

// conforms() checks a body as it is read, with no tree; Ingress trusts its yes. It must say yes
// exactly when parsing and validating the tree does, for valid samples and for each kind of
// refusal: schema errors, uniqueness, the wrong root, malformed XML and what the hardened parser
// refuses (DOCTYPEs with entities, external subsets, deep nesting).
TEST(SchemaRegistry, ConformsAgreesWithTheTreeValidation) {
  auto r = registry();
  auto tree_says = [&](const std::string& type, const std::string& body) {
    try {
      return r->validate(type, parse_xml(body, "tree")).empty();
    } catch (const XmlError&) {
      return false;
    }
  };
  std::vector<std::pair<std::string, std::string>> cases;
  for (const auto& t : r->types()) cases.emplace_back(t.type, sample(t.type));
  const std::string pay = sample("payment.received");
  cases.emplace_back("payment.received", replace(pay, "<c:amountKopecks>152340</c:amountKopecks>",
                                                 "<c:amountKopecks>12.50</c:amountKopecks>"));
  cases.emplace_back("payment.received", replace(pay, "<c:period>2026-10</c:period>", ""));
  cases.emplace_back("payment.received", replace(pay, "<c:period>2026-10</c:period>",
                                                 "<c:period>2026-10</c:period><c:nonsense/>"));
  cases.emplace_back("payment.received", replace(pay, "zone=\"night\"", "zone=\"evening\""));
  cases.emplace_back("ticket.created", pay);  // the wrong root for the type
  cases.emplace_back("payment.received", pay.substr(0, pay.size() / 2));  // truncated
  cases.emplace_back("payment.received",
                     "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
                     "\"file:///etc/passwd\">]><c:paymentReceived xmlns:c=\"urn:"
                     "zhkh-hub:canonical:1\">&e;</c:paymentReceived>");
  cases.emplace_back("payment.received",
                     "<!DOCTYPE c:paymentReceived SYSTEM \"http://127.0.0.1:1/x.dtd\">" +
                         pay.substr(pay.find("<c:paymentReceived")));
  cases.emplace_back("payment.received", std::string(300, '<') + "x");
  std::string deep = "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">";
  for (int i = 0; i < 300; ++i) deep += "<c:agent>";
  cases.emplace_back("payment.received", deep);
  const std::string batch = sample("payment.batch");
  const auto first = batch.find("<c:payment ");
  const auto end = batch.find("</c:payment>", first) + 12;
  ASSERT_NE(first, std::string::npos);
  // The same payment twice: the batch's xs:unique on the payment key.
  cases.emplace_back("payment.batch",
                     batch.substr(0, end) + batch.substr(first, end - first) + batch.substr(end));
  // payment.lines: the attributes' types, an empty key, the payer's choice.
  const std::string lines = sample("payment.lines");
  cases.emplace_back("payment.lines", replace(lines, "amount=\"98000\"", "amount=\"980.00\""));
  cases.emplace_back("payment.lines", replace(lines, "paidAt=\"2026-11-20\" period=\"2026-10\" "
                                                     "amount=\"98000\"",
                                              "paidAt=\"2026-11-20\" amount=\"98000\""));
  cases.emplace_back("payment.lines",
                     replace(lines, "key=\"bank:sber:2026-11-20:8626:2026112012345679:98000\"",
                             "key=\"\""));
  cases.emplace_back("payment.lines", replace(lines, "<c:els>34АА011432</c:els>",
                                              "<c:els>34АА011432</c:els><c:account>1</c:account>"));
  // A line break in a payer's name is a space (c:LineName, a normalizedString); an empty one
  // is no name.
  cases.emplace_back("payment.lines",
                     replace(lines, "payerName=\"ИВАНОВА МАРИЯ ПЕТРОВНА\"", "payerName=\"\""));
  const std::string state = sample("external.state");
  const auto r1 = state.find("<c:result>");
  const auto r2 = state.find("</c:result>", r1) + 11;
  cases.emplace_back("external.state",
                     state.substr(0, r2) + state.substr(r1, r2 - r1) + state.substr(r2));
  std::size_t valid = 0, invalid = 0;
  for (const auto& [type, body] : cases) {
    const bool expected = tree_says(type, body);
    EXPECT_EQ(r->conforms(type, body), expected) << type << ": " << body.substr(0, 300);
    (expected ? valid : invalid) += 1;
  }
  EXPECT_EQ(valid, r->types().size());  // the samples, and nothing else
  EXPECT_FALSE(r->conforms("no.such.type", pay));
}

TEST(SchemaRegistry, EnvelopeValidatesWithItsBody) {
  auto r = registry();
  std::string body = sample("meter.reading");
  body = body.substr(body.find("<c:meterReading"));
  std::string env =
      "<e:envelope xmlns:e=\"urn:zhkh-hub:envelope:1\" type=\"meter.reading\" schemaVersion=\"1\" "
      "occurredAt=\"2026-11-22T15:40:00Z\" idempotencyKey=\"portal:1\"><e:header "
      "name=\"channel\">portal</e:header>"
      "<e:body>" +
      body + "</e:body></e:envelope>";
  EXPECT_TRUE(r->validate_envelope(parse_xml(env, "env.xml")).empty());
  // Lax body validation still catches a known canonical body that is wrong.
  std::string bad = replace(env, "<c:channel>portal</c:channel>", "<c:channel>pigeon</c:channel>");
  auto issues = r->validate_envelope(parse_xml(bad, "bad-env.xml"));
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].xpath, "/e:envelope/e:body/c:meterReading/c:channel");
}

TEST(SchemaRegistry, ConcurrentValidationFromFourThreads) {
  auto r = registry();
  auto good = parse_xml(sample("payment.received"), "good.xml");
  auto bad = parse_xml(replace(sample("payment.received"), "<c:paidAt>2026-11-20</c:paidAt>",
                               "<c:paidAt>20.11.2026</c:paidAt>"),
                       "bad.xml");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        // Each thread also parses its own documents: parsing and validation both run concurrently.
        if ((i + t) % 5 == 0) {
          auto mine = parse_xml(sample("account.upsert"), "mine.xml");
          if (!r->validate("account.upsert", mine).empty()) ++wrong;
        }
        if (!r->validate("payment.received", good).empty()) ++wrong;
        auto issues = r->validate("payment.received", bad);
        if (issues.size() != 1 || issues[0].xpath != "/c:paymentReceived/c:paidAt") ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(SchemaRegistry, LoadErrorsNameTheFile) {
  fs::path dir = hub::testing::make_temp_dir("xml-schemas");
  fs::copy(canonical_dir(), dir,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);

  // A type whose XSD is missing: ConfigError naming types.yaml and the key.
  {
    std::ofstream(dir / "types.yaml", std::ios::app)
        << "  extra.type:\n    xsd: missing.xsd\n    root: extra\n";
    try {
      SchemaRegistry::load(dir);
      FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("types.yaml"), std::string::npos) << e.what();
      EXPECT_EQ(e.key(), "extra.type.xsd");
    }
  }
  // An XSD reaching outside the schema directory is not loaded.
  fs::copy_file(canonical_dir() / "types.yaml", dir / "types.yaml",
                fs::copy_options::overwrite_existing);
  {
    std::ofstream(dir / "ticket_created.xsd")
        << "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
           "targetNamespace=\"urn:zhkh-hub:canonical:1\">"
           "<xs:include schemaLocation=\"/etc/ssl/openssl.cnf\"/></xs:schema>";
    EXPECT_THROW(SchemaRegistry::load(dir), XmlError);
  }
  // A broken XSD: XmlError naming the XSD file and line.
  {
    std::ofstream(dir / "ticket_created.xsd")
        << "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
           "targetNamespace=\"urn:zhkh-hub:canonical:1\">\n"
           "<xs:element name=\"ticketCreated\" type=\"xs:nosuchtype\"/></xs:schema>";
    try {
      SchemaRegistry::load(dir);
      FAIL() << "expected XmlError";
    } catch (const XmlError& e) {
      EXPECT_NE(std::string(e.what()).find("ticket_created.xsd:2:"), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hub::xml
