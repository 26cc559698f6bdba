// Payment documents and payment cancellations: the requests validate against the official
// 16.3.0.0 package and unmappable documents are refused naming the canonical XPath; then the real
// gis_zhkh.so in a real zhkh-hub against the real build/bin/gis_zhkh_emulator (which validates
// every request and requires a GOST XAdES signature): a stored document of a placed account
// reaches GIS (resent after a transient EXP001000) and its GUID and ИПД come back into the store
// and again by export; a document GIS refuses keeps the code; a routed document waits for its
// account's AccountGUID; a payment notice is placed and then cancelled (the store marks the
// payment), and a cancellation of a payment GIS does not know fails with the code.

#include "operations/payment_documents.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <thread>

#include "../../hub/crypto/crypto_test_support.h"
#include "emulator_process.h"
#include "exchange_engine.h"
#include "gis_instance_yaml.h"
#include "hub/plugin_host/xml_services.h"
#include "hub_process.h"
#include "job_run.h"
#include "operations/payments.h"
#include "test_database.h"
#include "test_paths.h"
#include "util.h"
#include "wait_for.h"
#include "xml_util.h"

namespace gis = hub::adapters::gis_zhkh;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kServices[] = {
    "maintenance=housing:1:7a1b2c3d-0000-4000-8000-000000000001",
    "cold_water=municipal:1:7a1b2c3d-0000-4000-8000-000000000002",
    "electricity=municipal:3:7a1b2c3d-0000-4000-8000-000000000003",
    "penalty=penalty:1:7a1b2c3d-0000-4000-8000-000000000329",
};
constexpr const char* kAccountGuid = "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

std::string sample(const std::string& type) {
  return hub::testing::read_text(hub::testing::source_dir() / "schemas/canonical/samples" /
                                 (type + ".xml"));
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("sample lacks: " + from);
  return s.replace(at, from.size(), to);
}

// The sample document as the billing engine issues it: not yet in GIS.
std::string new_document(const std::string& number = "100234-2610",
                         const std::string& account = "100234") {
  auto d = replaced(sample("payment_document.issued"), "  <c:ipd>34АА011432-01-2610</c:ipd>\n", "");
  d = replaced(d,
               "  <c:gisPaymentDocumentGuid>c5f3e4d6-7b80-4192-acb3-d4e5f6071829</"
               "c:gisPaymentDocumentGuid>\n",
               "");
  d = replaced(d, "<c:documentNumber>100234-2610</c:documentNumber>",
               "<c:documentNumber>" + number + "</c:documentNumber>");
  return replaced(d, "<c:account>100234</c:account>", "<c:account>" + account + "</c:account>");
}

hub::plugin::SchemaPackagePtr package() {
  return hub::plugin_host::PackageXmlServices::shared().load_schema_package(
      std::string(HUB_SHARED_DIR) + "/schemas/gis_zhkh/16.3.0.0");
}

std::string wrap(const gis::BuiltRequest& r) {
  return gis::soap_envelope("RequestHeader", gis::format_time(std::chrono::system_clock::now()),
                            gis::new_guid(), "11111111-2222-4333-8444-555555555555", true, r.body);
}

gis::PdServices services() {
  return gis::parse_pd_services(
      std::vector<std::string>(std::begin(kServices), std::end(kServices)));
}

gis::Recipient recipient() {
  return {"7325000001",           "732501001", "УК Гагарина", "ПАО Сбербанк", "044525225",
          "40702810900000000001", ""};
}

}  // namespace

