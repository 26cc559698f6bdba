#include "hub/dispatcher/dispatcher.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <random>

#include "hub/core/error.h"
#include "hub/core/log.h"
#include "hub/metrics/registry.h"
#include "hub/store/journal_row.h"
#include "hub/store/pg_array.h"
#include "hub/store/savepoint.h"

namespace hub::dispatcher {

namespace {

Log& log() {
  static Log l("dispatcher");
  return l;
}

constexpr const char* kClaimStatement = "hub_dispatch_claim";
constexpr const char* kCompleteStatement = "hub_dispatch_complete";
constexpr const char* kClaimLockedStatement = "hub_dispatch_claim_locked";

// Both claims choose their rows with this: due, unleased (an expired lease counts as free: that
// is how a dead node's rows are taken over), in queue order, locked with SKIP LOCKED so that
// concurrent workers take disjoint sets. `target` and `limit` are the parameter numbers.
std::string due_rows(const char* target, const char* limit) {
  return std::string("ARRAY(SELECT id FROM hub.delivery WHERE target = ") + target +
         " AND state = 'pending' AND next_attempt_at <= now()"
         " AND (lease_until IS NULL OR lease_until < now())"
         " ORDER BY next_attempt_at, id LIMIT " +
         limit + " FOR UPDATE SKIP LOCKED)";
}

// One UPDATE claims the batch: the inner SELECT (due_rows) walks delivery_due (target,
// next_attempt_at, id); the join returns everything the sink needs, so there is no second round
// trip. A lease need not survive a database crash (lost, the row is simply claimable again), so
// the statement turns synchronous_commit off for its own implicit transaction: one fsync less per
// batch, and still a single round trip (set_config(..., true) is local to that transaction).
// `= ANY(ARRAY(...))` makes the chosen ids an init-plan, so the update is a primary-key lookup
// per row rather than a join the planner might turn into a scan of the whole table. The
// RETURNING list from its third column on is the journal's envelope (hub/store/journal_row.h).
const std::string kClaimSql = R"SQL(
UPDATE hub.delivery d
   SET lease_owner = $1, lease_until = clock_timestamp() + $2 * interval '1 millisecond'
  FROM hub.message m
 WHERE d.id = ANY ()SQL" + due_rows("$3", "$4") +
                              R"SQL()
   AND m.id = d.message_id
   AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
RETURNING d.id, d.attempts, m.id::text, m.type, m.schema_version, m.source,
          (extract(epoch FROM m.occurred_at) * 1000000)::bigint, m.correlation_id,
          coalesce(m.causation_id, ''), m.idempotency_key, m.headers::text,
          coalesce(d.body, m.body)
)SQL";

// The claim of a sink that delivers inside the transaction (Sink::delivers_in_transaction): the
// same choice of rows, but they are only locked, held until this transaction ends, so the one
// write per row is its result. Locked rows are invisible to every other claim (SKIP LOCKED in
// both statements), and a crash releases them at once instead of after a lease. $3 is the
// synchronous_commit of the transaction (see DispatcherOptions::synchronous_results).
const std::string kClaimLockedSql = R"SQL(
SELECT d.id, d.attempts, m.id::text, m.type, m.schema_version, m.source,
       (extract(epoch FROM m.occurred_at) * 1000000)::bigint, m.correlation_id,
       coalesce(m.causation_id, ''), m.idempotency_key, m.headers::text,
       coalesce(d.body, m.body)
  FROM hub.delivery d JOIN hub.message m ON m.id = d.message_id
 WHERE d.id = ANY ()SQL" + due_rows("$1", "$2") +
                                    R"SQL()
   AND (SELECT set_config('synchronous_commit', $3, true)) IS NOT NULL
)SQL";

