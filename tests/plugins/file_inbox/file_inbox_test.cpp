// The real file_inbox.so driven through AdapterHost into the real Ingress (canonical schemas from
// the checkout, a one-route config) on a throwaway PostgreSQL database.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "hub/ingress/ingress.h"
#include "hub/plugin_host/adapter_host.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "test_database.h"
#include "test_paths.h"

namespace hub::plugins::file_inbox {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRoutes = R"(routes:
  - name: tickets
    match: {type: [ticket.created]}
    to: [tickets]
  - name: files
    match: {type: [file.received]}
    to: [archive]
)";

constexpr const char* kTicket = R"(<?xml version="1.0" encoding="UTF-8"?>
<c:ticketCreated xmlns:c="urn:zhkh-hub:canonical:1">
  <c:channel>phone</c:channel>
  <c:topic>Протечка стояка</c:topic>
  <c:text>Течёт стояк, кв. 12.</c:text>
</c:ticketCreated>
)";

std::string ticket_body(const std::string& topic) {
  return "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:channel>portal</c:channel>"
         "<c:topic>" +
         topic + "</c:topic><c:text>text</c:text></c:ticketCreated>";
}

std::string envelope(const std::string& attrs, const std::string& topic) {
  return "<e:envelope xmlns:e=\"urn:zhkh-hub:envelope:1\" type=\"ticket.created\" " + attrs + ">" +
         "<e:header name=\"channel\">inbox</e:header><e:body>" + ticket_body(topic) +
         "</e:body></e:envelope>";
}

std::string sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  static const char* kHex = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

/// Ingress, or an outage when `down` is set or once `calls_before_outage` calls went through.
/// Records each call's checkpoint position, and whether two calls ever overlapped.
class SwitchableEmitter : public plugin::Emitter {
 public:
  plugin::Emitter* inner = nullptr;
  std::atomic<bool> down{false};
  std::atomic<int> calls_before_outage{-1};
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  std::mutex mu;
  std::vector<std::int64_t> positions;
  plugin::EmitResult emit(std::vector<plugin::Envelope> batch,
                          const std::optional<plugin::Checkpoint>& checkpoint) override {
    if (running.fetch_add(1) > 0) overlapped = true;
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{running};
    // Slow enough that a parser not waiting for the batch in flight would overlap it.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (down || calls_before_outage-- == 0) throw std::runtime_error("database is down");
    auto result = inner->emit(std::move(batch), checkpoint);
    std::lock_guard lock(mu);
    positions.push_back(checkpoint ? checkpoint->position : -1);
    return result;
  }
};

/// A parser that fails on every file, as a buggy one would.
class ExplodingParser : public plugin::FileParser {
 public:
  plugin::ParseOutcome parse(const std::filesystem::path&, const plugin::ParsedFile&,
                             plugin::ParseSink&) override {
    throw std::runtime_error("unexpected record type 'ZZ'");
  }
};

class FileInboxTest : public ::testing::Test {
 protected:
  FileInboxTest() {
    schemas_ = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(
        router::parse_routing_config(kRoutes, "test-routes.yaml"));
    auto xslt = std::make_shared<xml::StylesheetCache>(hub::testing::source_dir() / "mappings");
    router_.set(std::make_shared<router::Router>(config, xslt, 1));
    ingress_ = std::make_unique<ingress::Ingress>(*pool_, schemas_, router_);
    emitter_.inner = ingress_.get();
    dir_ = hub::testing::make_temp_dir("zhkh-inbox");
    inbox_ = dir_ / "in";
  }
  ~FileInboxTest() override {
    host_.reset();
    fs::remove_all(dir_);
  }

