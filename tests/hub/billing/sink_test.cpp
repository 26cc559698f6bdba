// The billing_store sink: delivered for good bodies (once or again), rejected naming the XPath for
// bodies it cannot store, and a batch applied in one transaction with per-message results.

#include <gtest/gtest.h>

#include <thread>

#include "billing_fixture.h"
#include "hub/billing/billing_store_sink.h"

namespace hub::billing {
namespace {

using Kind = plugin::DeliveryResult::Kind;
using testing::BillingTest;
using testing::envelope;
using testing::replace;
using testing::sample;

class SinkTest : public BillingTest {
 protected:
  BillingStoreSink sink{std::make_shared<BillingStore>(*pool)};
};

TEST_F(SinkTest, DeliversAndRedeliveryIsHarmless) {
  const auto m = envelope("account.upsert", sample("account.upsert"), "a");
  EXPECT_EQ(sink.deliver(m).kind, Kind::kDelivered);
  EXPECT_EQ(sink.deliver(m).kind, Kind::kDelivered);
  EXPECT_EQ(count("SELECT count(*) FROM billing.account"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 0);
}

TEST_F(SinkTest, RejectsBodiesItCannotStoreNamingWhere) {
  auto unknown_element = replace(sample("account.upsert"), "</c:accountUpsert>",
                                 "<c:favouriteColour>green</c:favouriteColour></c:accountUpsert>");
  auto r = sink.deliver(envelope("account.upsert", unknown_element, "x1"));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("/c:accountUpsert/c:favouriteColour"), std::string::npos) << r.reason;

  auto bad_value = replace(sample("account.upsert"), "<c:residents>3</c:residents>",
                           "<c:residents>three</c:residents>");
  r = sink.deliver(envelope("account.upsert", bad_value, "x2"));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("c:residents"), std::string::npos) << r.reason;

  r = sink.deliver(envelope("account.upsert",
                            replace(sample("account.upsert"), "2019-03-01", "2019-02-30"), "x2b"));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_EQ(r.reason.rfind("/c:accountUpsert/c:openedOn:", 0), 0u) << r.reason;

