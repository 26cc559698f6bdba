// The real gis_zhkh.so in a real zhkh-hub against the real build/bin/gis_zhkh_emulator (which
// validates every request against the official XSDs and requires a valid GOST XAdES signature):
// accounts from the store are placed and synced back; a hub killed while GIS is still processing
// resumes and sends nothing twice; injected faults end in a resend or a failure with the code.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

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

constexpr const char* kRoutes = R"(routes:
  - name: gis-results
    match: {type: [external.state]}
    to: [billing_store]
    stop: true
  - name: accounts-from-gis
    match: {type: [account.upsert], source: [gis]}
    to: [billing_store]
    stop: true
  - name: rest
    match: {}
    to: [noop]
)";

std::string adapters(const hub::testing::EmulatorProcess& emu, const fs::path& dir) {
  return "adapters:\n" +
         hub::testing::gis_instance_yaml(emu, ", report_dir: " + (dir / "reports").string());
}

void seed_accounts(const hub::testing::TestDatabase& db, int n) {
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, residents)"
      " SELECT 'E' || g, 'E' || g, '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', (g % 300)::text,"
      " 40 + g % 30, g % 5 FROM generate_series(1, " +
      std::to_string(n) + ") g");
}

using hub::testing::wait_for;

long stat(const hub::testing::EmulatorProcess& emu, const std::string& name) {
  const auto r = emu.request("GET", "/control/stats");
  Poco::JSON::Parser p;
  return p.parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<long>(name);
}

void fault(const hub::testing::EmulatorProcess& emu, const std::string& json) {
  const auto r = emu.request("POST", "/control/faults", json, "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
}

// Runs `job` and waits for that run to end (job_run.h): `schedules run` only starts it, and a
// second run asked for while the first still holds the job's lock would be skipped.
bool run(hub::testing::HubProcess& hub, const hub::testing::TestDatabase& db,
         const std::string& job) {
  const auto r = hub::testing::run_job(hub, db, job);
  if (!r.finished()) ADD_FAILURE() << r.error << hub.logs();
  return r.finished();
}

std::string count_with_guid(const hub::testing::TestDatabase& db) {
  return db.scalar("SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT NULL");
}

}  // namespace

TEST(GisThroughEmulator, SignedValidatedRequestsPlaceStoreAccountsAndSyncElsBack) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  seed_accounts(db, 230);
  const auto dir = hub::testing::make_temp_dir("gis-emu-e2e");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
  ASSERT_TRUE(wait_for([&] { return count_with_guid(db) == "230"; }, 60s))
      << hub.logs() << emu.stderr_text();
  EXPECT_EQ(stat(emu, "acks"), 3);         // chunks of 100
  EXPECT_EQ(stat(emu, "soap_faults"), 0);  // every request valid and signed
  EXPECT_EQ(stat(emu, "duplicates"), 0);
  EXPECT_EQ(stat(emu, "accounts"), 230);
  ASSERT_TRUE(run(hub, db, "gis.sync_accounts"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                     "SELECT result FROM hub.gis_exchange WHERE operation = 'exportAccountData'"
                     " AND state = 'done'")
                   .rfind("230 exported", 0) == 0;
      },
      60s))
      << db.scalar(
             "SELECT string_agg(operation || ' ' || state || ' ' || coalesce(result, ''), '; ')"
             " FROM hub.gis_exchange");
  // Every ELS and ИЖКУ the emulator assigned follows the canonical format (c:Els: two digits, two
  // letters or digits, six digits) and reaches the store. The exchange is done once its answer
  // became account.upsert messages; the billing store applies them after that, through the
  // dispatcher, so the test waits for the store rather than reading it at once.
  const auto result =
      db.scalar("SELECT result FROM hub.gis_exchange WHERE operation = 'exportAccountData'");
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE els IS NOT NULL"
                   " AND izhku IS NOT NULL") == "230";
      },
      30s))
      << result << "; with ELS "
      << db.scalar("SELECT count(*) FROM billing.account WHERE els IS NOT NULL") << ", with ИЖКУ "
      << db.scalar("SELECT count(*) FROM billing.account WHERE izhku IS NOT NULL");
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
  // The report job: nothing left without a GUID.
  ASSERT_TRUE(run(hub, db, "gis.report"));
  const auto report = dir / "reports" / "gis_report.json";
  ASSERT_TRUE(wait_for([&] { return fs::exists(report); }, 30s)) << hub.logs();
  const auto json = hub::testing::read_text(report);
  EXPECT_NE(json.find("{\"type\":\"account.upsert\",\"total\":230,\"without_gis_guid\":0,"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"operation\":\"importAccountData\",\"state\":\"done\""), std::string::npos)
      << json;
}

