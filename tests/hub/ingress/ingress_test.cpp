#include "hub/ingress/ingress.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include "hub/core/error.h"
#include "ingress_fixture.h"
#include "test_database.h"

extern char** environ;

namespace hub::ingress {
namespace {

using testing::make_message;

class IngressTest : public ::testing::Test {
 protected:
  hub::testing::TestDatabase db;
  std::unique_ptr<store::Pool> pool = db.make_pool(2);
  hub::testing::IngressRig rig{*pool};

  int count(const std::string& sql) { return std::stoi(db.scalar(sql)); }
};

TEST_F(IngressTest, JournalsAndFansOutOneDeliveryPerTarget) {
  auto result = rig.ingress->submit(
      {make_message("payment.received", "p-1"), make_message("meter.reading", "r-1")});
  EXPECT_EQ(result.accepted, 2u);
  EXPECT_EQ(result.duplicates, 0u);
  ASSERT_EQ(result.ids.size(), 2u);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery WHERE message_id = '" + result.ids[0] +
                  "' AND target IN ('billing','archive')"),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery WHERE message_id = '" + result.ids[1] +
                  "' AND target = 'billing'"),
            1);
  EXPECT_EQ(db.scalar("SELECT route_version FROM hub.message LIMIT 1"), "1");
  EXPECT_EQ(db.scalar("SELECT correlation_id = id::text FROM hub.message LIMIT 1"), "t");
}

TEST_F(IngressTest, SameIdempotencyKeyIsJournalledOnce) {
  rig.ingress->submit({make_message("payment.received", "dup")});
  auto again = rig.ingress->submit(
      {make_message("payment.received", "dup"), make_message("payment.received", "dup")});
  EXPECT_EQ(again.accepted, 0u);
  EXPECT_EQ(again.duplicates, 2u);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery"), 2);

  auto in_batch = rig.ingress->submit(
      {make_message("payment.received", "twin"), make_message("payment.received", "twin")});
  EXPECT_EQ(in_batch.accepted, 1u);
  EXPECT_EQ(in_batch.duplicates, 1u);
}

TEST_F(IngressTest, InvalidBodyRejectsTheWholeBatchNamingWhere) {
  auto bad = make_message("payment.received", "bad");
  bad.body =
      "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:nonsense/></c:paymentReceived>";
  try {
    rig.ingress->submit({make_message("payment.received", "good"), bad},
                        plugin::Checkpoint{"test", "k", "f", 2, "done", ""});
    FAIL() << "expected RejectedInput";
  } catch (const plugin::RejectedInput& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("message #2"), std::string::npos) << what;
    EXPECT_NE(what.find("'bad'"), std::string::npos) << what;
    EXPECT_NE(what.find("paymentReceived"), std::string::npos) << what;
  }
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM hub.file_checkpoint"), 0);
}

// A payment.received whose body carries `kb` KB of comment, and an unknown element when not
// `valid`: big bodies without big test data.
plugin::Envelope padded_message(const std::string& key, std::size_t kb, bool valid) {
  auto e = make_message("payment.received", key);
  const auto at = e.body.find('>') + 1;
  e.body.insert(at, "<!--" + std::string(kb << 10, 'x') + "-->" + (valid ? "" : "<c:nonsense/>"));
  return e;
}

// Big batches are checked on two threads: every envelope is still validated, and the refusal
// names the first bad envelope by position, whichever thread found it.
TEST_F(IngressTest, BigBatchesAreValidatedInFullAndTheFirstBadEnvelopeIsNamed) {
  // 100 KB in each body: five of them are over the size where the check goes parallel.
  auto batch = [&](int bad_from) {
    std::vector<plugin::Envelope> out;
    for (int i = 1; i <= 5; ++i)
      out.push_back(padded_message("big-" + std::to_string(i), 100, i < bad_from));
    return out;
  };
  for (const int first_bad : {2, 3, 5}) {
    try {
      rig.ingress->submit(batch(first_bad));
      FAIL() << "expected RejectedInput for message #" << first_bad;
    } catch (const plugin::RejectedInput& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("message #" + std::to_string(first_bad) + " "), std::string::npos)
          << what;
      EXPECT_NE(what.find("nonsense"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  const auto ok = rig.ingress->submit(batch(6));
  EXPECT_EQ(ok.accepted, 5u);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 5);
}

// A batch of several MB is journalled in parts while its later envelopes are still being
// checked. A refusal found after a part was written still leaves nothing of the batch, and a key
// that repeats across parts is journalled once.
TEST_F(IngressTest, ABatchJournalledInPartsIsStillAllOrNothing) {
  auto batch = [&](int bad) {
    std::vector<plugin::Envelope> out;
    for (int i = 1; i <= 12; ++i)
      out.push_back(padded_message("part-" + std::to_string(i), 300, i != bad));
    return out;
  };
  try {
    rig.ingress->submit(batch(12), plugin::Checkpoint{"test", "k", "f", 12, "in_progress", ""});
    FAIL() << "expected RejectedInput";
  } catch (const plugin::RejectedInput& e) {
    EXPECT_NE(std::string(e.what()).find("message #12 "), std::string::npos) << e.what();
  }
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM hub.delivery"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM hub.file_checkpoint"), 0);

  auto good = batch(0);
  good.push_back(
      padded_message("part-1", 300, true));  // the first envelope's key again, in the last part
  const auto r = rig.ingress->submit(good, plugin::Checkpoint{"test", "k", "f", 13, "done", ""});
  EXPECT_EQ(r.accepted, 12u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 12);
  EXPECT_EQ(count("SELECT count(*) FROM hub.file_checkpoint WHERE position = 13"), 1);
  const auto again = rig.ingress->submit(batch(0));
  EXPECT_EQ(again.accepted, 0u);
  EXPECT_EQ(again.duplicates, 12u);
}

