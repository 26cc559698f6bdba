// Official XSD sets: the GIS ZhKH 16.3.0.0 package compiles once (confined to its directory),
// official documents validate by their root namespace, broken ones are reported with line and
// XPath, base:version is checked against the schema's fixed value, and schemaLocations that lead
// out of the package or onto the network are refused with the file and line named.

#include "hub/xml/schema_set.h"

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

const std::string kHm = "http://dom.gosuslugi.ru/schema/integration/house-management/";
const std::string kBase = kGisBaseNs;

fs::path package_dir() {
  return hub::testing::shared_dir() / "schemas" / "gis_zhkh" / "16.3.0.0";
}

std::shared_ptr<const SchemaPackage> package() {
  static auto p = SchemaPackage::load(package_dir());
  return p;
}

std::string import_accounts(int n, const std::string& version = "10.0.1.1") {
  std::string x = "<hm:importAccountRequest xmlns:hm=\"" + kHm + "\" xmlns:base=\"" + kBase +
                  "\" xmlns:ab=\"http://dom.gosuslugi.ru/schema/integration/account-base/\" "
                  "Id=\"signed-data-container\" base:version=\"" +
                  version + "\">\n";
  for (int i = 0; i < n; ++i) {
    char guid[40];
    std::snprintf(guid, sizeof guid, "00000000-0000-4000-8000-%012d", i);
    x += "  <hm:Account>\n    <hm:isUOAccount>true</hm:isUOAccount>\n"
         "    "
         "<hm:Accommodation><hm:FIASHouseGuid>b5f1c5a6-1c0e-4a57-9b0e-0c4a2d0f7e11</"
         "hm:FIASHouseGuid>"
         "</hm:Accommodation>\n    <hm:PayerInfo/>\n    <base:TransportGUID>" +
         std::string(guid) + "</base:TransportGUID>\n    <ab:AccountNumber>LS-" +
         std::to_string(i) + "</ab:AccountNumber>\n  </hm:Account>\n";
  }
  return x + "</hm:importAccountRequest>\n";
}

std::string export_accounts(const std::string& guid, const std::string& version = "10.0.1.1") {
  return "<hm:exportAccountRequest xmlns:hm=\"" + kHm + "\" xmlns:base=\"" + kBase +
         "\" Id=\"signed-data-container\" base:version=\"" + version + "\">\n  <hm:AccountGUID>" +
         guid + "</hm:AccountGUID>\n</hm:exportAccountRequest>\n";
}

TEST(SchemaPackage, CompilesTheWholeOfficialPackageOnce) {
  auto p = package();
  EXPECT_EQ(p->version(), "16.3.0.0");
  EXPECT_GE(p->services().size(), 20u);
  std::cout << "compiled " << p->services().size() << " services, " << p->schemas().files().size()
            << " files in " << p->schemas().compile_seconds() << " s\n";
  const GisService* hm = p->service_by_name("house-management");
  ASSERT_NE(hm, nullptr);
  EXPECT_EQ(hm->ns, kHm);
  EXPECT_EQ(hm->endpoint_path, "/ext-bus-home-management-service/services/HomeManagementAsync");
  EXPECT_EQ(p->service_by_namespace(kHm), hm);
  EXPECT_EQ(p->service_by_path("/ext-bus-device-metering-service/services/DeviceMeteringAsync"),
            p->service_by_name("device-metering"));
  const GisOperation* op = hm->operation("importAccountData");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->soap_action, "urn:importAccountData");
  EXPECT_EQ(op->request_ns, kHm);
  EXPECT_EQ(op->request_element, "importAccountRequest");
  EXPECT_EQ(op->header, "RequestHeader");
  EXPECT_EQ(hm->operation_by_request(kHm, "exportAccountRequest")->name, "exportAccountData");
  const GisOperation* get_state = hm->operation("getState");
  ASSERT_NE(get_state, nullptr);
  EXPECT_EQ(get_state->request_ns, kBase);
  EXPECT_EQ(get_state->request_element, "getStateRequest");
  const GisService* nsi = p->service_by_name("nsi-common");
  ASSERT_NE(nsi, nullptr);
  EXPECT_EQ(nsi->operation("exportNsiItem")->header, "ISRequestHeader");
  EXPECT_TRUE(p->schemas().declares(kBase, "AckRequest"));
  EXPECT_TRUE(p->schemas().declares("http://www.w3.org/2000/09/xmldsig#", "Signature"));
}

