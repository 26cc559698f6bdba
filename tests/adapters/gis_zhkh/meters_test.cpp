// Metering devices end to end: the real gis_zhkh.so in a real zhkh-hub against the real
// gis_zhkh_emulator (every request validated against the official 16.3.0.0 XSDs and GOST-signed).
// A house, its premises and accounts are in the store; the accounts are placed; the store's
// meters are placed by importMeteringDeviceData and get their MeteringDeviceRootGUID; a routed
// reading of a placed meter goes out by importMeteringDeviceValues; a reading a resident entered
// "in GIS" comes back by exportMeteringDeviceHistory as meter.reading. A meter whose premise has
// no GIS GUID is refused naming the canonical XPath; one in a premise GIS does not know gets the
// emulator's per-object error in the store.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <thread>

#include "../../hub/crypto/crypto_test_support.h"
#include "emulator_process.h"
#include "gis_instance_yaml.h"
#include "hub_process.h"
#include "job_run.h"
#include "test_database.h"
#include "test_paths.h"
#include "wait_for.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kHouse = "5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69";
constexpr const char* kColdWaterNsi = "6f1d3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6";
constexpr const char* kHeatNsi = "7a2e4f3b-2c3d-4e6f-9a01-b2c3d4e5f6a7";
constexpr const char* kUnknownPremise = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a";
constexpr const char* kStaleAccount = "1e0f9a8b-7c6d-4e5f-9a3b-2c1d0e9f8a7b";

constexpr const char* kRoutes = R"(routes:
  - name: gis-results
    match: {type: [external.state]}
    to: [billing_store]
    stop: true
  - name: from-gis
    match: {type: [meter.reading, meter.upsert], source: [gis]}
    to: [billing_store]
    stop: true
  - name: to-gis
    match: {type: [meter.reading, meter.upsert], source: [inbox]}
    to: [gis]
    stop: true
  - name: rest
    match: {}
    to: [noop]
)";

std::string config(const hub::testing::EmulatorProcess& emu, const fs::path& dir) {
  return "adapters:\n" +
         hub::testing::gis_instance_yaml(emu, std::string(", nsi_resources: [\"cold_water=1:") +
                                                  kColdWaterNsi + "\", \"heat=5:" + kHeatNsi +
                                                  "\"]") +
         "  inbox: {plugin: file_inbox, path: " + (dir / "inbox").string() +
         ", poll_interval: 100ms, min_age: 0s}\n";
}

using hub::testing::wait_for;

std::string field(const std::string& json, const std::string& name) {
  Poco::JSON::Parser p;
  return p.parse(json).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>(name);
}

long stat(const hub::testing::EmulatorProcess& emu, const std::string& name) {
  Poco::JSON::Parser p;
  return p.parse(emu.request("GET", "/control/stats").body)
      .extract<Poco::JSON::Object::Ptr>()
      ->getValue<long>(name);
}

std::string control(const hub::testing::EmulatorProcess& emu, const std::string& path,
                    const std::string& json) {
  const auto r = emu.request("POST", "/control/" + path, json, "application/json");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.body;
}

// Runs `job` and waits for that run to end (job_run.h): `schedules run` only starts it, and a
// second run asked for while the first still holds the job's lock would be skipped.
hub::testing::JobRun run(hub::testing::HubProcess& hub, const hub::testing::TestDatabase& db,
                         const std::string& job) {
  auto r = hub::testing::run_job(hub, db, job);
  EXPECT_TRUE(r.finished()) << r.error << hub.logs();
  return r;
}

// A canonical file dropped into the inbox the way a producer does (written, then renamed in).
void drop(const fs::path& dir, const std::string& name, const std::string& xml) {
  std::ofstream(dir / name) << xml;
  fs::rename(dir / name, dir / "inbox" / name);
}

void account(const hub::testing::TestDatabase& db, const std::string& number,
             const std::string& premise, const std::string& premises_guid) {
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number,"
      " gis_premises_guid, area, residents) VALUES ('" +
      number + "', '" + number + "', '" + kHouse + "', '" + premise + "', " +
      (premises_guid.empty() ? "NULL" : "'" + premises_guid + "'") + ", 45.5, 2)");
}

void premise(const hub::testing::TestDatabase& db, const std::string& number,
             const std::string& guid) {
  db.exec(
      "INSERT INTO billing.premise (nkey, house_fias_guid, number, residential,"
      " gis_premises_guid) VALUES ('" +
      std::string(kHouse) + "|" + number + "', '" + kHouse + "', '" + number + "', true, '" + guid +
      "')");
}