  /// A host with one file_inbox instance `inbox` on inbox_, plus `extra` settings.
  plugin_host::AdapterHost& host(const std::string& extra = "message_type: ticket.created\n") {
    host_ =
        std::make_unique<plugin_host::AdapterHost>(hub::testing::plugin_dir(), *pool_, emitter_);
    host_->add_instances(YAML::Load("inbox:\n  plugin: file_inbox\n  path: " + inbox_.string() +
                                    "\n  min_age: 0s\n  poll_interval: 1h\n" + indent(extra)),
                         "test.yaml");
    return *host_;
  }
  static std::string indent(const std::string& lines) {
    std::string out;
    std::stringstream ss(lines);
    std::string l;
    while (std::getline(ss, l)) out += "  " + l + "\n";
    return out;
  }
  plugin::JobResult scan() { return host_->run_job("inbox.scan"); }
  int count(const std::string& sql) { return std::stoi(db_.scalar(sql)); }

  hub::testing::TestDatabase db_;
  std::unique_ptr<store::Pool> pool_ = db_.make_pool(3);
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  router::RouterHolder router_;
  std::unique_ptr<ingress::Ingress> ingress_;
  SwitchableEmitter emitter_;
  fs::path dir_;
  fs::path inbox_;
  std::unique_ptr<plugin_host::AdapterHost> host_;
};

TEST_F(FileInboxTest, NewFileIsJournalledCheckpointedAndMovedToDone) {
  host();
  write(inbox_ / "t1.xml", kTicket);
  const auto sha = sha256(kTicket);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 1, quarantined 0, duplicates 0, messages 1");

  EXPECT_EQ(db_.scalar("SELECT type || '|' || source || '|' || idempotency_key FROM hub.message"),
            "ticket.created|inbox|inbox:" + sha);
  EXPECT_NE(db_.scalar("SELECT body FROM hub.message").find("Протечка стояка"), std::string::npos);
  EXPECT_EQ(db_.scalar("SELECT headers->>'file_name' FROM hub.message"), "t1.xml");
  EXPECT_EQ(db_.scalar("SELECT target FROM hub.delivery"), "tickets");
  EXPECT_EQ(
      db_.scalar("SELECT status || '|' || position || '|' || file_name FROM hub.file_checkpoint"
                 " WHERE source = 'inbox' AND key = '" +
                 sha + "'"),
      "done|1|t1.xml");

  EXPECT_FALSE(fs::exists(inbox_ / "t1.xml"));
  EXPECT_EQ(slurp(inbox_ / "done/t1.xml"), kTicket);
  const auto report = slurp(inbox_ / "done/t1.xml.report.json");
  EXPECT_NE(report.find("\"status\":\"done\""), std::string::npos) << report;
  EXPECT_NE(report.find("\"accepted\":1"), std::string::npos) << report;
  EXPECT_NE(report.find("\"sha256\":\"" + sha + "\""), std::string::npos) << report;
  // The checkpoint's report (what `zhkh-hub imports` shows) has the final counts too.
  EXPECT_EQ(db_.scalar("SELECT (report::jsonb->>'accepted') || '|' ||"
                       " (report::jsonb->>'duplicates') || '|' || (report::jsonb->>'error_count')"
                       " || '|' || (report::jsonb->>'committed_position') FROM hub.file_checkpoint"
                       " WHERE source = 'inbox'"),
            "1|0|0|1");
  EXPECT_GE(metrics::Registry::global().value("zhkh_adapter_files_total",
                                              {{"instance", "inbox"}, {"outcome", "done"}}),
            1.0);
}

TEST_F(FileInboxTest, SameContentAgainIsNeverReEmitted) {
  host();
  write(inbox_ / "t1.xml", kTicket);
  ASSERT_TRUE(scan().ok);
  // The same bytes under another name, and again under the same name.
  write(inbox_ / "copy.xml", kTicket);
  write(inbox_ / "t1.xml", kTicket);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 0, quarantined 0, duplicates 2, messages 0");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery"), 1);
  const auto report = slurp(inbox_ / "done/copy.xml.report.json");
  EXPECT_NE(report.find("duplicate of t1.xml (done)"), std::string::npos) << report;
  // The earlier t1.xml in done/ is kept; the duplicate lands beside it under its hash.
  EXPECT_TRUE(fs::exists(inbox_ / "done/t1.xml"));
  EXPECT_TRUE(fs::exists(inbox_ / ("done/t1.xml." + sha256(kTicket).substr(0, 12))));
  EXPECT_TRUE(fs::is_empty(inbox_ / "quarantine"));
}