// Every result of a batch in one statement. Delivered rows (the common case) are one
// primary-key update with no per-row data. Failed rows carry their error and delay in arrays
// parallel to $2, looked up by position: no join, so no plan that rescans a function per row.
// Rows that became dead get their dead-letter record in the same statement. The lease_owner check
// drops results for rows another worker took over after our lease expired; rows locked by the
// claim transaction rather than leased pass NULL (a stale lease of a dead node may remain on them
// and is cleared). $8 is the
// synchronous_commit for this statement's transaction (see DispatcherOptions::synchronous_results).
// Times are clock_timestamp(), not now(): on the claim transaction now() is when the claim began,
// before the sink ran, and delivered_at must not look earlier than the delivery.
constexpr const char* kCompleteSql = R"SQL(
WITH ok AS (
  UPDATE hub.delivery d
     SET attempts = d.attempts + 1, last_attempt_at = clock_timestamp(), state = 'delivered',
         delivered_at = clock_timestamp(), lease_owner = NULL, lease_until = NULL
   WHERE d.id = ANY ($1::bigint[]) AND ($6::text IS NULL OR d.lease_owner = $6) AND d.state = 'pending'
  RETURNING d.id, d.state
), failed AS (
  UPDATE hub.delivery d
     SET attempts = d.attempts + 1,
         last_attempt_at = clock_timestamp(),
         state = CASE WHEN ($3::text[])[array_position($2::bigint[], d.id)] = 'rejected'
                        OR d.attempts + 1 >= $7
                      THEN 'dead' ELSE 'pending' END,
         next_attempt_at = clock_timestamp() + ($5::bigint[])[array_position($2::bigint[], d.id)]
                                   * interval '1 millisecond',
         last_error = ($4::text[])[array_position($2::bigint[], d.id)],
         lease_owner = NULL,
         lease_until = NULL
   WHERE d.id = ANY ($2::bigint[]) AND ($6::text IS NULL OR d.lease_owner = $6) AND d.state = 'pending'
  RETURNING d.id, d.message_id, d.target, d.attempts, d.state, d.last_error
), dead AS (
  INSERT INTO hub.dead_letter (delivery_id, message_id, target, attempts, last_error)
  SELECT id, message_id, target, attempts, last_error FROM failed WHERE state = 'dead'
)
SELECT id, state FROM ok WHERE (SELECT set_config('synchronous_commit', $8, true)) IS NOT NULL
UNION ALL
SELECT id, state FROM failed
)SQL";

void prepare(pqxx::connection& conn) {
  // libpqxx keeps definitions per connection and registers them with the server on first use;
  // repeating an identical definition is a no-op, so pooled connections are prepared lazily.
  conn.prepare(kClaimStatement, kClaimSql);
  conn.prepare(kCompleteStatement, kCompleteSql);
  conn.prepare(kClaimLockedStatement, kClaimLockedSql);
}

double uniform01() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

const char* kind_name(DeliveryResult::Kind k) {
  switch (k) {
    case DeliveryResult::Kind::kDelivered:
      return "delivered";
    case DeliveryResult::Kind::kRetry:
      return "retry";
    case DeliveryResult::Kind::kRejected:
      return "rejected";
  }
  return "retry";
}

}  // namespace

std::chrono::milliseconds backoff_delay(const TargetConfig& config, int attempt, double u) {
  const double base = static_cast<double>(config.backoff_base.count());
  const double max = static_cast<double>(config.backoff_max.count());
  const int exp = std::clamp(attempt - 1, 0, 62);
  const double cap = std::min(max, base * std::ldexp(1.0, exp));
  const double delay = config.full_jitter ? cap * std::clamp(u, 0.0, 1.0) : cap;
  return std::chrono::milliseconds(static_cast<long long>(delay));
}

struct Dispatcher::Row {
  long long id = 0;
  int attempts = 0;
  Envelope envelope;  ///< moved into Batch::envelopes once claimed
};

/// One claimed batch on its way through the sink.
struct Dispatcher::Batch {
  std::vector<Row> rows;                ///< in queue order
  std::vector<Envelope> envelopes;      ///< parallel to rows
  std::vector<DeliveryResult> results;  ///< parallel to rows
  double seconds = 0;                   ///< the sink's time
  std::size_t rejected = 0;
};

