// importMeteringDeviceData requests built from meter.upsert validate against the official
// 16.3.0.0 package for every kind of meter the canonical model has; a meter that cannot be mapped
// (no GIS GUID for its account or premise, no NSI 2 reference, archiving) is refused naming the
// canonical XPath while the rest still goes; the result's MeteringDeviceGUID becomes the meter's
// GIS GUID.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "exchange_engine.h"
#include "hub/plugin_host/xml_services.h"
#include "operations/meters.h"
#include "util.h"
#include "xml_util.h"

namespace gis = hub::adapters::gis_zhkh;

namespace {

constexpr const char* kHouse = "5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69";
const std::string kP12 = "6c1f9e2a-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
const std::string kP7 = "7d2a0f3b-4c5e-4f60-9b8c-0d1e2f3a4b5c";
const std::string kRoom = "8e3b1a4c-5d6f-4071-8c9d-1e2f3a4b5c6d";

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

std::string wrap(const gis::BuiltRequest& r) {
  return gis::soap_envelope("RequestHeader", gis::format_time(std::chrono::system_clock::now()),
                            gis::new_guid(), "11111111-2222-4333-8444-555555555555", true, r.body);
}

std::string meter(const std::string& id, const std::string& kind, const std::string& resource,
                  const std::string& premise, const std::vector<std::string>& accounts,
                  const std::string& extra = "", const std::string& zones = "1") {
  std::string b = "<c:meterUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>" + id +
                  "</c:meterId><c:serialNumber>SN-" + id + "</c:serialNumber><c:kind>" + kind +
                  "</c:kind><c:resource>" + resource +
                  "</c:resource><c:model>СГВ-15</c:model><c:digitCapacity>5</c:digitCapacity>"
                  "<c:tariffZones>" +
                  zones + "</c:tariffZones><c:houseFiasGuid>" + kHouse + "</c:houseFiasGuid>";
  if (!premise.empty()) b += "<c:premiseNumber>" + premise + "</c:premiseNumber>";
  for (const auto& a : accounts) b += "<c:account>" + a + "</c:account>";
  b += "<c:installedOn>2025-03-01</c:installedOn><c:lastVerifiedOn>2025-01-15</c:lastVerifiedOn>";
  return b + extra + "</c:meterUpsert>";
}

// What the store has from GIS: the sample's account 100234 in flat 12А, accounts LS-1..LS-3.
gis::MeterPlaces places() {
  gis::MeterPlaces p;
  p.premises[{kHouse, "12А"}] = {kP12, "true"};
  p.premises[{kHouse, "7"}] = {kP7, "false"};
  p.accounts["100234"] = {gis::new_guid(), kP12, "", "true"};
  p.accounts["LS-1"] = {gis::new_guid(), kP12, "", ""};
  p.accounts["LS-2"] = {gis::new_guid(), "", kRoom, ""};
  p.accounts["LS-3"] = {gis::new_guid(), "", "", ""};
  p.accounts["LS-UNPLACED"] = {"", kP12, "", ""};  // in the store, not in GIS yet
  p.premises[{kHouse, "5"}] = {"", "true"};
  return p;
}

const auto kResources =
    gis::parse_nsi_resources({"cold_water=1:" + gis::new_guid(), "hot_water=2:" + gis::new_guid(),
                              "heat=5:" + gis::new_guid()});

}  // namespace