TEST_F(FileInboxTest, MalformedXmlIsQuarantinedWithAReportNamingTheLine) {
  host();
  const std::string bad =
      "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\">\n"
      "  <c:channel>phone</c:channel>\n"
      "  <c:topic>misspelt end tag</c:topc>\n"
      "  <c:text>t</c:text>\n"
      "</c:ticketCreated>\n";
  write(inbox_ / "bad.xml", bad);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 0, quarantined 1, duplicates 0, messages 0");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  EXPECT_FALSE(fs::exists(inbox_ / "bad.xml"));
  EXPECT_TRUE(fs::exists(inbox_ / "quarantine/bad.xml"));
  const auto report = slurp(inbox_ / "quarantine/bad.xml.report.json");
  EXPECT_NE(report.find("\"status\":\"quarantined\""), std::string::npos) << report;
  EXPECT_NE(report.find("{\"line\":3,\"field\":\"\",\"reason\":\"malformed XML: "),
            std::string::npos)
      << report;
  EXPECT_EQ(db_.scalar("SELECT status FROM hub.file_checkpoint WHERE file_name = 'bad.xml'"),
            "quarantined");
  EXPECT_NE(db_.scalar("SELECT report FROM hub.file_checkpoint").find("malformed XML"),
            std::string::npos);

  // Dropped again: recognised by its hash, not parsed again.
  write(inbox_ / "bad-again.xml", bad);
  EXPECT_EQ(scan().message, "done 0, quarantined 0, duplicates 1, messages 0");
  EXPECT_NE(
      slurp(inbox_ / "done/bad-again.xml.report.json").find("duplicate of bad.xml (quarantined)"),
      std::string::npos);
}

TEST_F(FileInboxTest, DoctypeAndEntitiesAreRefused) {
  host();
  write(inbox_ / "xxe.xml",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
        "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:channel>&x;</c:channel>"
        "</c:ticketCreated>\n");
  ASSERT_TRUE(scan().ok);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  const auto report = slurp(inbox_ / "quarantine/xxe.xml.report.json");
  EXPECT_NE(report.find("{\"line\":2,\"field\":\"\",\"reason\":\"DOCTYPE is not allowed"),
            std::string::npos)
      << report;
  EXPECT_EQ(report.find("root:"), std::string::npos);  // nothing of /etc/passwd leaked
}

TEST_F(FileInboxTest, BodyRefusedByIngressQuarantinesTheFileWithTheReason) {
  host();
  write(inbox_ / "invalid.xml",
        "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:nonsense/></c:ticketCreated>");
  ASSERT_TRUE(scan().ok);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  const auto report = slurp(inbox_ / "quarantine/invalid.xml.report.json");
  EXPECT_NE(report.find("ticket.created"), std::string::npos) << report;
  EXPECT_NE(report.find("nonsense"), std::string::npos) << report;
  EXPECT_EQ(db_.scalar("SELECT status FROM hub.file_checkpoint"), "quarantined");
}

