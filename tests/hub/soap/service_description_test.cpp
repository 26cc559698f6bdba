// The WSDL as a generic client sees it: well-formed, document/literal with one soapAction per
// operation, and types that compile with libxml2 from the WSDL alone — every schema location is
// fetched from the endpoint over HTTP, and every XSD that types.yaml lists is among them.

#include "hub/soap/service_description.h"

#include <gtest/gtest.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>
#include <yaml-cpp/yaml.h>

#include <list>
#include <set>

#include "soap_fixture.h"

namespace hub::soap {
namespace {

using testsupport::http;
using testsupport::SoapFixture;
using testsupport::xpath;

// libxml2 fetches xs:import/xs:include locations through this while a test compiles the WSDL's
// schemas: only the endpoint's own ?xsd= URLs, over real HTTP to the test server.
struct Fetcher {
  std::string prefix;  // http://127.0.0.1:PORT
  int port = 0;
  std::set<std::string> fetched;
  std::list<std::string> failures;
  std::list<std::string> bodies;  // libxml2 2.9's string input streams point into these
};
Fetcher* g_fetcher = nullptr;
xmlExternalEntityLoader g_previous = nullptr;

xmlParserInputPtr fetch_over_http(const char* url, const char* id, xmlParserCtxtPtr ctxt) {
  const std::string u = url ? url : "";
  if (g_fetcher && u.rfind(g_fetcher->prefix + "/soap?xsd=", 0) == 0) {
    const auto r = http(g_fetcher->port, "GET", u.substr(g_fetcher->prefix.size()));
    if (r.status != 200) {
      g_fetcher->failures.push_back(u + " -> " + std::to_string(r.status));
      return nullptr;
    }
    g_fetcher->fetched.insert(u.substr(u.find("?xsd=") + 5));
    g_fetcher->bodies.push_back(r.body);
    xmlParserInputPtr in = xmlNewStringInputStream(ctxt, BAD_CAST g_fetcher->bodies.back().c_str());
    if (in) in->filename = reinterpret_cast<const char*>(xmlStrdup(BAD_CAST u.c_str()));
    return in;
  }
  if (g_fetcher) g_fetcher->failures.push_back("unexpected location " + u);
  return g_previous ? g_previous(url, id, ctxt) : nullptr;
}

class LoaderScope {
 public:
  explicit LoaderScope(Fetcher& f) {
    g_previous = xmlGetExternalEntityLoader();
    g_fetcher = &f;
    xmlSetExternalEntityLoader(fetch_over_http);
  }
  ~LoaderScope() {
    xmlSetExternalEntityLoader(g_previous);
    g_fetcher = nullptr;
  }
};

struct SchemaFree {
  void operator()(xmlSchemaPtr s) const { xmlSchemaFree(s); }
};
using SchemaPtr = std::unique_ptr<xmlSchema, SchemaFree>;

SchemaPtr compile(xmlNodePtr schema_element, std::vector<std::string>& errors) {
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  xmlDocSetRootElement(doc, xmlDocCopyNode(schema_element, doc, 1));
  xmlSchemaParserCtxtPtr p = xmlSchemaNewDocParserCtxt(doc);
  xmlSchemaSetParserStructuredErrors(
      p,
      [](void* data, xmlErrorPtr err) {
        if (err && err->level >= XML_ERR_ERROR) {
          static_cast<std::vector<std::string>*>(data)->push_back(
              std::string(err->file ? err->file : "?") + ":" + std::to_string(err->line) + ": " +
              (err->message ? err->message : "?"));
        }
      },
      &errors);
  SchemaPtr s(xmlSchemaParse(p));
  xmlSchemaFreeParserCtxt(p);
  xmlFreeDoc(doc);
  return s;
}

std::vector<std::string> validate(xmlSchemaPtr schema, const std::string& text) {
  auto doc = xml::parse_xml(text, "instance");
  std::vector<std::string> errors;
  xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
  xmlSchemaSetValidStructuredErrors(
      v,
      [](void* data, xmlErrorPtr err) {
        if (err && err->level >= XML_ERR_ERROR) {
          static_cast<std::vector<std::string>*>(data)->push_back(err->message ? err->message
                                                                               : "?");
        }
      },
      &errors);
  const int rc = xmlSchemaValidateDoc(v, doc.get());
  xmlSchemaFreeValidCtxt(v);
  if (rc != 0 && errors.empty()) errors.push_back("rc " + std::to_string(rc));
  return errors;
}

// Every XSD named in types.yaml: the envelope and each type's body.
std::set<std::string> listed_xsds() {
  const auto y =
      YAML::LoadFile((hub::testing::source_dir() / "schemas/canonical/types.yaml").string());
  std::set<std::string> out{y["envelope"].as<std::string>()};
  for (const auto& kv : y["types"]) out.insert(kv.second["xsd"].as<std::string>());
  return out;
}

TEST(Wsdl, IsDocumentLiteralWithASoapActionPerOperationAndTheServedAddress) {
  SoapFixture f;
  const auto r = http(f.port(), "GET", "/soap?wsdl");  // no token: clients read it first
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("text/xml"), std::string::npos);
  EXPECT_NO_THROW(xml::parse_xml(r.body, "wsdl"));
  EXPECT_EQ(xpath(r.body, "string(/wsdl:definitions/@targetNamespace)"), "urn:zhkh-hub:soap:1");
  EXPECT_EQ(xpath(r.body, "string(//wsdl:binding/soap:binding/@style)"), "document");
  EXPECT_EQ(xpath(r.body, "string(//wsdl:binding/soap:binding/@transport)"),
            "http://schemas.xmlsoap.org/soap/http");
  for (const std::string op : {"Submit", "Pull", "Ack"}) {
    EXPECT_EQ(xpath(r.body, "string(//wsdl:binding/wsdl:operation[@name='" + op +
                                "']/soap:operation/@soapAction)"),
              "urn:zhkh-hub:soap:1#" + op);
    EXPECT_EQ(xpath(r.body, "string(//wsdl:binding/wsdl:operation[@name='" + op +
                                "']/wsdl:input/soap:body/@use)"),
              "literal");
    EXPECT_EQ(xpath(r.body, "string(//wsdl:message[@name='" + op + "Request']/wsdl:part/@element)"),
              "s:" + op + "Request");
  }
  EXPECT_EQ(xpath(r.body, "string(//wsdl:service/wsdl:port/soap:address/@location)"), f.url());
  // ?WSDL (as .NET tools write it) is the same document.
  EXPECT_EQ(http(f.port(), "GET", "/soap?WSDL").body, r.body);
}

TEST(Wsdl, TypesCompileFromTheWsdlAloneAndReachEveryCanonicalXsd) {
  SoapFixture f;
  const auto wsdl = http(f.port(), "GET", "/soap?wsdl");
  ASSERT_EQ(wsdl.status, 200);
  auto doc = xml::parse_xml(wsdl.body, "wsdl");
  std::vector<xmlNodePtr> schemas;
  for (xmlNodePtr n = doc.root()->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, BAD_CAST "types")) continue;
    for (xmlNodePtr s = n->children; s; s = s->next) {
      if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, BAD_CAST "schema")) {
        schemas.push_back(s);
      }
    }
  }
  ASSERT_EQ(schemas.size(), 1u);

  Fetcher fetcher;
  fetcher.port = f.port();
  fetcher.prefix = "http://127.0.0.1:" + std::to_string(f.port());
  SchemaPtr compiled;
  std::vector<std::string> errors;
  {
    LoaderScope scope(fetcher);
    compiled = compile(schemas.front(), errors);
  }
  ASSERT_TRUE(compiled) << (errors.empty() ? "no schema" : errors.front());
  for (const auto& e : errors) ADD_FAILURE() << e;
  EXPECT_TRUE(fetcher.failures.empty()) << fetcher.failures.front();
  EXPECT_TRUE(fetcher.fetched.count("canonical"));
  for (const auto& x : listed_xsds()) EXPECT_TRUE(fetcher.fetched.count(x)) << x << " not reached";

  // The compiled types know the canonical bodies: a Submit of the sample validates, and one with
  // a broken amount does not (the body is checked against payment_received.xsd, not skipped).
  const std::string sample = testsupport::sample_body("payment.received");
  const auto as_submit = [](const std::string& body) {
    return "<s:SubmitRequest xmlns:s=\"urn:zhkh-hub:soap:1\">" +
           testsupport::envelope("k-wsdl", body) + "</s:SubmitRequest>";
  };
  auto ok = validate(compiled.get(), as_submit(sample));
  EXPECT_TRUE(ok.empty()) << ok.front();
  std::string broken = sample;
  broken.replace(broken.find(">152340<") + 1, 6, "lots");
  EXPECT_FALSE(validate(compiled.get(), as_submit(broken)).empty());
  auto pull = validate(compiled.get(),
                       "<s:PullRequest xmlns:s=\"urn:zhkh-hub:soap:1\"><s:subscription>billing"
                       "</s:subscription><s:max>10</s:max><s:waitSeconds>1</s:waitSeconds>"
                       "</s:PullRequest>");
  EXPECT_TRUE(pull.empty()) << pull.front();
}