struct Dispatcher::Target {
  Target(std::string n, TargetConfig c)
      : name(std::move(n)), config(c), breaker(c.breaker_failures, c.breaker_open) {}
  std::string name;
  TargetConfig config;
  CircuitBreaker breaker;
  std::mutex mu;                     // wake_seq
  std::condition_variable cv;        // work arrived (one idle worker is enough) or stop
  std::condition_variable quiet_cv;  // waits that only a stop ends (breaker open, linger)
  std::uint64_t wake_seq = 0;
  std::vector<std::thread> workers;
  std::atomic<int> published_breaker{-1};
};

Dispatcher::Dispatcher(store::Pool& pool, std::shared_ptr<SinkRegistry> sinks,
                       DispatcherOptions options)
    : pool_(pool), sinks_(std::move(sinks)), options_(std::move(options)) {
  if (options_.node_id.empty()) throw Error("dispatcher: node_id must not be empty");
  if (!sinks_) sinks_ = std::make_shared<SinkRegistry>();
  auto& m = metrics::Registry::global();
  m.describe("zhkh_deliveries_total", "Delivery attempts by target and result");
  m.describe("zhkh_delivery_attempt_seconds", "Time a sink took for one batch, by target");
  m.describe("zhkh_delivery_queue_depth", "Pending outbox rows by target");
  m.describe("zhkh_dispatcher_breaker_state", "Circuit breaker: 0 closed, 1 open, 2 half-open");
  m.describe("zhkh_dispatcher_target_without_sink", "1 when rows wait for a target with no sink");
  m.describe("zhkh_dispatcher_lease_lost_total", "Results dropped: the row was taken over");
  m.describe("zhkh_dispatcher_errors_total", "Claim or result-recording failures by target");
}

Dispatcher::~Dispatcher() {
  try {
    stop();
  } catch (...) {
  }
}

const TargetConfig& Dispatcher::config_for(const std::string& target) const {
  auto it = options_.targets.find(target);
  return it == options_.targets.end() ? options_.defaults : it->second;
}

void Dispatcher::start() {
  if (running_.exchange(true)) return;
  stopping_ = false;
  std::set<std::string> names;
  for (const auto& n : sinks_->names()) names.insert(n);
  for (const auto& [n, _] : options_.targets) names.insert(n);
  for (const auto& n : names) ensure_target(n);
  if (options_.listen) listener_ = std::thread([this] { run_listener(); });
  housekeeper_ = std::thread([this] { run_housekeeper(); });
  log().info("dispatcher_started",
             {{"node", options_.node_id}, {"targets", std::to_string(names.size())}});
}

void Dispatcher::ensure_target(const std::string& name) {
  std::lock_guard lock(mu_);
  if (stopping_ || !running_ || targets_.count(name)) return;
  auto t = std::make_unique<Target>(name, config_for(name));
  Target& ref = *t;
  const int workers = std::max(1, ref.config.workers);
  for (int i = 0; i < workers; ++i) {
    ref.workers.emplace_back([this, &ref, i] { run_worker(ref, i); });
  }
  targets_.emplace(name, std::move(t));
  publish_breaker(ref);
}

void Dispatcher::stop() {
  if (!running_) return;
  {
    std::lock_guard lock(mu_);
    if (stopping_.exchange(true)) return;
  }
  for (auto& [_, t] : targets_) {
    std::lock_guard lock(t->mu);
    ++t->wake_seq;
    t->cv.notify_all();
    t->quiet_cv.notify_all();
  }
  {
    std::lock_guard lock(housekeeper_mu_);
    housekeeper_cv_.notify_all();
  }
  if (housekeeper_.joinable()) housekeeper_.join();
  // targets_ no longer changes: ensure_target() refuses once stopping_ is set.
  for (auto& [_, t] : targets_) {
    for (auto& w : t->workers) {
      if (w.joinable()) w.join();
    }
  }
  if (listener_.joinable()) listener_.join();
  release_leases();
  {
    std::lock_guard lock(mu_);
    targets_.clear();
  }
  running_ = false;
  log().info("dispatcher_stopped", {{"node", options_.node_id}});
}

