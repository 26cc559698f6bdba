// XPath over canonical bodies with the `c` prefix, custom prefixes, errors, and sharing one
// compiled expression between threads.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "hub/core/error.h"
#include "hub/xml/xpath.h"
#include "test_paths.h"

namespace hub::xml {
namespace {

Document payment() {
  return parse_xml_file((hub::testing::source_dir() / "schemas/canonical/samples/payment.received.xml").string());
}

TEST(XPath, MatchesAndStringsWithCanonicalPrefix) {
  auto doc = payment();
  EXPECT_TRUE(XPath::compile("/c:paymentReceived[c:amountKopecks >= 100000]").matches(doc));
  EXPECT_FALSE(XPath::compile("/c:paymentReceived[c:amountKopecks > 1000000]").matches(doc));
  EXPECT_TRUE(XPath::compile("count(//c:service) = 2").matches(doc));
  EXPECT_FALSE(XPath::compile("//c:nothing").matches(doc));
  EXPECT_EQ(XPath::compile("/c:paymentReceived/c:agent/c:code").string_value(doc), "sber");
  EXPECT_EQ(XPath::compile("sum(//c:service/c:amountKopecks)").string_value(doc), "152340");
  EXPECT_EQ(XPath::compile("//c:meter/c:value[@zone='night']").string_value(doc), "4567.8");
  // Unprefixed names are in no namespace, so they do not see canonical elements.
  EXPECT_FALSE(XPath::compile("/paymentReceived").matches(doc));
}

TEST(XPath, CustomPrefixes) {
  auto doc = parse_xml("<b:r xmlns:b=\"urn:bank\"><b:x>1</b:x></b:r>", "bank.xml");
  auto x = XPath::compile("/bank:r/bank:x = 1", {{"bank", "urn:bank"}});
  EXPECT_TRUE(x.matches(doc));
  EXPECT_EQ(x.expression(), "/bank:r/bank:x = 1");
  EXPECT_EQ(x.namespaces().at("c"), kCanonicalNs);
  EXPECT_THROW(XPath::compile("/c:x", {{"c", "urn:not-canonical"}}), XmlError);
}

TEST(XPath, InvalidExpressionNamesIt) {
  try {
    XPath::compile("/c:paymentReceived[");
    FAIL() << "expected XmlError";
  } catch (const XmlError& e) {
    EXPECT_NE(std::string(e.what()).find("'/c:paymentReceived['"), std::string::npos) << e.what();
  }
  // Undefined prefixes and functions are found when compiling, not on the first message.
  try {
    XPath::compile("/zz:a");
    FAIL() << "expected XmlError";
  } catch (const XmlError& e) {
    EXPECT_NE(std::string(e.what()).find("'/zz:a'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(XPath::compile("no-such-function(/c:x)"), XmlError);
  EXPECT_THROW(XPath::compile("$undefined"), XmlError);
}

TEST(XPath, SharedAcrossThreads) {
  auto doc = payment();
  auto x = XPath::compile("concat(/c:paymentReceived/c:account, '-', string-length(//c:registryRef))");
  auto y = XPath::compile("/c:paymentReceived[starts-with(c:period, '2026')]");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (x.string_value(doc) != "100234-20") ++wrong;
        if (!y.matches(doc)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace hub::xml