  r = sink.deliver(envelope("account.upsert", "<not-xml", "x3"));
  EXPECT_EQ(r.kind, Kind::kRejected);
  r = sink.deliver(envelope("account.upsert", sample("meter.upsert"), "x4"));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_NE(r.reason.find("accountUpsert"), std::string::npos) << r.reason;
  r = sink.deliver(envelope("ticket.created", sample("ticket.created"), "x5"));
  EXPECT_EQ(r.kind, Kind::kRejected);
  EXPECT_EQ(count("SELECT count(*) FROM billing.account"), 0);
}

TEST_F(SinkTest, DatabaseRefusingOneRowRejectsOnlyThatMessage) {
  // A value the mapping lets through but PostgreSQL cannot hold (there is no year 0).
  auto bad_date = replace(sample("account.upsert"), "2019-03-01", "0000-03-01");
  bad_date = replace(bad_date, "<c:account>100234</c:account>", "<c:account>7</c:account>");
  const auto results =
      sink.deliver_batch({envelope("account.upsert", sample("account.upsert"), "a"),
                          envelope("account.upsert", bad_date, "b")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].kind, Kind::kDelivered);
  EXPECT_EQ(results[1].kind, Kind::kRejected);
  EXPECT_NE(results[1].reason.find("22"), std::string::npos) << results[1].reason;
  EXPECT_EQ(count("SELECT count(*) FROM billing.account"), 1);
}

TEST_F(SinkTest, OnTheCallersTransactionNothingIsKeptUntilItCommitsAndARefusedRowSparesTheRest) {
  // What the dispatcher does for a sink that delivers in its transaction: the batch goes on the
  // dispatcher's transaction, the refused row is undone by its savepoint alone, and the rest
  // commits with the caller's commit, not before.
  auto bad_date = replace(sample("account.upsert"), "2019-03-01", "0000-03-01");
  bad_date = replace(bad_date, "<c:account>100234</c:account>", "<c:account>7</c:account>");
  auto lease = pool->lease();
  pqxx::work tx(lease.conn());
  tx.exec("CREATE TEMP TABLE caller_mark (n int)");
  tx.exec("INSERT INTO caller_mark VALUES (1)");
  const auto results =
      sink.deliver_batch_in(tx, {envelope("account.upsert", sample("account.upsert"), "a"),
                                 envelope("account.upsert", bad_date, "b")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].kind, Kind::kDelivered);
  EXPECT_EQ(results[1].kind, Kind::kRejected);
  EXPECT_NE(results[1].reason.find("22"), std::string::npos) << results[1].reason;
  EXPECT_EQ(count("SELECT count(*) FROM billing.account"), 0);  // another connection: not yet
  EXPECT_EQ(tx.exec("SELECT count(*) FROM caller_mark")[0][0].as<int>(), 1);  // tx still usable
  tx.commit();
  EXPECT_EQ(count("SELECT count(*) FROM billing.account"), 1);
  EXPECT_TRUE(sink.delivers_in_transaction());
}

TEST_F(SinkTest, BatchAppliesEveryTypeInOneTransactionWithResultsInOrder) {
  std::vector<Envelope> batch;
  for (const auto& t : BillingStore::types()) batch.push_back(envelope(t, sample(t), t));
  // A changed account later in the same batch wins; a broken body in the middle is refused alone.
  auto changed = replace(sample("account.upsert"), "<c:residents>3</c:residents>",
                         "<c:residents>4</c:residents>");
  batch.push_back(envelope(
      "account.upsert",
      "<c:accountUpsert xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:what/></c:accountUpsert>", "bad"));
  batch.push_back(envelope("account.upsert", changed, "changed"));
  const auto results = sink.deliver_batch(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (std::size_t i = 0; i + 2 < batch.size(); ++i)
    EXPECT_EQ(results[i].kind, Kind::kDelivered) << batch[i].type << ": " << results[i].reason;
  EXPECT_EQ(results[batch.size() - 2].kind, Kind::kRejected);
  EXPECT_EQ(results.back().kind, Kind::kDelivered);
  EXPECT_EQ(db.scalar("SELECT residents FROM billing.account"), "4");
  EXPECT_EQ(count("SELECT count(*) FROM billing.account"), 1);

  // The whole batch again: every row is already there, nothing changes.
  const auto before = db.scalar(
      "SELECT string_agg(t || ':' || n, ',') FROM (SELECT 'h' t, count(*) n FROM billing.house "
      "UNION ALL SELECT 'p', count(*) FROM billing.payment UNION ALL SELECT 'r', count(*) FROM "
      "billing.reading UNION ALL SELECT 'x', count(*) FROM billing.history) s");
  for (const auto& r : sink.deliver_batch(batch)) EXPECT_NE(r.kind, Kind::kRetry) << r.reason;
  EXPECT_EQ(db.scalar("SELECT string_agg(t || ':' || n, ',') FROM (SELECT 'h' t, count(*) n FROM "
                      "billing.house UNION ALL SELECT 'p', count(*) FROM billing.payment UNION ALL "
                      "SELECT 'r', count(*) FROM billing.reading UNION ALL SELECT 'x', count(*) "
                      "FROM billing.history) s"),
            before)
      << db.scalar("SELECT string_agg(table_name || ' ' || row::text, E'\n') FROM billing.history");
}

TEST_F(SinkTest, HistoryGrowsOnlyWhenSomethingChanges) {
  const auto a = sample("account.upsert");
  ASSERT_TRUE(store.apply(envelope("account.upsert", a, "1")).ok());
  auto moved = replace(a, "<c:residents>3</c:residents>", "<c:residents>2</c:residents>");
  auto r = store.apply(envelope("account.upsert", moved, "2"));
  EXPECT_EQ(r.outcome, ApplyResult::Outcome::kUpdated);
  r = store.apply(envelope("account.upsert", moved, "3"));
  EXPECT_EQ(r.outcome, ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = 'account'"), 1);
  EXPECT_EQ(db.scalar("SELECT row->>'residents' FROM billing.history"), "3");
  EXPECT_EQ(db.scalar("SELECT residents FROM billing.account"), "2");

  // A corrected reading (same meter, moment, channel) keeps the old value in history.
  const auto reading = sample("meter.reading");
  ASSERT_TRUE(store.apply(envelope("meter.reading", reading, "r1")).ok());
  auto corrected = replace(reading, ">312.457<", ">312.5<");
  EXPECT_EQ(store.apply(envelope("meter.reading", corrected, "r2")).outcome,
            ApplyResult::Outcome::kUpdated);
  EXPECT_EQ(count("SELECT count(*) FROM billing.reading"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history WHERE table_name = 'reading'"), 1);
  // A later reading of the same meter is a new row.
  auto later = replace(reading, "2026-11-22T18:40:00+03:00", "2026-12-22T18:40:00+03:00");
  EXPECT_EQ(store.apply(envelope("meter.reading", later, "r3")).outcome,
            ApplyResult::Outcome::kInserted);
  EXPECT_EQ(count("SELECT count(*) FROM billing.reading"), 2);
}

}  // namespace
}  // namespace hub::billing

namespace hub::billing {
namespace {

// Two workers delivering overlapping batches (a registry re-sent while the first copy is still
// being applied): no deadlock, no duplicate, every message delivered.
TEST_F(SinkTest, ConcurrentOverlappingBatchesNeitherDeadlockNorDuplicate) {
  std::vector<Envelope> forward, backward;
  for (int i = 0; i < 300; ++i) {
    auto body = replace(testing::without(sample("payment.received"), "readings"),
                        "<c:transactionId>2026112012345678</c:transactionId>",
                        "<c:transactionId>T" + std::to_string(i) + "</c:transactionId>");
    forward.push_back(envelope("payment.received", body, "k" + std::to_string(i)));
  }
  backward.assign(forward.rbegin(), forward.rend());
  std::vector<DeliveryResult> a, b;
  for (int round = 0; round < 3; ++round) {
    std::thread t1([&] { a = sink.deliver_batch(forward); });
    std::thread t2([&] { b = sink.deliver_batch(backward); });
    t1.join();
    t2.join();
    for (const auto& r : a) ASSERT_EQ(r.kind, Kind::kDelivered) << r.reason;
    for (const auto& r : b) ASSERT_EQ(r.kind, Kind::kDelivered) << r.reason;
  }
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment"), 300);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 0);
}

}  // namespace
}  // namespace hub::billing

namespace hub::billing {
namespace {

// What the XSDs leave to billing ("checked by billing, not here") is refused naming the element.
TEST_F(SinkTest, RefusesBodiesThatBreakTheBillingInvariants) {
  struct Case {
    std::string type, from, to, xpath;
  };
  const std::vector<Case> cases = {
      {"payment.received", "<c:amountKopecks>50000</c:amountKopecks>",
       "<c:amountKopecks>40000</c:amountKopecks>", "/c:paymentReceived/c:services"},
      {"charge.issued", "<c:totalKopecks>262439</c:totalKopecks>",
       "<c:totalKopecks>262440</c:totalKopecks>", "/c:chargeIssued/c:totalKopecks"},
      {"charge.issued", "<c:totalKopecks>154755</c:totalKopecks>",
       "<c:totalKopecks>154756</c:totalKopecks>",
       "/c:chargeIssued/c:services/c:service[1]/c:totalKopecks"},
      {"house.upsert", "<c:residentialArea>5210.4</c:residentialArea>",
       "<c:residentialArea>7000</c:residentialArea>", "/c:houseUpsert/c:residentialArea"},
      {"meter.upsert", "<c:commissionedOn>2021-04-15</c:commissionedOn>",
       "<c:commissionedOn>2021-04-01</c:commissionedOn>", "/c:meterUpsert/c:commissionedOn"},
  };
  for (const auto& c : cases) {
    const auto body = replace(sample(c.type), c.from, c.to);
    const auto r = sink.deliver(envelope(c.type, body, "bad:" + c.xpath));
    EXPECT_EQ(r.kind, Kind::kRejected) << c.type << " " << c.xpath;
    EXPECT_EQ(r.reason.rfind(c.xpath + ":", 0), 0u) << r.reason;
  }
  EXPECT_EQ(count("SELECT count(*) FROM billing.payment") + count("SELECT count(*) FROM "
                                                                  "billing.charge"),
            0);
}

}  // namespace
}  // namespace hub::billing
