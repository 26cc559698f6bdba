// zhkh-hub exchanges export through a real admin server: one file per logged request and
// response, named by time, operation, MessageGUID and id, with the payload byte for byte;
// filters; a re-run writes nothing new; a 20,000-row log goes page by page.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <regex>

#include "exchanges_fixture.h"
#include "hub/exchanges/exchange_files.h"
#include "hub/exchanges/exchange_log.h"

namespace hub::exchanges {
namespace {

using testing::ExchangesTest;
using testing::soap;
namespace fs = std::filesystem;

constexpr const char* kA = "6f1c7a52-1c3e-4b8e-9d55-0a1b2c3d4e5f";
constexpr const char* kB = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Poco::JSON::Object::Ptr json_line(const std::string& out) {
  return Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
}

TEST_F(ExchangesTest, ExportWritesEveryRequestAndResponseAsAFileNamedToSortAndIdentify) {
  log_request("importAccountData", kA, 2);
  log_request("exportAccountData", kB, 1);
  log.log_exchange("importAccountData", "in", kB, "transport", "connection refused");

  std::string out;
  ASSERT_EQ(run({"exchanges", "export", "--dir", dir.string(), "--json"}, out), 0) << out;
  const auto summary = json_line(last_stdout);
  EXPECT_EQ(summary->getValue<int>("rows"), 11);
  EXPECT_EQ(summary->getValue<int>("written"), 11);
  EXPECT_EQ(summary->getValue<int>("unchanged"), 0);

  const auto names = files();
  ASSERT_EQ(names.size(), 11u);
  const std::regex name(
      R"(^\d{8}T\d{6}\.\d{6}Z_(importAccountData|exportAccountData|getState)_[0-9a-f-]{36}_\d{12}_(request|response)\.(xml|txt)$)");
  for (const auto& n : names) EXPECT_TRUE(std::regex_match(n, name)) << n;
  // By time, and so in the order they were exchanged: the first file is A's signed request.
  EXPECT_EQ(names.front().substr(24),
            std::string("importAccountData_") + kA + "_000000000001_request.xml");
  EXPECT_EQ(read(dir / names.front()), soap("importAccountDataRequest", kA));
  EXPECT_EQ(names[1].substr(24),
            std::string("importAccountData_") + kA + "_000000000002_response.xml");
  EXPECT_EQ(read(dir / names[1]), soap("AckRequest", kA));
  // getState polls and their answers carry the request's MessageGUID; each answer its own file.
  EXPECT_EQ(read(dir / names[3]), soap("getStateResult", std::string(kA) + "-0"));
  EXPECT_EQ(read(dir / names[5]), soap("getStateResult", std::string(kA) + "-1"));
  EXPECT_NE(names[5].find("_getState_"), std::string::npos) << names[5];
  // A transport error's text is kept as text.
  EXPECT_TRUE(names.back().ends_with("_response.txt")) << names.back();
  EXPECT_EQ(read(dir / names.back()), "connection refused");
  // Nothing half-written is left behind.
  for (const auto& n : names) EXPECT_EQ(n.find(".tmp"), std::string::npos) << n;

  // Human-readable summary without --json.
  const auto again = dir.string() + "-text";
  ASSERT_EQ(run({"exchanges", "export", "--dir", again}, out), 0) << out;
  EXPECT_NE(out.find("exported 11 exchange log rows"), std::string::npos) << out;
  EXPECT_NE(out.find("11 files written"), std::string::npos) << out;
  fs::remove_all(again);
}

TEST_F(ExchangesTest, ARerunIntoTheSameDirectoryWritesOnlyWhatIsNew) {
  log_request("importAccountData", kA, 1);
  std::string out;
  ASSERT_EQ(run({"exchanges", "export", "--dir", dir.string(), "--json"}, out), 0) << out;
  EXPECT_EQ(json_line(last_stdout)->getValue<int>("written"), 4);
  const auto first = files();
  std::map<std::string, fs::file_time_type> times;
  for (const auto& n : first) times[n] = fs::last_write_time(dir / n);

  ASSERT_EQ(run({"exchanges", "export", "--dir", dir.string(), "--json"}, out), 0) << out;
  auto s = json_line(last_stdout);
  EXPECT_EQ(s->getValue<int>("written"), 0);
  EXPECT_EQ(s->getValue<int>("unchanged"), 4);
  EXPECT_EQ(files(), first);
  for (const auto& n : first) EXPECT_EQ(fs::last_write_time(dir / n), times[n]) << n;

  // A file damaged on disk is written again; a new row adds one file.
  { std::ofstream(dir / first[1], std::ios::trunc) << "broken"; }
  log.log_exchange("getState", "out", kA, "importAccountData", soap("getStateRequest", kA));
  ASSERT_EQ(run({"exchanges", "export", "--dir", dir.string(), "--json"}, out), 0) << out;
  s = json_line(last_stdout);
  EXPECT_EQ(s->getValue<int>("written"), 2);
  EXPECT_EQ(s->getValue<int>("unchanged"), 3);
  EXPECT_EQ(files().size(), 5u);
  EXPECT_EQ(read(dir / first[1]), soap("AckRequest", kA));
}

TEST_F(ExchangesTest, FiltersPickOperationStatusDirectionAndTime) {
  log_request("importAccountData", kA, 1);
  log_request("exportAccountData", kB, 1);
  log.log_exchange("importPaymentDocumentData", "out", "c0c0c0c0-0000-4000-8000-000000000001",
                   "request", soap("importPaymentDocumentRequest", "c"));
  log.log_exchange("importPaymentDocumentData", "in", "c0c0c0c0-0000-4000-8000-000000000001",
                   "fault FMT001300", soap("Fault", "c"));
  // The first request was made two days ago.
  admin.db.exec(
      "UPDATE hub.exchange_log SET at = now() - interval '2 days' WHERE correlation_id = '" +
      std::string(kA) + "'");
  auto count_rows = [&](std::vector<std::string> args) {
    std::string out;
    args.insert(args.begin(), {"exchanges", "export", "--dir", dir.string(), "--json"});
    EXPECT_EQ(run(args, out), 0) << out;
    fs::remove_all(dir);
    return json_line(last_stdout)->getValue<int>("rows");
  };
  // An operation takes its requests, their answers and the getState polls about them.
  EXPECT_EQ(count_rows({"--operation", "importAccountData"}), 4);
  EXPECT_EQ(count_rows({"--operation", "exportAccountData"}), 4);
  EXPECT_EQ(count_rows({"--direction", "out"}), 5);
  EXPECT_EQ(count_rows({"--status", "fault"}), 1);
  EXPECT_EQ(count_rows({"--status", "fault FMT001300"}), 1);
  EXPECT_EQ(count_rows({"--status", "ack"}), 2);
  EXPECT_EQ(count_rows({"--since", "1d"}), 6);
  EXPECT_EQ(count_rows({"--until", "1d"}), 4);
  EXPECT_EQ(count_rows({"--since", "2020-01-01T00:00:00Z", "--until", "2099-01-01"}), 10);
  EXPECT_EQ(count_rows({"--adapter", "other"}), 0);
  EXPECT_EQ(count_rows({"--message-guid", kB}), 4);
  EXPECT_EQ(count_rows({"--message-guid", kB, "--direction", "in"}), 2);

  std::string out;
  EXPECT_EQ(run({"exchanges", "export", "--dir", dir.string(), "--since", "yesterday"}, out), 1);
  EXPECT_NE(out.find("since"), std::string::npos) << out;
  EXPECT_NE(out.find("yesterday"), std::string::npos) << out;
  EXPECT_EQ(run({"exchanges", "export"}, out), cli::kExitUsage) << out;
  EXPECT_NE(out.find("--dir"), std::string::npos) << out;
}

TEST_F(ExchangesTest, ABigLogIsReadThroughACursorOnePageAtATime) {
  constexpr int kRows = 20000;
  constexpr int kPayload = 2000;
  // The same rows PgStoreAccess::log_exchange writes, in one statement (20,000 calls would only
  // make the test slow).
  admin.db.exec(
      "INSERT INTO hub.exchange_log (adapter, operation, direction, correlation_id, status, "
      "payload) SELECT 'gis', 'importAccountData', CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END,"
      " md5(((i + 1) / 2)::text)::uuid::text, CASE WHEN i % 2 = 0 THEN 'ack' ELSE 'request' END,"
      " '<r n=\"' || i || '\">' || repeat('x', " +
      std::to_string(kPayload - 20) + ") || '</r>' FROM generate_series(1, " +
      std::to_string(kRows) + ") i");

  // The log's own paging: every page stops at its byte budget (plus the row that crossed it).
  ExchangeLog reader(admin.pool());
  std::int64_t after = 0, seen = 0, pages = 0, last = 0;
  std::size_t max_page_bytes = 0, total_bytes = 0;
  for (bool more = true; more;) {
    std::size_t bytes = 0;
    const auto page = reader.scan({}, after, 5000, 100 * 1024, [&](const ExchangeRow& r) {
      EXPECT_GT(r.id, last);
      last = r.id;
      bytes += r.payload.size();
      ++seen;
    });
    max_page_bytes = std::max(max_page_bytes, bytes);
    total_bytes += bytes;
    after = page.last_id;
    more = page.more;
    ++pages;
  }
  EXPECT_EQ(seen, kRows);
  EXPECT_LT(max_page_bytes, 100u * 1024 + 2 * kPayload);
  EXPECT_GE(pages, static_cast<std::int64_t>(total_bytes / (100 * 1024 + kPayload)));

  // The CLI pages through the API the same way and writes every row.
  std::string out;
  ASSERT_EQ(run({"exchanges", "export", "--dir", dir.string(), "--json"}, out), 0) << out;
  const auto s = json_line(last_stdout);
  EXPECT_EQ(s->getValue<int>("rows"), kRows);
  EXPECT_EQ(s->getValue<int>("written"), kRows);
  EXPECT_GE(s->getValue<int>("pages"), kRows / 500);
  EXPECT_EQ(files().size(), static_cast<std::size_t>(kRows));
}

}  // namespace
}  // namespace hub::exchanges
