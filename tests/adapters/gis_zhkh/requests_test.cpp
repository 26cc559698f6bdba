// The requests the adapter builds validate against the official 16.3.0.0 package (the same check
// it makes before every send), and canonical input it cannot map is refused naming the XPath.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "exchange_engine.h"
#include "external_state.h"
#include "hub/plugin_host/xml_services.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_registry.h"
#include "operations/accounts.h"
#include "util.h"

namespace gis = hub::adapters::gis_zhkh;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

hub::plugin::SchemaPackagePtr package() {
  return hub::plugin_host::PackageXmlServices::shared().load_schema_package(
      std::string(HUB_SHARED_DIR) + "/schemas/gis_zhkh/16.3.0.0");
}

std::string account_body(const std::string& number, const std::string& extra = "") {
  return "<c:accountUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:account>" + number +
         "</c:account><c:houseFiasGuid>5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69</c:houseFiasGuid>"
         "<c:premise><c:number>12</c:number></c:premise><c:area>54.31234567</c:area>"
         "<c:residents>3</c:residents>" +
         extra + "</c:accountUpsert>";
}

std::string wrap(const gis::BuiltRequest& r) {
  return gis::soap_envelope("RequestHeader", gis::format_time(std::chrono::system_clock::now()),
                            gis::new_guid(), "11111111-2222-4333-8444-555555555555", true, r.body);
}

}  // namespace

TEST(GisRequests, ImportAccountsFromTheCanonicalSampleValidates) {
  const auto sample =
      read(std::string(HUB_SOURCE_DIR) + "/schemas/canonical/samples/account.upsert.xml");
  std::vector<gis::Refused> refused;
  std::vector<gis::AccountInput> in = {{"100234", sample}};
  for (int i = 0; i < 99; ++i)
    in.push_back({"A" + std::to_string(i), account_body("A" + std::to_string(i))});
  const auto req = gis::build_import_accounts(in, "uo", refused);
  EXPECT_TRUE(refused.empty()) << refused.front().reason;
  ASSERT_EQ(req.objects.size(), 100u);
  EXPECT_EQ(req.objects.front().ref, "100234");
  const auto issues = package()->validate_soap(wrap(req));
  EXPECT_TRUE(issues.empty()) << hub::plugin::summarize(issues);
  // The sample is an update (it has a GIS AccountGUID) of a person's account, by premise GUID.
  EXPECT_NE(req.body.find("<hm:AccountGUID>1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d</hm:AccountGUID>"),
            std::string::npos);
  EXPECT_NE(
      req.body.find("<hm:PremisesGUID>6c1f9e2a-3b4d-4e5f-8a7b-9c0d1e2f3a4b</hm:PremisesGUID>"),
      std::string::npos);
  EXPECT_NE(req.body.find("<ind:Surname>Иванова</ind:Surname>"), std::string::npos);
  // GIS areas have at most 4 fraction digits.
  EXPECT_NE(req.body.find("<hm:TotalSquare>54.3123</hm:TotalSquare>"), std::string::npos);
}

TEST(GisRequests, OverTheLimitOrTamperedRequestsDoNotValidate) {
  std::vector<gis::AccountInput> in;
  for (int i = 0; i < 101; ++i) in.push_back({std::to_string(i), account_body(std::to_string(i))});
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_accounts(in, "uo", refused);
  const auto issues = package()->validate_soap(wrap(req));
  ASSERT_FALSE(issues.empty());
  // The same answer for the envelope parsed by the caller (the exchange engine parses it once to
  // validate and sign it).
  const auto parsed = gis::parse_xml(wrap(req), "request");
  EXPECT_EQ(hub::plugin::summarize(package()->validate_soap(parsed.get())),
            hub::plugin::summarize(issues));
  // base:version is checked although libxml2 ignores `fixed`.
  auto one = gis::build_import_accounts({in[0]}, "uo", refused);
  auto body = one.body;
  body.replace(body.find("10.0.1.1"), 8, "11.0.0.1");
  one.body = body;
  const auto version_issues = package()->validate_soap(wrap(one));
  ASSERT_FALSE(version_issues.empty());
  EXPECT_NE(hub::plugin::summarize(version_issues).find("11.0.0.1"), std::string::npos)
      << hub::plugin::summarize(version_issues);
}