TEST_F(FileInboxTest, EnvelopesCarryTheirOwnFieldsAndBatchesGetOneKeyPerMessage) {
  host("message_type: ''\nbatch_size: 2\n");
  write(inbox_ / "one.xml",
        envelope("idempotencyKey=\"crm:42\" occurredAt=\"2026-01-05T10:00:00+03:00\"", "single"));
  const std::string batch = "<e:batch xmlns:e=\"urn:zhkh-hub:envelope:1\">" +
                            envelope("", "first") + envelope("", "second") + envelope("", "third") +
                            "</e:batch>";
  write(inbox_ / "two.xml", batch);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 2, quarantined 0, duplicates 0, messages 4");
  EXPECT_EQ(
      db_.scalar("SELECT headers->>'channel' || '|' || to_char(occurred_at AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD HH24:MI') FROM hub.message WHERE idempotency_key = 'crm:42'"),
      "inbox|2026-01-05 07:00");
  const auto sha = sha256(batch);
  for (int n = 1; n <= 3; ++n) {
    EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE idempotency_key = 'inbox:" + sha + ":" +
                    std::to_string(n) + "'"),
              1)
        << n;
  }
  EXPECT_NE(db_.scalar("SELECT body FROM hub.message WHERE idempotency_key = 'inbox:" + sha + ":3'")
                .find("<c:topic>third</c:topic>"),
            std::string::npos);
  EXPECT_EQ(db_.scalar("SELECT position FROM hub.file_checkpoint WHERE key = '" + sha + "'"), "3");
}

TEST_F(FileInboxTest, PlainDocumentWithoutAConfiguredTypeIsQuarantined) {
  host("message_type: ''\n");
  write(inbox_ / "t.xml", kTicket);
  ASSERT_TRUE(scan().ok);
  const auto report = slurp(inbox_ / "quarantine/t.xml.report.json");
  EXPECT_NE(report.find("the root element {urn:zhkh-hub:canonical:1}ticketCreated is not an "
                        "envelope nor the root of a known message type, and no message_type is "
                        "configured"),
            std::string::npos)
      << report;
}

TEST_F(FileInboxTest, RootElementNamesTheTypeThroughTheSchemaRegistry) {
  host("message_type: ''\n");
  host_->set_type_resolver([this](const std::string& ns, const std::string& local) {
    const auto* t = schemas_->find_by_root(ns, local);
    return t ? t->type : std::string();
  });
  write(inbox_ / "t.xml", kTicket);
  write(inbox_ / "u.xml", "<unknown xmlns=\"urn:other\"/>");
  ASSERT_EQ(scan().message, "done 1, quarantined 1, duplicates 0, messages 1");
  EXPECT_EQ(db_.scalar("SELECT type FROM hub.message"), "ticket.created");
  EXPECT_NE(slurp(inbox_ / "quarantine/u.xml.report.json").find("{urn:other}unknown"),
            std::string::npos);
}

TEST_F(FileInboxTest, ResumesAfterTheInProgressCheckpointPosition) {
  host("message_type: ''\nbatch_size: 1\n");
  const std::string batch = "<e:batch xmlns:e=\"urn:zhkh-hub:envelope:1\">" +
                            envelope("", "first") + envelope("", "second") + envelope("", "third") +
                            "</e:batch>";
  const auto sha = sha256(batch);
  // A crash after the first two messages were committed left this behind.
  db_.exec(
      "INSERT INTO hub.file_checkpoint (source, key, file_name, position, status)"
      " VALUES ('inbox', '" +
      sha + "', 'b.xml', 2, 'in_progress')");
  write(inbox_ / "b.xml", batch);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 1);
  EXPECT_EQ(db_.scalar("SELECT idempotency_key FROM hub.message"), "inbox:" + sha + ":3");
  EXPECT_EQ(db_.scalar("SELECT status || '|' || position FROM hub.file_checkpoint"), "done|3");
  const auto report = slurp(inbox_ / "done/b.xml.report.json");
  EXPECT_NE(report.find("\"resumed_after\":2"), std::string::npos) << report;
  EXPECT_NE(report.find("\"messages\":1"), std::string::npos) << report;
}

