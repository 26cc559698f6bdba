#pragma once
// A fixed-size pool of libpqxx connections. Callers lease a connection for the span of one unit of
// work; the lease returns it on destruction. A connection that broke is replaced on next lease.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace hub::store {

struct PoolStats {
  std::size_t size = 0;
  std::size_t in_use = 0;
  std::size_t waiting = 0;
  std::uint64_t leases_total = 0;
};

class Pool;

/// RAII lease on one pooled connection.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  pqxx::connection& operator*() { return *conn_; }
  pqxx::connection* operator->() { return conn_.get(); }
  pqxx::connection& conn() { return *conn_; }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn) : pool_(pool), conn_(std::move(conn)) {}
  Pool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
};

class Pool {
 public:
  /// `conninfo` is a libpq connection string ("host=127.0.0.1 port=5432 dbname=hub user=hub").
  Pool(std::string conninfo, std::size_t size);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// Waits up to `timeout` for a free connection; throws StoreError on timeout.
  Lease lease(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  PoolStats stats() const;
  const std::string& conninfo() const { return conninfo_; }

 private:
  friend class Lease;
  void give_back(std::unique_ptr<pqxx::connection> conn);

  std::string conninfo_;
  std::size_t size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t created_ = 0;
  std::size_t in_use_ = 0;
  std::size_t waiting_ = 0;
  std::uint64_t leases_total_ = 0;
};

}  // namespace hub::store