// A meter as a billing engine's meter.upsert left it in the store.
void meter(const hub::testing::TestDatabase& db, const std::string& id, const std::string& kind,
           const std::string& resource, const std::string& premise, const std::string& account) {
  db.exec(
      "INSERT INTO billing.meter (nkey, meter_id, serial_number, kind, resource, model, unit,"
      " digit_capacity, tariff_zones, house_fias_guid, premise_number, accounts, installed_on,"
      " commissioned_on, last_verified_on, sealed_on, initial_values) VALUES ('" +
      id + "', '" + id + "', 'SN-" + id + "', '" + kind + "', '" + resource +
      "', 'СГВ-15', 'm3', 5, 1, '" + kHouse + "', " +
      (premise.empty() ? "NULL" : "'" + premise + "'") + ", " +
      (account.empty() ? "NULL" : "'[\"" + account + "\"]'") +
      ", '2025-03-01', '2025-03-02', '2025-01-15', '2025-03-02',"
      " '[{\"zone\": \"total\", \"value\": \"10.5\"}]')");
}

std::string exchanges(const hub::testing::TestDatabase& db) {
  return db.scalar(
      "SELECT string_agg(operation || ' ' || state || ' ' || coalesce(result, '') ||"
      " coalesce(error_text, ''), '; ') FROM hub.gis_exchange");
}

}  // namespace