TEST(GisPaymentDocuments, TheSampleDocumentMapsToAValidRequestWithItsChargesAndTotals) {
  std::vector<gis::PaymentDocumentInput> in = {{"100234-2610", new_document(), kAccountGuid}};
  // A chunk of the operation's limit; the second payee requisites become a second
  // PaymentInformation, the others share the first.
  for (int i = 1; i < static_cast<int>(gis::kImportPaymentDocumentLimit); ++i) {
    auto d = new_document("D-" + std::to_string(i), "A" + std::to_string(i));
    if (i == 7)
      d = replaced(d, "<c:settlementAccount>40702810012345678912</c:settlementAccount>",
                   "<c:settlementAccount>40702810012345678000</c:settlementAccount>");
    if (i == 9)  // already in GIS: a re-issue names its ИПД
      d = replaced(sample("payment_document.issued"), "<c:documentNumber>100234-2610<",
                   "<c:documentNumber>D-9<");
    in.push_back({"D-" + std::to_string(i), d, gis::new_guid()});
  }
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_payment_documents(in, services(), recipient(), refused);
  ASSERT_TRUE(refused.empty()) << refused.front().reason;
  ASSERT_EQ(req.objects.size(), gis::kImportPaymentDocumentLimit);
  EXPECT_EQ(req.objects.front().kind, "payment_document");
  EXPECT_EQ(req.objects.front().ref, "100234-2610");
  const auto issues = package()->validate_soap(wrap(req));
  EXPECT_TRUE(issues.empty()) << hub::plugin::summarize(issues);
  EXPECT_EQ(req.version, "11.2.0.16");
  const auto& b = req.body;
  EXPECT_NE(b.find("<base:Month>10</base:Month><base:Year>2026</base:Year>"), std::string::npos);
  EXPECT_NE(b.find(std::string("<ab:AccountGuid>") + kAccountGuid + "</ab:AccountGuid>"),
            std::string::npos);
  // Cold water: municipal, 42.56 ₽/m³, 178.75 charged, -25.54 recalculated, 76.61 benefit.
  EXPECT_NE(
      b.find("<bills:MunicipalService><bills:ServiceType><nsi:Code>1</nsi:Code><nsi:GUID>"
             "7a1b2c3d-0000-4000-8000-000000000002</nsi:GUID></bills:ServiceType>"
             "<bills:Rate>42.56</bills:Rate><bills:TotalPayable>76.60</bills:TotalPayable>"
             "<bills:AccountingPeriodTotal>178.75</bills:AccountingPeriodTotal>"
             "<bills:ServiceCharge><bills:MoneyRecalculation>-25.54</bills:MoneyRecalculation>"
             "<bills:MoneyDiscount>76.61</bills:MoneyDiscount></bills:ServiceCharge>"
             "<bills:Consumption><bills:Volume type=\"I\">4.2</bills:Volume>"),
      std::string::npos)
      << b.substr(0, 3000);
  EXPECT_NE(b.find("<bills:HousingService>"), std::string::npos);
  EXPECT_NE(b.find("<bills:TotalPayable>12.34</bills:TotalPayable></bills:PenaltiesAndCourtCosts>"),
            std::string::npos);
  EXPECT_NE(b.find("<bills:TotalPayableByChargeInfo>2612.05</bills:TotalPayableByChargeInfo>"
                   "<bills:DebtPreviousPeriods>120.00</bills:DebtPreviousPeriods>"
                   "<bills:TotalPayableByPDWithDebtAndAdvance>2744.39</"
                   "bills:TotalPayableByPDWithDebtAndAdvance>"
                   "<bills:TotalByPenaltiesAndCourtCosts>12.34</"
                   "bills:TotalByPenaltiesAndCourtCosts>"
                   "<bills:TotalPayableByPD>2624.39</bills:TotalPayableByPD>"
                   "<bills:PaidCash>0.00</bills:PaidCash>"),
            std::string::npos);
  EXPECT_NE(b.find("</base:TransportGUID><bb:PaymentDocumentID>34АА011432-01-2610</"
                   "bb:PaymentDocumentID><bills:PaymentInformationKey>"),
            std::string::npos);
  std::size_t infos = 0;
  for (auto at = b.find("<bills:PaymentInformation>"); at != std::string::npos;
       at = b.find("<bills:PaymentInformation>", at + 1))
    ++infos;
  EXPECT_EQ(infos, 2u);
  // One more than the limit does not validate: the job chunks by the limit.
  in.push_back({"D-over", new_document("D-over", "A-over"), gis::new_guid()});
  const auto over = gis::build_import_payment_documents(in, services(), recipient(), refused);
  EXPECT_FALSE(package()->validate_soap(wrap(over)).empty());
}

