// The exchange log and the GIS reports end to end: the real gis_zhkh.so in a real zhkh-hub
// against the real emulator places accounts (GOST-signed, validated requests), a sync fails
// with AUT011003; then `zhkh-hub exchanges export` writes every request and response the adapter
// logged as files (the signed requests well-formed, named by their MessageGUID), a re-run writes
// nothing, an operation filter keeps its getState polls; and `zhkh-hub gis report` names the
// failed accounts and finds nothing unplaced.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>

#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "../../hub/crypto/crypto_test_support.h"
#include "emulator_process.h"
#include "gis_instance_yaml.h"
#include "hub_process.h"
#include "test_database.h"
#include "test_paths.h"
#include "wait_for.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Poco::JSON::Object;

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

std::string adapters(const hub::testing::EmulatorProcess& emu) {
  return "adapters:\n" + hub::testing::gis_instance_yaml(emu);
}

using hub::testing::wait_for;

/// The last line of a CLI run's output (the JSON summary of --json) parsed.
Object::Ptr last_json(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  const auto begin = out.rfind('\n', end);
  const auto line = out.substr(begin == std::string::npos ? 0 : begin + 1,
                               end - (begin == std::string::npos ? 0 : begin + 1) + 1);
  return Poco::JSON::Parser().parse(line).extract<Object::Ptr>();
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool well_formed(const std::string& xml) {
  xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "x.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  const bool ok = doc != nullptr;
  xmlFreeDoc(doc);
  return ok;
}

}  // namespace

TEST(GisExchangeLog, ExportedFilesAndReportsOfARealExchange) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, residents)"
      " SELECT 'E' || g, 'E' || g, '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', (g % 300)::text,"
      " 40 + g % 30, g % 5 FROM generate_series(1, 150) g");
  const auto dir = hub::testing::make_temp_dir("gis-exchange-log");
  hub::testing::HubProcess hub(dir, db.conninfo(), kRoutes, adapters(emu), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  int code = -1;
  hub.cli("schedules run gis.import_accounts", &code);
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT "
                   "NULL") == "150";
      },
      60s))
      << hub.logs();
  const auto f = emu.request(
      "POST", "/control/faults",
      R"({"kind":"error_message","operation":"exportAccountData","code":"AUT011003","count":1})",
      "application/json");
  ASSERT_EQ(f.status, 200) << f.body;
  hub.cli("schedules run gis.sync_accounts", &code);
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.external_state WHERE error_code = "
                   "'AUT011003'") == "1" &&
               db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE state = 'failed'") == "1";
      },
      30s))
      << hub.logs();

  // Every logged row becomes one file; the signed requests are whole XML documents named by
  // the MessageGUID they carry.
  const auto out_dir = dir / "exchange-log";
  auto out = hub.cli("exchanges export --dir " + out_dir.string() + " --json", &code);
  ASSERT_EQ(code, 0) << out;
  const auto logged =
      std::stoi(db.scalar("SELECT count(*) FROM hub.exchange_log WHERE payload <> ''"));
  auto s = last_json(out);
  EXPECT_EQ(s->getValue<int>("written"), logged) << out;
  const auto names = files_in(out_dir);
  EXPECT_EQ(static_cast<int>(names.size()), logged);
  const std::regex request(
      R"(^\d{8}T\d{6}\.\d{6}Z_importAccountData_([0-9a-f-]{36})_\d{12}_request\.xml$)");
  std::set<std::string> guids;
  for (const auto& n : names) {
    std::smatch m;
    if (!std::regex_match(n, m, request)) continue;
    const auto xml = hub::testing::read_text(out_dir / n);
    EXPECT_TRUE(well_formed(xml)) << n;
    EXPECT_NE(xml.find(m[1].str()), std::string::npos) << n;  // its MessageGUID
    EXPECT_NE(xml.find("SignatureValue"), std::string::npos) << n;
    guids.insert(m[1].str());
  }
  EXPECT_EQ(guids.size(), 2u);  // 100 + 50 accounts
  for (const auto& n : names) {
    if (n.ends_with(".xml")) EXPECT_TRUE(well_formed(hub::testing::read_text(out_dir / n))) << n;
  }

  out = hub.cli("exchanges export --dir " + out_dir.string() + " --json", &code);
  ASSERT_EQ(code, 0) << out;
  s = last_json(out);
  EXPECT_EQ(s->getValue<int>("written"), 0);
  EXPECT_EQ(s->getValue<int>("unchanged"), logged);

  // The failed sync with the polls about it.
  const auto sync_dir = dir / "sync";
  out = hub.cli(
      "exchanges export --dir " + sync_dir.string() + " --operation exportAccountData --json",
      &code);
  ASSERT_EQ(code, 0) << out;
  const auto sync_guid =
      db.scalar("SELECT request_id FROM hub.gis_exchange WHERE operation = 'exportAccountData'");
  int polls = 0;
  for (const auto& n : files_in(sync_dir)) {
    EXPECT_NE(n.find(sync_guid), std::string::npos) << n;
    if (n.find("_getState_") != std::string::npos) ++polls;
  }
  EXPECT_GE(polls, 2) << "a getState and its answer";

  // The report names every account of the failed request with the code; nothing is unplaced.
  out = hub.cli("gis report errors --kind account --json", &code);
  ASSERT_EQ(code, 0) << out;
  s = last_json(out);
  EXPECT_EQ(s->getValue<int>("total"), 150) << out;
  const auto first = s->getArray("items")->getObject(0);
  EXPECT_EQ(first->getValue<std::string>("code"), "AUT011003");
  EXPECT_EQ(first->getValue<std::string>("operation"), "exportAccountData");
  EXPECT_EQ(first->getValue<std::string>("message_guid"), sync_guid);
  EXPECT_EQ(first->getValue<std::string>("ref").rfind("E", 0), 0u);
  EXPECT_FALSE(first->getValue<bool>("resolved"));  // placed before, failed after
  out = hub.cli("gis report errors --kind account --open --json", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(last_json(out)->getValue<int>("total"), 150) << out;
  out = hub.cli("gis report placement --kind account --json", &code);
  ASSERT_EQ(code, 0) << out;
  s = last_json(out);
  const auto counts = s->getArray("counts")->getObject(0);
  EXPECT_EQ(counts->getValue<int>("total"), 150);
  EXPECT_EQ(counts->getValue<int>("without_gis_guid"), 0);
  EXPECT_EQ(s->getArray("items")->size(), 0u);
  out = hub.cli("gis report errors", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("AUT011003"), std::string::npos) << out;
}
