// XSLT from mappings/: the demo stylesheet with parameters, compile errors naming file and line,
// and stylesheets trying to read or write outside the mappings root refused.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "hub/core/error.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xpath.h"
#include "hub/xml/xslt.h"
#include "test_paths.h"

namespace hub::xml {
namespace {

namespace fs = std::filesystem;

const fs::path kSrc = hub::testing::source_dir();

Document sample(const std::string& type) {
  return parse_xml_file((kSrc / "schemas/canonical/samples" / (type + ".xml")).string());
}

std::string header(const std::string& extra_ns = "") {
  return "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" " + extra_ns + ">\n";
}

class XsltTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = hub::testing::make_temp_dir("xml-xslt");
    fs::create_directories(root_ / "t");
    outside_ = hub::testing::make_temp_dir("xml-xslt-outside");
    std::ofstream(outside_ / "secret.xml") << "<secret>do-not-read</secret>";
    std::ofstream(root_ / "t" / "lookup.xml") << "<lookup><v>inside</v></lookup>";
  }
  void TearDown() override {
    fs::remove_all(root_);
    fs::remove_all(outside_);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(root_ / name) << text; }
  std::string failure(StylesheetCache& cache, const std::string& name, const Document& in) {
    try {
      cache.transform(name, in);
    } catch (const XmlError& e) {
      return e.what();
    }
    return "";
  }
  fs::path root_, outside_;
};

