// The GIS ZhKH emulator (build/bin/gis_zhkh_emulator) as a child process, over real HTTP on
// 127.0.0.1: every request here is built by the test, validated against the official 16.3.0.0
// XSDs and GOST-signed; every response is validated against the same XSDs. Covers Ack,
// getState 1 → 2 → 3 with the configured delays, import → export round trips, SOAP faults for
// invalid, unsigned or tampered requests, and each injectable fault.

#include <gtest/gtest.h>
#include <libxml/tree.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "../../hub/crypto/crypto_test_support.h"
#include "emulator_process.h"
#include "hub/crypto/xml_signer.h"
#include "hub/crypto/xml_verifier.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_set.h"

namespace hub::testing {
namespace {

using namespace std::chrono_literals;

const std::string kBase = "http://dom.gosuslugi.ru/schema/integration/base/";
const std::string kHm = "http://dom.gosuslugi.ru/schema/integration/house-management/";
const std::string kSoap = "http://schemas.xmlsoap.org/soap/envelope/";
const std::string kHmPath = "/ext-bus-home-management-service/services/HomeManagementAsync";
const std::string kOrg = "22222222-2222-4222-8222-222222222222";
const std::string kHouse = "b5f1c5a6-1c0e-4a57-9b0e-0c4a2d0f7e11";

std::shared_ptr<const xml::SchemaPackage> package() {
  static auto p = xml::SchemaPackage::load(shared_dir() / "schemas" / "gis_zhkh" / "16.3.0.0");
  return p;
}

std::string uuid() {
  static std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

const crypto::XmlSigner& signer() {
  static auto s = [] {
    const auto& k = crypto::testing::test_keys();
    crypto::SigningKeyOptions o;
    o.profile = "gost2012";
    o.key_file = k.gost_key.string();
    o.cert_file = k.gost_cert.string();
    return crypto::XmlSigner::open(o);
  }();
  return *s;
}

xmlNodePtr body_child(const xml::Document& doc) {
  for (xmlNodePtr c = xmlFirstElementChild(doc.root()); c; c = xmlNextElementSibling(c))
    if (xmlStrEqual(c->name, BAD_CAST "Body")) return xmlFirstElementChild(c);
  return nullptr;
}

std::string text(xmlNodePtr n) {
  if (!n) return {};
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return s;
}

void collect(xmlNodePtr n, const char* local, std::vector<xmlNodePtr>& out) {
  for (xmlNodePtr c = xmlFirstElementChild(n); c; c = xmlNextElementSibling(c)) {
    if (xmlStrEqual(c->name, BAD_CAST local)) out.push_back(c);
    collect(c, local, out);
  }
}

std::vector<xmlNodePtr> all(xmlNodePtr n, const char* local) {
  std::vector<xmlNodePtr> out;
  if (n) collect(n, local, out);
  return out;
}

std::string first(xmlNodePtr n, const char* local) {
  auto v = all(n, local);
  return v.empty() ? std::string() : text(v.front());
}

/// A SOAP 1.1 request as a GIS client sends it; the body element is checked against the XSD
/// and, unless `sign` is false, GOST-signed.
/// `broken` requests (built wrong on purpose) skip the check.
std::string request(const std::string& body, bool sign = true,
                    const std::string& header = "RequestHeader",
                    const std::string& message_guid = uuid(), bool broken = false) {
  std::string env = "<soapenv:Envelope xmlns:soapenv=\"" + kSoap + "\" xmlns:base=\"" + kBase +
                    "\"><soapenv:Header><base:" + header +
                    "><base:Date>2026-12-01T12:00:00.000+03:00</base:Date>"
                    "<base:MessageGUID>" +
                    message_guid + "</base:MessageGUID>";
  if (header == "RequestHeader")
    env += "<base:orgPPAGUID>" + kOrg +
           "</base:orgPPAGUID><base:IsOperatorSignature>true</base:IsOperatorSignature>";
  env += "</base:" + header + "></soapenv:Header><soapenv:Body>" + body +
         "</soapenv:Body></soapenv:Envelope>";
  xml::Document doc = xml::parse_xml(env, "request");
  auto issues = package()->validate_element(body_child(doc));
  if (!broken) {
    EXPECT_TRUE(issues.empty()) << "the test built an invalid request: " << issues[0].xpath << ": "
                                << issues[0].message;
  }
  return sign ? signer().sign(env, "request") : env;
}

std::string get_state_body(const std::string& guid) {
  return "<base:getStateRequest><base:MessageGUID>" + guid +
         "</base:MessageGUID></base:getStateRequest>";
}

struct Account {
  std::string transport = uuid();
  std::string number;
  std::string guid;  ///< for an update
};

std::string import_accounts_body(const std::vector<Account>& accounts) {
  std::string x =
      "<hm:importAccountRequest xmlns:hm=\"" + kHm +
      "\" xmlns:ab=\"http://dom.gosuslugi.ru/schema/integration/account-base/\" "
      "xmlns:ib=\"http://dom.gosuslugi.ru/schema/integration/individual-registry-base/\" "
      "Id=\"signed-data-container\" base:version=\"10.0.1.1\">";
  for (const auto& a : accounts) {
    x += "<hm:Account><hm:isUOAccount>true</hm:isUOAccount><hm:TotalSquare>54.3</hm:TotalSquare>"
         "<hm:Accommodation><hm:FIASHouseGuid>" +
         kHouse +
         "</hm:FIASHouseGuid><hm:SharePercent>100</hm:SharePercent>"
         "</hm:Accommodation><hm:PayerInfo><hm:Ind><ib:Surname>Иванов</"
         "ib:Surname><ib:FirstName>Иван</ib:FirstName>"
         "<ib:SNILS>12345678901</ib:SNILS></hm:Ind></hm:PayerInfo><base:TransportGUID>" +
         a.transport + "</base:TransportGUID><ab:AccountNumber>" + a.number + "</ab:AccountNumber>";
    if (!a.guid.empty()) x += "<hm:AccountGUID>" + a.guid + "</hm:AccountGUID>";
    x += "</hm:Account>";
  }
  return x + "</hm:importAccountRequest>";
}

std::string export_accounts_body(const std::string& criteria) {
  return "<hm:exportAccountRequest xmlns:hm=\"" + kHm +
         "\" Id=\"signed-data-container\" base:version=\"10.0.1.1\">" + criteria +
         "</hm:exportAccountRequest>";
}

struct Response {
  HttpReply http;
  xml::Document doc;
  xmlNodePtr payload = nullptr;  ///< body child
};

/// Parses the reply and checks its body element against the official XSD (faults: the detail).
Response parse(const HttpReply& r) {
  Response out{r, {}, nullptr};
  out.doc = xml::parse_xml(r.body, "response");
  out.payload = body_child(out.doc);
  EXPECT_NE(out.payload, nullptr) << r.body;
  if (!out.payload) return out;
  xmlNodePtr check = out.payload;
  if (xmlStrEqual(check->name, BAD_CAST "Fault"))
    check = all(check, "Fault").empty() ? nullptr : all(check, "Fault")[0];
  if (check) {
    auto issues = package()->validate_element(check);
    EXPECT_TRUE(issues.empty()) << issues[0].xpath << ": " << issues[0].message << "\n"
                                << r.body.substr(0, 2000);
  }
  return out;
}

/// Sends and expects an Ack; returns the GIS MessageGUID.
std::string send(const EmulatorProcess& e, const std::string& path, const std::string& op,
                 const std::string& env) {
  Response r = parse(e.soap(path, op, env));
  EXPECT_EQ(r.http.status, 200) << r.http.body;
  EXPECT_STREQ(reinterpret_cast<const char*>(r.payload->name), "AckRequest") << r.http.body;
  return first(r.payload, "MessageGUID");
}

Response get_state(const EmulatorProcess& e, const std::string& path, const std::string& guid) {
  // The "common" registries take ISRequestHeader (their WSDLs), getState included.
  const bool common = path.find("-common-service/") != std::string::npos;
  return parse(
      e.soap(path, "getState",
             request(get_state_body(guid), false, common ? "ISRequestHeader" : "RequestHeader")));
}

/// Polls getState until RequestState 3 (or the timeout).
Response wait_done(const EmulatorProcess& e, const std::string& path, const std::string& guid,
                   std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Response r = get_state(e, path, guid);
    if (first(r.payload, "RequestState") == "3" || std::chrono::steady_clock::now() > deadline)
      return r;
    std::this_thread::sleep_for(20ms);
  }
}

struct Fault {
  std::string code, text;
};

Fault fault_of(const Response& r) {
  return {first(r.payload, "ErrorCode"), first(r.payload, "faultstring")};
}

class EmulatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { emulator_ = new EmulatorProcess({"--delays", "150,150"}); }
  static void TearDownTestSuite() {
    delete emulator_;
    emulator_ = nullptr;
  }
  void TearDown() override { emu().control("DELETE", "faults"); }
  static const EmulatorProcess& emu() { return *emulator_; }
  static EmulatorProcess* emulator_;
};

EmulatorProcess* EmulatorTest::emulator_ = nullptr;

TEST_F(EmulatorTest, ImportAccountsAckThenStatesThenGuidsAndExportReturnsWhatWasStored) {
  std::vector<Account> accounts(3);
  for (std::size_t i = 0; i < accounts.size(); ++i)
    accounts[i].number = "LS-RT-" + std::to_string(i);
  const std::string requester = uuid();
  const auto sent = std::chrono::steady_clock::now();
  Response ack =
      parse(emu().soap(kHmPath, "importAccountData",
                       request(import_accounts_body(accounts), true, "RequestHeader", requester)));
  ASSERT_EQ(ack.http.status, 200) << ack.http.body;
  const std::string guid = first(all(ack.payload, "Ack")[0], "MessageGUID");
  EXPECT_EQ(first(ack.payload, "RequesterMessageGUID"), requester);
  EXPECT_NE(guid, requester);

  // RequestState 1 (received) during the first delay, then 2 (processing), then 3.
  Response s1 = get_state(emu(), kHmPath, guid);
  if (std::chrono::steady_clock::now() - sent < 140ms) {
    EXPECT_EQ(first(s1.payload, "RequestState"), "1");
  }
  EXPECT_TRUE(all(s1.payload, "ImportResult").empty());
  std::this_thread::sleep_until(sent + 200ms);
  Response s2 = get_state(emu(), kHmPath, guid);
  if (std::chrono::steady_clock::now() - sent < 290ms) {
    EXPECT_EQ(first(s2.payload, "RequestState"), "2");
  }
  Response done = wait_done(emu(), kHmPath, guid);
  ASSERT_EQ(first(done.payload, "RequestState"), "3") << done.http.body;
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 300ms);
  EXPECT_EQ(first(done.payload, "MessageGUID"), guid);

