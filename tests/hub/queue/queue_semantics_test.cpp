// Canonical queue semantics over HTTP against real PostgreSQL, Ingress and AdminServer: ack,
// redelivery after the visibility timeout, competing consumers, a consumer dying mid-batch,
// long-poll wake-up, filters.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "hub/core/json_text.h"
#include "hub/dispatcher/dead_letters.h"
#include "hub/metrics/registry.h"
#include "queue_fixture.h"

namespace hub::queue {
namespace {

using namespace std::chrono_literals;
using testsupport::QueueFixture;
using testsupport::subscription;

TEST(QueueSemantics, PulledMessagesCarryTheEnvelopeAndAckRemovesThem) {
  QueueFixture f({subscription("billing", {"payment.received"})});
  const auto id1 = f.submit("payment.received", "bank", "pay-1");
  const auto id2 = f.submit("payment.received", "bank", "pay-2");
  const auto id3 = f.submit("payment.received", "bank", "pay-3");

  auto got = f.pull("billing", 10);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, id1);  // oldest first
  EXPECT_EQ(got[1].id, id2);
  EXPECT_EQ(got[2].id, id3);
  for (const auto& m : got) {
    EXPECT_EQ(m.delivery_count, 1);
    EXPECT_EQ(m.type, "payment.received");
    EXPECT_EQ(m.source, "bank");
    EXPECT_NE(m.body.find("paymentReceived"), std::string::npos);
  }
  EXPECT_EQ(got[1].idempotency_key, "pay-2");

  // In flight: nobody else sees them.
  EXPECT_TRUE(f.pull("billing", 10).empty());
  const auto [acked, rejected] = f.ack("billing", QueueFixture::receipts(got));
  EXPECT_EQ(acked, 3);
  EXPECT_TRUE(rejected.empty());

  // Acked: gone for good, and a second ack of the same receipts is refused.
  EXPECT_TRUE(f.pull("billing", 10).empty());
  const auto again = f.ack("billing", QueueFixture::receipts(got));
  EXPECT_EQ(again.first, 0);
  EXPECT_EQ(again.second.size(), 3u);
  EXPECT_EQ(f.db().scalar("SELECT count(*) FROM hub.delivery WHERE target = 'queue:billing'"
                          " AND state = 'delivered' AND consumer = 'ops-operator'"),
            "3");

  const auto list = f.queues().stats();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].depth, 0);
}

TEST(QueueSemantics, DuplicateByIdempotencyKeyQueuesNothing) {
  QueueFixture f({subscription("billing", {})});
  EXPECT_FALSE(f.submit("payment.received", "bank", "same-key").empty());
  EXPECT_TRUE(f.submit("payment.received", "bank", "same-key").empty());
  EXPECT_EQ(f.pull("billing", 10).size(), 1u);
}

TEST(QueueSemantics, UnackedMessageComesBackAfterTheVisibilityTimeout) {
  QueueFixture f({subscription("billing", {"payment.received"}, {}, 1s)});
  const auto id = f.submit("payment.received", "bank", "pay-vt");
  const auto before = metrics::Registry::global().render();

  const auto first = f.pull("billing", 10);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].delivery_count, 1);
  EXPECT_TRUE(f.pull("billing", 10).empty());  // invisible while the lease runs

  std::this_thread::sleep_for(1200ms);
  const auto second = f.pull("billing", 10, 5);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, id);
  EXPECT_EQ(second[0].delivery_count, 2);
  EXPECT_NE(second[0].receipt, first[0].receipt);

  // The first receipt cannot ack the re-leased copy; the current one can.
  auto stale = f.ack("billing", {first[0].receipt});
  EXPECT_EQ(stale.first, 0);
  ASSERT_EQ(stale.second.size(), 1u);
  EXPECT_EQ(stale.second[0], first[0].receipt);
  EXPECT_EQ(f.ack("billing", {second[0].receipt}).first, 1);

  // A receipt forged from the row id and another pull's token is refused too.
  f.submit("payment.received", "bank", "pay-vt-2");
  const auto third = f.pull("billing", 10);
  ASSERT_EQ(third.size(), 1u);
  const auto token_of_second = second[0].receipt.substr(second[0].receipt.find('.'));
  const auto forged = third[0].receipt.substr(0, third[0].receipt.find('.')) + token_of_second;
  EXPECT_EQ(f.ack("billing", {forged, "garbage", "12.zz"}).second.size(), 3u);
  EXPECT_EQ(f.ack("billing", {third[0].receipt}).first, 1);

  const auto after = metrics::Registry::global().render();
  EXPECT_NE(after.find("zhkh_queue_redeliveries_total{subscription=\"billing\"}"),
            std::string::npos);
  EXPECT_NE(after, before);
}

