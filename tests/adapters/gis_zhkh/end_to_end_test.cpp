// The real gis_zhkh.so in a real zhkh-hub (child process) on a real PostgreSQL, against a loopback
// GIS (loopback_gis.h): accounts from the store reach GIS and come back with GUIDs, ELS and ИЖКУ;
// a hub killed in the middle of polling loses nothing and sends nothing twice; faults end in a
// resend, a retry or a dead letter with the code. Every request the adapter sends is validated
// against the official 16.3.0.0 package by the stand-in (invalid_requests stays 0).

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "hub_process.h"
#include "job_run.h"
#include "loopback_gis.h"
#include "test_database.h"
#include "test_paths.h"
#include "wait_for.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kOrg = "11111111-2222-4333-8444-555555555555";

constexpr const char* kRoutes = R"(routes:
  - name: gis-results
    match: {type: [external.state]}
    to: [billing_store]
    stop: true
  - name: accounts
    match: {type: [account.upsert], source: [gis]}
    to: [billing_store]
    stop: true
  - name: to-gis
    match: {type: [account.upsert]}
    to: [gis]
    stop: true
  - name: rest
    match: {}
    to: [noop]
)";

// The GIS adapter, plus a file inbox as a real producer of routed account.upsert messages.
std::string adapters(const gis_test::LoopbackGis& gis, const std::string& schedule,
                     const fs::path& dir) {
  fs::create_directories(dir / "inbox");
  return "adapters:\n  gis: {plugin: gis_zhkh, endpoint: \"" + gis.endpoint() +
         "\", org_ppa_guid: \"" + kOrg + "\", poll_schedule: [" + schedule +
         "], poll_interval: 50ms, max_resends: 3,"
         " send_timeout: 5s, poll_timeout: 5s}\n"
         "  inbox: {plugin: file_inbox, path: " +
         (dir / "inbox").string() +
         ", poll_interval: 100ms, min_age: 0s}\n"
         // breaker_open: the dead-letter step fails five sends in a row, which opens the breaker;
         // its replay must not wait out the default 30 s cool-down.
         "dispatcher:\n  targets:\n    gis: {max_attempts: 5, backoff_base: 100ms, backoff_max: "
         "200ms, breaker_open: 1s}\n";
}

void seed_accounts(const hub::testing::TestDatabase& db, int n, int first = 1) {
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, residents)"
      " SELECT 'LS' || g, 'LS' || g, '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', (g % 300)::text,"
      " 40 + g % 30, g % 5 FROM generate_series(" +
      std::to_string(first) + ", " + std::to_string(first + n - 1) + ") g");
}

// Written beside the inbox and moved in, so the inbox never sees half a file.
void drop(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  fs::rename(dir / name, dir / "inbox" / name);
}

using hub::testing::wait_for;

// Runs `job` and waits for that run to end (job_run.h): `schedules run` only starts it, and a
// second run asked for while the first still holds the job's lock would be skipped.
bool run(hub::testing::HubProcess& hub, const hub::testing::TestDatabase& db,
         const std::string& job) {
  const auto r = hub::testing::run_job(hub, db, job);
  if (!r.finished()) ADD_FAILURE() << r.error << hub.logs();
  return r.finished();
}

}  // namespace