  auto results = all(done.payload, "CommonResult");
  ASSERT_EQ(results.size(), 3u) << done.http.body;
  std::vector<std::string> gis_guids;
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(first(results[i], "TransportGUID"), accounts[i].transport);
    EXPECT_EQ(first(results[i], "UnifiedAccountNumber").size(), 10u);
    EXPECT_EQ(first(results[i], "ServiceID").size(), 13u);
    EXPECT_TRUE(all(results[i], "Error").empty());
    gis_guids.push_back(first(results[i], "GUID"));
  }
  EXPECT_NE(gis_guids[0], gis_guids[1]);

  // Export by AccountGUID returns the stored accounts.
  std::string criteria;
  for (const auto& g : gis_guids) criteria += "<hm:AccountGUID>" + g + "</hm:AccountGUID>";
  std::string export_guid =
      send(emu(), kHmPath, "exportAccountData", request(export_accounts_body(criteria)));
  Response exported = wait_done(emu(), kHmPath, export_guid);
  auto rows = all(exported.payload, "exportAccountResult");
  ASSERT_EQ(rows.size(), 3u) << exported.http.body;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(first(rows[i], "AccountGUID"), gis_guids[i]);
    EXPECT_EQ(first(rows[i], "AccountNumber"), accounts[i].number);
    EXPECT_EQ(first(rows[i], "Surname"), "Иванов");
    EXPECT_EQ(first(rows[i], "FIASHouseGuid"), kHouse);
    EXPECT_EQ(first(rows[i], "TotalSquare"), "54.3");
    EXPECT_EQ(first(rows[i], "UnifiedAccountNumber"), first(results[i], "UnifiedAccountNumber"));
  }

  // An update (AccountGUID given) changes the stored account; export by ЕЛС shows it.
  Account update{uuid(), "LS-RT-0-NEW", gis_guids[0]};
  std::string update_guid =
      send(emu(), kHmPath, "importAccountData", request(import_accounts_body({update})));
  Response updated = wait_done(emu(), kHmPath, update_guid);
  EXPECT_EQ(first(updated.payload, "GUID"), gis_guids[0]);
  std::string by_els =
      send(emu(), kHmPath, "exportAccountData",
           request(export_accounts_body(
               "<ab:UnifiedAccountNumber xmlns:ab=\"http://dom.gosuslugi.ru/schema/integration/"
               "account-base/\">" +
               first(results[0], "UnifiedAccountNumber") + "</ab:UnifiedAccountNumber>")));
  Response r = wait_done(emu(), kHmPath, by_els);
  ASSERT_EQ(all(r.payload, "exportAccountResult").size(), 1u) << r.http.body;
  EXPECT_EQ(first(r.payload, "AccountNumber"), "LS-RT-0-NEW");

  // Export by house includes them all.
  std::string by_house =
      send(emu(), kHmPath, "exportAccountData",
           request(export_accounts_body("<hm:FIASHouseGuid>" + kHouse + "</hm:FIASHouseGuid>")));
  EXPECT_GE(all(wait_done(emu(), kHmPath, by_house).payload, "exportAccountResult").size(), 3u);
}