TEST_F(FileInboxTest, FileReceivedParserTurnsAnyFileIntoOneMessage) {
  host("parser: file_received\n");
  write(inbox_ / "note.txt", "Показания счётчика: 123 & <ok>\n");
  write(inbox_ / "blob.bin", std::string("\x00\x01\xff\xfe", 4));
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 2, quarantined 0, duplicates 0, messages 2");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message WHERE type = 'file.received'"), 2);
  const auto note =
      db_.scalar("SELECT body FROM hub.message WHERE headers->>'file_name' = 'note.txt'");
  EXPECT_NE(note.find("<c:content>Показания счётчика: 123 &amp; &lt;ok&gt;\n</c:content>"),
            std::string::npos)
      << note;
  EXPECT_NE(note.find("<c:source>inbox</c:source>"), std::string::npos) << note;
  const auto blob =
      db_.scalar("SELECT body FROM hub.message WHERE headers->>'file_name' = 'blob.bin'");
  EXPECT_NE(blob.find("<c:size>4</c:size>"), std::string::npos) << blob;
  EXPECT_EQ(blob.find("<c:content>"), std::string::npos) << blob;
}

TEST_F(FileInboxTest, SkipsYoungFilesDotFilesAndNamesOutsideThePattern) {
  host("pattern: '*.xml'\nmin_age: 1h\nmessage_type: ticket.created\n");
  write(inbox_ / "t.xml", kTicket);
  write(inbox_ / ".hidden.xml", kTicket);
  write(inbox_ / "t.txt", kTicket);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 0, quarantined 0, duplicates 0, messages 0, 1 still being written");
  // Once old enough it is taken; the others never are.
  fs::last_write_time(inbox_ / "t.xml", fs::file_time_type::clock::now() - 2h);
  fs::last_write_time(inbox_ / ".hidden.xml", fs::file_time_type::clock::now() - 2h);
  fs::last_write_time(inbox_ / "t.txt", fs::file_time_type::clock::now() - 2h);
  EXPECT_EQ(scan().message, "done 1, quarantined 0, duplicates 0, messages 1");
  EXPECT_TRUE(fs::exists(inbox_ / ".hidden.xml"));
  EXPECT_TRUE(fs::exists(inbox_ / "t.txt"));
}

TEST_F(FileInboxTest, AnOutageLeavesTheFileForTheNextScan) {
  host();
  write(inbox_ / "t.xml", kTicket);
  emitter_.down = true;
  auto r = scan();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "job threw: database is down");
  EXPECT_TRUE(fs::exists(inbox_ / "t.xml"));
  EXPECT_FALSE(host_->instances()[0].health.ok);
  EXPECT_EQ(host_->instances()[0].health.detail, "last scan failed: database is down");

  emitter_.down = false;
  EXPECT_EQ(scan().message, "done 1, quarantined 0, duplicates 0, messages 1");
  EXPECT_TRUE(host_->instances()[0].health.ok);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 1);
}

// Batches are handed to Ingress while the parser reads on, but one at a time and in file order:
// a committed position never has an uncommitted batch before it.
TEST_F(FileInboxTest, BatchesCommitOneAtATimeInFileOrderWhileTheParserReadsOn) {
  host("message_type: ''\nbatch_size: 1\n");
  std::string batch = "<e:batch xmlns:e=\"urn:zhkh-hub:envelope:1\">";
  for (int i = 1; i <= 6; ++i) batch += envelope("", "ticket " + std::to_string(i));
  write(inbox_ / "six.xml", batch + "</e:batch>");
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 1, quarantined 0, duplicates 0, messages 6");
  EXPECT_FALSE(emitter_.overlapped);
  // Six in_progress batches, then the final checkpoint with nothing left to send, and the same
  // once more with the file's final counts in its report.
  EXPECT_EQ(emitter_.positions, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 6, 6}));
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 6);
  EXPECT_EQ(db_.scalar("SELECT status || '|' || position FROM hub.file_checkpoint"), "done|6");
}