TEST(GisEndToEnd, StoreAccountsArePlacedAndSyncedBackWithGuidsElsAndIzhku) {
  hub::testing::TestDatabase db;
  gis_test::LoopbackGis gis;
  seed_accounts(db, 250);
  const auto dir = hub::testing::make_temp_dir("gis-e2e");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(gis, "50ms", dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT NULL") ==
               "250";
      },
      60s))
      << hub.logs();
  // 250 accounts = 3 requests of at most 100, each placed once, every request valid.
  EXPECT_EQ(gis.placed().size(), 250u);
  for (const auto& [n, count] : gis.imports()) EXPECT_EQ(count, 1) << n;
  EXPECT_EQ(gis.invalid_requests.load(), 0);
  EXPECT_EQ(gis.answer_issues_, "");
  // An exchange is marked done after its results were handed to Ingress, so the store can have
  // them (through the dispatcher) before the last exchange is marked.
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation = 'importAccountData'"
                   " AND state = 'done'") == "3";
      },
      30s))
      << db.scalar("SELECT string_agg(state, ',') FROM hub.gis_exchange");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM billing.account a WHERE gis_account_guid IS NOT NULL"
                      " AND ext_error_code IS NULL"),
            "250");
  const auto guid = db.scalar("SELECT gis_account_guid FROM billing.account WHERE number = 'LS7'");
  EXPECT_EQ(guid, gis.placed()["LS7"]);
  // Requests and answers are in the exchange log.
  EXPECT_NE(db.scalar("SELECT count(*) FROM hub.exchange_log WHERE adapter = 'gis' AND"
                      " operation = 'importAccountData' AND direction = 'out'"),
            "0");

  // exportAccountData brings ELS and ИЖКУ back as account.upsert into the store.
  ASSERT_TRUE(run(hub, db, "gis.sync_accounts"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE els IS NOT NULL AND izhku IS NOT "
                   "NULL") == "250";
      },
      60s))
      << hub.logs();
  EXPECT_EQ(db.scalar("SELECT els FROM billing.account WHERE number = 'LS7'"), gis.els_of(guid));
  EXPECT_EQ(db.scalar("SELECT izhku FROM billing.account WHERE number = 'LS7'"),
            gis.els_of(guid) + "-01");
  // Nothing left to place: a second import run, once it has finished, has queued no request
  // (the job records what it queues before it ends; the poller sends it) and sent nothing.
  const int sends = gis.sends.load();
  ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
  EXPECT_EQ(
      db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE operation = 'importAccountData'"),
      "3");
  EXPECT_EQ(gis.sends.load(), sends);
}

TEST(GisEndToEnd, HubKilledWhilePollingLosesNothingAndSendsNothingTwice) {
  hub::testing::TestDatabase db;
  gis_test::LoopbackGis gis;
  gis.processing_polls = 1000000;  // GIS keeps "processing" while the hub dies
  seed_accounts(db, 300);
  const auto dir = hub::testing::make_temp_dir("gis-restart");
  {
    hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(gis, "50ms", dir), "gis");
    ASSERT_TRUE(hub.wait_ready()) << hub.logs();
    ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
    // All three requests acknowledged and GIS asked about them a few times.
    ASSERT_TRUE(wait_for(
        [&] {
          return gis.get_states.load() > 20 &&
                 db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE state = 'sent'") == "3";
        },
        30s))
        << hub.logs() << db.scalar("SELECT string_agg(state, ',') FROM hub.gis_exchange");
  }  // SIGKILL in the middle of polling
  gis.processing_polls = 0;
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(gis, "50ms", dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT NULL") ==
               "300";
      },
      60s))
      << hub.logs();
  EXPECT_EQ(gis.sends.load(), 3)
      << gis.duplicates.load() << " resent; "
      << db.scalar(
             "SELECT string_agg(key || ' ' || operation || ' ' || state || ' ' || sends, '; ')"
             " FROM hub.gis_exchange");
  for (const auto& [n, count] : gis.imports()) EXPECT_EQ(count, 1) << n;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE type = 'external.state'"), "3");
  EXPECT_EQ(gis.invalid_requests.load(), 0);
}