TEST(SchemaPackage, OfficialDocumentsValidate) {
  auto p = package();
  for (const std::string& xml :
       {import_accounts(1), import_accounts(100),
        export_accounts("6f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6"),
        "<base:getStateRequest xmlns:base=\"" + kBase +
            "\"><base:MessageGUID>6f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6</base:MessageGUID></"
            "base:getStateRequest>",
        "<base:AckRequest xmlns:base=\"" + kBase +
            "\"><base:Ack><base:MessageGUID>6f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6</base:MessageGUID>"
            "<base:RequesterMessageGUID>7f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6</"
            "base:RequesterMessageGUID>"
            "</base:Ack></base:AckRequest>"}) {
    Document doc = parse_xml(xml, "doc");
    auto issues = p->validate(doc);
    EXPECT_TRUE(issues.empty()) << (issues.empty() ? ""
                                                   : issues[0].xpath + ": " + issues[0].message)
                                << "\n"
                                << xml.substr(0, 300);
  }
}

TEST(SchemaPackage, InvalidDocumentsNameLineXPathAndReason) {
  auto p = package();
  {
    Document doc = parse_xml(export_accounts("not-a-guid"), "bad-guid.xml");
    auto issues = p->validate(doc);
    ASSERT_FALSE(issues.empty());
    EXPECT_EQ(issues[0].line, 2);
    EXPECT_EQ(issues[0].xpath, "/hm:exportAccountRequest/hm:AccountGUID");
    EXPECT_NE(issues[0].message.find("not-a-guid"), std::string::npos) << issues[0].message;
  }
  {
    // The schema's limit of 100 accounts per import (maxOccurs) is enforced by validation.
    Document doc = parse_xml(import_accounts(101), "101.xml");
    auto issues = p->validate(doc);
    ASSERT_FALSE(issues.empty());
    EXPECT_NE(issues[0].xpath.find("hm:Account[101]"), std::string::npos) << issues[0].xpath;
  }
  {
    Document doc = parse_xml("<x:nothing xmlns:x=\"urn:nope\"/>", "nope.xml");
    auto issues = p->validate(doc);
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_NE(issues[0].message.find("{urn:nope}nothing is not declared"), std::string::npos)
        << issues[0].message;
  }
  {
    std::string xml = export_accounts("6f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6");
    xml.replace(xml.find(" base:version=\"10.0.1.1\""), 24, "");
    Document doc = parse_xml(xml, "noversion.xml");
    auto issues = p->validate(doc);
    ASSERT_FALSE(issues.empty());
    EXPECT_NE(issues[0].message.find("version"), std::string::npos) << issues[0].message;
  }
}

TEST(SchemaPackage, ChecksBaseVersionLibxml2DoesNotEnforce) {
  auto p = package();
  const VersionRule* rule = p->version_rule(kHm, "exportAccountRequest");
  ASSERT_NE(rule, nullptr);
  EXPECT_TRUE(rule->fixed);
  EXPECT_TRUE(rule->required);
  ASSERT_EQ(rule->accepted, std::vector<std::string>{"10.0.1.1"});

  Document doc =
      parse_xml(export_accounts("6f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6", "11.0.0.1"), "v.xml");
  EXPECT_TRUE(p->schemas().validate(doc).empty())
      << "libxml2 alone lets a wrong fixed version through";
  auto issues = p->validate(doc);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].xpath, "/hm:exportAccountRequest/@base:version");
  EXPECT_NE(issues[0].message.find("'11.0.0.1' is not accepted"), std::string::npos)
      << issues[0].message;
  EXPECT_NE(issues[0].message.find("expected 10.0.1.1"), std::string::npos) << issues[0].message;

  // exportHouseRequest has no fixed value: its annotation lists the accepted versions.
  const VersionRule* house = p->version_rule(kHm, "exportHouseRequest");
  ASSERT_NE(house, nullptr);
  EXPECT_FALSE(house->fixed);
  EXPECT_NE(std::find(house->accepted.begin(), house->accepted.end(), "15.10.0.0"),
            house->accepted.end());
  EXPECT_EQ(std::find(house->accepted.begin(), house->accepted.end(), "10.0.1.1"),
            house->accepted.end());
}