TEST(GisThroughEmulator, HubKilledWhileGisIsStillProcessingResumesAndSendsNothingTwice) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  seed_accounts(db, 200);
  fault(emu, R"({"kind":"stuck","operation":"importAccountData","count":2})");
  const auto dir = hub::testing::make_temp_dir("gis-emu-restart");
  {
    hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu, dir), "gis");
    ASSERT_TRUE(hub.wait_ready()) << hub.logs();
    ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
    // Both requests acknowledged (the second may be recorded as sent after the poller started
    // on the first) and GIS asked about them a few times.
    ASSERT_TRUE(wait_for(
        [&] {
          return stat(emu, "get_states") > 10 &&
                 db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE state = 'sent'") == "2";
        },
        30s))
        << hub.logs() << db.scalar("SELECT string_agg(state, ',') FROM hub.gis_exchange");
  }                                          // SIGKILL while both requests are still "processing"
  emu.request("DELETE", "/control/faults");  // GIS finishes them
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(wait_for([&] { return count_with_guid(db) == "200"; }, 60s)) << hub.logs();
  EXPECT_EQ(stat(emu, "acks"), 2);
  EXPECT_EQ(stat(emu, "duplicates"), 0);
  EXPECT_EQ(stat(emu, "accounts"), 200);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'external.state'"), "2");
}

TEST(GisThroughEmulator, TransientFaultsAreResentAndOtherErrorsFailWithTheirCode) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  seed_accounts(db, 150);
  // The first send: SOAP fault EXP001000; the first result: ErrorMessage EXP001000 (resent).
  fault(emu,
        R"({"kind":"soap_fault","operation":"importAccountData","code":"EXP001000","count":1})");
  fault(emu,
        R"({"kind":"error_message","operation":"importAccountData","code":"EXP001000","count":1})");
  const auto dir = hub::testing::make_temp_dir("gis-emu-faults");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
  ASSERT_TRUE(wait_for([&] { return count_with_guid(db) == "150"; }, 60s)) << hub.logs();
  // Two requests, each acknowledged once in the end, plus one send for the fault and one for the
  // resend; whether both faults hit the same request depends on which is sent first.
  EXPECT_EQ(db.scalar("SELECT sum(sends) FROM hub.gis_exchange"), "4");
  EXPECT_EQ(stat(emu, "accounts"), 150);

  // A whole-message error that is not transient: the request fails with the code, billing records
  // it, and a poll job run names it.
  fault(emu,
        R"({"kind":"error_message","operation":"exportAccountData","code":"AUT011003","count":1})");
  ASSERT_TRUE(run(hub, db, "gis.sync_accounts"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE state = 'failed'") == "1";
      },
      30s))
      << hub.logs();
  EXPECT_EQ(db.scalar("SELECT error_code FROM hub.gis_exchange WHERE state = 'failed'"),
            "AUT011003");
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT error_code FROM billing.external_state WHERE operation ="
                   " 'exportAccountData'") == "AUT011003";
      },
      30s));
  // INT002012 (no objects) is an empty result, not a failure.
  fault(emu, R"({"kind":"no_objects","operation":"exportAccountData","count":1})");
  ASSERT_TRUE(run(hub, db, "gis.sync_accounts"));
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation = 'exportAccountData'"
                   " AND state = 'done' AND result LIKE 'INT002012%'") == "1";
      },
      30s))
      << db.scalar(
             "SELECT string_agg(state || ' ' || coalesce(result, ''), '; ') FROM hub.gis_exchange");
}