TEST(GisRequests, UnmappableAccountsAreRefusedNamingTheXPathAndTheRestStillGoes) {
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_accounts(
      {{"1", account_body("1", "<c:kind>xx</c:kind>")},
       {"2", account_body("2")},
       {"3", "<not-xml"},
       {"4", account_body("4").replace(account_body("4").find("<c:residents>3"), 14,
                                       "<c:residents>12345")}},
      "uo", refused);
  ASSERT_EQ(req.objects.size(), 1u);
  EXPECT_EQ(req.objects[0].ref, "2");
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_NE(refused[0].reason.find("/c:accountUpsert/c:kind"), std::string::npos)
      << refused[0].reason;
  EXPECT_NE(refused[2].reason.find("/c:accountUpsert/c:residents"), std::string::npos)
      << refused[2].reason;
  EXPECT_TRUE(package()->validate_soap(wrap(req)).empty());
}

// A page of bodies is parsed as one document; a body that is not one well-formed element alone
// (malformed, two roots, an element split over two bodies, a comment only) makes the page's bodies
// go one by one, so each is refused or mapped exactly as alone.
TEST(GisRequests, BodiesParsedTogetherReadAsAlone) {
  const std::vector<std::string> texts = {account_body("1"), "  " + account_body("2") + "\n"};
  const gis::XmlBatch batch({texts[0], texts[1]}, "page");
  ASSERT_NE(batch.root(0), nullptr);
  ASSERT_NE(batch.root(1), nullptr);
  EXPECT_EQ(gis::child_text(batch.root(1), "account"), "2");
  EXPECT_EQ(batch.root(2), nullptr);
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {account_body("1"), "<not-xml"},
           {account_body("1") + account_body("2"), account_body("3")},
           {"<c:accountUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\">",
            "</c:accountUpsert>" + account_body("4")},
           {account_body("1"), "<!-- nothing -->"},
           {account_body("1"), "<zhkh-hub-batch-separator/>" + account_body("2")}}) {
    const gis::XmlBatch b({bad[0], bad[1]}, "page");
    EXPECT_EQ(b.root(0), nullptr) << bad[0] << " | " << bad[1];
    EXPECT_EQ(b.root(1), nullptr) << bad[0] << " | " << bad[1];
    std::vector<gis::Refused> refused;
    const auto req = gis::build_import_accounts({{"a", bad[0]}, {"b", bad[1]}}, "uo", refused);
    EXPECT_EQ(req.objects.size() + refused.size(), 2u);
  }
  std::vector<gis::Refused> refused;
  const auto split =
      gis::build_import_accounts({{"a", "<c:accountUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\">"},
                                  {"b", "</c:accountUpsert>" + account_body("4")}},
                                 "uo", refused);
  EXPECT_TRUE(split.objects.empty());
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_NE(refused[0].reason.find("account a"), std::string::npos) << refused[0].reason;
}

TEST(GisRequests, ExportAccountsByGuidValidatesAndGetStateIsUnsignedBaseRequest) {
  std::vector<gis::AccountInput> in;
  for (int i = 0; i < 1000; ++i) {
    in.push_back({std::to_string(i),
                  account_body(std::to_string(i),
                               "<c:gisAccountGuid>" + gis::new_guid() + "</c:gisAccountGuid>")});
  }
  in.push_back({"no-guid", account_body("x")});
  const auto req = gis::build_export_accounts(in);
  EXPECT_EQ(req.objects.size(), 1000u);
  EXPECT_TRUE(package()->validate_soap(wrap(req)).empty())
      << hub::plugin::summarize(package()->validate_soap(wrap(req)));
  const auto get_state =
      gis::soap_envelope("RequestHeader", gis::format_time(std::chrono::system_clock::now()),
                         gis::new_guid(), gis::new_guid(), true,
                         "<base:getStateRequest><base:MessageGUID>" + gis::new_guid() +
                             "</base:MessageGUID></base:getStateRequest>");
  EXPECT_TRUE(package()->validate_soap(get_state).empty());
  const auto op = package()->operation("house-management", "importAccountData");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->soap_action, "urn:importAccountData");
  EXPECT_EQ(op->endpoint_path, "/ext-bus-home-management-service/services/HomeManagementAsync");
}