TEST(GisPaymentDocuments, UnmappableDocumentsAreRefusedNamingTheXPathAndTheRestStillGoes) {
  auto no_tariff =
      replaced(new_document("D-2"), "      <c:tariffKopecks>534</c:tariffKopecks>\n", "");
  auto unknown =
      replaced(new_document("D-3"), "<c:code>maintenance</c:code>", "<c:code>concierge</c:code>");
  auto other_period =
      replaced(new_document("D-4"), "<c:period>2026-10</c:period>", "<c:period>2026-09</c:period>");
  std::vector<gis::PaymentDocumentInput> in = {{"D-1", new_document("D-1"), ""},
                                               {"D-2", no_tariff, kAccountGuid},
                                               {"D-3", unknown, kAccountGuid},
                                               {"D-ok", new_document("D-ok"), kAccountGuid},
                                               {"D-4", other_period, kAccountGuid}};
  std::vector<gis::Refused> refused;
  const auto req = gis::build_import_payment_documents(in, services(), recipient(), refused);
  ASSERT_EQ(refused.size(), 4u);
  EXPECT_EQ(refused[0].ref, "D-1");
  EXPECT_EQ(refused[0].reason.rfind("/c:paymentDocumentIssued/c:account: account 100234 has no "
                                    "AccountGUID",
                                    0),
            0u)
      << refused[0].reason;
  EXPECT_EQ(refused[1].reason.rfind("/c:paymentDocumentIssued/c:services/c:service[3]/"
                                    "c:tariffKopecks:",
                                    0),
            0u)
      << refused[1].reason;
  EXPECT_EQ(refused[2].reason.rfind("/c:paymentDocumentIssued/c:services/c:service[1]/c:code: "
                                    "service 'concierge'",
                                    0),
            0u)
      << refused[2].reason;
  EXPECT_EQ(refused[3].reason,
            "/c:paymentDocumentIssued/c:period: 2026-09 in a request for 2026-10");
  ASSERT_EQ(req.objects.size(), 1u);
  EXPECT_EQ(req.objects[0].ref, "D-ok");
  EXPECT_TRUE(package()->validate_soap(wrap(req)).empty());

  // Penalties need the NSI 329 entry; a document without penalties does not.
  auto table = services();
  table.erase("penalty");
  auto no_penalty =
      replaced(new_document("D-6"), "  <c:penaltyKopecks>1234</c:penaltyKopecks>\n", "");
  refused.clear();
  const auto second = gis::build_import_payment_documents(
      {{"D-5", new_document("D-5"), kAccountGuid}, {"D-6", no_penalty, kAccountGuid}}, table,
      recipient(), refused);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].reason.rfind("/c:paymentDocumentIssued/c:penaltyKopecks:", 0), 0u)
      << refused[0].reason;
  ASSERT_EQ(second.objects.size(), 1u);
  EXPECT_EQ(second.objects[0].ref, "D-6");
  EXPECT_TRUE(package()->validate_soap(wrap(second)).empty());
  // A bad table entry is a start-up error naming it.
  EXPECT_THROW(
      gis::parse_pd_services({"cold_water=utility:1:7a1b2c3d-0000-4000-8000-000000000002"}),
      std::invalid_argument);
  EXPECT_THROW(gis::parse_pd_services({"cold_water:1"}), std::invalid_argument);
  EXPECT_THROW(gis::parse_pd_services({"fine=penalty:1:7a1b2c3d-0000-4000-8000-000000000329"}),
               std::invalid_argument);
}