TEST_F(EmulatorTest, UnknownAccountsExportAsNoObjectsAndUpdatesOfUnknownGuidsFailPerObject) {
  std::string g =
      send(emu(), kHmPath, "exportAccountData",
           request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>")));
  Response r = wait_done(emu(), kHmPath, g);
  EXPECT_EQ(first(r.payload, "RequestState"), "3");
  EXPECT_EQ(first(r.payload, "ErrorCode"), "INT002012") << r.http.body;

  Account a{uuid(), "LS-UNKNOWN", uuid()};
  Response u =
      wait_done(emu(), kHmPath,
                send(emu(), kHmPath, "importAccountData", request(import_accounts_body({a}))));
  auto results = all(u.payload, "CommonResult");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(first(results[0], "TransportGUID"), a.transport);
  EXPECT_EQ(first(results[0], "ErrorCode"), "INT002000");
}

TEST_F(EmulatorTest, ResendOfTheSameMessageGetsTheSameAck) {
  Account a;
  a.number = "LS-DUP";
  const std::string requester = uuid();
  const std::string env = request(import_accounts_body({a}), true, "RequestHeader", requester);
  std::string g1 = send(emu(), kHmPath, "importAccountData", env);
  std::string g2 = send(emu(), kHmPath, "importAccountData", env);
  EXPECT_EQ(g1, g2);
}

TEST_F(EmulatorTest, InvalidRequestsGetASoapFaultNamingTheProblem) {
  auto fault = [&](const std::string& env, const std::string& op = "exportAccountData") {
    HttpReply r = emu().soap(kHmPath, op, env);
    EXPECT_EQ(r.status, 500) << r.body;
    return fault_of(parse(r));
  };
  // Schema: a GUID that is not one, with line and XPath.
  std::string bad = request(export_accounts_body("<hm:AccountGUID>nope</hm:AccountGUID>"), false,
                            "RequestHeader", uuid(), true);
  Fault f = fault(signer().sign(bad, "bad"));
  EXPECT_EQ(f.code, "FMT001300");
  EXPECT_NE(f.text.find("/hm:exportAccountRequest/hm:AccountGUID"), std::string::npos) << f.text;
  EXPECT_NE(f.text.find("'nope'"), std::string::npos) << f.text;

  // The official limit of 100 accounts per import.
  std::vector<Account> many(101);
  for (std::size_t i = 0; i < many.size(); ++i) many[i].number = "LS-" + std::to_string(i);
  std::string over = import_accounts_body(many);
  std::string env =
      "<soapenv:Envelope xmlns:soapenv=\"" + kSoap + "\" xmlns:base=\"" + kBase +
      "\"><soapenv:Header><base:RequestHeader><base:Date>2026-12-01T12:00:00+03:00</base:Date>"
      "<base:MessageGUID>" +
      uuid() + "</base:MessageGUID><base:orgPPAGUID>" + kOrg +
      "</base:orgPPAGUID></base:RequestHeader></soapenv:Header><soapenv:Body>" + over +
      "</soapenv:Body></soapenv:Envelope>";
  f = fault(signer().sign(env, "101"), "importAccountData");
  EXPECT_EQ(f.code, "FMT001300");
  EXPECT_NE(f.text.find("hm:Account[101]"), std::string::npos) << f.text;

  // base:version other than the schema's fixed value (libxml2 alone would accept it).
  std::string wrong =
      request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>"), false);
  wrong.replace(wrong.find("base:version=\"10.0.1.1\""), 23, "base:version=\"11.0.0.1\"");
  f = fault(signer().sign(wrong, "v"));
  EXPECT_NE(f.text.find("base:version '11.0.0.1' is not accepted"), std::string::npos) << f.text;

  // Malformed XML, a DOCTYPE with entities, a missing RequestHeader, a wrong SOAPAction.
  f = fault("<soapenv:Envelope xmlns:soapenv=\"" + kSoap + "\"><soapenv:Body>");
  EXPECT_EQ(f.code, "FMT001300");
  f = fault("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>");
  EXPECT_NE(f.text.find("refused"), std::string::npos) << f.text;
  std::string no_header =
      request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>"));
  no_header.replace(no_header.find("<soapenv:Header>"),
                    no_header.find("</soapenv:Header>") + 17 - no_header.find("<soapenv:Header>"),
                    "");
  f = fault(no_header);
  EXPECT_NE(f.text.find("no base:RequestHeader"), std::string::npos) << f.text;
  f = fault(request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>")),
            "importAccountData");
  EXPECT_NE(f.text.find("SOAPAction 'urn:importAccountData' does not match"), std::string::npos)
      << f.text;
  // A request of another service at this endpoint.
  f = fault(
      request(
          "<dm:exportMeteringDeviceHistoryRequest "
          "xmlns:dm=\"http://dom.gosuslugi.ru/schema/integration/"
          "device-metering/\" Id=\"signed-data-container\" "
          "base:version=\"10.0.1.1\"><dm:FIASHouseGuid>" +
          kHouse +
          "</dm:FIASHouseGuid><dm:MeteringDeviceType><nb:Code xmlns:nb=\"http://dom.gosuslugi.ru/"
          "schema/integration/nsi-base/\">1</nb:Code><nb:GUID "
          "xmlns:nb=\"http://dom.gosuslugi.ru/schema/"
          "integration/nsi-base/\">" +
          uuid() +
          "</nb:GUID></dm:MeteringDeviceType>"
          "</dm:exportMeteringDeviceHistoryRequest>"),
      "exportMeteringDeviceHistory");
  EXPECT_NE(f.text.find("is not a request of the house-management service"), std::string::npos)
      << f.text;
}

TEST_F(EmulatorTest, SignaturesAreRequiredAndVerified) {
  Account a;
  a.number = "LS-SIG";
  HttpReply unsigned_reply =
      emu().soap(kHmPath, "importAccountData", request(import_accounts_body({a}), false));
  EXPECT_EQ(unsigned_reply.status, 500);
  Fault f = fault_of(parse(unsigned_reply));
  EXPECT_EQ(f.code, "AUT011000");
  EXPECT_NE(f.text.find("no ds:Signature"), std::string::npos) << f.text;

  std::string tampered = request(import_accounts_body({a}));
  tampered.replace(tampered.find("LS-SIG"), 6, "LS-SIH");
  f = fault_of(parse(emu().soap(kHmPath, "importAccountData", tampered)));
  EXPECT_EQ(f.code, "AUT011000");
  EXPECT_NE(f.text.find("signature check failed"), std::string::npos) << f.text;

  EXPECT_FALSE(
      send(emu(), kHmPath, "importAccountData", request(import_accounts_body({a}))).empty());
}

TEST_F(EmulatorTest, InjectedSoapFaultHttp500AndHang) {
  const std::string env =
      request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>"));
  ASSERT_EQ(emu()
                .control("POST", "faults",
                         R"({"kind":"soap_fault","operation":"exportAccountData","count":1})")
                .status,
            200);
  HttpReply r = emu().soap(kHmPath, "exportAccountData", env);
  EXPECT_EQ(r.status, 500);
  Response p = parse(r);
  EXPECT_EQ(fault_of(p).code, "EXP001000");
  EXPECT_EQ(first(p.payload, "faultcode"), "soapenv:Server");
  EXPECT_EQ(emu().soap(kHmPath, "exportAccountData", env).status, 200)
      << "count 1: the next one passes";

  ASSERT_EQ(emu().control("POST", "faults", R"({"kind":"http_500","count":1})").status, 200);
  r = emu().soap(kHmPath, "exportAccountData",
                 request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>")));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("<soapenv:"), std::string::npos) << "not SOAP: " << r.body;

  ASSERT_EQ(emu().control("POST", "faults", R"({"kind":"hang","seconds":1.5,"count":1})").status,
            200);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(
      emu().soap(kHmPath, "exportAccountData",
                 request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>")),
                 1s),
      Poco::Exception)
      << "a client with a 1 s timeout gives up";
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  ASSERT_EQ(emu().control("POST", "faults", R"({"kind":"hang","seconds":0.6,"count":1})").status,
            200);
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(
      emu()
          .soap(kHmPath, "exportAccountData",
                request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>")))
          .status,
      200);
  EXPECT_GE(std::chrono::steady_clock::now() - t1, 600ms);

  // A fault on getState only.
  std::string g =
      send(emu(), kHmPath, "exportAccountData",
           request(export_accounts_body("<hm:AccountGUID>" + uuid() + "</hm:AccountGUID>")));
  ASSERT_EQ(
      emu()
          .control("POST", "faults", R"({"kind":"soap_fault","operation":"getState","count":1})")
          .status,
      200);
  EXPECT_EQ(emu().soap(kHmPath, "getState", request(get_state_body(g), false)).status, 500);
  EXPECT_EQ(emu().soap(kHmPath, "getState", request(get_state_body(g), false)).status, 200);
}

TEST_F(EmulatorTest, InjectedStuckStateWholeMessageErrorNoObjectsAndPerObjectErrors) {
  ASSERT_EQ(emu()
                .control("POST", "faults",
                         R"({"kind":"stuck","operation":"importAccountData","count":1})")
                .status,
            200);
  Account a;
  a.number = "LS-STUCK";
  std::string stuck = send(emu(), kHmPath, "importAccountData", request(import_accounts_body({a})));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(first(get_state(emu(), kHmPath, stuck).payload, "RequestState"), "2");
  emu().control("DELETE", "faults");  // releases stuck messages
  EXPECT_EQ(first(wait_done(emu(), kHmPath, stuck).payload, "RequestState"), "3");

  ASSERT_EQ(emu()
                .control("POST", "faults",
                         R"({"kind":"error_message","operation":"importAccountData","count":1})")
                .status,
            200);
  Response e = wait_done(emu(), kHmPath,
                         send(emu(), kHmPath, "importAccountData",
                              request(import_accounts_body({Account{uuid(), "LS-E", ""}}))));
  EXPECT_EQ(first(e.payload, "ErrorCode"), "EXP001000") << e.http.body;
  EXPECT_TRUE(all(e.payload, "CommonResult").empty());

  ASSERT_EQ(
      emu()
          .control(
              "POST", "faults",
              R"({"kind":"error_message","code":"AUT011003","text":"Доступ запрещен","count":1})")
          .status,
      200);
  e = wait_done(emu(), kHmPath,
                send(emu(), kHmPath, "importAccountData",
                     request(import_accounts_body({Account{uuid(), "LS-E2", ""}}))));
  EXPECT_EQ(first(e.payload, "ErrorCode"), "AUT011003");
  EXPECT_EQ(first(e.payload, "Description"), "Доступ запрещен");

  // INT002012 even where objects exist.
  Response imported = wait_done(emu(), kHmPath,
                                send(emu(), kHmPath, "importAccountData",
                                     request(import_accounts_body({Account{uuid(), "LS-N", ""}}))));
  std::string acc = first(imported.payload, "GUID");
  ASSERT_EQ(emu()
                .control("POST", "faults",
                         R"({"kind":"no_objects","operation":"exportAccountData","count":1})")
                .status,
            200);
  Response none = wait_done(
      emu(), kHmPath,
      send(emu(), kHmPath, "exportAccountData",
           request(export_accounts_body("<hm:AccountGUID>" + acc + "</hm:AccountGUID>"))));
  EXPECT_EQ(first(none.payload, "ErrorCode"), "INT002012");
  Response some = wait_done(
      emu(), kHmPath,
      send(emu(), kHmPath, "exportAccountData",
           request(export_accounts_body("<hm:AccountGUID>" + acc + "</hm:AccountGUID>"))));
  EXPECT_EQ(all(some.payload, "exportAccountResult").size(), 1u);

  // Per-object errors for chosen TransportGUIDs; the others go through.
  std::vector<Account> three(3);
  for (auto& x : three) x.number = "LS-PO";
  ASSERT_EQ(emu()
                .control("POST", "faults",
                         R"({"kind":"object_error","transport_guids":[")" + three[1].transport +
                             R"("],"code":"SRV004005","text":"Лицевой счет уже существует"})")
                .status,
            200);
  Response po =
      wait_done(emu(), kHmPath,
                send(emu(), kHmPath, "importAccountData", request(import_accounts_body(three))));
  auto results = all(po.payload, "CommonResult");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(all(results[0], "Error").empty());
  EXPECT_EQ(first(results[1], "TransportGUID"), three[1].transport);
  EXPECT_EQ(first(results[1], "ErrorCode"), "SRV004005");
  EXPECT_EQ(first(results[1], "Description"), "Лицевой счет уже существует");
  EXPECT_TRUE(all(results[2], "Error").empty());
}