TEST(GisThroughEmulator, RoutedPaymentsBecomeGisPaymentNoticesOnce) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  const auto dir = hub::testing::make_temp_dir("gis-emu-pay");
  fs::create_directories(dir / "inbox");
  const std::string routes = R"(routes:
  - name: gis-results
    match: {type: [external.state]}
    to: [billing_store]
    stop: true
  - name: payments-to-gis
    match: {type: [payment.received]}
    to: [gis]
    stop: true
  - name: rest
    match: {}
    to: [noop]
)";
  auto config = adapters(emu, dir);
  config.insert(config.find("report_dir"),
                "recipient_inn: \"7325000001\", recipient_kpp: \"732501001\", recipient_name: "
                "\"УК Гагарина\", bank_name: \"ПАО Сбербанк\", bank_bik: \"044525225\", "
                "bank_account: \"40702810900000000001\", ");
  config += "  inbox: {plugin: file_inbox, path: " + (dir / "inbox").string() +
            ", poll_interval: 100ms, min_age: 0s}\n";
  hub::testing::HubProcess hub(dir, db.conninfo(), routes, config, "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  const auto sample = hub::testing::read_text(hub::testing::source_dir() /
                                              "schemas/canonical/samples/payment.received.xml");
  std::ofstream(dir / "p1.xml") << sample;
  fs::rename(dir / "p1.xml", dir / "inbox" / "p1.xml");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation ="
                   " 'importNotificationsOfOrderExecution' AND state = 'done'") == "1";
      },
      60s))
      << hub.logs()
      << db.scalar(
             "SELECT string_agg(state || ' ' || coalesce(error_code, '') || ' ' || "
             "coalesce(error_text, ''), '; ') FROM hub.gis_exchange");
  EXPECT_EQ(stat(emu, "notifications"), 1);
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
  // The dispatcher records the delivery once the sink has returned; the poller may have finished
  // the exchange before that.
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'") == "delivered";
      },
      30s))
      << db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis'");
  // GIS accepted the notice: the result names the payment (its message id) without an error. The
  // result reaches the store through the dispatcher after the exchange is done.
  EXPECT_TRUE(wait_for(
      [&] { return db.scalar("SELECT count(*) FROM billing.external_state") == "1"; }, 30s));
  EXPECT_EQ(db.scalar("SELECT r->>'objectKind' FROM billing.external_state,"
                      " jsonb_array_elements(results) r"),
            "payment");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM billing.external_state, jsonb_array_elements(results) r"
                      " WHERE r ? 'error'"),
            "0");
}

TEST(GisThroughEmulator, OrgRegistryFindsTheOrgPpaGuidByOgrnWithTheIsRequestHeader) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  const auto seeded = emu.request("POST", "/control/orgs",
                                  R"({"ogrn":"1027700132195","inn":"7701234567","kpp":"770101001",)"
                                  R"("name":"ООО УК Гагарина"})",
                                  "application/json");
  ASSERT_EQ(seeded.status, 200) << seeded.body;
  Poco::JSON::Parser p;
  const auto ppa = p.parse(seeded.body)
                       .extract<Poco::JSON::Object::Ptr>()
                       ->getValue<std::string>("org_ppa_guid");
  const auto dir = hub::testing::make_temp_dir("gis-emu-org");
  auto config = adapters(emu, dir);
  config.insert(config.find("report_dir"), "org_ogrn: [\"1027700132195\", \"5087746119951\"], ");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, config, "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.org_registry"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT state FROM hub.gis_exchange WHERE operation = 'exportOrgRegistry'") ==
               "done";
      },
      60s))
      << hub.logs();
  const auto result =
      db.scalar("SELECT result FROM hub.gis_exchange WHERE operation = 'exportOrgRegistry'");
  EXPECT_NE(result.find("OGRN 1027700132195 -> orgPPAGUID " + ppa), std::string::npos) << result;
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}

TEST(GisThroughEmulator, AppealsFiledInGisBecomeTicketsOnce) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  for (const char* text : {"Течёт крыша над кв. 45", "Не работает лифт во втором подъезде"}) {
    const auto r = emu.request("POST", "/control/appeals",
                               std::string(R"({"text":")") + text +
                                   R"(","fias_house_guid":"5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69"})",
                               "application/json");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  const auto dir = hub::testing::make_temp_dir("gis-emu-appeals");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.appeals"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT count(*) FROM hub.message WHERE type = 'ticket.created'") == "2";
      },
      60s))
      << hub.logs()
      << db.scalar(
             "SELECT string_agg(state || ' ' || coalesce(result, '') || coalesce(error_text, ''), "
             "'; ') FROM hub.gis_exchange");
  EXPECT_NE(db.scalar("SELECT string_agg(body, '') FROM hub.message WHERE type = 'ticket.created'")
                .find("Не работает лифт"),
            std::string::npos);
  // Exported again: the same appeals are not new tickets.
  ASSERT_TRUE(run(hub, db, "gis.appeals"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation = 'exportAppeal' AND"
                   " state = 'done'") == "2";
      },
      60s));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'ticket.created'"), "2");
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}

