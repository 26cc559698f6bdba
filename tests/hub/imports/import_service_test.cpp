#include "hub/imports/import_service.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../api/admin_fixture.h"
#include "../ingress/ingress_fixture.h"
#include "hub/api/api_route.h"
#include "hub/cli/cli.h"
#include "hub/imports/import_routes.h"
#include "hub/imports/spooled_file.h"
#include "test_database.h"
#include "wait_for.h"

namespace hub::imports {
namespace {

namespace fs = std::filesystem;
using hub::testing::sample_body;

/// A line format for these tests: each line "KEY" is one payment.received with that idempotency
/// key; "BAD ..." is a line error; a last line "TOTAL n" must match the number of payments, else
/// the file is refused before anything is handed over (as the bank parsers do with footers).
class LineParser : public plugin::FileParser {
 public:
  plugin::ParseOutcome parse(const fs::path& file, const plugin::ParsedFile& info,
                             plugin::ParseSink& sink) override {
    ++runs;
    const auto size = fs::file_size(file);
    // Pass 1: the footer.
    {
      std::ifstream in(file);
      std::string line, last;
      long count = 0, n = 0, total_line = 0;
      while (std::getline(in, line)) {
        ++n;
        if (line.rfind("TOTAL ", 0) == 0) {
          last = line;
          total_line = n;
        } else if (!line.empty() && line.rfind("BAD", 0) != 0) {
          ++count;
        }
      }
      if (last.empty() || std::stol(last.substr(6)) != count) {
        return {false,
                "",
                {{total_line, "TOTAL",
                  "footer says " + (last.empty() ? "nothing" : last.substr(6)) + ", the file has " +
                      std::to_string(count)}}};
      }
    }
    // Pass 2: the payments.
    std::ifstream in(file);
    std::string line;
    long n = 0, count = 0;
    std::uint64_t read = 0;
    while (std::getline(in, line)) {
      ++n;
      read += line.size() + 1;
      if (n <= info.resume_after) continue;
      if (line.rfind("TOTAL ", 0) == 0 || line.empty()) continue;
      if (line.rfind("BAD", 0) == 0) {
        sink.error({n, "key", "not a key: " + line});
        continue;
      }
      Envelope e;
      e.type = "payment.received";
      e.idempotency_key = "lines:" + line;
      e.body = sample_body("payment.received");
      sink.emit({std::move(e)}, n);
      sink.progress(read, size);
      ++count;
      if (delay.count()) std::this_thread::sleep_for(delay);
    }
    return {true,
            "{\"count\":" + std::to_string(count) +
                ",\"sum_kopecks\":" + std::to_string(count * 100) + "}",
            {}};
  }
  std::atomic<int> runs{0};
  std::chrono::milliseconds delay{0};
};

class ImportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spool = fs::temp_directory_path() / ("zhkh-imports-" + db.name());
    fs::remove_all(spool);
    parsers.add("test.lines", parser);
    options.spool_dir = spool;
    options.batch_size = 2;
    options.retry_delay = std::chrono::milliseconds(100);
  }
  void TearDown() override { fs::remove_all(spool); }

  int count(const std::string& sql) { return std::stoi(db.scalar(sql)); }

  /// Waits (generously: the import runs on the service's own thread) until the import is no
  /// longer queued or running.
  ImportStatus wait(ImportService& s, const std::string& id) {
    std::optional<ImportStatus> st;
    if (hub::testing::wait_for(
            [&] {
              st = s.find(id);
              return st && (st->status == "done" || st->status == "quarantined");
            },
            std::chrono::seconds(30), std::chrono::milliseconds(50)))
      return *st;
    ADD_FAILURE() << "import " << id << " did not finish: " << (st ? st->status : "unknown");
    return {};
  }

  hub::testing::TestDatabase db;
  std::unique_ptr<store::Pool> pool = db.make_pool(4);
  hub::testing::IngressRig rig{*pool};
  plugin_host::SharedParserRegistry parsers;
  std::shared_ptr<LineParser> parser = std::make_shared<LineParser>();
  ImportOptions options;
  fs::path spool;
};