TEST(GisEndToEnd, FaultsEndInResendRetryOrDeadLetterWithTheCode) {
  hub::testing::TestDatabase db;
  gis_test::LoopbackGis gis;
  seed_accounts(db, 100);
  const auto dir = hub::testing::make_temp_dir("gis-faults");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(gis, "50ms", dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  int code = -1;
  // 1. A transient fault on send (EXP001000, HTTP 500): the job's request is resent by the poller.
  // 2. EXP001000 in getState: resent under a new MessageGUID. 3. One per-object error.
  gis.fail_sends = 1;
  gis.error_results = 1;
  gis.account_errors = 1;
  ASSERT_TRUE(run(hub, db, "gis.import_accounts"));
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT NULL") ==
               "99";
      },
      60s))
      << hub.logs();
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT ext_error_code FROM billing.account WHERE gis_account_guid IS NULL") ==
               "INT002000";
      },
      30s));
  EXPECT_EQ(db.scalar("SELECT sends FROM hub.gis_exchange WHERE operation = 'importAccountData'"),
            "3");

  // 4. Routed messages: a permanent SOAP fault (FMT001300) dead-letters the delivery with the
  // code; a transient one (EXP001000) is retried by the dispatcher and then delivered.
  const auto body = [](const std::string& n) {
    return "<c:accountUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:account>" + n +
           "</c:account><c:houseFiasGuid>5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69</c:houseFiasGuid>"
           "<c:premise><c:number>1</c:number></c:premise><c:area>30</c:area>"
           "<c:residents>1</c:residents></c:accountUpsert>";
  };
  gis.reject_sends = 1;
  drop(dir, "r1.xml", body("R1"));
  ASSERT_TRUE(wait_for(
      [&] { return db.scalar("SELECT count(*) FROM hub.dead_letter WHERE target = 'gis'") == "1"; },
      30s))
      << hub.logs();
  EXPECT_NE(
      db.scalar("SELECT last_error FROM hub.dead_letter WHERE target = 'gis'").find("FMT001300"),
      std::string::npos);
  gis.fail_sends = 1;
  drop(dir, "r2.xml", body("R2"));
  ASSERT_TRUE(wait_for([&] { return gis.placed().count("R2") == 1; }, 30s)) << hub.logs();
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar("SELECT state FROM hub.delivery WHERE target = 'gis' AND attempts > 1") ==
               "delivered";
      },
      30s))
      << db.scalar(
             "SELECT string_agg(state || ':' || attempts, ',') FROM hub.delivery WHERE target = "
             "'gis'");

  // 5. A routed message whose sends fail transiently until the dispatcher gives up: its exchange
  // is closed (DEAD_LETTER) and its account is no longer "in flight" for the jobs; a replay of
  // the dead letter sends the same request again, under the same MessageGUID, and places it.
  gis.fail_sends = 1000;
  drop(dir, "r3.xml", body("R3"));
  ASSERT_TRUE(wait_for(
      [&] { return db.scalar("SELECT count(*) FROM hub.dead_letter WHERE target = 'gis'") == "2"; },
      30s))
      << hub.logs();
  const std::string r3 =
      " FROM hub.gis_exchange WHERE objects @> ARRAY['account:R3'] AND key LIKE 'msg:%'";
  // The adapter hears of the dead letter after the dispatcher recorded it.
  ASSERT_TRUE(wait_for([&] { return db.scalar("SELECT error_code" + r3) == "DEAD_LETTER"; }, 30s))
      << db.scalar("SELECT state || ' ' || coalesce(error_code, '')" + r3) << hub.logs();
  EXPECT_EQ(db.scalar("SELECT state" + r3), "failed");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.gis_exchange_object WHERE object = 'account:R3'"),
            "0");
  const auto request_id = db.scalar("SELECT request_id" + r3);
  EXPECT_EQ(gis.placed().count("R3"), 0u);
  gis.fail_sends = 0;
  const auto dead_id = db.scalar(
      "SELECT d.id FROM hub.dead_letter d JOIN hub.delivery x ON x.id = d.delivery_id"
      " WHERE d.target = 'gis' AND d.replayed_at IS NULL ORDER BY d.id DESC LIMIT 1");
  const auto replayed = hub.cli("dlq replay " + dead_id, &code);
  ASSERT_EQ(code, 0) << replayed;
  ASSERT_TRUE(wait_for([&] { return gis.placed().count("R3") == 1; }, 30s)) << hub.logs();
  EXPECT_TRUE(wait_for([&] { return db.scalar("SELECT state" + r3) == "done"; }, 30s))
      << db.scalar("SELECT state" + r3);
  EXPECT_EQ(db.scalar("SELECT request_id" + r3), request_id);
  EXPECT_EQ(gis.invalid_requests.load(), 0);
}