void Dispatcher::release_leases() {
  // Workers record every batch before they exit, so this only finds rows whose results could not
  // be written (database trouble). Freeing them now saves the wait for lease expiry.
  try {
    auto lease = pool_.lease(std::chrono::seconds(5));
    pqxx::nontransaction tx(lease.conn());
    const auto r = tx.exec_params(
        "UPDATE hub.delivery SET lease_owner = NULL, lease_until = NULL"
        " WHERE state = 'pending' AND left(lease_owner, length($1)) = $1",
        options_.node_id + "#");
    if (r.affected_rows() > 0) {
      log().info("leases_released",
                 {{"node", options_.node_id}, {"rows", std::to_string(r.affected_rows())}});
    }
  } catch (const std::exception& e) {
    log().warn("lease_release_failed", {{"node", options_.node_id}, {"error", e.what()}});
  }
}

void Dispatcher::wake(const std::string& target) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(target);
  if (it == targets_.end()) return;
  std::lock_guard tl(it->second->mu);
  ++it->second->wake_seq;
  // One idle worker takes what arrived; waking them all sent the others to claim nothing (an
  // empty claim transaction per worker per commit under a trickle of single messages). A busy
  // worker sees wake_seq moved when it finishes and claims again at once; a full batch makes its
  // worker claim again too, so a backlog is never left to one wake-up.
  it->second->cv.notify_one();
}

BreakerState Dispatcher::breaker_state(const std::string& target) const {
  std::lock_guard lock(mu_);
  auto it = targets_.find(target);
  return it == targets_.end() ? BreakerState::kClosed : it->second->breaker.state();
}

DispatcherStats Dispatcher::stats() const {
  return {claimed_.load(), delivered_.load(),  retried_.load(),
          dead_.load(),    lease_lost_.load(), batches_.load()};
}

void Dispatcher::publish_breaker(const Target& target) {
  auto& t = const_cast<Target&>(target);
  const int s = static_cast<int>(t.breaker.state());
  const int before = t.published_breaker.exchange(s);
  if (before == s) return;
  metrics::Registry::global().set("zhkh_dispatcher_breaker_state", {{"target", t.name}}, s);
  if (before != -1) {
    log().warn("breaker_" + std::string(to_string(static_cast<BreakerState>(s))),
               {{"target", t.name}, {"node", options_.node_id}});
  }
}

void Dispatcher::note_missing_sink(const std::string& target) {
  bool first = false;
  {
    std::lock_guard lock(mu_);
    first = missing_sinks_.insert(target).second;
  }
  if (!first) return;
  metrics::Registry::global().set("zhkh_dispatcher_target_without_sink", {{"target", target}}, 1);
  log().warn("target_without_sink",
             {{"target", target},
              {"node", options_.node_id},
              {"hint", "rows stay pending until a sink of this name is registered"}});
}

void Dispatcher::wait_for_work(Target& t, std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(t.mu);
  t.cv.wait_for(lock, timeout, [&] { return stopping_.load() || t.wake_seq != seen; });
}