TEST(GisMeterRequests, EveryKindOfMeterMapsToARequestThatValidates) {
  const auto sample =
      read(std::string(HUB_SOURCE_DIR) + "/schemas/canonical/samples/meter.upsert.xml");
  std::vector<gis::MeterInput> in = {
      {"E-100234-1", sample},
      {"CW-1", meter("CW-1", "individual", "cold_water", "12А", {"LS-1"},
                     "<c:initialValue zone=\"total\">10.123456789</c:initialValue>"
                     "<c:remote>true</c:remote>")},
      {"HW-7", meter("HW-7", "individual", "hot_water", "7", {"LS-3"})},
      {"CW-HOUSE", meter("CW-HOUSE", "individual", "cold_water", "", {"LS-3"})},
      {"CW-FLAT", meter("CW-FLAT", "common_apartment", "cold_water", "12А", {"LS-1", "LS-2"})},
      {"CW-ROOM", meter("CW-ROOM", "room", "cold_water", "12А", {"LS-2"})},
      {"HEAT-1", meter("HEAT-1", "collective", "heat", "", {}, "<c:unit>Gcal</c:unit>")},
      {"EL-3", meter("EL-3", "individual", "electricity", "12А", {"LS-1"},
                     "<c:transformationRatio>1.123456</c:transformationRatio>", "3")},
  };
  while (in.size() < gis::kImportMeterLimit) {
    const auto id = "CW-" + std::to_string(in.size());
    in.push_back({id, meter(id, "individual", "cold_water", "12А", {"LS-1"})});
  }
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_meters(in, places(), kResources, refused);
  ASSERT_TRUE(refused.empty()) << refused.front().ref << ": " << refused.front().reason;
  ASSERT_EQ(req.objects.size(), 100u);
  EXPECT_EQ(req.operation, "importMeteringDeviceData");
  EXPECT_EQ(req.version, "11.1.0.8");
  EXPECT_EQ(req.objects[6].kind, "meter");
  EXPECT_EQ(req.objects[6].ref, "HEAT-1");
  const auto issues = package()->validate_soap(wrap(req));
  EXPECT_TRUE(issues.empty()) << hub::plugin::summarize(issues);
  const auto& b = req.body;
  // The sample has GIS GUIDs: an update of its version, electricity with two tariffs.
  EXPECT_NE(b.find("<hm:DeviceDataToUpdate><hm:MeteringDeviceVersionGUID>b4e2d3c5-6a7f-4081-9ba2-"
                   "c3d4e5f60718</hm:MeteringDeviceVersionGUID><hm:UpdateBeforeDevicesValues>"),
            std::string::npos);
  EXPECT_NE(b.find("<hm:MunicipalResourceEnergy><mdb:MeteringValueT1>0.0</mdb:MeteringValueT1>"
                   "<mdb:MeteringValueT2>0.0</mdb:MeteringValueT2><hm:Unit>245</hm:Unit>"),
            std::string::npos);
  // Where each device is, by the GUIDs GIS gave.
  EXPECT_NE(b.find("<hm:ResidentialPremiseDevice><hm:PremiseGUID>" + kP12), std::string::npos);
  EXPECT_NE(b.find("<hm:NonResidentialPremiseDevice><hm:PremiseGUID>" + kP7), std::string::npos);
  EXPECT_NE(b.find(std::string("<hm:ApartmentHouseDevice><hm:FIASHouseGuid>") + kHouse),
            std::string::npos);
  EXPECT_NE(b.find("<hm:CollectiveApartmentDevice><hm:PremiseGUID>" + kP12), std::string::npos);
  EXPECT_NE(b.find("<hm:LivingRoomDevice><hm:LivingRoomGUID>" + kRoom), std::string::npos);
  EXPECT_NE(b.find(std::string("<hm:CollectiveDevice><hm:FIASHouseGuid>") + kHouse +
                   "</hm:FIASHouseGuid></hm:CollectiveDevice>"),
            std::string::npos);
  // Values as GIS MeteringValue (7 fraction digits), NSI 2 of the resource, OKEI unit, ratio.
  EXPECT_NE(b.find("<mdb:MeteringValue>10.1234567</mdb:MeteringValue>"), std::string::npos);
  EXPECT_NE(b.find("<nsi:Code>5</nsi:Code>"), std::string::npos);
  EXPECT_NE(b.find("<hm:Unit>233</hm:Unit>"), std::string::npos);
  EXPECT_NE(b.find("<mdb:MeteringValueT3>0</mdb:MeteringValueT3><hm:TransformationRatio>1.1234<"),
            std::string::npos);
  EXPECT_NE(b.find("<hm:RemoteMeteringMode>true</hm:RemoteMeteringMode><hm:RemoteMeteringInfo>"),
            std::string::npos);
  // One new TransportGUID per meter.
  EXPECT_NE(req.objects[0].transport_guid, req.objects[1].transport_guid);
  EXPECT_EQ(req.objects[0].transport_guid.size(), 36u);

  // Over the operation's limit the official schema refuses the request.
  in.push_back({"CW-101", meter("CW-101", "individual", "cold_water", "12А", {"LS-1"})});
  const auto over = gis::build_import_meters(in, places(), kResources, refused);
  EXPECT_FALSE(package()->validate_soap(wrap(over)).empty());
}