TEST(QueueSemantics, CompetingConsumersGetDisjointBatches) {
  QueueFixture f({subscription("billing", {"payment.received"})});
  constexpr int kMessages = 300;
  {
    std::vector<Envelope> batch;
    for (int i = 0; i < kMessages; ++i) {
      Envelope e;
      e.type = "payment.received";
      e.source = "bank";
      e.idempotency_key = "c-" + std::to_string(i);
      e.body = testsupport::sample("payment.received");
      batch.push_back(std::move(e));
    }
    ASSERT_EQ(f.ingress().submit(batch).accepted, static_cast<std::size_t>(kMessages));
  }
  std::vector<std::string> seen[3];
  std::atomic<int> overlap_guard{0};
  std::vector<std::thread> consumers;
  for (int c = 0; c < 3; ++c) {
    consumers.emplace_back([&, c] {
      for (;;) {
        const auto got = f.pull("billing", 7);
        if (got.empty()) return;
        for (const auto& m : got) seen[c].push_back(m.id);
        // Ack only after a pause, so that batches of the others are taken while ours are held.
        std::this_thread::sleep_for(2ms);
        EXPECT_EQ(f.ack("billing", QueueFixture::receipts(got)).first,
                  static_cast<int>(got.size()));
        ++overlap_guard;
      }
    });
  }
  for (auto& t : consumers) t.join();
  std::set<std::string> all;
  std::size_t total = 0;
  for (const auto& s : seen) {
    total += s.size();
    all.insert(s.begin(), s.end());
    EXPECT_FALSE(s.empty()) << "every consumer got work";
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kMessages)) << "no message went to two consumers";
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kMessages));
  EXPECT_GT(overlap_guard.load(), 3);
}

TEST(QueueSemantics, ConsumerThatDiesMidBatchLosesNothing) {
  QueueFixture f({subscription("billing", {"payment.received"}, {}, 1s)});
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i)
    ids.insert(f.submit("payment.received", "bank", "d-" + std::to_string(i)));

  // The dying consumer takes half and never acks.
  const auto lost = f.pull("billing", 5);
  ASSERT_EQ(lost.size(), 5u);

  // A healthy one drains the queue, long-polling until the dead one's lease runs out.
  std::set<std::string> done;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (done.size() < ids.size() && std::chrono::steady_clock::now() < deadline) {
    const auto got = f.pull("billing", 100, 2);
    for (const auto& m : got) {
      done.insert(m.id);
      if (std::any_of(lost.begin(), lost.end(), [&](const auto& l) { return l.id == m.id; })) {
        EXPECT_EQ(m.delivery_count, 2);
      }
    }
    if (!got.empty()) {
      EXPECT_EQ(f.ack("billing", QueueFixture::receipts(got)).first, static_cast<int>(got.size()));
    }
  }
  EXPECT_EQ(done, ids);
  EXPECT_EQ(f.db().scalar("SELECT count(*) FROM hub.delivery WHERE target = 'queue:billing'"
                          " AND state = 'pending'"),
            "0");
  // The dead consumer's receipts are worthless now.
  EXPECT_EQ(f.ack("billing", QueueFixture::receipts(lost)).first, 0);
}

TEST(QueueSemantics, LongPollReturnsAsSoonAsAMessageIsCommitted) {
  QueueFixture f({subscription("billing", {"payment.received"})}, [] {
    auto o = QueueFixture::fast_options();
    o.poll_interval = 30s;  // only the NOTIFY can wake it in time
    return o;
  }());
  // Nothing there: the wait runs out and the answer is empty.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(f.pull("billing", 10, 1).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);

  std::vector<testsupport::Pulled> got;
  std::chrono::steady_clock::duration took{};
  std::atomic<bool> pulling{false};
  std::thread consumer([&] {
    const auto start = std::chrono::steady_clock::now();
    pulling = true;
    got = f.pull("billing", 10, 20);
    took = std::chrono::steady_clock::now() - start;
  });
  // Half a second after the consumer began its pull (not after the thread was created: on a
  // loaded machine it may start late, and `took` would be shorter than the wait).
  while (!pulling) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(500ms);
  const auto id = f.submit("payment.received", "bank", "lp-1");
  consumer.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 5s) << "woken by NOTIFY, not by the 20 s wait or the 30 s poll";
}