TEST(GisMeters, PlacedMetersGetTheirGuidAndReadingsGoBothWays) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  // GIS knows the house and premise 12; the store has them with their GIS GUIDs. Premise 13 has
  // a GUID GIS does not know; premise 14 none at all.
  control(emu, "houses", R"({"fias_house_guid":")" + std::string(kHouse) + "\"}");
  const auto p12 =
      field(control(emu, "premises", R"({"fias_house_guid":")" + std::string(kHouse) + "\"}"),
            "premises_guid");
  db.exec("INSERT INTO billing.house (nkey, fias_guid) VALUES ('" + std::string(kHouse) + "', '" +
          kHouse + "')");
  premise(db, "12", p12);
  premise(db, "13", kUnknownPremise);
  account(db, "LS-12", "12", p12);
  account(db, "LS-13", "13", "");
  account(db, "LS-14", "14", "");
  meter(db, "CW-12", "individual", "cold_water", "12", "LS-12");
  meter(db, "CW-13", "individual", "cold_water", "13", "LS-13");
  meter(db, "CW-14", "individual", "cold_water", "14", "LS-14");
  meter(db, "HEAT-1", "collective", "heat", "", "");
  // An account the store has a stale AccountGUID for (GIS has no such account).
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area,"
      " residents, gis_account_guid) VALUES ('LS-15', 'LS-15', '" +
      std::string(kHouse) + "', '12', 30, 1, '" + kStaleAccount + "')");
  meter(db, "CW-15", "individual", "cold_water", "12", "LS-15");

  const auto dir = hub::testing::make_temp_dir("gis-meters");
  fs::create_directories(dir / "inbox");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, config(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  run(hub, db, "gis.import_accounts");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT"
                   " NULL") == "4";
      },
      60s))
      << hub.logs() << exchanges(db);

  // The first send of the meters meets a transient fault and is resent.
  control(emu, "faults",
          R"({"kind":"soap_fault","operation":"importMeteringDeviceData","code":"EXP001000",)"
          R"("count":1})");
  const auto meters_run = run(hub, db, "gis.import_meters");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation ="
                   " 'importMeteringDeviceData' AND state = 'done'") == "1";
      },
      60s))
      << hub.logs() << exchanges(db);
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT count(*) FROM billing.meter WHERE ext_state_at IS NOT NULL") ==
               "4";
      },
      30s))
      << exchanges(db);
  EXPECT_EQ(db.scalar("SELECT sends FROM hub.gis_exchange WHERE operation ="
                      " 'importMeteringDeviceData'"),
            "2");
  // Placed: the individual meter in premise 12 and the house's collective meter.
  const auto root = db.scalar("SELECT gis_root_guid FROM billing.meter WHERE meter_id = 'CW-12'");
  ASSERT_EQ(root.size(), 36u) << exchanges(db);
  EXPECT_NE(db.scalar("SELECT gis_root_guid FROM billing.meter WHERE meter_id = 'HEAT-1'"), "");
  EXPECT_NE(db.scalar("SELECT gis_number FROM billing.meter WHERE meter_id = 'CW-12'"), "");
  // The version GUID an update needs comes back as meter.upsert (external.state has no field).
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.meter WHERE gis_version_guid IS NOT NULL"
                   " AND gis_version_guid <> gis_root_guid") == "2";
      },
      30s));
  EXPECT_EQ(stat(emu, "meters"), 2);
  // GIS refused the meter in the premise it does not know: the store has its error.
  EXPECT_EQ(db.scalar("SELECT coalesce(gis_root_guid, '') || ext_error_code FROM billing.meter"
                      " WHERE meter_id = 'CW-13'"),
            "INT002000");
  EXPECT_NE(db.scalar("SELECT ext_error_text FROM billing.meter WHERE meter_id = 'CW-13'")
                .find(kUnknownPremise),
            std::string::npos);
  // ... and the one of an account it does not have.
  EXPECT_EQ(db.scalar("SELECT coalesce(gis_root_guid, '') || ext_error_code FROM billing.meter"
                      " WHERE meter_id = 'CW-15'"),
            "INT002000");
  EXPECT_NE(db.scalar("SELECT ext_error_text FROM billing.meter WHERE meter_id = 'CW-15'")
                .find(kStaleAccount),
            std::string::npos);
  // The adapter refused the meter whose premise has no GIS GUID, naming the canonical XPath.
  EXPECT_EQ(meters_run.status, "failed");
  const auto& refused = meters_run.error;
  EXPECT_NE(refused.find("meter CW-14: /c:meterUpsert/c:premiseNumber: premise 14"),
            std::string::npos)
      << refused;
  EXPECT_EQ(db.scalar("SELECT coalesce(gis_root_guid, '') || coalesce(ext_error_code, '') FROM"
                      " billing.meter WHERE meter_id = 'CW-14'"),
            "");
  // A second run finds nothing new to place (placed, refused by GIS, or still refused here):
  // once it has finished, it has queued no request.
  ASSERT_TRUE(run(hub, db, "gis.import_meters").finished());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE operation ="
                      " 'importMeteringDeviceData'"),
            "1");

  // A reading of the placed meter, routed to GIS: importMeteringDeviceValues, accepted.
  drop(dir, "reading.xml",
       "<c:meterReading xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>CW-12</c:meterId>"
       "<c:account>LS-12</c:account><c:resource>cold_water</c:resource>"
       "<c:value zone=\"total\">12.345</c:value><c:channel>portal</c:channel>"
       "<c:takenAt>2026-11-22T18:40:00+03:00</c:takenAt><c:period>2026-11</c:period>"
       "<c:gisMeterGuid>" +
           root + "</c:gisMeterGuid></c:meterReading>");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation ="
                   " 'importMeteringDeviceValues' AND state = 'done'") == "1";
      },
      60s))
      << hub.logs() << exchanges(db);
  // The dispatcher records the delivery once the sink has returned; the poller may have finished
  // the exchange before that.
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'") == "delivered";
      },
      30s))
      << db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.external_state s,"
                   " jsonb_array_elements(s.results) r WHERE s.operation ="
                   " 'importMeteringDeviceValues' AND r->>'objectKind' = 'meter_reading'"
                   " AND NOT r ? 'error'") == "1";
      },
      30s))
      << db.scalar("SELECT string_agg(results::text, '; ') FROM billing.external_state");

  // A resident enters a reading in GIS; the history export brings it back as meter.reading
  // (our own value is not: ExcludeCurrentOrgAsDataSource).
  control(emu, "readings", R"({"meter_root_guid":")" + root + R"(","value":"13.5"})");
  run(hub, db, "gis.readings_from_gis");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation ="
                   " 'exportMeteringDeviceHistory' AND state = 'done'") == "1";
      },
      60s))
      << hub.logs() << exchanges(db);
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT count(*) FROM billing.reading WHERE channel = 'gis'") == "1";
      },
      30s))
      << exchanges(db);
  EXPECT_EQ(db.scalar("SELECT meter_id || ' ' || account || ' ' || (zone_values->0->>'value') ||"
                      " ' ' || gis_meter_guid FROM billing.reading WHERE channel = 'gis'"),
            "CW-12 LS-12 13.5 " + root);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'meter.reading'"), "2");
  EXPECT_EQ(stat(emu, "soap_faults"), 1);  // only the injected one: every request was valid
}