TEST_F(IngressTest, RefusesUnknownTypesMissingKeysAndMalformedXml) {
  auto unknown = make_message("payment.received", "u");
  unknown.type = "no.such.type";
  EXPECT_THROW(rig.ingress->submit({unknown}), plugin::RejectedInput);
  auto keyless = make_message("payment.received", "");
  EXPECT_THROW(rig.ingress->submit({keyless}), plugin::RejectedInput);
  auto broken = make_message("payment.received", "broken");
  broken.body = "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">\n<unclosed>";
  try {
    rig.ingress->submit({broken});
    FAIL();
  } catch (const plugin::RejectedInput& e) {
    EXPECT_NE(std::string(e.what()).find(":2"), std::string::npos) << e.what();  // the line
  }
  auto xxe = make_message("payment.received", "xxe");
  xxe.body =
      "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
      "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">&e;</c:paymentReceived>";
  EXPECT_THROW(rig.ingress->submit({xxe}), plugin::RejectedInput);
  EXPECT_EQ(count("SELECT count(*) FROM hub.message"), 0);
}

TEST_F(IngressTest, CheckpointIsWrittenWithTheMessages) {
  rig.ingress->submit({make_message("payment.received", "c-1")},
                      plugin::Checkpoint{"test", "sha-1", "reg.txt", 1, "in_progress", ""});
  EXPECT_EQ(db.scalar("SELECT position || status FROM hub.file_checkpoint WHERE key = 'sha-1'"),
            "1in_progress");
  rig.ingress->submit({}, plugin::Checkpoint{"test", "sha-1", "reg.txt", 1, "done", "{\"n\":1}"});
  EXPECT_EQ(db.scalar("SELECT status || report FROM hub.file_checkpoint WHERE key = 'sha-1'"),
            "done{\"n\":1}");
}

TEST_F(IngressTest, SourceEmitterStampsTheInstance) {
  SourceEmitter emitter(*rig.ingress, "bank-sber");
  auto m = make_message("payment.received", "s-1");
  m.source.clear();
  emitter.emit({m}, plugin::Checkpoint{"", "sha-s", "f", 1, "done", ""});
  EXPECT_EQ(db.scalar("SELECT source FROM hub.message"), "bank-sber");
  EXPECT_EQ(db.scalar("SELECT source FROM hub.file_checkpoint"), "bank-sber");
}

// The child submits three payments (six deliveries) with a checkpoint and SIGKILLs itself at
// one step. Whatever the step, the database holds all of it or none of it.
TEST_F(IngressTest, KilledAtAnyStepKeepsAllOrNothing) {
  const auto child = (hub::testing::bin_dir() / "ingress_crash_child").string();
  for (const char* step : {"validated", "routed", "messages_inserted", "deliveries_inserted",
                           "checkpoint_written", "committed", "none"}) {
    db.exec("TRUNCATE hub.delivery, hub.message, hub.file_checkpoint CASCADE");
    std::vector<std::string> args = {child, db.conninfo(), step};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    ASSERT_EQ(posix_spawn(&pid, child.c_str(), nullptr, nullptr, argv.data(), environ), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    const bool crashed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (std::string(step) == "none") {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << step;
    } else {
      ASSERT_TRUE(crashed) << "child did not crash at " << step;
    }
    const bool kept = std::string(step) == "committed" || std::string(step) == "none";
    // The server may still be rolling back the dead session's transaction: wait for it.
    for (int i = 0; i < 100 && count("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                     "current_database() AND pid <> pg_backend_pid()") > 0;
         ++i) {
      usleep(20000);
    }
    EXPECT_EQ(count("SELECT count(*) FROM hub.message"), kept ? 3 : 0) << step;
    EXPECT_EQ(count("SELECT count(*) FROM hub.delivery"), kept ? 6 : 0) << step;
    EXPECT_EQ(count("SELECT count(*) FROM hub.file_checkpoint"), kept ? 1 : 0) << step;
  }
}

}  // namespace
}  // namespace hub::ingress
