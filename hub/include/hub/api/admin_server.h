#pragma once
// The admin HTTP API (POCO HTTPServer, JSON):
//   GET  /healthz                          process up
//   GET  /readyz                           DB reachable and services.ready() (503 otherwise)
//   GET  /metrics                          Prometheus text: registry + pool, delivery, queue gauges
//   GET  /api/v1/messages?type&source&since&correlation_id&limit&offset
//   GET  /api/v1/messages/{id}             message with its deliveries and dead letters
//   GET  /api/v1/dead-letters?all&target&limit&offset
//   POST /api/v1/dead-letters/{id}/replay  operator
//   GET  /api/v1/routes                    running version + version history
//   POST /api/v1/routes?dry_run=1&file=X   admin; body = YAML
//   GET  /api/v1/adapters, /api/v1/adapters/{name}
//   GET  /api/v1/schedules, /api/v1/schedules/{job} (recent runs)
//   POST /api/v1/schedules/{job}/run       operator
//   GET/POST /api/v1/tokens, POST /api/v1/tokens/{name}/revoke   admin
// /healthz, /readyz and /metrics need no token (probes and scrapers); /api/v1 needs
// `Authorization: Bearer <token>`. Every authenticated mutating call writes one hub.audit row
// (actor = token name, action "api.<what>", details with the HTTP status), refused ones included.
// Errors are {"error": "...", "detail": ...} with 400/401/403/404/409/413/500/501/503.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "hub/api/admin_services.h"
#include "hub/api/api_route.h"
#include "hub/store/pool.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace hub::api {

struct AdminServerOptions {
  std::string host = "127.0.0.1";
  int port = 8480;  ///< 0 = an ephemeral port; read it back with port()
  int max_threads = 16;  ///< long-polling queue consumers each hold one while they wait
  int max_queued = 64;
  std::size_t max_body_bytes = 4 * 1024 * 1024;  ///< larger request bodies get 413
  /// How long a successful token check is remembered (TokenStore::set_cache_ttl): a token
  /// revoked on another node stops working here within this time; revoked here, at once.
  std::chrono::milliseconds token_cache_ttl{2000};
};

class AdminServer {
 public:
  /// `pool` serves the API's SQL (keep a few connections for it). Does not listen yet.
  AdminServer(store::Pool& pool, AdminServices services, AdminServerOptions options = {});
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  /// Adds endpoints owned by other parts of the hub (see api_route.h); before start() only.
  void add_routes(std::vector<ApiRoute> routes);
  /// Binds and starts serving; throws hub::Error naming host:port when the bind fails.
  void start();
  /// Stops accepting and waits for in-flight requests. Idempotent; also done by the destructor.
  void stop();
  /// The bound port (the real one when configured with 0); 0 before start().
  int port() const { return port_; }
  /// "http://host:port"
  std::string base_url() const;

  struct State;  // shared with request handlers

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Poco::ThreadPool> threads_;  // outlives server_, which runs on it
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace hub::api