TEST_F(EmulatorTest, ControlApiRefusesWhatItDoesNotKnowAndCounts) {
  EXPECT_EQ(emu().control("POST", "faults", R"({"kind":"meteor"})").status, 400);
  EXPECT_EQ(emu().control("POST", "faults", "not json").status, 400);
  EXPECT_EQ(emu().control("GET", "nothing").status, 404);
  HttpReply stats = emu().control("GET", "stats");
  EXPECT_EQ(stats.status, 200);
  EXPECT_NE(stats.body.find("\"package_version\":\"16.3.0.0\""), std::string::npos) << stats.body;
  EXPECT_EQ(emu().request("POST", "/ext-bus-nowhere/services/X", "<x/>").status, 404);
  EXPECT_EQ(emu().request("GET", kHmPath).status, 405);
  // getState for a message nobody sent.
  Response r = get_state(emu(), kHmPath, uuid());
  EXPECT_EQ(first(r.payload, "ErrorCode"), "INT002013");
}

// --- the other operations -----------------------------------------------------------------------

const std::string kDmPath = "/ext-bus-device-metering-service/services/DeviceMeteringAsync";
const std::string kBillsPath = "/ext-bus-bills-service/services/BillsAsync";
const std::string kPayPath = "/ext-bus-payment-service/services/PaymentAsync";
const std::string kOrgPath = "/ext-bus-org-registry-common-service/services/OrgRegistryCommonAsync";
const std::string kNsiPath = "/ext-bus-nsi-common-service/services/NsiCommonAsync";
const std::string kLibNs =
    " xmlns:mdb=\"http://dom.gosuslugi.ru/schema/integration/metering-device-base/\""
    " xmlns:nb=\"http://dom.gosuslugi.ru/schema/integration/nsi-base/\""
    " xmlns:ab=\"http://dom.gosuslugi.ru/schema/integration/account-base/\""
    " xmlns:bb=\"http://dom.gosuslugi.ru/schema/integration/bills-base/\""
    " xmlns:pmb=\"http://dom.gosuslugi.ru/schema/integration/payments-base/\""
    " xmlns:ob=\"http://dom.gosuslugi.ru/schema/integration/organizations-base/\""
    " xmlns:orb=\"http://dom.gosuslugi.ru/schema/integration/organizations-registry-base/\"";