void Dispatcher::run_worker(Target& t, int index) {
  const std::string owner = options_.node_id + "#" + t.name + "#" + std::to_string(index);
  while (!stopping_) {
    std::uint64_t seen;
    {
      std::lock_guard lock(t.mu);
      seen = t.wake_seq;
    }
    auto sink = sinks_->find(t.name);
    if (!sink) {
      note_missing_sink(t.name);
      wait_for_work(t, seen, t.config.poll_interval);
      continue;
    }
    const auto permit = t.breaker.acquire();
    publish_breaker(t);
    if (permit == CircuitBreaker::Permit::kDenied) {
      auto wait = t.breaker.remaining_open();
      if (wait <= std::chrono::milliseconds(0) || wait > t.config.poll_interval) {
        wait = t.config.poll_interval;  // half-open with another worker probing: look again later
      }
      // A NOTIFY must not end this wait early: while open, no claims.
      std::unique_lock lock(t.mu);
      t.quiet_cv.wait_for(lock, wait, [&] { return stopping_.load(); });
      continue;
    }
    const int limit =
        permit == CircuitBreaker::Permit::kProbe ? 1 : std::max(1, t.config.batch_size);
    std::size_t claimed = 0;
    try {
      claimed = run_batch(t, *sink, owner, limit);
    } catch (const std::exception& e) {
      if (permit == CircuitBreaker::Permit::kProbe) t.breaker.end_probe();
      metrics::Registry::global().add("zhkh_dispatcher_errors_total", {{"target", t.name}});
      log().error("dispatch_failed", {{"target", t.name}, {"owner", owner}, {"error", e.what()}});
      wait_for_work(t, seen, t.config.poll_interval);
      continue;
    }
    if (claimed == 0 && permit == CircuitBreaker::Permit::kProbe) t.breaker.end_probe();
    publish_breaker(t);
    // A full batch means there is probably more: claim again at once.
    if (claimed < static_cast<std::size_t>(limit)) {
      wait_for_work(t, seen, t.config.poll_interval);
      if (t.config.linger.count() > 0 && !stopping_) {
        std::unique_lock lock(t.mu);
        t.quiet_cv.wait_for(lock, t.config.linger, [&] { return stopping_.load(); });
      }
    }
  }
}

std::vector<Dispatcher::Row> Dispatcher::read_rows(const pqxx::result& r) {
  std::vector<Row> rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    Row x;
    x.id = row[0].as<long long>();
    x.attempts = row[1].as<int>();
    store::read_journal_envelope(row, 2, x.envelope);
    rows.push_back(std::move(x));
  }
  // RETURNING order is unspecified; the sink sees the batch in queue order.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.id < b.id; });
  return rows;
}

std::size_t Dispatcher::run_batch(Target& t, Sink& sink, const std::string& owner, int limit) {
  if (sink.delivers_in_transaction()) return run_batch_in_transaction(t, sink, limit);
  Batch b;
  {
    auto lease = pool_.lease();
    prepare(lease.conn());
    pqxx::nontransaction tx(lease.conn());
    b.rows = read_rows(tx.exec_prepared(
        kClaimStatement, owner, static_cast<long long>(t.config.lease.count()), t.name, limit));
  }
  if (b.rows.empty()) return 0;
  take(b);
  deliver(t, b, [&](const std::vector<Envelope>& batch) { return sink.deliver_batch(batch); });
  pqxx::result done;
  {
    auto lease = pool_.lease();
    prepare(lease.conn());
    pqxx::nontransaction tx(lease.conn());
    // Losing the last results in a database crash means those rows are delivered again, which
    // at-least-once delivery allows anyway (a node can die at the same point). Nothing is ever
    // lost: the outbox rows themselves were committed durably by Ingress.
    done = record(t, tx, b, owner);
  }
  account(t, sink, b, done, owner);
  return b.rows.size();
}

std::size_t Dispatcher::run_batch_in_transaction(Target& t, Sink& sink, int limit) {
  Batch b;
  pqxx::result done;
  {
    auto lease = pool_.lease();
    prepare(lease.conn());
    pqxx::work tx(lease.conn());
    b.rows = read_rows(tx.exec_prepared(kClaimLockedStatement, t.name, limit, commit_mode()));
    if (b.rows.empty()) {
      tx.commit();
      return 0;
    }
    take(b);
    deliver(t, b, [&](const std::vector<Envelope>& batch) {
      // The savepoint keeps the claim when the sink fails: its writes go, the rows are recorded
      // for retry in the same transaction.
      store::Savepoint sink_tx(tx, "sink");
      auto results = sink.deliver_batch_in(sink_tx, batch);
      sink_tx.commit();
      return results;
    });
    done = record(t, tx, b, "");
    tx.commit();
  }
  account(t, sink, b, done, "");
  return b.rows.size();
}

void Dispatcher::take(Batch& b) {
  claimed_ += b.rows.size();
  ++batches_;
  b.envelopes.reserve(b.rows.size());
  for (auto& r : b.rows) b.envelopes.push_back(std::move(r.envelope));
}