TEST(GisMeters, TheStoresMetersArePlacedInChunksOfTheOperationsLimitAndARoutedOneOnce) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  // 150 accounts with a meter each, in a house GIS knows (individual meters of a living house:
  // ApartmentHouseDevice by FIASHouseGuid), and one more meter that arrives routed.
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, area, residents)"
      " SELECT 'A' || g, 'A' || g, '" +
      std::string(kHouse) + "', 50, 1 FROM generate_series(1, 151) g");
  db.exec(
      "INSERT INTO billing.meter (nkey, meter_id, serial_number, kind, resource,"
      " digit_capacity, tariff_zones, house_fias_guid, accounts, installed_on)"
      " SELECT 'M' || g, 'M' || g, 'SN' || g, 'individual', 'cold_water', 5, 1, '" +
      std::string(kHouse) +
      "', jsonb_build_array('A' || g), '2025-03-01' FROM generate_series(1, 150) g");
  const auto dir = hub::testing::make_temp_dir("gis-meters-chunks");
  fs::create_directories(dir / "inbox");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, config(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  run(hub, db, "gis.import_accounts");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT"
                   " NULL") == "151";
      },
      60s))
      << hub.logs() << exchanges(db);
  run(hub, db, "gis.import_meters");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT count(*) FROM billing.meter WHERE gis_root_guid IS NOT NULL") ==
               "150";
      },
      60s))
      << hub.logs() << exchanges(db);
  // An exchange's result is recorded after its results were handed to Ingress, so the store can
  // have the GUIDs (through the dispatcher) before the last exchange is marked.
  const auto results = [&] {
    return db.scalar(
        "SELECT string_agg(result, ', ' ORDER BY result) FROM hub.gis_exchange"
        " WHERE operation = 'importMeteringDeviceData'");
  };
  EXPECT_TRUE(
      wait_for([&] { return results() == "100 placed, 0 refused, 50 placed, 0 refused"; }, 30s))
      << results();
  EXPECT_EQ(stat(emu, "meters"), 150);
  EXPECT_EQ(db.scalar("SELECT count(DISTINCT gis_root_guid) FROM billing.meter"), "150");

  // A meter.upsert routed to GIS (the store has it from the billing engine): placed, and the
  // result names it in the store.
  db.exec(
      "INSERT INTO billing.meter (nkey, meter_id, serial_number, kind, resource,"
      " digit_capacity, tariff_zones, house_fias_guid, accounts, installed_on) VALUES"
      " ('R1', 'R1', 'SN-R1', 'individual', 'cold_water', 5, 1, '" +
      std::string(kHouse) + "', '[\"A151\"]', '2025-03-01')");
  drop(dir, "meter.xml",
       "<c:meterUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>R1</c:meterId>"
       "<c:serialNumber>SN-R1</c:serialNumber><c:kind>individual</c:kind>"
       "<c:resource>cold_water</c:resource><c:digitCapacity>5</c:digitCapacity>"
       "<c:tariffZones>1</c:tariffZones><c:houseFiasGuid>" +
           std::string(kHouse) +
           "</c:houseFiasGuid><c:account>A151</c:account><c:installedOn>2025-03-01"
           "</c:installedOn></c:meterUpsert>");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                     "SELECT coalesce(gis_root_guid, '') FROM billing.meter WHERE"
                     " meter_id = 'R1'")
                   .size() == 36;
      },
      60s))
      << hub.logs() << exchanges(db);
  // Recorded by the dispatcher once the sink returned, possibly after GIS's answer was in.
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'") == "delivered";
      },
      30s))
      << db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'");
  EXPECT_EQ(stat(emu, "meters"), 151);
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.meter WHERE meter_id = 'R1' AND"
                   " gis_version_guid IS NOT NULL") == "1";
      },
      30s));
  const auto version =
      db.scalar("SELECT gis_version_guid FROM billing.meter WHERE meter_id = 'R1'");
  // The engine sends the meter again (a new serial number, still without GIS ids): it goes as an
  // update of the stored version, not as a second device.
  drop(dir, "meter2.xml",
       "<c:meterUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>R1</c:meterId>"
       "<c:serialNumber>SN-R1-B</c:serialNumber><c:kind>individual</c:kind>"
       "<c:resource>cold_water</c:resource><c:digitCapacity>5</c:digitCapacity>"
       "<c:tariffZones>1</c:tariffZones><c:houseFiasGuid>" +
           std::string(kHouse) +
           "</c:houseFiasGuid><c:account>A151</c:account><c:installedOn>2025-03-01"
           "</c:installedOn></c:meterUpsert>");
  ASSERT_TRUE(wait_for(
      [&] {
        const auto v =
            db.scalar("SELECT gis_version_guid FROM billing.meter WHERE meter_id = 'R1'");
        return !v.empty() && v != version;
      },
      60s))
      << hub.logs() << exchanges(db);
  EXPECT_EQ(stat(emu, "meters"), 151);
  EXPECT_NE(db.scalar("SELECT string_agg(request, '') FROM hub.gis_exchange WHERE key LIKE"
                      " 'msg:%' AND operation = 'importMeteringDeviceData'")
                .find("<hm:MeteringDeviceVersionGUID>" + version),
            std::string::npos);
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}