const std::string kColdWater =
    "<nb:Code>1</nb:Code><nb:GUID>6f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6</nb:GUID>";

std::string import_one_account(const EmulatorProcess& e, const std::string& number) {
  Account a;
  a.number = number;
  Response r = wait_done(e, kHmPath,
                         send(e, kHmPath, "importAccountData", request(import_accounts_body({a}))));
  return first(r.payload, "GUID");
}

TEST_F(EmulatorTest, MetersReadingsAndHistoryIncludingReadingsEnteredInGis) {
  const std::string account = import_one_account(emu(), "LS-MTR");
  const std::string t_meter = uuid();
  std::string meter_body =
      "<hm:importMeteringDeviceDataRequest xmlns:hm=\"" + kHm + "\"" + kLibNs +
      " Id=\"signed-data-container\" base:version=\"11.1.0.8\"><hm:FIASHouseGuid>" + kHouse +
      "</hm:FIASHouseGuid><hm:MeteringDevice><base:TransportGUID>" + t_meter +
      "</base:TransportGUID><hm:DeviceDataToCreate><hm:BasicChatacteristicts>"
      "<hm:MeteringDeviceNumber>CW-0001</hm:MeteringDeviceNumber><hm:RemoteMeteringMode>false</"
      "hm:RemoteMeteringMode>"
      "<hm:TemperatureSensor>false</hm:TemperatureSensor><hm:PressureSensor>false</"
      "hm:PressureSensor>"
      "<hm:ResidentialPremiseDevice><hm:AccountGUID>" +
      account +
      "</hm:AccountGUID></hm:ResidentialPremiseDevice>"
      "</hm:BasicChatacteristicts><hm:NotLinkedWithMetering>true</hm:NotLinkedWithMetering>"
      "<hm:MunicipalResourceNotEnergy><mdb:MunicipalResource>" +
      kColdWater +
      "</mdb:MunicipalResource><mdb:MeteringValue>10.5</mdb:MeteringValue></"
      "hm:MunicipalResourceNotEnergy>"
      "</hm:DeviceDataToCreate></hm:MeteringDevice></hm:importMeteringDeviceDataRequest>";
  Response m = wait_done(emu(), kHmPath,
                         send(emu(), kHmPath, "importMeteringDeviceData", request(meter_body)));
  ASSERT_EQ(all(m.payload, "CommonResult").size(), 1u) << m.http.body;
  EXPECT_EQ(first(m.payload, "TransportGUID"), t_meter);
  const std::string root = first(m.payload, "MeteringDeviceGUID");
  ASSERT_FALSE(root.empty()) << m.http.body;

  const std::string t_value = uuid();
  std::string values_body =
      "<dm:importMeteringDeviceValuesRequest "
      "xmlns:dm=\"http://dom.gosuslugi.ru/schema/integration/device-metering/\"" +
      kLibNs +
      " Id=\"signed-data-container\" base:version=\"10.0.1.1\"><dm:MeteringDevicesValues>"
      "<dm:MeteringDeviceRootGUID>" +
      root +
      "</dm:MeteringDeviceRootGUID><dm:OneRateDeviceValue><dm:CurrentValue>"
      "<mdb:MunicipalResource>" +
      kColdWater +
      "</mdb:MunicipalResource><mdb:MeteringValue>12.345</mdb:MeteringValue>"
      "<dm:DateValue>2026-11-25</dm:DateValue><base:TransportGUID>" +
      t_value +
      "</base:TransportGUID></dm:CurrentValue></dm:OneRateDeviceValue></dm:MeteringDevicesValues>"
      "<dm:MeteringDevicesValues><dm:MeteringDeviceRootGUID>" +
      uuid() +
      "</"
      "dm:MeteringDeviceRootGUID><dm:OneRateDeviceValue><dm:CurrentValue><mdb:MunicipalResource>" +
      kColdWater +
      "</mdb:MunicipalResource><mdb:MeteringValue>1</mdb:MeteringValue><dm:DateValue>2026-11-25</"
      "dm:DateValue>"
      "<base:TransportGUID>" +
      uuid() +
      "</base:TransportGUID></dm:CurrentValue></dm:OneRateDeviceValue>"
      "</dm:MeteringDevicesValues></dm:importMeteringDeviceValuesRequest>";
  Response v = wait_done(emu(), kDmPath,
                         send(emu(), kDmPath, "importMeteringDeviceValues", request(values_body)));
  auto results = all(v.payload, "ImportResult");
  ASSERT_EQ(results.size(), 2u) << v.http.body;
  EXPECT_EQ(first(results[0], "TransportGUID"), t_value);
  EXPECT_TRUE(all(results[0], "Error").empty());
  EXPECT_EQ(first(results[1], "ErrorCode"), "INT002000") << "unknown meter";

  // A resident enters a reading in GIS (control API); the history returns both.
  HttpReply seeded =
      emu().control("POST", "readings", R"({"meter_root_guid":")" + root + R"(","value":"13.5"})");
  ASSERT_EQ(seeded.status, 200) << seeded.body;
  auto history = [&](const std::string& extra) {
    std::string body =
        "<dm:exportMeteringDeviceHistoryRequest "
        "xmlns:dm=\"http://dom.gosuslugi.ru/schema/integration/device-metering/\"" +
        kLibNs + " Id=\"signed-data-container\" base:version=\"10.0.1.1\"><dm:FIASHouseGuid>" +
        kHouse + "</dm:FIASHouseGuid><dm:MeteringDeviceRootGUID>" + root +
        "</dm:MeteringDeviceRootGUID>" + extra + "</dm:exportMeteringDeviceHistoryRequest>";
    return wait_done(emu(), kDmPath,
                     send(emu(), kDmPath, "exportMeteringDeviceHistory", request(body)));
  };
  Response h = history("");
  auto values = all(h.payload, "CurrentValue");
  ASSERT_EQ(values.size(), 2u) << h.http.body;
  EXPECT_EQ(first(values[0], "MeteringValue"), "12.345");
  EXPECT_EQ(first(values[0], "orgPPAGUID"), kOrg);
  EXPECT_EQ(first(values[1], "MeteringValue"), "13.5");
  EXPECT_EQ(first(values[1], "ReadingsSource"), "Гражданин");
  EXPECT_EQ(first(h.payload, "LastPage"), "true");
  Response only_gis = history("<dm:excludeISValues>true</dm:excludeISValues>");
  ASSERT_EQ(all(only_gis.payload, "CurrentValue").size(), 1u) << only_gis.http.body;
  EXPECT_EQ(first(only_gis.payload, "MeteringValue"), "13.5");
}