void Dispatcher::deliver(
    Target& t, Batch& b,
    const std::function<std::vector<DeliveryResult>(const std::vector<Envelope>&)>& call) {
  const auto started = std::chrono::steady_clock::now();
  try {
    b.results = call(b.envelopes);
  } catch (const std::exception& e) {
    b.results.assign(b.envelopes.size(),
                     DeliveryResult::retry(std::string("sink threw: ") + e.what()));
  } catch (...) {
    b.results.assign(b.envelopes.size(),
                     DeliveryResult::retry("sink threw a non-standard exception"));
  }
  b.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (b.results.size() != b.envelopes.size()) {
    log().error("sink_result_count", {{"target", t.name},
                                      {"expected", std::to_string(b.envelopes.size())},
                                      {"got", std::to_string(b.results.size())}});
    b.results.resize(b.envelopes.size(),
                     DeliveryResult::retry("sink returned no result for this message"));
  }
}

pqxx::result Dispatcher::record(Target& t, pqxx::transaction_base& tx, Batch& b,
                                const std::string& owner) {
  std::vector<std::string> ok_ids, failed_ids, kinds, errors, delays;
  ok_ids.reserve(b.rows.size());
  for (std::size_t i = 0; i < b.rows.size(); ++i) {
    const auto& res = b.results[i];
    // Breaker: a retry means the target is unwell; a delivery or a rejection means it answered.
    if (res.kind == DeliveryResult::Kind::kDelivered) {
      ok_ids.push_back(std::to_string(b.rows[i].id));
      t.breaker.on_success();
      continue;
    }
    failed_ids.push_back(std::to_string(b.rows[i].id));
    kinds.push_back(kind_name(res.kind));
    errors.push_back(res.reason.empty() ? std::string("(no reason given)") : res.reason);
    const auto delay = res.kind == DeliveryResult::Kind::kRetry
                           ? backoff_delay(t.config, b.rows[i].attempts + 1, uniform01())
                           : std::chrono::milliseconds(0);
    delays.push_back(std::to_string(delay.count()));
    if (res.kind == DeliveryResult::Kind::kRetry) {
      t.breaker.on_failure();
    } else {
      t.breaker.on_success();
      ++b.rejected;
    }
  }
  // An empty owner (rows locked by this transaction rather than leased) is passed as NULL.
  const std::optional<std::string> lease_owner =
      owner.empty() ? std::nullopt : std::optional<std::string>(owner);
  return tx.exec_prepared(kCompleteStatement, store::pg_array_literal(ok_ids),
                          store::pg_array_literal(failed_ids), store::pg_array_literal(kinds),
                          store::pg_array_literal(errors), store::pg_array_literal(delays),
                          lease_owner, t.config.max_attempts, commit_mode());
}

std::string Dispatcher::commit_mode() const {
  return options_.synchronous_results ? "on" : "off";
}