TEST(GisPaymentDocuments, ExportByAccountAndPeriodValidatesAndItsResultNamesOurDocuments) {
  const auto req = gis::build_export_payment_documents(
      "2026-10", {{"100234-2610", "", kAccountGuid}, {"100234-2610b", "", kAccountGuid}});
  EXPECT_TRUE(package()->validate_soap(wrap(req)).empty()) << req.body;
  EXPECT_EQ(req.body.find("<bills:AccountGUID>"), req.body.rfind("<bills:AccountGUID>"));
  ASSERT_EQ(req.objects.size(), 2u);
  const std::string result =
      std::string(
          "<bills:getStateResult xmlns:bills=\"http://dom.gosuslugi.ru/schema/integration/"
          "bills/\" xmlns:ab=\"a\" xmlns:bb=\"b\"><bills:exportPaymentDocResult>"
          "<bills:PaymentDocument><ab:AccountGuid>") +
      kAccountGuid +
      "</ab:AccountGuid><bb:PaymentDocumentNumber>100234-2610</bb:PaymentDocumentNumber>"
      "<bills:Expose>true</bills:Expose><bills:TotalPayableByPD>2624.39</bills:TotalPayableByPD>"
      "<bb:PaymentDocumentID>99PD000000-00-2610</bb:PaymentDocumentID></bills:PaymentDocument>"
      "</bills:exportPaymentDocResult></bills:getStateResult>";
  auto doc = gis::parse_xml(result, "result");
  gis::ResultInput in{"gis",       "exportPaymentDocumentData",
                      "ack",       std::chrono::system_clock::now(),
                      req.objects, xmlDocGetRootElement(doc.get())};
  const auto h = gis::handle_export_payment_documents(in);
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].ref, "100234-2610");
  EXPECT_EQ(h.results[0].unique_number, "99PD000000-00-2610");
  EXPECT_EQ(h.results[0].transport_guid, req.objects[0].transport_guid);
  EXPECT_EQ(h.summary.rfind("1 exported, 1 ours, 1 not in GIS", 0), 0u) << h.summary;
}

TEST(GisPaymentDocuments, ACancellationNamesTheOrderIdItsPaymentNoticeHad) {
  std::vector<gis::Refused> refused;
  const auto notice = gis::build_import_notifications(
      {{gis::new_guid(), sample("payment.received")}}, recipient(), refused);
  const auto cancel = gis::build_import_cancellations(
      {{"c1", sample("payment.cancelled")},
       {"c2",
        replaced(sample("payment.cancelled"), "<c:cancelledOn>2026-11-23</c:cancelledOn>", "")}},
      refused);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].reason, "/c:paymentCancelled/c:cancelledOn: missing");
  EXPECT_TRUE(package()->validate_soap(wrap(cancel)).empty()) << cancel.body;
  ASSERT_EQ(cancel.objects.size(), 1u);
  EXPECT_EQ(cancel.objects[0].kind, "payment_cancellation");
  EXPECT_EQ(cancel.objects[0].ref, "sber:tx:2026112012345678");
  const auto order = gis::order_id("sber:tx:2026112012345678");
  EXPECT_EQ(order.size(), 32u);
  EXPECT_NE(notice.body.find("<pb:OrderID>" + order + "</pb:OrderID>"), std::string::npos);
  EXPECT_NE(cancel.body.find("<pb:OrderID>" + order +
                             "</pb:OrderID><pb:CancellationDate>"
                             "2026-11-23</pb:CancellationDate><pb:Comment>Возврат платежа"),
            std::string::npos);
  EXPECT_NE(gis::order_id("sber:reg:sber_20261120.txt#17"), order);
}

// ---- through the emulator ------------------------------------------------------------------