std::string payment_documents_body(const std::string& account, const std::string& t_info,
                                   const std::string& t_doc) {
  return "<bills:importPaymentDocumentRequest "
         "xmlns:bills=\"http://dom.gosuslugi.ru/schema/integration/bills/\"" +
         kLibNs +
         " Id=\"signed-data-container\" base:version=\"11.2.0.16\"><base:Month>11</base:Month>"
         "<base:Year>2026</base:Year><bills:PaymentInformation><pmb:BankBIK>044525225</pmb:BankBIK>"
         "<pmb:operatingAccountNumber>40702810938000000001</"
         "pmb:operatingAccountNumber><base:TransportGUID>" +
         t_info +
         "</base:TransportGUID></bills:PaymentInformation><bills:PaymentDocument><ab:AccountGuid>" +
         account +
         "</ab:AccountGuid><bb:PaymentDocumentNumber>PD-11-2026-1</bb:PaymentDocumentNumber>"
         "<bills:Expose>true</bills:Expose><bills:TotalPayableByPD>1234.56</bills:TotalPayableByPD>"
         "<base:TransportGUID>" +
         t_doc + "</base:TransportGUID><bills:PaymentInformationKey>" + t_info +
         "</bills:PaymentInformationKey></bills:PaymentDocument></"
         "bills:importPaymentDocumentRequest>";
}

TEST_F(EmulatorTest, PaymentDocumentsImportExportWithdrawAndPaymentNotices) {
  const std::string account = import_one_account(emu(), "LS-PD");
  const std::string t_info = uuid(), t_doc = uuid();
  Response r = wait_done(emu(), kBillsPath,
                         send(emu(), kBillsPath, "importPaymentDocumentData",
                              request(payment_documents_body(account, t_info, t_doc))));
  auto results = all(r.payload, "ImportResult");
  ASSERT_EQ(results.size(), 2u) << r.http.body;
  EXPECT_EQ(first(results[1], "TransportGUID"), t_doc);
  const std::string pd_id = first(results[1], "UniqueNumber");
  ASSERT_EQ(pd_id.size(), 18u) << r.http.body;

  std::string export_body =
      "<bills:exportPaymentDocumentRequest xmlns:bills=\"http://dom.gosuslugi.ru/schema/"
      "integration/bills/\"" +
      kLibNs +
      " Id=\"signed-data-container\" base:version=\"13.1.0.1\">"
      "<bb:PaymentDocumentID>" +
      pd_id + "</bb:PaymentDocumentID></bills:exportPaymentDocumentRequest>";
  Response ex =
      wait_done(emu(), kBillsPath,
                send(emu(), kBillsPath, "exportPaymentDocumentData", request(export_body)));
  ASSERT_EQ(all(ex.payload, "exportPaymentDocResult").size(), 1u) << ex.http.body;
  EXPECT_EQ(first(ex.payload, "AccountGuid"), account);
  EXPECT_EQ(first(ex.payload, "PaymentDocumentNumber"), "PD-11-2026-1");
  EXPECT_EQ(first(ex.payload, "TotalPayableByPD"), "1234.56");
  EXPECT_EQ(first(ex.payload, "PaymentInformationGuid"), first(results[0], "GUID"));

  // A payment notice for that document, a duplicate, a cancellation, a second cancellation.
  const std::string order = "ORD" + uuid().substr(0, 8) + "000000000000000000000";
  auto notice = [&](const std::string& t) {
    return "<pay:importNotificationsOfOrderExecutionRequest "
           "xmlns:pay=\"http://dom.gosuslugi.ru/schema/integration/"
           "payment/\"" +
           kLibNs +
           " Id=\"signed-data-container\" base:version=\"10.0.1.1\">"
           "<pay:NotificationOfOrderExecutionType><pmb:RecipientInfo><ob:INN>7701234567</ob:INN>"
           "<pmb:Legal><ob:KPP>770101001</ob:KPP><pmb:Name>УК Тест</pmb:Name></pmb:Legal>"
           "<pmb:PaymentInformation><pmb:RecipientINN>7701234567</"
           "pmb:RecipientINN><pmb:BankName>Банк</pmb:BankName><pmb:PaymentRecipient>УК "
           "Тест</pmb:PaymentRecipient>"
           "<pmb:BankBIK>044525225</pmb:BankBIK><pmb:operatingAccountNumber>40702810938000000001</"
           "pmb:operatingAccountNumber>"
           "<pmb:CorrespondentBankAccount>30101810400000000225</pmb:CorrespondentBankAccount></"
           "pmb:PaymentInformation>"
           "</pmb:RecipientInfo><pmb:OrderInfo><pmb:OrderID>" +
           order +
           "</pmb:OrderID><pmb:OrderDate>2026-11-28</pmb:OrderDate>"
           "<pmb:Amount>123456</pmb:Amount><bb:PaymentDocumentID>" +
           pd_id +
           "</bb:PaymentDocumentID>"
           "<base:Year>2026</base:Year><base:Month>11</base:Month></"
           "pmb:OrderInfo><base:TransportGUID>" +
           t +
           "</base:TransportGUID></pay:NotificationOfOrderExecutionType></"
           "pay:importNotificationsOfOrderExecutionRequest>";
  };
  Response n1 = wait_done(
      emu(), kPayPath,
      send(emu(), kPayPath, "importNotificationsOfOrderExecution", request(notice(uuid()))));
  ASSERT_EQ(all(n1.payload, "ImportResult").size(), 1u) << n1.http.body;
  EXPECT_TRUE(all(n1.payload, "Error").empty()) << n1.http.body;
  EXPECT_FALSE(first(n1.payload, "GUID").empty());
  Response n2 = wait_done(
      emu(), kPayPath,
      send(emu(), kPayPath, "importNotificationsOfOrderExecution", request(notice(uuid()))));
  EXPECT_EQ(first(n2.payload, "ErrorCode"), "SRV008001") << n2.http.body;
  auto cancel = [&]() {
    return "<pay:importNotificationsOfOrderExecutionCancellationRequest "
           "xmlns:pay=\"http://dom.gosuslugi.ru/schema/"
           "integration/payment/\"" +
           kLibNs +
           " Id=\"signed-data-container\" base:version=\"10.0.1.1\">"
           "<pay:NotificationOfOrderExecutionCancellation><pmb:OrderID>" +
           order +
           "</pmb:OrderID>"
           "<pmb:CancellationDate>2026-11-29</pmb:CancellationDate><base:TransportGUID>" +
           uuid() +
           "</base:TransportGUID></pay:NotificationOfOrderExecutionCancellation>"
           "</pay:importNotificationsOfOrderExecutionCancellationRequest>";
  };
  Response c1 = wait_done(
      emu(), kPayPath,
      send(emu(), kPayPath, "importNotificationsOfOrderExecutionCancellation", request(cancel())));
  EXPECT_TRUE(all(c1.payload, "Error").empty()) << c1.http.body;
  Response c2 = wait_done(
      emu(), kPayPath,
      send(emu(), kPayPath, "importNotificationsOfOrderExecutionCancellation", request(cancel())));
  EXPECT_EQ(first(c2.payload, "ErrorCode"), "SRV008002") << c2.http.body;

  // Withdraw, then withdraw again: SRV008070.
  auto withdraw = [&]() {
    return "<bills:importPaymentDocumentRequest "
           "xmlns:bills=\"http://dom.gosuslugi.ru/schema/integration/bills/\"" +
           kLibNs +
           " Id=\"signed-data-container\" "
           "base:version=\"11.2.0.16\"><bills:WithdrawPaymentDocument>"
           "<base:TransportGUID>" +
           uuid() + "</base:TransportGUID><bb:PaymentDocumentID>" + pd_id +
           "</bb:PaymentDocumentID></bills:WithdrawPaymentDocument></"
           "bills:importPaymentDocumentRequest>";
  };
  Response w1 = wait_done(
      emu(), kBillsPath, send(emu(), kBillsPath, "importPaymentDocumentData", request(withdraw())));
  EXPECT_TRUE(all(w1.payload, "Error").empty()) << w1.http.body;
  Response w2 = wait_done(
      emu(), kBillsPath, send(emu(), kBillsPath, "importPaymentDocumentData", request(withdraw())));
  EXPECT_EQ(first(w2.payload, "ErrorCode"), "SRV008070");

  // A payment document for an account GIS does not know.
  Response unknown = wait_done(emu(), kBillsPath,
                               send(emu(), kBillsPath, "importPaymentDocumentData",
                                    request(payment_documents_body(uuid(), uuid(), uuid()))));
  EXPECT_EQ(first(all(unknown.payload, "ImportResult")[1], "ErrorCode"), "INT002000");
}