void Dispatcher::account(Target& t, Sink& sink, const Batch& b, const pqxx::result& done,
                         const std::string& owner) {
  std::size_t n_delivered = 0, n_retry = 0, n_dead = 0;
  std::vector<long long> dead_ids;
  for (const auto& row : done) {
    const std::string_view state = row[1].c_str();
    if (state == "delivered") {
      ++n_delivered;
    } else if (state == "dead") {
      ++n_dead;
      dead_ids.push_back(row[0].as<long long>());
    } else {
      ++n_retry;
    }
  }
  // The sink hears of its dead letters once they are recorded (a sink with state per delivery
  // closes it). Rows are in queue order, so each dead id is found by binary search.
  for (const long long id : dead_ids) {
    const auto it = std::lower_bound(b.rows.begin(), b.rows.end(), id,
                                     [](const Row& r, long long v) { return r.id < v; });
    if (it == b.rows.end() || it->id != id) continue;
    const std::size_t i = static_cast<std::size_t>(it - b.rows.begin());
    try {
      sink.abandoned(b.envelopes[i], b.results[i].reason);
    } catch (const std::exception& e) {
      log().warn("abandoned_failed",
                 {{"target", t.name}, {"message", b.envelopes[i].id}, {"error", e.what()}});
    } catch (...) {
      log().warn("abandoned_failed", {{"target", t.name}, {"message", b.envelopes[i].id}});
    }
  }
  const std::size_t lost = b.rows.size() - done.size();
  delivered_ += n_delivered;
  retried_ += n_retry;
  dead_ += n_dead;
  auto& m = metrics::Registry::global();
  m.observe("zhkh_delivery_attempt_seconds", {{"target", t.name}}, b.seconds);
  if (n_delivered)
    m.add("zhkh_deliveries_total", {{"target", t.name}, {"result", "delivered"}}, n_delivered);
  if (n_retry) m.add("zhkh_deliveries_total", {{"target", t.name}, {"result", "retry"}}, n_retry);
  if (n_dead) {
    m.add("zhkh_deliveries_total", {{"target", t.name}, {"result", "dead"}}, n_dead);
    log().warn("dead_letters", {{"target", t.name},
                                {"count", std::to_string(n_dead)},
                                {"rejected", std::to_string(b.rejected)}});
  }
  if (lost) {
    lease_lost_ += lost;
    m.add("zhkh_dispatcher_lease_lost_total", {{"target", t.name}}, lost);
    log().warn("lease_lost", {{"target", t.name},
                              {"owner", owner},
                              {"rows", std::to_string(lost)},
                              {"hint", "the sink took longer than the lease; raise `lease`"}});
  }
}

void Dispatcher::run_listener() {
  struct Receiver : pqxx::notification_receiver {
    Receiver(pqxx::connection_base& c, Dispatcher& d)
        : pqxx::notification_receiver(c, kDeliveryChannel), d_(d) {}
    void operator()(const std::string& payload, int) override { d_.wake(payload); }
    Dispatcher& d_;
  };
  while (!stopping_) {
    try {
      pqxx::connection conn(pool_.conninfo());
      Receiver receiver(conn, *this);
      // Rows may have arrived while we were not listening.
      {
        std::lock_guard lock(mu_);
        for (auto& [_, t] : targets_) {
          std::lock_guard tl(t->mu);
          ++t->wake_seq;
          t->cv.notify_all();
        }
      }
      while (!stopping_) conn.await_notification(0, 200000);
    } catch (const std::exception& e) {
      if (stopping_) break;
      log().warn("listen_failed", {{"error", e.what()}, {"retry_in_ms", "1000"}});
      std::unique_lock lock(housekeeper_mu_);
      housekeeper_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
    }
  }
}

void Dispatcher::run_housekeeper() {
  while (!stopping_) {
    try {
      refresh_depth();
    } catch (const std::exception& e) {
      log().warn("queue_depth_failed", {{"error", e.what()}});
    }
    std::unique_lock lock(housekeeper_mu_);
    housekeeper_cv_.wait_for(lock, options_.housekeeping_interval,
                             [&] { return stopping_.load(); });
  }
}

void Dispatcher::refresh_depth() {
  std::vector<std::pair<std::string, double>> depth;
  {
    auto lease = pool_.lease();
    pqxx::nontransaction tx(lease.conn());
    for (const auto& row : tx.exec(
             "SELECT target, count(*) FROM hub.delivery WHERE state = 'pending' GROUP BY target")) {
      depth.emplace_back(row[0].c_str(), row[1].as<double>());
    }
  }
  auto& m = metrics::Registry::global();
  std::set<std::string> seen;
  for (const auto& [target, n] : depth) {
    seen.insert(target);
    m.set("zhkh_delivery_queue_depth", {{"target", target}}, n);
    if (sinks_->find(target)) {
      ensure_target(target);
    } else if (target.rfind("queue:", 0) != 0) {
      // queue:<subscription> rows are pulled by consumers (hub/queue), never pushed by us.
      note_missing_sink(target);
    }
  }
  std::vector<std::string> known;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, _] : targets_) known.push_back(name);
  }
  for (const auto& name : known) {
    if (!seen.count(name)) m.set("zhkh_delivery_queue_depth", {{"target", name}}, 0);
  }
}

}  // namespace hub::dispatcher