TEST(GisMeters, ARoutedMeterWaitsForItsPremiseAndAccountAndAnUnmappableOneIsRejected) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  const auto dir = hub::testing::make_temp_dir("gis-meters-routed");
  fs::create_directories(dir / "inbox");
  const auto cfg = config(emu, dir) +
                   "dispatcher:\n  targets:\n    gis: {max_attempts: 200, backoff_base: 100ms,"
                   " backoff_max: 300ms}\n";
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, cfg, "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  // The engine's meter for flat 12 of account LS-W: the store has the meter, but neither the
  // premise nor the account yet.
  meter(db, "CW-W", "individual", "cold_water", "12", "LS-W");
  const auto body = [](const std::string& resource) {
    return "<c:meterUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>CW-W</c:meterId>"
           "<c:serialNumber>SN-CW-W</c:serialNumber><c:kind>individual</c:kind><c:resource>" +
           resource +
           "</c:resource><c:digitCapacity>5</c:digitCapacity><c:tariffZones>1</c:tariffZones>"
           "<c:houseFiasGuid>" +
           std::string(kHouse) +
           "</c:houseFiasGuid><c:premiseNumber>12</c:premiseNumber><c:account>LS-W</c:account>"
           "<c:installedOn>2025-03-01</c:installedOn></c:meterUpsert>";
  };
  drop(dir, "meter.xml", body("cold_water"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.delivery WHERE target = 'gis' AND state ="
                   " 'pending' AND attempts >= 2") == "1";
      },
      30s))
      << hub.logs();
  EXPECT_NE(db.scalar("SELECT last_error FROM hub.delivery WHERE target = 'gis'")
                .find(std::string("/c:meterUpsert/c:premiseNumber: premise 12 of house ") + kHouse +
                      " is not in the store"),
            std::string::npos)
      << db.scalar("SELECT last_error FROM hub.delivery WHERE target = 'gis'");
  EXPECT_EQ(stat(emu, "requests"), 0);
  // The premise comes from GIS and the account is placed: the next attempt places the meter.
  const auto p12 =
      field(control(emu, "premises", R"({"fias_house_guid":")" + std::string(kHouse) + "\"}"),
            "premises_guid");
  premise(db, "12", p12);
  account(db, "LS-W", "12", p12);
  run(hub, db, "gis.import_accounts");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                     "SELECT coalesce(gis_root_guid, '') FROM billing.meter WHERE"
                     " meter_id = 'CW-W'")
                   .size() == 36;
      },
      60s))
      << hub.logs() << exchanges(db);
  // Recorded by the dispatcher once the sink returned, possibly after GIS's answer was in.
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'") == "delivered";
      },
      30s))
      << db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'");
  EXPECT_EQ(stat(emu, "meters"), 1);

  // A meter GIS has no municipal resource for is refused at once, naming the canonical XPath.
  drop(dir, "other.xml", body("other"));
  ASSERT_TRUE(wait_for(
      [&] { return db.scalar("SELECT count(*) FROM hub.dead_letter WHERE target = 'gis'") == "1"; },
      30s))
      << hub.logs();
  EXPECT_EQ(db.scalar("SELECT last_error FROM hub.dead_letter")
                .rfind("/c:meterUpsert/c:resource: 'other' is no GIS municipal resource", 0),
            0u)
      << db.scalar("SELECT last_error FROM hub.dead_letter");
  EXPECT_EQ(db.scalar("SELECT attempts FROM hub.dead_letter"), "1");
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}
