#include "hub/router/route_store.h"

#include <openssl/evp.h>

#include <cstdio>

#include "hub/core/error.h"
#include "hub/core/log.h"
#include "hub/router/line_diff.h"

namespace hub::router {
namespace {

constexpr const char* kSelectColumns =
    "SELECT version, config, digest, applied_by,"
    " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    " coalesce(source, '') FROM hub.route_version ";

StoredVersion from_row(const pqxx::row& r) {
  StoredVersion v;
  v.version = r[0].as<long long>();
  v.config = r[1].as<std::string>();
  v.digest = r[2].as<std::string>();
  v.applied_by = r[3].as<std::string>();
  v.applied_at = r[4].as<std::string>();
  v.source = r[5].as<std::string>();
  return v;
}

std::optional<StoredVersion> query_current(pqxx::transaction_base& tx) {
  const auto res = tx.exec(std::string(kSelectColumns) + "ORDER BY version DESC LIMIT 1");
  if (res.empty()) return std::nullopt;
  return from_row(res[0]);
}

Log& log() {
  static Log l("router");
  return l;
}

}  // namespace

std::string sha256_hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw Error("sha256: EVP_Digest failed");
  }
  std::string hex;
  hex.reserve(len * 2);
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

ApplyResult RouteStore::apply(const std::string& yaml_text, const std::string& file,
                              const std::string& actor, bool dry_run) {
  ApplyResult result;
  result.config = parse_routing_config(yaml_text, file);
  result.digest = sha256_hex(yaml_text);
  result.dry_run = dry_run;

  auto lease = pool_.lease();
  pqxx::work tx(lease.conn());
  // One apply at a time: the diff must be against the version this one replaces. Readers
  // (ACCESS SHARE) are not blocked by this mode.
  tx.exec0("LOCK TABLE hub.route_version IN SHARE ROW EXCLUSIVE MODE");
  const auto cur = query_current(tx);
  const std::string before = cur ? cur->config : std::string();
  const std::string before_name = cur ? "version " + std::to_string(cur->version) + " (" +
                                            cur->applied_by + ", " + cur->applied_at + ")"
                                      : "(no version)";
  result.diff = unified_diff(before, yaml_text, before_name, file);
  result.version = cur ? cur->version : 0;
  result.changed = !cur || cur->config != yaml_text;
  if (!result.changed) result.diff = "no changes";
  if (!result.changed || dry_run) {
    tx.abort();
    return result;
  }

  result.version = tx.exec_params1(
                         "INSERT INTO hub.route_version (config, digest, applied_by, source)"
                         " VALUES ($1, $2, $3, $4) RETURNING version",
                         yaml_text, result.digest, actor, file)[0]
                       .as<long long>();
  tx.exec_params0(
      "INSERT INTO hub.audit (actor, action, object, details)"
      " VALUES ($1, 'routes.apply', $2, jsonb_build_object('version', $3::bigint, 'digest', "
      "$4::text))",
      actor, file, result.version, result.digest);
  // Delivered at commit, and only if it commits.
  tx.exec_params("SELECT pg_notify($1, $2)", std::string(kRoutesChannel),
                 std::to_string(result.version));
  tx.commit();
  log().info("routes.applied", {{"version", std::to_string(result.version)},
                                {"digest", result.digest},
                                {"actor", actor},
                                {"file", file},
                                {"routes", std::to_string(result.config.routes.size())},
                                {"schedules", std::to_string(result.config.schedules.size())}});
  return result;
}

std::optional<StoredVersion> RouteStore::current() {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  return query_current(tx);
}

std::optional<StoredVersion> RouteStore::get(long long version) {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto res = tx.exec_params(std::string(kSelectColumns) + "WHERE version = $1", version);
  if (res.empty()) return std::nullopt;
  return from_row(res[0]);
}

std::vector<StoredVersion> RouteStore::list_versions(std::size_t limit) {
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto res = tx.exec_params(std::string(kSelectColumns) + "ORDER BY version DESC LIMIT $1",
                                  static_cast<long long>(limit));
  std::vector<StoredVersion> out;
  out.reserve(res.size());
  for (const auto& r : res) out.push_back(from_row(r));
  return out;
}

// ---------------------------------------------------------------------------------------------
// RouteWatcher

namespace {

/// Only records that something arrived; the watcher then reads the highest version itself, so
/// a payload out of order (or a missed one) cannot make it go backwards.
class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, bool& flag)
      : pqxx::notification_receiver(c, kRoutesChannel), flag_(flag) {}
  void operator()(const std::string&, int) override { flag_ = true; }

 private:
  bool& flag_;
};

}  // namespace

RouteWatcher::RouteWatcher(std::string conninfo, Callback on_version,
                           std::chrono::milliseconds recheck)
    : conninfo_(std::move(conninfo)), on_version_(std::move(on_version)), recheck_(recheck) {}

RouteWatcher::~RouteWatcher() {
  stop();
}

void RouteWatcher::start(long long known_version) {
  if (thread_.joinable()) return;
  version_ = known_version;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void RouteWatcher::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RouteWatcher::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lk(mu_);
  return !cv_.wait_for(lk, d, [this] { return stopping_.load(); });
}

void RouteWatcher::check(pqxx::connection_base& conn) {
  std::optional<StoredVersion> cur;
  {
    pqxx::read_transaction tx(conn);
    cur = query_current(tx);
  }
  if (!cur || cur->version <= version_.load()) return;
  try {
    on_version_(*cur);
    version_ = cur->version;
  } catch (const std::exception& e) {
    // Keep the old version running and try again at the next re-check: the cause (a stylesheet
    // not yet deployed on this node, say) may go away.
    log().error("routes.switch_failed",
                {{"version", std::to_string(cur->version)}, {"error", e.what()}});
  }
}

void RouteWatcher::run() {
  auto backoff = std::chrono::milliseconds(200);
  while (!stopping_) {
    try {
      pqxx::connection conn(conninfo_);
      // Our own reconnect re-LISTENs and re-checks; libpqxx 6 reconnecting silently would skip
      // the re-check. Deprecated in 6.x but still the only switch for it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
      conn.set_variable("application_name", "'zhkh-route-watcher'");
      bool notified = false;
      Receiver receiver(conn, notified);
      ++connects_;
      backoff = std::chrono::milliseconds(200);
      log().info("routes.watching", {{"version", std::to_string(version_.load())}});
      check(conn);  // anything published while we were not listening
      auto next_check = std::chrono::steady_clock::now() + recheck_;
      while (!stopping_) {
        // Short waits keep stop() prompt without a wake-up channel into libpq.
        conn.await_notification(0, 200'000);
        if (!conn.is_open()) throw pqxx::broken_connection("route watcher: connection closed");
        const auto now = std::chrono::steady_clock::now();
        if (notified || now >= next_check) {
          notified = false;
          check(conn);
          next_check = now + recheck_;
        }
      }
    } catch (const std::exception& e) {
      if (stopping_) break;
      log().warn("routes.watch_lost",
                 {{"error", e.what()}, {"retry_ms", std::to_string(backoff.count())}});
      if (!sleep_for(backoff)) break;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

}  // namespace hub::router