TEST(GisRequests, ExternalStateBodiesAreCanonical) {
  gis::StateReport r;
  r.operation = "importAccountData";
  r.request_id = gis::new_guid();
  r.ack_guid = gis::new_guid();
  r.checked_at = std::chrono::system_clock::now();
  gis::ObjectResult ok{gis::new_guid(),        "account", "100234", gis::new_guid(), "",
                       "2026-11-25T03:39:58Z", {}};
  gis::ObjectResult bad{
      gis::new_guid(), "account", "100235", "", "", "", {{"INT002000", "Дом\nне найден"}}};
  r.results = {ok, bad};
  const auto body = gis::external_state_body(r);
  EXPECT_NE(body.find("<c:externalGuid>" + ok.external_guid + "</c:externalGuid>"),
            std::string::npos);
  EXPECT_NE(body.find("<c:code>INT002000</c:code>"), std::string::npos);
  auto schemas = hub::xml::SchemaRegistry::load(std::string(HUB_SOURCE_DIR) + "/schemas/canonical");
  const auto issues = schemas->validate("external.state", hub::xml::parse_xml(body, "state"));
  EXPECT_TRUE(issues.empty()) << (issues.empty() ? "" : issues.front().message);
  r.results.clear();
  r.error_code = "FMT001300";
  r.error_text = "Некорректный XML";
  EXPECT_TRUE(
      schemas->validate("external.state", hub::xml::parse_xml(gis::external_state_body(r), "error"))
          .empty());
}

#include "operations/readings.h"

namespace {

std::string reading(const std::string& values, const std::string& extra = "") {
  return "<c:meterReading xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>M1</c:meterId>"
         "<c:account>100234</c:account><c:resource>cold_water</c:resource>" +
         values +
         "<c:channel>portal</c:channel><c:takenAt>2026-11-22T18:40:00+03:00</c:takenAt>"
         "<c:period>2026-11</c:period>" +
         extra + "</c:meterReading>";
}

}  // namespace

TEST(GisRequests, ReadingsMapToOneRateAndElectricValuesThatValidate) {
  const auto resources = gis::parse_nsi_resources({"cold_water=1:" + gis::new_guid()});
  const std::string guid = "<c:gisMeterGuid>" + gis::new_guid() + "</c:gisMeterGuid>";
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_readings(
      {{"one-rate", reading("<c:value zone=\"total\">312.45678901</c:value>", guid)},
       {"electric", reading("<c:value zone=\"day\">1200.5</c:value><c:value zone=\"night\">"
                            "800</c:value>",
                            guid)},
       {"no-guid", reading("<c:value zone=\"total\">1</c:value>")},
       {"bad-resource", reading("<c:value zone=\"total\">1</c:value>", guid)
                            .replace(reading("", "").find("cold_water"), 10, "heat")}},
      resources, refused);
  ASSERT_EQ(req.objects.size(), 2u) << (refused.empty() ? "" : refused.front().reason);
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_NE(refused[0].reason.find("/c:meterReading/c:gisMeterGuid"), std::string::npos);
  EXPECT_NE(refused[1].reason.find("nsi_resources"), std::string::npos) << refused[1].reason;
  EXPECT_NE(req.body.find("<mdb:MeteringValue>312.4567890</mdb:MeteringValue>"), std::string::npos);
  EXPECT_NE(req.body.find("<mdb:MeteringValueT2>800</mdb:MeteringValueT2>"), std::string::npos);
  const auto issues = package()->validate_soap(wrap(req));
  EXPECT_TRUE(issues.empty()) << hub::plugin::summarize(issues);
  EXPECT_THROW(gis::parse_nsi_resources({"cold_water"}), std::invalid_argument);
}