TEST_F(ImportServiceTest, SpoolsJournalsAndReportsAFile) {
  ImportService service(*pool, *rig.ingress, parsers, options);
  service.start();
  std::istringstream body("a\nb\nBAD x\nc\nTOTAL 3\n");
  const auto queued = service.submit("test.lines", "reg.txt", body);
  EXPECT_FALSE(queued.duplicate);
  EXPECT_EQ(queued.id.size(), 64u);
  const auto done = wait(service, queued.id);
  EXPECT_EQ(done.status, "done");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE idempotency_key LIKE 'lines:%'"), 3);
  EXPECT_EQ(db.scalar("SELECT status || ':' || position FROM hub.file_checkpoint WHERE "
                      "source = 'import'"),
            "done:4");
  auto report = Poco::JSON::Parser().parse(done.report).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(report->getValue<int>("accepted"), 3);
  EXPECT_EQ(report->getValue<int>("error_count"), 1);
  EXPECT_EQ(report->getArray("errors")->getObject(0)->getValue<int>("line"), 3);
  EXPECT_EQ(report->getObject("summary")->getValue<int>("sum_kopecks"), 300);
  EXPECT_TRUE(fs::exists(spool / "done" / queued.id));
  EXPECT_FALSE(fs::exists(spool / queued.id));
}

TEST_F(ImportServiceTest, TheSameFileTwiceAddsNothing) {
  ImportService service(*pool, *rig.ingress, parsers, options);
  service.start();
  std::istringstream first("a\nb\nTOTAL 2\n");
  const auto id = service.submit("test.lines", "reg.txt", first).id;
  wait(service, id);
  std::istringstream again("a\nb\nTOTAL 2\n");
  const auto second = service.submit("test.lines", "reg-copy.txt", again);
  EXPECT_TRUE(second.duplicate);
  EXPECT_EQ(second.status, "done");
  EXPECT_EQ(parser->runs.load(), 1);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 2);
}

TEST_F(ImportServiceTest, ARefusedFileIsQuarantinedWithNothingKept) {
  ImportService service(*pool, *rig.ingress, parsers, options);
  service.start();
  std::istringstream body("a\nb\nc\nTOTAL 5\n");
  const auto done = wait(service, service.submit("test.lines", "bad.txt", body).id);
  EXPECT_EQ(done.status, "quarantined");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  auto report = Poco::JSON::Parser().parse(done.report).extract<Poco::JSON::Object::Ptr>();
  const auto fatal = report->getArray("fatal")->getObject(0);
  EXPECT_EQ(fatal->getValue<int>("line"), 4);
  EXPECT_NE(fatal->getValue<std::string>("reason").find("footer says 5"), std::string::npos);
}

TEST_F(ImportServiceTest, ADryRunCommitsNothing) {
  ImportService service(*pool, *rig.ingress, parsers, options);
  std::istringstream body("a\nb\nc\nTOTAL 3\n");
  const auto r = service.dry_run("test.lines", "reg.txt", body, 2);
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(r.messages_total, 3u);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].idempotency_key, "lines:a");
  EXPECT_EQ(r.summary, "{\"count\":3,\"sum_kopecks\":300}");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM hub.file_checkpoint"), 0);
  EXPECT_TRUE(fs::is_empty(spool / "dry-run"));
}

TEST_F(ImportServiceTest, AnUnfinishedImportResumesAfterItsLastCommittedLine) {
  // What a crash leaves: the spooled file and a checkpoint at line 2 with lines 1-2 journalled.
  std::istringstream body("a\nb\nc\nd\nTOTAL 4\n");
  const auto spooled = spool_stream(body, spool, 1 << 20);
  rig.ingress->submit({hub::testing::make_message("payment.received", "lines:a"),
                       hub::testing::make_message("payment.received", "lines:b")},
                      plugin::Checkpoint{"import", spooled.sha256, "reg.txt", 2, "in_progress",
                                         "{\"parser\":\"test.lines\",\"file\":\"reg.txt\"}"});
  ImportService service(*pool, *rig.ingress, parsers, options);
  service.start();
  const auto done = wait(service, spooled.sha256);
  EXPECT_EQ(done.status, "done");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 4);
  auto report = Poco::JSON::Parser().parse(done.report).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(report->getValue<int>("accepted"), 2);  // c and d: a and b were there already
}