TEST(SchemaPackage, ValidatesTheBodyOfASoapEnvelopeInPlace) {
  auto p = package();
  std::string env =
      "<soapenv:Envelope "
      "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\n<soapenv:Body>\n" +
      export_accounts("zzz") + "</soapenv:Body></soapenv:Envelope>";
  Document doc = parse_xml(env, "env.xml");
  xmlNodePtr body = xmlFirstElementChild(doc.root());
  xmlNodePtr request = xmlFirstElementChild(body);
  auto issues = p->validate_element(request);
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].xpath,
            "/soapenv:Envelope/soapenv:Body/hm:exportAccountRequest/hm:AccountGUID");
  EXPECT_EQ(issues[0].line, 4);
}

// The package validates each element with the set of the one file declaring its namespace (libxml2
// scans every identity constraint of the set at each element's end): the answers are the whole
// package set's, identity constraints (xs:key) included.
TEST(SchemaPackage, ValidatesWithTheDeclaringFilesSetAndAnswersAsTheWholeSet) {
  auto p = package();
  std::string duplicate = import_accounts(2);
  const std::string second = "00000000-0000-4000-8000-000000000001";
  duplicate.replace(duplicate.find(second), second.size(), "00000000-0000-4000-8000-000000000000");
  const std::string header =
      "<base:RequestHeader xmlns:base=\"" + kBase +
      "\"><base:Date>2026-12-01T10:00:00.000+03:00</base:Date><base:MessageGUID>not-a-guid"
      "</base:MessageGUID><base:orgPPAGUID>6f8c1a2e-3b4d-4e5f-8a7b-9c0d1e2f3a4b</base:orgPPAGUID>"
      "</base:RequestHeader>";
  for (const auto& [xml, valid] :
       std::vector<std::pair<std::string, bool>>{{import_accounts(10), true},
                                                 {import_accounts(101), false},
                                                 {duplicate, false},
                                                 {export_accounts("not-a-guid"), false},
                                                 {header, false}}) {
    Document doc = parse_xml(xml, "doc.xml");
    const auto narrow = p->validate(doc);
    const auto whole = p->schemas().validate(doc);
    EXPECT_EQ(narrow.empty(), valid) << xml.substr(0, 200);
    ASSERT_EQ(narrow.size(), whole.size()) << xml.substr(0, 200);
    for (std::size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(narrow[i].message, whole[i].message);
      EXPECT_EQ(narrow[i].xpath, whole[i].xpath);
      EXPECT_EQ(narrow[i].line, whole[i].line);
    }
  }
  Document dup = parse_xml(duplicate, "dup.xml");
  const auto issues = p->validate(dup);
  ASSERT_FALSE(issues.empty());
  EXPECT_NE(issues[0].message.find("importAccount_TransportGUIDKey"), std::string::npos)
      << issues[0].message;
}

TEST(SchemaPackage, SharedByThreads) {
  auto p = package();
  std::atomic<int> valid{0}, invalid{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Document doc = parse_xml((i + t) % 2 ? import_accounts(10) : export_accounts("bad"), "t");
        (p->validate(doc).empty() ? valid : invalid)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(valid.load(), 100);
  EXPECT_EQ(invalid.load(), 100);
}

TEST(SchemaPackage, OnlyTheServicesAskedFor) {
  auto p = SchemaPackage::load(package_dir(), {"device-metering"});
  ASSERT_EQ(p->services().size(), 1u);
  EXPECT_FALSE(p->schemas().declares(kHm, "exportAccountRequest"));
  EXPECT_THROW(SchemaPackage::load(package_dir(), {"../lib"}), XmlError);
  EXPECT_THROW(SchemaPackage::load(package_dir(), {"no-such-service"}), XmlError);
}

// --- generic SchemaSet on small sets written by the test --------------------------------------

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string xsd(const std::string& tns, const std::string& body) {
  return "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"" + tns +
         "\" xmlns:t=\"" + tns + "\" elementFormDefault=\"qualified\">\n" + body + "</xs:schema>\n";
}

TEST(SchemaSet, ImportsAndIncludesInsideTheDirectory) {
  fs::path dir = hub::testing::make_temp_dir("schema-set");
  write(dir / "lib" / "base.xsd",
        xsd("urn:b",
            "<xs:simpleType name=\"Code\"><xs:restriction base=\"xs:string\">"
            "<xs:pattern value=\"\\d{3}\"/></xs:restriction></xs:simpleType>\n"));
  write(dir / "svc" / "part.xsd", xsd("urn:a", "<xs:element name=\"b\" type=\"xs:int\"/>\n"));
  write(dir / "svc" / "a.xsd",
        xsd("urn:a",
            "<xs:import namespace=\"urn:b\" schemaLocation=\"../lib/base.xsd\"/>\n"
            "<xs:include schemaLocation=\"part.xsd\"/>\n"
            "<xs:element name=\"a\" xmlns:b=\"urn:b\" type=\"b:Code\"/>\n"));
  auto set = SchemaSet::compile(dir, {"svc/a.xsd"});
  EXPECT_EQ(set->files().size(), 3u);
  EXPECT_TRUE(set->declares("urn:a", "a"));
  EXPECT_TRUE(set->declares("urn:a", "b"));
  EXPECT_TRUE(set->validate(parse_xml("<a xmlns=\"urn:a\">123</a>", "ok")).empty());
  auto issues = set->validate(parse_xml("<a xmlns=\"urn:a\">12x</a>", "bad"));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 1);
  EXPECT_NE(issues[0].message.find("12x"), std::string::npos);
  fs::remove_all(dir);
}