// A three-zone meter (peak, half-peak, night) goes as GIS counts it: T1 peak, T2 night, T3
// half-peak; a two-zone one as T1 day, T2 night (tariff_zones.h).
TEST(GisRequests, ThreeZoneReadingsGoAsPeakNightHalfPeak) {
  const std::string guid = "<c:gisMeterGuid>" + gis::new_guid() + "</c:gisMeterGuid>";
  std::vector<gis::Refused> refused;
  auto electric = [&](const std::string& values) {
    auto r = reading(values, guid);
    return r.replace(r.find("cold_water"), 10, "electricity");
  };
  const auto req = gis::build_import_readings(
      {{"three", electric("<c:value zone=\"peak\">310</c:value><c:value zone=\"half_peak\">"
                          "220</c:value><c:value zone=\"night\">130</c:value>")},
       {"no-peak", electric("<c:value zone=\"half_peak\">1</c:value><c:value zone=\"night\">"
                            "2</c:value>")}},
      gis::parse_nsi_resources({"electricity=3:" + gis::new_guid()}), refused);
  ASSERT_EQ(req.objects.size(), 1u) << (refused.empty() ? "" : refused.front().reason);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].reason.find("needs zone peak (GIS T1)"), std::string::npos)
      << refused[0].reason;
  EXPECT_NE(req.body.find("<mdb:MeteringValueT1>310</mdb:MeteringValueT1><mdb:MeteringValueT2>"
                          "130</mdb:MeteringValueT2><mdb:MeteringValueT3>220</"
                          "mdb:MeteringValueT3>"),
            std::string::npos)
      << req.body;
  const auto issues = package()->validate_soap(wrap(req));
  EXPECT_TRUE(issues.empty()) << hub::plugin::summarize(issues);
}

#include "operations/history.h"
#include "xml_util.h"

