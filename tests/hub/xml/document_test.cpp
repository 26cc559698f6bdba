// Hardened parsing: well-formed input parses; every way of smuggling entities, external resources
// or pathological size/depth in is refused with a message naming the document and line.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "hub/core/error.h"
#include "hub/xml/document.h"
#include "test_paths.h"

namespace hub::xml {
namespace {

namespace fs = std::filesystem;

std::string refusal(const std::string& xml, const ParseLimits& limits = {}) {
  try {
    parse_xml(xml, "doc.xml", limits);
  } catch (const XmlError& e) {
    return e.what();
  }
  return "";
}

TEST(ParseXml, ParsesAndSerializesWithoutDeclaration) {
  auto doc = parse_xml("<?xml version=\"1.0\"?>\n<a xmlns=\"urn:x\"><b k=\"v\">t</b></a>", "ok.xml");
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc.name(), "ok.xml");
  EXPECT_STREQ(reinterpret_cast<const char*>(doc.root()->name), "a");
  EXPECT_EQ(doc.to_string(), "<a xmlns=\"urn:x\"><b k=\"v\">t</b></a>");
}

TEST(ParseXml, DeclaredLegacyEncodingIsDecoded) {
  // Russian registries often arrive in windows-1251: "Иванов" in cp1251 bytes.
  std::string xml = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><n>\xC8\xE2\xE0\xED\xEE\xE2</n>";
  auto doc = parse_xml(xml, "cp1251.xml");
  xmlChar* text = xmlNodeGetContent(doc.root());
  EXPECT_STREQ(reinterpret_cast<const char*>(text), "Иванов");
  xmlFree(text);
  EXPECT_EQ(doc.to_string(), "<n>Иванов</n>");
}

TEST(ParseXml, MalformedNamesDocumentAndLine) {
  std::string msg = refusal("<a>\n<b>\n</a>");
  EXPECT_NE(msg.find("doc.xml:3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mismatch"), std::string::npos) << msg;
}

TEST(ParseXml, EmptyInputRefused) { EXPECT_NE(refusal("").find("doc.xml:0: empty"), std::string::npos); }

TEST(ParseXml, XxeFileEntityRefused) {
  std::string msg = refusal(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE a [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n<a>&xxe;</a>");
  EXPECT_NE(msg.find("doc.xml:3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("entity declaration 'xxe' refused"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("root:"), std::string::npos) << "passwd content leaked: " << msg;
}

TEST(ParseXml, ExternalDtdRefused) {
  std::string msg = refusal("<?xml version=\"1.0\"?>\n<!DOCTYPE a SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n<a/>");
  EXPECT_NE(msg.find("doc.xml:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("external identifier refused"), std::string::npos) << msg;
  msg = refusal("<!DOCTYPE a PUBLIC \"-//X//Y\" \"file:///etc/passwd\"><a/>");
  EXPECT_NE(msg.find("external identifier refused"), std::string::npos) << msg;
}

TEST(ParseXml, ParameterEntitiesRefused) {
  std::string msg = refusal(
      "<!DOCTYPE a [\n<!ENTITY % remote SYSTEM \"file:///etc/passwd\">\n%remote;\n]>\n<a/>");
  EXPECT_NE(msg.find("parameter entity declaration 'remote' refused"), std::string::npos) << msg;
  // A reference to an undeclared parameter entity is refused as well (nothing is loaded).
  msg = refusal("<!DOCTYPE a [\n%undeclared;\n]>\n<a/>");
  EXPECT_FALSE(msg.empty());
}

TEST(ParseXml, UndeclaredEntityReferenceIsMalformed) {
  std::string msg = refusal("<a>&xxe;</a>");
  EXPECT_NE(msg.find("doc.xml:1:"), std::string::npos) << msg;
}

TEST(ParseXml, DoctypeWithoutEntitiesIsAccepted) {
  auto doc = parse_xml("<!DOCTYPE a [ <!ELEMENT a ANY> ]><a>x</a>", "dtd.xml");
  EXPECT_TRUE(doc);
}

TEST(ParseXml, BillionLaughsRefusedQuickly) {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
  for (int i = 1; i < 10; ++i) {
    xml += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) xml += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    xml += "\">\n";
  }
  xml += "]>\n<lolz>&lol9;</lolz>";
  auto start = std::chrono::steady_clock::now();
  std::string msg = refusal(xml);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_NE(msg.find("entity declaration 'lol' refused"), std::string::npos) << msg;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(ParseXml, OversizeRefusedBeforeParsing) {
  ParseLimits limits;
  limits.max_bytes = 100;
  std::string xml = "<a>" + std::string(200, 'x') + "</a>";
  std::string msg = refusal(xml, limits);
  EXPECT_NE(msg.find("exceeds the limit of 100"), std::string::npos) << msg;
  EXPECT_NO_THROW(parse_xml("<a>x</a>", "small.xml", limits));
}

TEST(ParseXml, OverDeepRefused) {
  ParseLimits limits;
  limits.max_depth = 50;
  std::string deep;
  for (int i = 0; i < 60; ++i) deep += "<d>";
  for (int i = 0; i < 60; ++i) deep += "</d>";
  std::string msg = refusal(deep, limits);
  EXPECT_NE(msg.find("deeper than 50"), std::string::npos) << msg;

  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "<d>";
  for (int i = 0; i < 50; ++i) ok += "</d>";
  EXPECT_NO_THROW(parse_xml(ok, "ok.xml", limits));

  // Far beyond any limit: libxml2's own guard or ours, never a stack overflow.
  std::string huge;
  for (int i = 0; i < 100000; ++i) huge += "<d>";
  EXPECT_FALSE(refusal(huge).empty());
}

TEST(ParseXml, FileVariantNamesThePath) {
  fs::path dir = hub::testing::make_temp_dir("xml-doc");
  fs::path p = dir / "bad.xml";
  std::ofstream(p) << "<a>\n<b></a>";
  try {
    parse_xml_file(p.string());
    FAIL() << "expected XmlError";
  } catch (const XmlError& e) {
    EXPECT_NE(std::string(e.what()).find(p.string() + ":2:"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "good.xml") << "<a/>";
  EXPECT_EQ(parse_xml_file((dir / "good.xml").string()).name(), (dir / "good.xml").string());
  EXPECT_THROW(parse_xml_file((dir / "missing.xml").string()), XmlError);
  fs::remove_all(dir);
}

TEST(NodePath, NamesCanonicalPrefixAndPositions) {
  auto doc = parse_xml(
      "<p:r xmlns:p=\"urn:zhkh-hub:canonical:1\"><p:s><p:v/></p:s><p:s><p:v/></p:s><x/></p:r>", "n.xml");
  xmlNodePtr second = doc.root()->children->next;
  EXPECT_EQ(node_path(second->children), "/c:r/c:s[2]/c:v");
  EXPECT_EQ(node_path(second->next), "/c:r/x");
  EXPECT_EQ(node_path(doc.root()), "/c:r");
}

}  // namespace
}  // namespace hub::xml