namespace {

std::string adapters(const hub::testing::EmulatorProcess& emu, const fs::path& dir) {
  std::string services;
  for (const char* s : kServices)
    services += std::string(services.empty() ? "" : ", ") + "\"" + s + "\"";
  return "adapters:\n" +
         hub::testing::gis_instance_yaml(
             emu, ", pd_services: [" + services +
                      "], recipient_inn: \"7325000001\", recipient_kpp: \"732501001\", "
                      "recipient_name: \"УК Гагарина\", bank_name: \"ПАО Сбербанк\", bank_bik: "
                      "\"044525225\", bank_account: \"40702810900000000001\"") +
         "  inbox: {plugin: file_inbox, path: " + (dir / "inbox").string() +
         ", poll_interval: 100ms, min_age: 0s}\n";
}

using hub::testing::wait_for;

long stat(const hub::testing::EmulatorProcess& emu, const std::string& name) {
  const auto r = emu.request("GET", "/control/stats");
  Poco::JSON::Parser p;
  return p.parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<long>(name);
}

// Runs `job` and waits for that run to end (job_run.h): `schedules run` only starts it, and a
// second run asked for while the first still holds the job's lock would be skipped.
hub::testing::JobRun run(hub::testing::HubProcess& hub, const hub::testing::TestDatabase& db,
                         const std::string& job) {
  auto r = hub::testing::run_job(hub, db, job);
  EXPECT_TRUE(r.finished()) << r.error << hub.logs();
  return r;
}

void fault(const hub::testing::EmulatorProcess& emu, const std::string& json) {
  const auto r = emu.request("POST", "/control/faults", json, "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
}

void drop(const fs::path& dir, const std::string& name, const std::string& body) {
  std::ofstream(dir / name) << body;
  fs::rename(dir / name, dir / "inbox" / name);
}

std::string exchanges(const hub::testing::TestDatabase& db) {
  return db.scalar(
      "SELECT string_agg(operation || ' ' || state || ' ' || coalesce(error_code, '') || ' ' || "
      "left(coalesce(result, '') || coalesce(error_text, ''), 300), '; ') FROM hub.gis_exchange");
}

}  // namespace

TEST(GisPaymentDocumentsThroughEmulator, AStoredDocumentOfAPlacedAccountGetsItsGisIdsBack) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  const auto dir = hub::testing::make_temp_dir("gis-emu-pd");
  fs::create_directories(dir / "inbox");
  const std::string routes = R"(routes:
  - name: to-store
    match: {type: [external.state, payment_document.issued]}
    to: [billing_store]
    stop: true
  - name: rest
    match: {}
    to: [noop]
)";
  // Two accounts: 100234 is placed in GIS by the import job; 100236 the store believes placed
  // under a GUID GIS never gave (GIS refuses its document per object).
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, residents)"
      " VALUES ('100234', '100234', '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', '12А', 54.3, 3)");
  hub::testing::HubProcess hub(dir, db.conninfo(), routes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  run(hub, db, "gis.import_accounts");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.account WHERE gis_account_guid IS NOT "
                   "NULL") == "1";
      },
      60s))
      << hub.logs() << exchanges(db);
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, "
      "residents, gis_account_guid) VALUES ('100236', '100236', "
      "'5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', '14', 40, 1, "
      "'0b0b0b0b-0000-4000-8000-000000000000')");
  drop(dir, "d1.xml", new_document());
  drop(dir, "d2.xml", new_document("100235-2610", "100235"));  // no such account in the store
  drop(dir, "d3.xml", new_document("100236-2610", "100236"));
  // An account the store has but GIS has not placed yet: its document waits, it is not refused.
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, "
      "residents) VALUES ('100237', '100237', '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', '15', 40, "
      "1)");
  drop(dir, "d4.xml", new_document("100237-2610", "100237"));
  ASSERT_TRUE(wait_for(
      [&] { return db.scalar("SELECT count(*) FROM billing.payment_document") == "4"; }, 30s))
      << hub.logs();

  // GIS answers the first getState with the transient EXP001000: the request is resent.
  fault(emu, R"({"kind":"error_message","operation":"importPaymentDocumentData",)"
             R"("code":"EXP001000","count":1})");
  // The document without an AccountGUID is refused naming the XPath; the others go.
  const auto error = run(hub, db, "gis.payment_documents").error;
  EXPECT_NE(error.find("2 payment documents queued in 1 requests, 1 waiting for an object GIS "
                       "must place first"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("100237"), std::string::npos) << error;
  EXPECT_NE(error.find("document 100235-2610: /c:paymentDocumentIssued/c:account: account 100235 "
                       "has no AccountGUID"),
            std::string::npos)
      << error;
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation = "
                   "'importPaymentDocumentData' AND state = 'done'") == "1";
      },
      60s))
      << hub.logs() << exchanges(db);
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.payment_document WHERE "
                   "gis_payment_document_guid IS NOT NULL OR ext_error_code IS NOT NULL") == "2";
      },
      30s))
      << hub.logs();
  const auto guid = db.scalar(
      "SELECT gis_payment_document_guid FROM billing.payment_document WHERE document_number = "
      "'100234-2610'");
  const auto ipd =
      db.scalar("SELECT ipd FROM billing.payment_document WHERE document_number = '100234-2610'");
  EXPECT_EQ(guid.size(), 36u) << guid;
  EXPECT_EQ(ipd.size(), 18u) << ipd;
  EXPECT_EQ(ipd.substr(ipd.size() - 5), "-2610");
  // GIS refused the document of the account it does not know, per object, with its code.
  EXPECT_EQ(db.scalar("SELECT ext_error_code FROM billing.payment_document WHERE document_number "
                      "= '100236-2610'"),
            "INT002000");
  EXPECT_EQ(db.scalar("SELECT gis_payment_document_guid IS NULL FROM billing.payment_document "
                      "WHERE document_number = '100236-2610'"),
            "t");
  EXPECT_EQ(stat(emu, "payment_documents"), 1);
  EXPECT_EQ(stat(emu, "soap_faults"), 0);  // every request valid and signed
  EXPECT_EQ(db.scalar("SELECT sends FROM hub.gis_exchange WHERE operation = "
                      "'importPaymentDocumentData'"),
            "2");

  // A second run places nothing again: the placed one has its GUID, the refused one its error.
  // Once it has finished it has queued no request.
  EXPECT_TRUE(run(hub, db, "gis.payment_documents").finished());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE operation = "
                      "'importPaymentDocumentData'"),
            "1");

  // Exported by account and period, GIS gives back what the import stored.
  db.exec("UPDATE billing.payment_document SET ipd = NULL WHERE document_number = '100234-2610'");
  run(hub, db, "gis.sync_payment_documents");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.gis_exchange WHERE operation = "
                   "'exportPaymentDocumentData' AND state = 'done'") == "1";
      },
      60s))
      << hub.logs() << exchanges(db);
  const auto result = db.scalar(
      "SELECT result FROM hub.gis_exchange WHERE operation = 'exportPaymentDocumentData'");
  EXPECT_NE(result.find("1 exported, 1 ours, 0 not in GIS"), std::string::npos) << result;
  EXPECT_NE(result.find("100234-2610 -> " + ipd + " total 2624.39"), std::string::npos) << result;
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT ipd FROM billing.payment_document WHERE document_number = "
                   "'100234-2610'") == ipd;
      },
      30s));
  EXPECT_EQ(db.scalar("SELECT gis_payment_document_guid FROM billing.payment_document WHERE "
                      "document_number = '100234-2610'"),
            guid);
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}