TEST_F(XsltTest, DemoMappingWithParamProducesValidTicket) {
  StylesheetCache cache(kSrc / "mappings");
  auto out = cache.transform("demo/file_to_ticket.xsl", sample("file.received"), {{"topic", "Записка из ящика"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(XPath::compile("/c:ticketCreated/c:topic").string_value(out), "Записка из ящика");
  EXPECT_EQ(XPath::compile("/c:ticketCreated/c:channel").string_value(out), "file");
  EXPECT_EQ(XPath::compile("/c:ticketCreated/c:text").string_value(out), "Проверка связи: 1, 2, 3.\n");
  auto registry = SchemaRegistry::load(kSrc / "schemas/canonical");
  EXPECT_TRUE(registry->validate("ticket.created", parse_xml(out.to_string(), "out.xml")).empty());

  // A parameter is a string, never an expression.
  auto quoted = cache.transform("demo/file_to_ticket.xsl", sample("file.received"), {{"topic", "') or ('"}});
  EXPECT_EQ(XPath::compile("/c:ticketCreated/c:topic").string_value(quoted), "') or ('");
  // Default topic when the parameter is absent.
  auto plain = cache.transform("demo/file_to_ticket.xsl", sample("file.received"));
  EXPECT_EQ(XPath::compile("/c:ticketCreated/c:topic").string_value(plain), "Файл notes.txt");
  // Same compiled stylesheet is returned from the cache.
  EXPECT_EQ(cache.get("demo/file_to_ticket.xsl"), cache.get("demo/file_to_ticket.xsl"));
}

TEST_F(XsltTest, TerminatingMessageFailsTheTransform) {
  StylesheetCache cache(kSrc / "mappings");
  std::string msg = failure(cache, "demo/file_to_ticket.xsl", sample("payment.received"));
  EXPECT_NE(msg.find("expects c:fileReceived"), std::string::npos) << msg;
}

TEST_F(XsltTest, CompileErrorNamesFileAndLine) {
  write("t/broken.xsl", header() + "<xsl:template match=\"/\">\n<xsl:value-of select=\"((\"/>\n</xsl:template>\n</xsl:stylesheet>");
  StylesheetCache cache(root_);
  try {
    cache.get("t/broken.xsl");
    FAIL() << "expected XmlError";
  } catch (const XmlError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("broken.xsl"), std::string::npos) << what;
    EXPECT_NE(what.find("line 3"), std::string::npos) << what;
  }
  EXPECT_THROW(cache.get("t/missing.xsl"), XmlError);
  EXPECT_THROW(cache.get("../etc/passwd"), XmlError);
  EXPECT_THROW(cache.get("/etc/passwd"), XmlError);
}

TEST_F(XsltTest, DocumentOutsideRootRefusedInsideAllowed) {
  write("t/passwd.xsl", header() + "<xsl:template match=\"/\"><r><xsl:copy-of select=\"document('file:///etc/passwd')\"/></r></xsl:template></xsl:stylesheet>");
  write("t/outside.xsl", header() + "<xsl:template match=\"/\"><r><xsl:value-of select=\"document('" +
                             (outside_ / "secret.xml").string() + "')\"/></r></xsl:template></xsl:stylesheet>");
  write("t/net.xsl", header() + "<xsl:template match=\"/\"><r><xsl:value-of select=\"document('http://127.0.0.1:9/x.xml')\"/></r></xsl:template></xsl:stylesheet>");
  write("t/inside.xsl", header() + "<xsl:template match=\"/\"><r><xsl:value-of select=\"document('lookup.xml')/lookup/v\"/></r></xsl:template></xsl:stylesheet>");
  StylesheetCache cache(root_);
  auto in = sample("ticket.created");
  std::string msg = failure(cache, "t/passwd.xsl", in);
  EXPECT_NE(msg.find("/etc/passwd refused"), std::string::npos) << msg;
  msg = failure(cache, "t/outside.xsl", in);
  EXPECT_NE(msg.find("secret.xml refused"), std::string::npos) << msg;
  msg = failure(cache, "t/net.xsl", in);
  EXPECT_NE(msg.find("127.0.0.1:9/x.xml refused"), std::string::npos) << msg;
  auto ok = cache.transform("t/inside.xsl", in);
  EXPECT_EQ(XPath::compile("/r").string_value(ok), "inside");
}

TEST_F(XsltTest, ImportOutsideRootRefused) {
  std::ofstream(outside_ / "evil.xsl") << header() + "</xsl:stylesheet>";
  write("t/imports.xsl", header() + "<xsl:import href=\"" + (outside_ / "evil.xsl").string() +
                             "\"/><xsl:template match=\"/\"><r/></xsl:template></xsl:stylesheet>");
  StylesheetCache cache(root_);
  EXPECT_THROW(cache.get("t/imports.xsl"), XmlError);
}

TEST_F(XsltTest, WritesRefused) {
  const fs::path target = outside_ / "written.xml";
  write("t/exsl.xsl", header("xmlns:exsl=\"http://exslt.org/common\" extension-element-prefixes=\"exsl\"") +
                          "<xsl:template match=\"/\"><exsl:document href=\"" + target.string() +
                          "\"><pwned/></exsl:document><r/></xsl:template></xsl:stylesheet>");
  write("t/xsl11.xsl", "<xsl:stylesheet version=\"1.1\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
                       "<xsl:template match=\"/\"><xsl:document href=\"" + target.string() +
                           "\"><pwned/></xsl:document><r/></xsl:template></xsl:stylesheet>");
  write("t/result.xsl", "<xsl:stylesheet version=\"2.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
                        "<xsl:template match=\"/\"><xsl:result-document href=\"" + target.string() +
                            "\"><pwned/></xsl:result-document><r/></xsl:template></xsl:stylesheet>");
  StylesheetCache cache(root_);
  auto in = sample("ticket.created");
  std::string msg = failure(cache, "t/exsl.xsl", in);
  EXPECT_NE(msg.find("denied"), std::string::npos) << msg;
  msg = failure(cache, "t/xsl11.xsl", in);
  EXPECT_NE(msg.find("denied"), std::string::npos) << msg;
  // xsl:result-document is XSLT 2.0: libxslt does not implement it, so it never writes either.
  try {
    cache.transform("t/result.xsl", in);
  } catch (const XmlError&) {
  }
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(XsltTest, ConcurrentTransforms) {
  StylesheetCache cache(kSrc / "mappings");
  auto in = sample("file.received");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string topic = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto out = cache.transform("demo/file_to_ticket.xsl", in, {{"topic", topic}});
        if (XPath::compile("/c:ticketCreated/c:topic").string_value(out) != topic) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace hub::xml