TEST_F(ImportServiceTest, AStoppedImportIsTakenUpByTheNextStart) {
  // 60 lines of 100 ms: long enough to be still running when the test stops it.
  parser->delay = std::chrono::milliseconds(100);
  std::string text;
  for (int i = 0; i < 60; ++i) text += "k" + std::to_string(i) + "\n";
  text += "TOTAL 60\n";
  std::string id;
  {
    ImportService service(*pool, *rig.ingress, parsers, options);
    service.start();
    std::istringstream body(text);
    id = service.submit("test.lines", "long.txt", body).id;
    // Under way: started, and a first batch committed (a fixed sleep may end before the
    // service's thread has even begun on a loaded machine).
    std::optional<ImportStatus> running;
    ASSERT_TRUE(hub::testing::wait_for(
        [&] {
          running = service.find(id);
          return running && running->status == "running" && running->bytes_read > 0 &&
                 count("SELECT count(*) FROM hub.message") > 0;
        },
        std::chrono::seconds(30), std::chrono::milliseconds(20)))
        << (running ? running->status : "not found");
    EXPECT_EQ(running->bytes_total, text.size());
  }  // stopped in the middle
  EXPECT_EQ(db.scalar("SELECT status FROM hub.file_checkpoint WHERE key = '" + id + "'"),
            "in_progress");
  const int kept = count("SELECT count(*) FROM hub.message");
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 60);
  parser->delay = std::chrono::milliseconds(0);
  ImportService again(*pool, *rig.ingress, parsers, options);
  again.start();
  EXPECT_EQ(wait(again, id).status, "done");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 60);
}

TEST_F(ImportServiceTest, AnUnknownParserIsRefusedNamingTheKnownOnes) {
  ImportService service(*pool, *rig.ingress, parsers, options);
  std::istringstream body("a\n");
  try {
    service.submit("bank.nope", "x.txt", body);
    FAIL() << "expected ApiError";
  } catch (const api::ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_NE(std::string(e.what()).find("test.lines"), std::string::npos) << e.what();
  }
}

/// The API and the CLI over a real admin server: upload, progress, report, dry run.
TEST_F(ImportServiceTest, TheCliImportsThroughTheApi) {
  api::testsupport::AdminFixture admin({}, true, false);
  // The fixture has its own database: the import service works on that one.
  hub::testing::IngressRig admin_rig{admin.pool()};
  ImportService service(admin.pool(), *admin_rig.ingress, parsers, options);
  admin.server->add_routes(import_routes(service));
  admin.server->start();
  service.start();
  const auto file = spool.parent_path() / ("zhkh-import-" + db.name() + ".txt");
  {
    std::ofstream out(file);
    out << "x1\nx2\nBAD\nx3\nTOTAL 3\n";
  }
  const auto url = "--url=" + admin.server->base_url();
  auto run = [&](std::vector<std::string> args, std::string& out_text) {
    args.push_back(url);
    args.push_back("--token");
    args.push_back(admin.operator_);
    std::ostringstream out, err;
    const int code = cli::run_cli(args, out, err);
    out_text = out.str() + err.str();
    return code;
  };
  std::string out;
  const auto journalled = [&] {
    return std::stoi(admin.db.scalar("SELECT count(*) FROM hub.message"));
  };
  const int seeded = journalled();
  ASSERT_EQ(
      run({"import", "file", "--parser", "test.lines", file.string(), "--dry-run", "--json"}, out),
      0)
      << out;
  const auto last = out.substr(out.rfind('\n', out.size() - 2) + 1);
  auto summary = Poco::JSON::Parser().parse(last).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(summary->getValue<int>("count"), 3);
  EXPECT_EQ(summary->getValue<int>("sum_kopecks"), 300);
  EXPECT_EQ(summary->getValue<int>("errors"), 1);
  EXPECT_EQ(journalled(), seeded);

  ASSERT_EQ(run({"import", "file", "--parser", "test.lines", file.string()}, out), 0) << out;
  EXPECT_NE(out.find("done"), std::string::npos) << out;
  EXPECT_NE(out.find("line 3"), std::string::npos) << out;
  EXPECT_EQ(journalled(), seeded + 3);

  ASSERT_EQ(run({"import", "file", "--parser", "test.lines", file.string()}, out), 0) << out;
  EXPECT_NE(out.find("already imported"), std::string::npos) << out;

  ASSERT_EQ(run({"imports", "list"}, out), 0) << out;
  EXPECT_NE(out.find("zhkh-import-"), std::string::npos) << out;
  EXPECT_NE(out.find("test.lines"), std::string::npos) << out;

  EXPECT_EQ(run({"import", "bank", file.string()}, out), cli::kExitUsage) << out;
  EXPECT_NE(out.find("--layout"), std::string::npos) << out;
  fs::remove(file);
}

}  // namespace
}  // namespace hub::imports