std::string compile_error(const fs::path& root, const std::vector<fs::path>& entries) {
  try {
    SchemaSet::compile(root, entries);
  } catch (const XmlError& e) {
    return e.what();
  }
  return "(compiled)";
}

TEST(SchemaSet, RefusesSchemaLocationsOutsideTheDirectory) {
  fs::path dir = hub::testing::make_temp_dir("schema-set");
  // The target exists and is a valid schema: only its place is wrong.
  write(dir / "outside.xsd", xsd("urn:o", "<xs:element name=\"o\" type=\"xs:string\"/>\n"));
  write(dir / "pkg" / "a.xsd",
        xsd("urn:a",
            "\n<xs:import namespace=\"urn:o\" schemaLocation=\"../outside.xsd\"/>\n"
            "<xs:element name=\"a\" type=\"xs:string\"/>\n"));
  std::string err = compile_error(dir / "pkg", {"a.xsd"});
  EXPECT_NE(err.find((dir / "pkg" / "a.xsd").string() + ":3:"), std::string::npos) << err;
  EXPECT_NE(err.find("'../outside.xsd' refused: it resolves outside the schema directory"),
            std::string::npos)
      << err;

  write(dir / "pkg" / "abs.xsd",
        xsd("urn:c", "<xs:include schemaLocation=\"" + (dir / "outside.xsd").string() + "\"/>\n"));
  err = compile_error(dir / "pkg", {"abs.xsd"});
  EXPECT_NE(err.find("resolves outside"), std::string::npos) << err;

  // An entry outside the root is refused too.
  err = compile_error(dir / "pkg", {dir / "outside.xsd"});
  EXPECT_NE(err.find("is not inside"), std::string::npos) << err;
  fs::remove_all(dir);
}

TEST(SchemaSet, RefusesNetworkLocations) {
  fs::path dir = hub::testing::make_temp_dir("schema-set");
  for (const std::string loc :
       {"http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd", "https://127.0.0.1:1/x.xsd",
        "ftp://example.org/x.xsd", "//example.org/x.xsd"}) {
    write(dir / "a.xsd",
          xsd("urn:a",
              "<xs:import namespace=\"http://www.w3.org/2000/09/xmldsig#\" schemaLocation=\"" +
                  loc + "\"/>\n<xs:element name=\"a\" type=\"xs:string\"/>\n"));
    std::string err = compile_error(dir, {"a.xsd"});
    EXPECT_NE(err.find((dir / "a.xsd").string() + ":2:"), std::string::npos) << err;
    EXPECT_NE(err.find("'" + loc + "' refused: network locations are not loaded"),
              std::string::npos)
        << err;
  }
  fs::remove_all(dir);
}

TEST(SchemaSet, ReportsMissingFilesAndBrokenSchemas) {
  fs::path dir = hub::testing::make_temp_dir("schema-set");
  write(dir / "a.xsd", xsd("urn:a", "<xs:include schemaLocation=\"gone.xsd\"/>\n"));
  EXPECT_NE(compile_error(dir, {"a.xsd"}).find("no such file"), std::string::npos);
  write(dir / "b.xsd", xsd("urn:b", "<xs:element name=\"b\" type=\"t:Missing\"/>\n"));
  std::string err = compile_error(dir, {"b.xsd"});
  EXPECT_NE(err.find("b.xsd:2:"), std::string::npos) << err;
  write(dir / "c.xsd",
        "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element name=");
  EXPECT_NE(compile_error(dir, {"c.xsd"}).find("c.xsd:1"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hub::xml