TEST(GisPaymentDocumentsThroughEmulator, APaymentNoticeIsCancelledAndAnUnknownOneFailsWithItsCode) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  const auto dir = hub::testing::make_temp_dir("gis-emu-cancel");
  fs::create_directories(dir / "inbox");
  const std::string routes = R"(routes:
  - name: gis-results
    match: {type: [external.state]}
    to: [billing_store]
    stop: true
  - name: payments-to-gis
    match: {type: [payment.received, payment.cancelled]}
    to: [gis, billing_store]
    stop: true
  - name: rest
    match: {}
    to: [noop]
)";
  hub::testing::HubProcess hub(dir, db.conninfo(), routes, adapters(emu, dir), "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  auto done = [&](const char* operation, const char* n) {
    return wait_for(
        [&] {
          return db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE operation = '" +
                           std::string(operation) + "' AND state = 'done'") == n;
        },
        60s);
  };
  drop(dir, "p1.xml", sample("payment.received"));
  ASSERT_TRUE(done("importNotificationsOfOrderExecution", "1")) << hub.logs() << exchanges(db);
  drop(dir, "c1.xml", sample("payment.cancelled"));
  ASSERT_TRUE(done("importNotificationsOfOrderExecutionCancellation", "1"))
      << hub.logs() << exchanges(db);
  // A cancellation of a payment GIS never had a notice for.
  drop(dir, "c2.xml",
       replaced(sample("payment.cancelled"), "<c:transactionId>2026112012345678</c:transactionId>",
                "<c:transactionId>2026112099999999</c:transactionId>"));
  ASSERT_TRUE(done("importNotificationsOfOrderExecutionCancellation", "2"))
      << hub.logs() << exchanges(db);
  // The dispatcher records a delivery once the sink has returned; the poller may have finished
  // the exchange before that.
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM hub.delivery WHERE target = 'gis' AND state = "
                   "'delivered'") == "3";
      },
      30s))
      << db.scalar("SELECT string_agg(state, ',') FROM hub.delivery WHERE target = 'gis'");
  // The store has the payment marked cancelled, and both cancellations as sent.
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT coalesce(string_agg(cancelled_on::text, ','), '-') FROM "
                   "billing.payment") == "2026-11-23";
      },
      30s))
      << db.scalar("SELECT count(*) FROM billing.payment");
  // Each cancellation reaches the store on its own delivery, independent of the one to GIS.
  EXPECT_TRUE(wait_for(
      [&] { return db.scalar("SELECT count(*) FROM billing.payment_cancellation") == "2"; }, 30s))
      << db.scalar("SELECT count(*) FROM billing.payment_cancellation");
  EXPECT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT string_agg(coalesce(ext_error_code, 'ok ' || "
                   "length(gis_cancellation_guid)), ',' ORDER BY ref) FROM "
                   "billing.payment_cancellation") == "ok 36,INT002000";
      },
      30s))
      << db.scalar(
             "SELECT string_agg(ref || ' ' || coalesce(ext_error_code, '') || ' ' || "
             "coalesce(gis_cancellation_guid, ''), ',') FROM billing.payment_cancellation");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM billing.external_state WHERE operation = "
                   "'importNotificationsOfOrderExecutionCancellation'") == "2";
      },
      30s));
  EXPECT_EQ(db.scalar("SELECT string_agg(coalesce(r#>>'{error,0,code}', 'ok'), ',' ORDER BY "
                      "r->>'objectRef') FROM billing.external_state, jsonb_array_elements(results) "
                      "r WHERE r->>'objectKind' = 'payment_cancellation'"),
            "ok,INT002000");
  EXPECT_EQ(db.scalar("SELECT string_agg(r->>'objectRef', ',' ORDER BY r->>'objectRef') FROM "
                      "billing.external_state, jsonb_array_elements(results) r WHERE "
                      "r->>'objectKind' = 'payment_cancellation'"),
            "sber:tx:2026112012345678,sber:tx:2026112099999999");
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}