TEST(QueueSemantics, FilterOnTypeAndSourceHoldsWhereverItemsComeFrom) {
  QueueFixture f({subscription("billing", {"payment.received"}),
                  subscription("readings", {"meter.reading"}, {"askue"})});
  const auto pay = f.submit("payment.received", "bank", "f-pay");
  const auto r1 = f.submit("meter.reading", "askue", "f-r1");
  f.submit("meter.reading", "inbox", "f-r2");

  auto billing = f.pull("billing", 10);
  ASSERT_EQ(billing.size(), 1u);
  EXPECT_EQ(billing[0].id, pay);
  auto readings = f.pull("readings", 10);
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].id, r1);

  // A row put into queue:billing by something else (another node's config, a hand-made route,
  // a replay) for a message outside the filter is dropped at pull, marked 'filtered'.
  f.db().exec(
      "INSERT INTO hub.delivery (message_id, route, target) SELECT id, 'elsewhere', "
      "'queue:billing' FROM hub.message WHERE idempotency_key = 'f-r2'");
  EXPECT_TRUE(f.pull("billing", 10).empty());
  EXPECT_EQ(f.db().scalar("SELECT state || ':' || last_error FROM hub.delivery WHERE route = "
                          "'elsewhere'"),
            "filtered:outside the filter of subscription 'billing'");
}