TEST(Wsdl, EachXsdIsServedWithAbsoluteLocationsAndUnknownNamesAre404) {
  SoapFixture f;
  const auto names =
      ServiceDescription::load(hub::testing::source_dir() / "schemas/canonical").xsd_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "canonical");
  for (const auto& n : names) {
    const auto r = http(f.port(), "GET", "/soap?xsd=" + n);
    ASSERT_EQ(r.status, 200) << n;
    auto doc = xml::parse_xml(r.body, n);
    EXPECT_TRUE(xmlStrEqual(doc.root()->name, BAD_CAST "schema")) << n;
    // No relative location survives: a client fetching it from /soap?xsd= could not resolve one.
    const auto relative =
        xpath(r.body, "count(//xs:*[@schemaLocation and not(starts-with(@schemaLocation, '" +
                          f.url() + "?xsd='))])");
    EXPECT_EQ(relative, "0") << n;
  }
  const auto missing = http(f.port(), "GET", "/soap?xsd=../../etc/passwd");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(http(f.port(), "GET", "/soap").status, 400);
}

TEST(Wsdl, ASchemaDirectoryWithANonLocalLocationIsRefusedAtStart) {
  const auto dir = hub::testing::make_temp_dir("zhkh-soap-xsd");
  std::ofstream(dir / "types.yaml") << "namespace: urn:zhkh-hub:canonical:1\nenvelope: env.xsd\n"
                                       "types:\n  a.b:\n    xsd: a.xsd\n    root: a\n";
  std::ofstream(dir / "env.xsd")
      << "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' targetNamespace='urn:x'/>";
  std::ofstream(dir / "a.xsd") << "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>\n"
                                  "<xs:include schemaLocation='http://elsewhere/x.xsd'/>\n"
                                  "</xs:schema>";
  try {
    ServiceDescription::load(dir);
    ADD_FAILURE() << "loaded";
  } catch (const XmlError& e) {
    EXPECT_NE(std::string(e.what()).find("a.xsd:2"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hub::soap
