#include "session_pool.h"

#include <Poco/Timespan.h>

namespace hub::adapters::gis_zhkh {

SessionPool::SessionPool(plugin::HttpClientFactory& http, std::string url,
                         plugin::HttpOptions options, std::size_t max_sessions,
                         std::chrono::milliseconds max_idle)
    : http_(http),
      url_(std::move(url)),
      options_(std::move(options)),
      max_sessions_(max_sessions),
      max_idle_(max_idle) {}

void SessionPool::close_expired(std::vector<Idle>& out, Clock::time_point now) {
  // Oldest first: the expired ones are a prefix. They are closed outside the lock.
  std::size_t n = 0;
  while (n < idle_.size() && now - idle_[n].since > max_idle_) ++n;
  for (std::size_t i = 0; i < n; ++i) out.push_back(std::move(idle_[i]));
  idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(n));
}

SessionPool::Lease SessionPool::take(std::chrono::milliseconds timeout) {
  Lease lease;
  std::vector<Idle> expired;
  {
    std::lock_guard lock(mu_);
    close_expired(expired, Clock::now());
    if (!idle_.empty()) {
      lease.session = std::move(idle_.back().session);
      idle_.pop_back();
      lease.reused = true;
    }
  }
  expired.clear();  // closes their sockets
  if (!lease.session) {
    auto options = options_;
    options.timeout = timeout;
    lease.session = http_.open(url_, options);
    lease.session->setKeepAlive(max_sessions_ > 0);
    // Poco reconnects by itself once a session has been idle this long; the pool has closed
    // such sessions before, so this only covers a lease held idle.
    lease.session->setKeepAliveTimeout(
        Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(max_idle_).count()));
  }
  const Poco::Timespan t(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
  lease.session->setTimeout(t);
  // POCO applies a session's timeouts to its socket when it connects; a connected one is told.
  if (lease.session->connected()) {
    lease.session->socket().setSendTimeout(t);
    lease.session->socket().setReceiveTimeout(t);
  }
  return lease;
}

void SessionPool::give_back(Session session) {
  if (!session || max_sessions_ == 0) return;
  std::vector<Idle> expired;
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  close_expired(expired, now);
  if (idle_.size() >= max_sessions_) return;  // closed as it goes out of scope
  idle_.push_back({std::move(session), now});
}

void SessionPool::drop_idle() {
  std::vector<Idle> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(idle_);
  }
}

std::size_t SessionPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

}  // namespace hub::adapters::gis_zhkh