TEST_F(EmulatorTest, AppealsFiledInGisAreExported) {
  const std::string house = "7d1c2a3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  HttpReply seeded = emu().control("POST", "appeals",
                                   R"({"text":"Не работает лифт","fias_house_guid":")" + house +
                                       R"(","author":"Петров Петр Петрович","number":"A-77"})");
  ASSERT_EQ(seeded.status, 200) << seeded.body;
  const std::string appeals_path = "/ext-bus-appeals-service/services/AppealsAsync";
  auto query = [&](const std::string& criteria) {
    std::string body =
        "<ap:exportAppealRequest xmlns:ap=\"http://dom.gosuslugi.ru/schema/integration/appeals/\"" +
        kLibNs + " Id=\"signed-data-container\" base:version=\"14.8.0.1\">" + criteria +
        "</ap:exportAppealRequest>";
    return wait_done(emu(), appeals_path, send(emu(), appeals_path, "exportAppeal", request(body)));
  };
  Response r = query("<ap:FIASHouseGuid>" + house + "</ap:FIASHouseGuid>");
  ASSERT_EQ(all(r.payload, "ExportAppealResult").size(), 1u) << r.http.body;
  EXPECT_EQ(first(r.payload, "AppealText"), "Не работает лифт");
  EXPECT_EQ(first(r.payload, "Surname"), "Петров");
  EXPECT_NE(seeded.body.find(first(r.payload, "AppealGUID")), std::string::npos);
  EXPECT_EQ(first(query("<ap:AppealNumber>A-0</ap:AppealNumber>").payload, "ErrorCode"),
            "INT002012");
}

TEST_F(EmulatorTest, OrgRegistryNsiPagesAndHouse) {
  HttpReply org = emu().control(
      "POST", "orgs",
      R"({"ogrn":"1027700132195","inn":"7701234567","kpp":"770101001","name":"ООО УК Тест","roles":["1"]})");
  ASSERT_EQ(org.status, 200) << org.body;
  auto org_body = [&](const std::string& ogrn) {
    return "<orgc:exportOrgRegistryRequest xmlns:orgc=\"http://dom.gosuslugi.ru/schema/integration/"
           "organizations-registry-common/\"" +
           kLibNs +
           " Id=\"signed-data-container\" base:version=\"10.0.2.1\">"
           "<orgc:SearchCriteria><ob:OGRN>" +
           ogrn + "</ob:OGRN></orgc:SearchCriteria></orgc:exportOrgRegistryRequest>";
  };
  Response o = wait_done(emu(), kOrgPath,
                         send(emu(), kOrgPath, "exportOrgRegistry",
                              request(org_body("1027700132195"), true, "ISRequestHeader")));
  ASSERT_EQ(all(o.payload, "exportOrgRegistryResult").size(), 1u) << o.http.body;
  EXPECT_NE(org.body.find(first(o.payload, "orgPPAGUID")), std::string::npos);
  Response none = wait_done(emu(), kOrgPath,
                            send(emu(), kOrgPath, "exportOrgRegistry",
                                 request(org_body("1027700000000"), true, "ISRequestHeader")));
  EXPECT_EQ(first(none.payload, "ErrorCode"), "INT002012");

  auto nsi = [&](int registry, int page) {
    std::string body =
        "<nsic:" + std::string(page ? "exportNsiPagingItemRequest" : "exportNsiItemRequest") +
        " xmlns:nsic=\"http://dom.gosuslugi.ru/schema/integration/nsi-common/\"" + kLibNs +
        " Id=\"signed-data-container\" base:version=\"10.0.1.2\"><nsic:RegistryNumber>" +
        std::to_string(registry) + "</nsic:RegistryNumber><nb:ListGroup>NSI</nb:ListGroup>" +
        (page ? "<nsic:Page>" + std::to_string(page) + "</nsic:Page>" : std::string()) +
        "</nsic:" + (page ? "exportNsiPagingItemRequest" : "exportNsiItemRequest") + ">";
    return wait_done(emu(), kNsiPath,
                     send(emu(), kNsiPath, page ? "exportNsiPagingItem" : "exportNsiItem",
                          request(body, true, "ISRequestHeader")));
  };
  Response resources = nsi(2, 0);
  EXPECT_EQ(all(resources.payload, "NsiElement").size(), 8u) << resources.http.body;
  ASSERT_EQ(emu().control("POST", "nsi", R"({"registry":95,"count":2500})").status, 200);
  Response p1 = nsi(95, 1), p3 = nsi(95, 3);
  EXPECT_EQ(all(p1.payload, "NsiElement").size(), 1000u);
  EXPECT_EQ(first(p1.payload, "TotalPages"), "3");
  EXPECT_EQ(all(p3.payload, "NsiElement").size(), 500u);
  EXPECT_EQ(first(nsi(95, 4).payload, "ErrorCode"), "INT002012");

  HttpReply house = emu().control("POST", "houses",
                                  R"({"fias_house_guid":"0c5b2444-70a0-4932-980c-b4dc0d3f02b5"})");
  ASSERT_EQ(house.status, 200) << house.body;
  std::string body = "<hm:exportHouseRequest xmlns:hm=\"" + kHm +
                     "\" Id=\"signed-data-container\" base:version=\"15.10.0.0\">"
                     "<hm:FIASHouseGuid>0c5b2444-70a0-4932-980c-b4dc0d3f02b5</hm:FIASHouseGuid></"
                     "hm:exportHouseRequest>";
  Response h = wait_done(emu(), kHmPath, send(emu(), kHmPath, "exportHouseData", request(body)));
  EXPECT_NE(house.body.find(first(h.payload, "HouseGUID")), std::string::npos) << h.http.body;
}

}  // namespace
}  // namespace hub::testing