TEST(GisThroughEmulator, HousesGetTheirGisGuidAndUniqueNumberInTheStore) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  const std::vector<std::string> fias = {"5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69",
                                         "6f5b2d3c-9a4e-4d7b-8c3f-8e2a1b4d6f70"};
  std::vector<std::string> guids;
  for (const auto& f : fias) {
    const auto r = emu.request("POST", "/control/houses", R"({"fias_house_guid":")" + f + "\"}",
                               "application/json");
    ASSERT_EQ(r.status, 200) << r.body;
    Poco::JSON::Parser p;
    guids.push_back(
        p.parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("house_guid"));
    db.exec("INSERT INTO billing.house (nkey, fias_guid) VALUES ('" + f + "', '" + f + "')");
  }
  const auto dir = hub::testing::make_temp_dir("gis-emu-houses");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.houses"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT count(*) FROM billing.house WHERE gis_house_guid IS NOT NULL") ==
               "2";
      },
      60s))
      << hub.logs()
      << db.scalar(
             "SELECT string_agg(state || ' ' || coalesce(result, '') || coalesce(error_text, ''), "
             "'; ') FROM hub.gis_exchange");
  EXPECT_EQ(
      db.scalar("SELECT gis_house_guid FROM billing.house WHERE fias_guid = '" + fias[1] + "'"),
      guids[1]);
  EXPECT_NE(
      db.scalar("SELECT gis_unique_number FROM billing.house WHERE fias_guid = '" + fias[0] + "'"),
      "");
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}

TEST(GisThroughEmulator, NsiIsReadPageByPage) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  ASSERT_EQ(
      emu.request("POST", "/control/nsi", R"({"registry":329,"count":2500})", "application/json")
          .status,
      200);
  const auto dir = hub::testing::make_temp_dir("gis-emu-nsi");
  auto config = adapters(emu, dir);
  config.insert(config.find("report_dir"), "nsi_registries: [\"2\", \"329\"], ");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, config, "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.nsi"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation = 'exportNsiPagingItem'"
                   " AND state = 'done'") == "4";
      },
      60s))
      << hub.logs()
      << db.scalar(
             "SELECT string_agg(state || ' ' || left(coalesce(result, '') || coalesce(error_text, "
             "''), 200), '; ') FROM hub.gis_exchange");
  const auto last = db.scalar("SELECT result FROM hub.gis_exchange WHERE key LIKE '%:next1:next1'");
  EXPECT_EQ(last.rfind("NSI 329 page 3 of 3: 500 elements", 0), 0u) << last.substr(0, 200);
  // NSI 2 (resources): the code=GUID lines nsi_resources is configured from.
  const auto nsi2 = db.scalar("SELECT result FROM hub.gis_exchange WHERE key LIKE 'nsi:2:%'");
  EXPECT_NE(nsi2.find("\n1="), std::string::npos) << nsi2;
  EXPECT_NE(nsi2.find("Холодная вода"), std::string::npos) << nsi2;
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}

TEST(GisThroughEmulator, SignedGisAnswersAreVerifiedBeforeTheyAreTaken) {
  hub::testing::TestDatabase db;
  const auto& k = hub::crypto::testing::test_keys();
  hub::testing::EmulatorProcess emu({"--delays", "50,50", "--sign-key", k.rsa_key.string(),
                                     "--sign-cert", k.rsa_cert.string(), "--sign-profile", "rsa"});
  seed_accounts(db, 120);
  const auto dir = hub::testing::make_temp_dir("gis-emu-signed");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
  ASSERT_TRUE(wait_for([&] { return count_with_guid(db) == "120"; }, 60s)) << hub.logs();
  // Every getStateResult the emulator signed (state 2 and 3 alike) was verified.
  const auto answers = db.scalar(
      "SELECT count(*) FROM hub.exchange_log WHERE operation = 'getState' AND direction = 'in'"
      " AND status = 'state'");
  EXPECT_GE(std::stoi(answers), 2);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.exchange_log WHERE status = 'signature valid'"),
            answers);
  EXPECT_EQ(hub.output("hub.log").find("response_signature_invalid"), std::string::npos);
}