TEST(GisRequests, MeterHistoryRequestValidatesAndItsResultBecomesCanonicalReadings) {
  const auto guid = gis::new_guid();
  const std::string meter =
      "<c:meterUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>CW-1</c:meterId>"
      "<c:account>100234</c:account><c:resource>cold_water</c:resource><c:gisRootGuid>" +
      guid + "</c:gisRootGuid></c:meterUpsert>";
  const std::string electric_guid = gis::new_guid();
  const std::string electric =
      "<c:meterUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>EL-1</c:meterId>"
      "<c:account>100235</c:account><c:resource>electricity</c:resource><c:gisRootGuid>" +
      electric_guid + "</c:gisRootGuid></c:meterUpsert>";
  const auto req = gis::build_export_history(
      {{"CW-1", meter},
       {"EL-1", electric},
       {"no-guid", "<c:meterUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"/>"}},
      "2026-11-01");
  ASSERT_EQ(req.objects.size(), 2u);
  EXPECT_TRUE(package()->validate_soap(wrap(req)).empty())
      << hub::plugin::summarize(package()->validate_soap(wrap(req)));

  // A getStateResult as GIS answers it (validated against the package first).
  const std::string ns =
      "xmlns:dm=\"http://dom.gosuslugi.ru/schema/integration/device-metering/\""
      " xmlns:base=\"" +
      std::string(gis::kBaseNs) +
      "\" xmlns:mdb=\"http://dom."
      "gosuslugi.ru/schema/integration/metering-device-base/\" xmlns:nsi=\"http://"
      "dom.gosuslugi.ru/schema/integration/nsi-base/\"";
  const std::string result =
      "<dm:getStateResult " + ns +
      " base:version=\"10.0.1.1\"><base:RequestState>3</base:RequestState>"
      "<base:MessageGUID>" +
      gis::new_guid() +
      "</base:MessageGUID>"
      "<dm:exportMeteringDeviceHistoryResult><dm:MeteringDeviceRootGUID>" +
      guid +
      "</dm:MeteringDeviceRootGUID><dm:OneRateDeviceValue><dm:Values><dm:CurrentValue>"
      "<mdb:MunicipalResource><nsi:Code>1</nsi:Code><nsi:GUID>" +
      gis::new_guid() +
      "</nsi:GUID></mdb:MunicipalResource><mdb:MeteringValue>312.457</mdb:MeteringValue>"
      "<mdb:EnterIntoSystem>2026-11-20T10:00:00+03:00</mdb:EnterIntoSystem>"
      "<dm:DateValue>2026-11-20T00:00:00+03:00</dm:DateValue></dm:CurrentValue></dm:Values>"
      "</dm:OneRateDeviceValue></dm:exportMeteringDeviceHistoryResult>"
      "<dm:exportMeteringDeviceHistoryResult><dm:MeteringDeviceRootGUID>" +
      electric_guid +
      "</dm:MeteringDeviceRootGUID><dm:ElectricDeviceValue><dm:Values><dm:CurrentValue>"
      "<mdb:MeteringValueT1>1200.5</mdb:MeteringValueT1><mdb:MeteringValueT2>800</"
      "mdb:MeteringValueT2>"
      "<mdb:EnterIntoSystem>2026-11-20T10:00:00+03:00</mdb:EnterIntoSystem>"
      "<dm:DateValue>2026-11-21T00:00:00</dm:DateValue></dm:CurrentValue></dm:Values>"
      "</dm:ElectricDeviceValue></dm:exportMeteringDeviceHistoryResult></dm:getStateResult>";
  const auto issues = package()->validate(result);
  ASSERT_TRUE(issues.empty()) << hub::plugin::summarize(issues);
  auto doc = gis::parse_xml(result, "result");
  gis::ResultInput in{"gis",       "exportMeteringDeviceHistory",
                      "ack",       std::chrono::system_clock::now(),
                      req.objects, xmlDocGetRootElement(doc.get())};
  const auto h = gis::handle_export_history(in);
  ASSERT_EQ(h.messages.size(), 2u) << h.summary;
  auto schemas = hub::xml::SchemaRegistry::load(std::string(HUB_SOURCE_DIR) + "/schemas/canonical");
  for (const auto& m : h.messages) {
    EXPECT_EQ(m.type, "meter.reading");
    const auto bad = schemas->validate("meter.reading", hub::xml::parse_xml(m.body, "reading"));
    EXPECT_TRUE(bad.empty()) << m.body << "\n" << (bad.empty() ? "" : bad.front().message);
  }
  EXPECT_NE(h.messages[0].body.find("<c:value zone=\"total\">312.457</c:value>"),
            std::string::npos);
  EXPECT_NE(h.messages[0].body.find("<c:channel>gis</c:channel>"), std::string::npos);
  EXPECT_NE(h.messages[1].body.find("<c:value zone=\"night\">800</c:value>"), std::string::npos);
  EXPECT_NE(h.messages[1].body.find("<c:takenAt>2026-11-21T00:00:00Z</c:takenAt>"),
            std::string::npos);
  // The same history again gives the same idempotency keys (nothing new in the journal).
  const auto again = gis::handle_export_history(in);
  EXPECT_EQ(again.messages[0].idempotency_key, h.messages[0].idempotency_key);
}

TEST(GisRequests, DeviceMeteringImportResultsCorrelateByTransportGuid) {
  const auto resources = gis::parse_nsi_resources({"cold_water=1:" + gis::new_guid()});
  std::vector<gis::Refused> refused;
  const std::string g = "<c:gisMeterGuid>" + gis::new_guid() + "</c:gisMeterGuid>";
  const auto req =
      gis::build_import_readings({{"M1@a", reading("<c:value zone=\"total\">1</c:value>", g)},
                                  {"M1@b", reading("<c:value zone=\"total\">2</c:value>", g)}},
                                 resources, refused);
  ASSERT_EQ(req.objects.size(), 2u);
  // device-metering's ImportResult is a CommonResultType itself (house-management nests them).
  const std::string result =
      "<dm:getStateResult xmlns:dm=\"http://dom.gosuslugi.ru/schema/integration/device-metering/\""
      " xmlns:base=\"" +
      std::string(gis::kBaseNs) +
      "\" base:version=\"10.0.1.1\">"
      "<base:RequestState>3</base:RequestState><base:MessageGUID>" +
      gis::new_guid() + "</base:MessageGUID><dm:ImportResult><base:TransportGUID>" +
      req.objects[0].transport_guid +
      "</base:TransportGUID><base:UpdateDate>2026-11-22T18:41:00Z</base:UpdateDate></"
      "dm:ImportResult>"
      "<dm:ImportResult><base:TransportGUID>" +
      req.objects[1].transport_guid +
      "</base:TransportGUID><base:Error><base:ErrorCode>SRV009001</"
      "base:ErrorCode><base:Description>"
      "Показание меньше "
      "предыдущего</base:Description></base:Error></dm:ImportResult></dm:getStateResult>";
  ASSERT_TRUE(package()->validate(result).empty())
      << hub::plugin::summarize(package()->validate(result));
  auto doc = gis::parse_xml(result, "result");
  gis::ResultInput in{"gis",       req.operation,
                      "ack",       std::chrono::system_clock::now(),
                      req.objects, xmlDocGetRootElement(doc.get())};
  const auto h = gis::import_results(in);
  ASSERT_EQ(h.results.size(), 2u);
  EXPECT_TRUE(h.results[0].errors.empty());
  EXPECT_EQ(h.results[0].kind, "meter_reading");
  EXPECT_EQ(h.results[0].ref, "M1@a");
  ASSERT_EQ(h.results[1].errors.size(), 1u);
  EXPECT_EQ(h.results[1].errors[0].first, "SRV009001");
}

#include "operations/payments.h"

TEST(GisRequests, PaymentNoticesFromTheCanonicalSampleValidate) {
  const auto sample =
      read(std::string(HUB_SOURCE_DIR) + "/schemas/canonical/samples/payment.received.xml");
  gis::Recipient r{"7325000001",          "732501001", "ООО \"УК Гагарина\"",
                   "ПАО Сбербанк",        "044525225", "40702810900000000001",
                   "30101810400000000225"};
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_notifications(
      {{"0192f1a2-3b4c-7d5e-8f60-718293a4b5c6", sample},
       {"0192f1a2-3b4c-7d5e-8f60-718293a4b5c7",
        "<c:paymentReceived "
        "xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:amountKopecks>0</c:amountKopecks>"
        "</c:paymentReceived>"}},
      r, refused);
  ASSERT_EQ(req.objects.size(), 1u);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].reason.find("/c:paymentReceived/c:amountKopecks"), std::string::npos);
  // OrderID is the payment's key (agent + transaction id) hashed, not the message id: its
  // cancellation names the same order.
  EXPECT_NE(
      req.body.find("<pb:OrderID>" + gis::order_id("sber:tx:2026112012345678") + "</pb:OrderID>"),
      std::string::npos);
  EXPECT_NE(req.body.find("<pb:Amount>152340</pb:Amount>"), std::string::npos);
  const auto issues = package()->validate_soap(wrap(req));
  EXPECT_TRUE(issues.empty()) << hub::plugin::summarize(issues);
  // Without the organisation's requisites nothing is sent, and the refusal names the keys.
  refused.clear();
  const auto none = gis::build_import_notifications(
      {{"0192f1a2-3b4c-7d5e-8f60-718293a4b5c6", sample}}, gis::Recipient{}, refused);
  EXPECT_TRUE(none.objects.empty());
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].reason.find("recipient_inn"), std::string::npos);
}

// GIS files things under Moscow days: from 21:00 UTC the export filters name the next day, or an
// appeal filed after midnight in Moscow would fall outside "up to today".
TEST(GisDates, ExportFiltersAreMoscowDays) {
  const auto evening_utc =
      gis::parse_date("2026-12-01") + std::chrono::hours(20) + std::chrono::minutes(59);
  EXPECT_EQ(gis::format_date(evening_utc), "2026-12-01");
  EXPECT_EQ(gis::moscow_date(evening_utc), "2026-12-01");
  const auto late_utc = evening_utc + std::chrono::minutes(2);  // 21:01 UTC = 00:01 in Moscow
  EXPECT_EQ(gis::format_date(late_utc), "2026-12-01");
  EXPECT_EQ(gis::moscow_date(late_utc), "2026-12-02");
  EXPECT_EQ(gis::moscow_date(gis::parse_date("2026-12-31") + std::chrono::hours(22)), "2027-01-01");
}