TEST(GisMeterRequests, UnmappableMetersAreRefusedNamingTheXPathAndTheRestStillGoes) {
  std::vector<gis::MeterInput> in = {
      {"NO-PREMISE-GUID", meter("NO-PREMISE-GUID", "individual", "cold_water", "5", {"LS-3"})},
      {"UNKNOWN-PREMISE", meter("UNKNOWN-PREMISE", "individual", "cold_water", "99", {"LS-3"})},
      {"NO-PREMISE", meter("NO-PREMISE", "common_apartment", "cold_water", "", {"LS-1"})},
      {"NO-ACCOUNT-GUID",
       meter("NO-ACCOUNT-GUID", "individual", "cold_water", "12А", {"LS-1", "LS-UNPLACED"})},
      {"UNKNOWN-ACCOUNT",
       meter("UNKNOWN-ACCOUNT", "individual", "cold_water", "12А", {"LS-1", "LS-404"})},
      {"NO-ACCOUNT", meter("NO-ACCOUNT", "room", "cold_water", "12А", {})},
      {"GAS", meter("GAS", "individual", "gas", "12А", {"LS-1"})},
      {"OTHER", meter("OTHER", "individual", "other", "12А", {"LS-1"})},
      {"UNIT", meter("UNIT", "individual", "cold_water", "12А", {"LS-1"}, "<c:unit>gal</c:unit>")},
      {"ZONES", meter("ZONES", "individual", "cold_water", "12А", {"LS-1"}, "", "2")},
      {"ARCHIVED", meter("ARCHIVED", "individual", "cold_water", "12А", {"LS-1"},
                         "<c:archivedOn>2026-01-01</c:archivedOn>")},
      {"NO-VERSION", meter("NO-VERSION", "individual", "cold_water", "12А", {"LS-1"},
                           "<c:gisRootGuid>a3f1c2d4-5b6e-4f70-8a91-b2c3d4e5f607</c:gisRootGuid>")},
      {"OK", meter("OK", "individual", "cold_water", "12А", {"LS-1"})},
  };
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_meters(in, places(), kResources, refused);
  ASSERT_EQ(req.objects.size(), 1u);
  EXPECT_EQ(req.objects[0].ref, "OK");
  EXPECT_TRUE(package()->validate_soap(wrap(req)).empty());
  ASSERT_EQ(refused.size(), in.size() - 1);
  std::map<std::string, std::string> why;
  for (const auto& r : refused) why[r.ref] = r.reason;
  auto starts = [&](const std::string& ref, const std::string& prefix) {
    EXPECT_EQ(why[ref].rfind(prefix, 0), 0u) << ref << ": " << why[ref];
  };
  starts("NO-PREMISE-GUID", std::string("/c:meterUpsert/c:premiseNumber: premise 5 of house ") +
                                kHouse + " has no GIS PremisesGUID");
  starts("UNKNOWN-PREMISE", std::string("/c:meterUpsert/c:premiseNumber: premise 99 of house ") +
                                kHouse + " is not in the store");
  starts("NO-PREMISE",
         "/c:meterUpsert/c:premiseNumber: a common_apartment meter needs its premise");
  starts("NO-ACCOUNT-GUID",
         "/c:meterUpsert/c:account[2]: account LS-UNPLACED has no GIS AccountGUID");
  starts("UNKNOWN-ACCOUNT", "/c:meterUpsert/c:account[2]: account LS-404 is not in the store");
  starts("NO-ACCOUNT", "/c:meterUpsert/c:account: a room meter needs the accounts it serves");
  starts("GAS",
         "/c:meterUpsert/c:resource: no NSI 2 reference for 'gas' (config key "
         "nsi_resources, e.g. gas=4:<guid>)");
  starts("OTHER", "/c:meterUpsert/c:resource: 'other' is no GIS municipal resource");
  starts("UNIT", "/c:meterUpsert/c:unit: 'gal' has no OKEI code");
  starts("ZONES", "/c:meterUpsert/c:tariffZones:");
  starts("ARCHIVED", "/c:meterUpsert/c:archivedOn:");
  starts("NO-VERSION", "/c:meterUpsert/c:gisVersionGuid:");
  // Those that only lack a GIS id the store may have later wait (a routed one is retried).
  std::vector<gis::Refused> refused2, waiting;
  gis::build_import_meters(in, places(), kResources, refused2, &waiting);
  std::set<std::string> waits;
  for (const auto& w : waiting) waits.insert(w.ref);
  EXPECT_EQ(waits, (std::set<std::string>{"NO-PREMISE-GUID", "UNKNOWN-PREMISE", "NO-ACCOUNT-GUID",
                                           "UNKNOWN-ACCOUNT", "NO-VERSION"}));
  EXPECT_EQ(refused2.size(), refused.size() - 5);
}