// An outage while a batch is in flight fails the scan and leaves the file; the checkpoint stays
// at the last batch that committed, and the next scan sends each message once.
TEST_F(FileInboxTest, AnOutageUnderABatchInFlightResumesAfterTheLastCommittedOne) {
  host("message_type: ''\nbatch_size: 1\n");
  std::string batch = "<e:batch xmlns:e=\"urn:zhkh-hub:envelope:1\">";
  for (int i = 1; i <= 5; ++i) batch += envelope("", "ticket " + std::to_string(i));
  write(inbox_ / "five.xml", batch + "</e:batch>");
  emitter_.calls_before_outage = 2;
  auto r = scan();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "job threw: database is down");
  EXPECT_TRUE(fs::exists(inbox_ / "five.xml"));
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 2);
  EXPECT_EQ(db_.scalar("SELECT status || '|' || position FROM hub.file_checkpoint"),
            "in_progress|2");

  emitter_.calls_before_outage = -1;
  r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 1, quarantined 0, duplicates 0, messages 3");
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 5);
  EXPECT_EQ(count("SELECT count(DISTINCT idempotency_key) FROM hub.message"), 5);
  EXPECT_EQ(db_.scalar("SELECT status || '|' || position FROM hub.file_checkpoint"), "done|5");
  EXPECT_FALSE(emitter_.overlapped);
}

// Ingress refusing a batch in flight quarantines the file, as a refusal of a synchronous batch did.
TEST_F(FileInboxTest, ABatchInFlightRefusedByIngressQuarantinesTheFile) {
  host("message_type: ''\nbatch_size: 1\n");
  const std::string batch =
      "<e:batch xmlns:e=\"urn:zhkh-hub:envelope:1\">" + envelope("", "first") +
      "<e:envelope type=\"ticket.created\"><e:body><c:ticketCreated "
      "xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:nonsense/></c:ticketCreated></e:body></e:envelope>" +
      envelope("", "third") + envelope("", "fourth") + "</e:batch>";
  write(inbox_ / "bad.xml", batch);
  auto r = scan();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "done 0, quarantined 1, duplicates 0, messages 0");
  EXPECT_TRUE(fs::exists(inbox_ / "quarantine/bad.xml"));
  EXPECT_EQ(db_.scalar("SELECT status FROM hub.file_checkpoint"), "quarantined");
  const auto report = slurp(inbox_ / "quarantine/bad.xml.report.json");
  EXPECT_NE(report.find("nonsense"), std::string::npos) << report;
  EXPECT_FALSE(emitter_.overlapped);
}

TEST_F(FileInboxTest, AParserThatThrowsQuarantinesTheFileAMissingOneLeavesIt) {
  host("parser: special\n");
  write(inbox_ / "r.dat", "ZZ;1;2\n");
  auto r = scan();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("parser 'special' is not registered"), std::string::npos) << r.message;
  EXPECT_TRUE(fs::exists(inbox_ / "r.dat"));

  host_->parsers().add("special", std::make_shared<ExplodingParser>());
  EXPECT_EQ(scan().message, "done 0, quarantined 1, duplicates 0, messages 0");
  EXPECT_NE(slurp(inbox_ / "quarantine/r.dat.report.json")
                .find("parser failed: unexpected record type 'ZZ'"),
            std::string::npos);
}

TEST_F(FileInboxTest, PollsOnItsOwnOnceStarted) {
  host("poll_interval: 50ms\nmessage_type: ticket.created\n");
  host_->start_all();
  // Written beside the inbox and renamed in: the poller (min_age 0s) must not see half a file.
  write(dir_ / "polled.xml", kTicket);
  fs::rename(dir_ / "polled.xml", inbox_ / "polled.xml");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists(inbox_ / "done/polled.xml.report.json") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  host_->stop_all();
  EXPECT_TRUE(fs::exists(inbox_ / "done/polled.xml.report.json"));
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 1);
  auto list = host_->instances();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0].health.ok) << list[0].health.detail;
}

}  // namespace
}  // namespace hub::plugins::file_inbox