namespace hub::testing {
namespace {

// The rate the gis-adapter's benchmark relies on (~50 requests/s with validation and GOST
// verification on a shared 2-core machine): signed importAccountData requests of 100 accounts
// each from 4 keep-alive connections, then a getState for each. Requests are signed beforehand;
// only the emulator's work (and the loopback HTTP) is timed.
TEST(EmulatorThroughput, ImportAccountsOfOneHundredPerRequest) {
  EmulatorProcess e({"--delays", "0,0"});
  constexpr int kRequests = 200, kThreads = 4;
  std::vector<std::string> envelopes;
  for (int i = 0; i < kRequests; ++i) {
    std::vector<Account> accounts(100);
    for (int j = 0; j < 100; ++j) accounts[j].number = "LS-B-" + std::to_string(i * 100 + j);
    envelopes.push_back(request(import_accounts_body(accounts)));
  }
  const long rss_before = e.rss_kib();
  std::vector<std::string> guids(kRequests);
  std::atomic<int> next{0}, failures{0};
  auto run = [&](auto&& body) {
    std::vector<std::thread> threads;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(e.port()));
        session.setKeepAlive(true);
        for (int i; (i = next++) < kRequests;) {
          if (!body(session, i)) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
    next = 0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto post = [&](Poco::Net::HTTPClientSession& session, const std::string& action,
                  const std::string& body) {
    Poco::Net::HTTPRequest req("POST", kHmPath, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("text/xml; charset=utf-8");
    req.set("SOAPAction", "\"urn:" + action + "\"");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::string out;
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), out);
    return std::make_pair(resp.getStatus(), out);
  };
  const double send_s = run([&](Poco::Net::HTTPClientSession& s, int i) {
    auto [status, body] = post(s, "importAccountData", envelopes[i]);
    auto at = body.find("<base:MessageGUID>", body.find("<base:Ack>"));
    if (status != 200 || at == std::string::npos) return false;
    guids[i] = body.substr(at + 18, 36);
    return true;
  });
  ASSERT_EQ(failures.load(), 0);
  std::vector<std::string> polls;
  for (const auto& g : guids) polls.push_back(request(get_state_body(g), false));
  const double poll_s = run([&](Poco::Net::HTTPClientSession& s, int i) {
    auto [status, body] = post(s, "getState", polls[i]);
    return status == 200 &&
           body.find("<base:RequestState>3</base:RequestState>") != std::string::npos &&
           body.find("CommonResult") != std::string::npos;
  });
  EXPECT_EQ(failures.load(), 0);
  const double send_rate = kRequests / send_s, poll_rate = kRequests / poll_s;
  std::cout << "emulator: " << send_rate
            << " importAccountData/s (100 accounts, validated + GOST-verified), " << poll_rate
            << " getState/s (result of 100 validated)\n";
  const long rss_after = e.rss_kib();
  std::cout << "emulator memory: " << (rss_after - rss_before) * 1024.0 / (kRequests * 100)
            << " bytes per stored account (incl. message results)\n";
  EXPECT_GT(send_rate, 20.0) << "far below what the benchmark needs";
}

}  // namespace
}  // namespace hub::testing

namespace hub::testing {
namespace {

// SIT-style access (HTTP Basic + X-Client-Cert-Fingerprint) and responses signed as GIS signs
// them, verified here with hub::crypto.
TEST(EmulatorStand, BasicAuthFingerprintAndSignedResponses) {
  const auto& k = crypto::testing::test_keys();
  EmulatorProcess e({"--delays", "0,0", "--basic-auth", "sit:secret", "--cert-fingerprint",
                     "AB12CD34", "--sign-key", k.gost_key.string(), "--sign-cert",
                     k.gost_cert.string()});
  Account a;
  a.number = "LS-SIT";
  const std::string env = request(import_accounts_body({a}));
  const std::vector<std::pair<std::string, std::string>> action{
      {"SOAPAction", "\"urn:importAccountData\""}};
  EXPECT_EQ(e.request("POST", kHmPath, env, "text/xml; charset=utf-8", action).status, 401);
  auto with = [&](bool fingerprint, const std::string& op) {
    std::vector<std::pair<std::string, std::string>> h{{"SOAPAction", "\"urn:" + op + "\""},
                                                       {"Authorization", "Basic c2l0OnNlY3JldA=="}};
    if (fingerprint) h.emplace_back("X-Client-Cert-Fingerprint", "ab12cd34");
    return h;
  };
  EXPECT_EQ(
      e.request("POST", kHmPath, env, "text/xml; charset=utf-8", with(false, "importAccountData"))
          .status,
      403);
  Response ack = parse(
      e.request("POST", kHmPath, env, "text/xml; charset=utf-8", with(true, "importAccountData")));
  ASSERT_EQ(ack.http.status, 200) << ack.http.body;
  const std::string guid = first(all(ack.payload, "Ack")[0], "MessageGUID");
  Response state = parse(e.request("POST", kHmPath, request(get_state_body(guid), false),
                                   "text/xml; charset=utf-8", with(true, "getState")));
  ASSERT_EQ(first(state.payload, "RequestState"), "3") << state.http.body;
  auto check = crypto::verify_xml_signature(state.http.body, "getStateResult");
  EXPECT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.signatures, 1u);
  EXPECT_EQ(all(state.payload, "CommonResult").size(), 1u);
}

}  // namespace
}  // namespace hub::testing