TEST(GisPaymentDocumentsThroughEmulator, ARoutedDocumentWaitsForItsAccountThenIsPlacedOnce) {
  hub::testing::TestDatabase db;
  hub::testing::EmulatorProcess emu({"--delays", "50,50"});
  const auto dir = hub::testing::make_temp_dir("gis-emu-pd-route");
  fs::create_directories(dir / "inbox");
  const std::string routes = R"(routes:
  - name: gis-results
    match: {type: [external.state]}
    to: [billing_store]
    stop: true
  - name: documents
    match: {type: [payment_document.issued]}
    to: [billing_store, gis]
    stop: true
  - name: rest
    match: {}
    to: [noop]
)";
  db.exec(
      "INSERT INTO billing.account (nkey, number, house_fias_guid, premise_number, area, residents)"
      " VALUES ('100234', '100234', '5e4a1c2b-8f3d-4c6a-9b2e-7d1f0a3c5e69', '12А', 54.3, 3)");
  hub::testing::HubProcess hub(
      dir, db.conninfo(), routes,
      adapters(emu, dir) +
          "dispatcher:\n  targets:\n    gis: {max_attempts: 50, backoff_base: 100ms, "
          "backoff_max: 300ms}\n",
      "gis");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();
  // The account is not in GIS yet: the delivery is retried, nothing is sent.
  drop(dir, "d1.xml", new_document());
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT coalesce(max(attempts), 0) >= 2 FROM hub.delivery WHERE target "
                   "= 'gis'") == "t";
      },
      30s))
      << hub.logs();
  EXPECT_NE(db.scalar("SELECT last_error FROM hub.delivery WHERE target = 'gis'")
                .find("/c:paymentDocumentIssued/c:account"),
            std::string::npos);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.gis_exchange"), "0");
  // Once the account has its AccountGUID, the next attempt places the document.
  run(hub, db, "gis.import_accounts");
  ASSERT_TRUE(wait_for(
      [&] {
        return db.scalar(
                   "SELECT gis_payment_document_guid IS NOT NULL AND ipd IS NOT NULL FROM "
                   "billing.payment_document") == "t";
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
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.gis_exchange WHERE operation = "
                      "'importPaymentDocumentData'"),
            "1");
  EXPECT_EQ(stat(emu, "payment_documents"), 1);
  EXPECT_EQ(stat(emu, "soap_faults"), 0);
}
