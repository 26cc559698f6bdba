#pragma once
// Idle HTTP keep-alive sessions to one endpoint, so that a call reuses the connection (and, over
// HTTPS, the TLS session) an earlier call left open instead of connecting again. Through a local
// GOST tunnel a new connection is a new GOST TLS handshake with GIS, and a busy hub makes a few
// hundred calls a second. Sessions idle for longer than max_idle are closed rather than reused:
// servers drop idle connections on their own schedule, and a thread-per-connection server holds a
// thread for each open one.

#include <Poco/Net/HTTPClientSession.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/plugin/context.h"

namespace hub::adapters::gis_zhkh {

class SessionPool {
 public:
  using Session = std::unique_ptr<Poco::Net::HTTPClientSession>;
  using Clock = std::chrono::steady_clock;

  struct Lease {
    Session session;
    bool reused = false;  ///< it carried an earlier call (the peer may have closed it since)
  };

  /// `url` names the scheme, host and port every session connects to. With max_sessions 0
  /// nothing is kept: every call connects.
  SessionPool(plugin::HttpClientFactory& http, std::string url, plugin::HttpOptions options,
              std::size_t max_sessions, std::chrono::milliseconds max_idle);

  /// The most recently returned idle session, or a new one (throws what
  /// HttpClientFactory::open throws). Its timeout is set to `timeout`.
  Lease take(std::chrono::milliseconds timeout);
  /// Keeps a session whose last exchange ended cleanly with a keep-alive response; closes it
  /// when the pool is full or keeping is off.
  void give_back(Session session);
  /// Closes every idle session: one of them turned out dead (the peer restarted or timed them
  /// out), and the others were opened to that same peer before it.
  void drop_idle();

  std::size_t idle() const;

 private:
  struct Idle {
    Session session;
    Clock::time_point since;
  };
  void close_expired(std::vector<Idle>& out, Clock::time_point now);

  plugin::HttpClientFactory& http_;
  const std::string url_;
  const plugin::HttpOptions options_;
  const std::size_t max_sessions_;
  const std::chrono::milliseconds max_idle_;
  mutable std::mutex mu_;
  std::vector<Idle> idle_;  ///< oldest first
};

}  // namespace hub::adapters::gis_zhkh