TEST(GisMeterRequests, TheResultsMeteringDeviceGuidIsTheMetersGisGuidAndItsVersionComesBack) {
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_meters(
      {{"CW-1", meter("CW-1", "individual", "cold_water", "12А", {"LS-1"})},
       {"CW-2", meter("CW-2", "individual", "cold_water", "12А", {"LS-1"})}},
      places(), kResources, refused);
  ASSERT_EQ(req.objects.size(), 2u);
  const auto root = gis::new_guid(), version = gis::new_guid();
  const std::string result =
      "<hm:getStateResult xmlns:hm=\"" + std::string(gis::kHouseNs) + "\" xmlns:base=\"" +
      gis::kBaseNs +
      "\" base:version=\"11.0.0.1\"><base:RequestState>3</base:RequestState><base:MessageGUID>" +
      gis::new_guid() +
      "</base:MessageGUID><hm:ImportResult base:version=\"10.0.1.1\"><hm:CommonResult>"
      "<base:GUID>" +
      version + "</base:GUID><base:TransportGUID>" + req.objects[0].transport_guid +
      "</base:TransportGUID><base:UniqueNumber>ПУ-1</base:UniqueNumber><base:UpdateDate>"
      "2026-11-22T18:41:00Z</base:UpdateDate><hm:importMeteringDevice><hm:MeteringDeviceGUID>" +
      root +
      "</hm:MeteringDeviceGUID></hm:importMeteringDevice></hm:CommonResult><hm:CommonResult>"
      "<base:TransportGUID>" +
      req.objects[1].transport_guid +
      "</base:TransportGUID><base:Error><base:ErrorCode>INT002000</base:ErrorCode>"
      "<base:Description>Помещение не найдено</base:Description></base:Error></hm:CommonResult>"
      "</hm:ImportResult></hm:getStateResult>";
  ASSERT_TRUE(package()->validate(result).empty())
      << hub::plugin::summarize(package()->validate(result));
  auto doc = gis::parse_xml(result, "result");
  gis::ResultInput in{"gis",       req.operation,
                      "ack",       std::chrono::system_clock::now(),
                      req.objects, xmlDocGetRootElement(doc.get())};
  const auto h = gis::handle_import_meters(in);
  ASSERT_EQ(h.results.size(), 2u);
  EXPECT_EQ(h.results[0].kind, "meter");
  EXPECT_EQ(h.results[0].ref, "CW-1");
  EXPECT_EQ(h.results[0].external_guid, root);  // the root GUID, not the version's
  EXPECT_EQ(h.results[0].unique_number, "ПУ-1");
  ASSERT_EQ(h.results[1].errors.size(), 1u);
  EXPECT_EQ(h.results[1].errors[0].first,
            "INT002000");  // No CommonResult field of external.state holds the version GUID: the
                           // placed meter comes back
  // as meter.upsert with all three GIS ids, in schema order (after installedOn / lastVerifiedOn).
  ASSERT_EQ(h.messages.size(), 1u);
  EXPECT_EQ(h.messages[0].type, "meter.upsert");
  EXPECT_NE(
      h.messages[0].body.find("<c:lastVerifiedOn>2025-01-15</c:lastVerifiedOn><c:gisRootGuid>" +
                              root + "</c:gisRootGuid><c:gisVersionGuid>" + version +
                              "</c:gisVersionGuid><c:gisNumber>ПУ-1</c:gisNumber>"),
      std::string::npos)
      << h.messages[0].body;
}
