#include "hub/store/pool.h"

#include "hub/core/error.h"

namespace hub::store {

Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ && conn_) pool_->give_back(std::move(conn_));
}

Pool::Pool(std::string conninfo, std::size_t size) : conninfo_(std::move(conninfo)), size_(size) {
  if (size_ == 0) size_ = 1;
}

Pool::~Pool() = default;

Lease Pool::lease(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  ++waiting_;
  const bool got = cv_.wait_for(lock, timeout, [&] { return !idle_.empty() || created_ < size_; });
  --waiting_;
  if (!got) {
    throw StoreError("no database connection free within " + std::to_string(timeout.count()) +
                     " ms (pool of " + std::to_string(size_) + ")");
  }
  std::unique_ptr<pqxx::connection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  } else {
    ++created_;
  }
  ++in_use_;
  ++leases_total_;
  lock.unlock();
  try {
    if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    lock.lock();
    --created_;
    --in_use_;
    cv_.notify_one();
    throw StoreError(std::string("cannot connect to PostgreSQL: ") + e.what());
  }
  return Lease(this, std::move(conn));
}

void Pool::give_back(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mu_);
  --in_use_;
  if (conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --created_;  // broken: a fresh one is made on the next lease
  }
  cv_.notify_one();
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mu_);
  return {size_, in_use_, waiting_, leases_total_};
}

}  // namespace hub::store