TEST(QueueSemantics, PullCanAckThePreviousBatchInTheSameCall) {
  QueueFixture f({subscription("billing", {"payment.received"}, {}, 1s)});
  std::set<std::string> ids;
  for (int i = 0; i < 7; ++i)
    ids.insert(f.submit("payment.received", "bank", "pa-" + std::to_string(i)));

  auto call = [&](const std::vector<std::string>& ack, int max) {
    std::string body = "{\"ack\":[";
    for (std::size_t i = 0; i < ack.size(); ++i) {
      if (i) body += ',';
      append_json_string(body, ack[i]);
    }
    body += "]}";
    const auto r = testsupport::http(f.port(), "POST",
                                     "/api/v1/queues/billing/pull?max=" + std::to_string(max),
                                     f.operator_token(), body);
    EXPECT_EQ(r.status, 200) << r.body;
    return testsupport::parse_object(r.body);
  };
  auto first = f.pull("billing", 3);
  ASSERT_EQ(first.size(), 3u);
  // Ack the first three (plus one bogus receipt) and take the next three in one call.
  auto receipts = QueueFixture::receipts(first);
  receipts.push_back("999.00000000000000000000000000000000");
  auto o = call(receipts, 3);
  EXPECT_EQ(o->getValue<int>("acked"), 3);
  ASSERT_EQ(o->getArray("rejected")->size(), 1u);
  const auto second = o->getArray("messages");
  ASSERT_EQ(second->size(), 3u);
  std::set<std::string> seen;
  for (const auto& m : first) seen.insert(m.id);
  std::vector<std::string> next;
  for (std::size_t i = 0; i < second->size(); ++i) {
    const auto m = second->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(m->getValue<int>("delivery_count"), 1);
    seen.insert(m->getObject("message")->getValue<std::string>("id"));
    next.push_back(m->getValue<std::string>("receipt"));
  }
  EXPECT_EQ(seen.size(), 6u) << "acked and new batches are disjoint";
  // The first batch stays acked (not redelivered after its timeout); the second is acked by the
  // last call, which finds the 7th message.
  std::this_thread::sleep_for(1200ms);
  o = call(next, 10);
  EXPECT_EQ(o->getValue<int>("acked"), 0) << "the second batch's leases ran out";
  const auto rest = o->getArray("messages");
  ASSERT_EQ(rest->size(), 4u) << "the unacked second batch and the 7th message";
  for (std::size_t i = 0; i < rest->size(); ++i) {
    seen.insert(rest->getObject(static_cast<unsigned>(i))
                    ->getObject("message")
                    ->getValue<std::string>("id"));
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(f.db().scalar("SELECT count(*) FROM hub.delivery WHERE state = 'delivered'"
                          " AND target = 'queue:billing'"),
            "3");
}

TEST(QueueSemantics, ListShowsDepthInFlightAndAge) {
  QueueFixture f({subscription("billing", {"payment.received"}), subscription("empty", {"x.y"})});
  for (int i = 0; i < 4; ++i) f.submit("payment.received", "bank", "l-" + std::to_string(i));
  ASSERT_EQ(f.pull("billing", 1).size(), 1u);
  const auto r = testsupport::http(f.port(), "GET", "/api/v1/queues", f.viewer_token());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto items = testsupport::parse_object(r.body)->getArray("items");
  ASSERT_EQ(items->size(), 2u);
  const auto b = items->getObject(0);
  EXPECT_EQ(b->getValue<std::string>("name"), "billing");
  EXPECT_EQ(b->getValue<long long>("depth"), 4);
  EXPECT_EQ(b->getValue<long long>("in_flight"), 1);
  EXPECT_EQ(b->getValue<long long>("visible"), 3);
  EXPECT_GE(b->getValue<double>("oldest_unacked_seconds"), 0.0);
  EXPECT_EQ(b->getValue<long long>("visibility_timeout_s"), 60);
  EXPECT_EQ(items->getObject(1)->getValue<long long>("depth"), 0);
  const auto metrics = metrics::Registry::global().render();
  EXPECT_NE(metrics.find("zhkh_queue_depth{subscription=\"billing\"} 4"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("zhkh_queue_in_flight{subscription=\"billing\"} 1"), std::string::npos);
}

// A message the consumer never acks does not come back forever: after max_deliveries pulls it
// goes to the dead letters with the reason, and a replay puts it back on the queue.
TEST(QueueSemantics, MessageNeverAckedGoesToTheDeadLettersAfterMaxDeliveries) {
  auto poison = subscription("billing", {"payment.received"}, {}, 1s);
  poison.max_deliveries = 2;
  QueueFixture f({poison});
  const auto id = f.submit("payment.received", "bank", "pay-poison");
  f.submit("payment.received", "bank", "pay-fine");

  auto first = f.pull("billing", 10);
  ASSERT_EQ(first.size(), 2u);
  for (const auto& m : first) {
    if (m.id != id) {
      EXPECT_EQ(f.ack("billing", {m.receipt}).first, 1);
    }
  }
  EXPECT_EQ(f.queues().bury_exhausted(), 0);  // delivered once, lease running
  std::this_thread::sleep_for(1200ms);
  const auto second = f.pull("billing", 10, 5);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].delivery_count, 2);
  EXPECT_EQ(f.queues().bury_exhausted(), 0);  // its lease still runs: it may be acked yet
  std::this_thread::sleep_for(1200ms);
  EXPECT_TRUE(f.pull("billing", 10).empty());  // not handed out a third time
  EXPECT_EQ(f.queues().bury_exhausted(), 1);
  EXPECT_EQ(f.queues().bury_exhausted(), 0);
  EXPECT_EQ(f.db().scalar("SELECT state FROM hub.delivery WHERE message_id = '" + id + "'"),
            "dead");
  const auto error = f.db().scalar("SELECT last_error FROM hub.dead_letter WHERE message_id = '" +
                                   id + "' AND attempts = 2");
  EXPECT_NE(error.find("after 2 deliveries"), std::string::npos) << error;
  EXPECT_NE(error.find("'billing'"), std::string::npos) << error;

  auto pool = f.db().make_pool(1);
  dispatcher::DeadLetters dlq(*pool);
  const auto dl =
      std::stoll(f.db().scalar("SELECT id FROM hub.dead_letter WHERE message_id = '" + id + "'"));
  EXPECT_EQ(dlq.replay(dl, "ops"), dispatcher::ReplayOutcome::kReplayed);
  EXPECT_EQ(f.db().scalar("SELECT state || ' ' || attempts || ' ' || (next_attempt_at <= now()) || "
                          "' ' || coalesce(lease_until::text, '-') FROM hub.delivery WHERE "
                          "message_id = '" +
                          id + "'"),
            "pending 0 true -");
  const auto again = f.pull("billing", 10, 5);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(f.ack("billing", {again[0].receipt}).first, 1);
}

}  // namespace
}  // namespace hub::queue
