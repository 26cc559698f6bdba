#pragma once
// A real hub slice for queue tests: a fresh migrated database, a real Ingress (schemas from the
// checkout, no routes) whose fan-out feeds the CanonicalQueues, and a real AdminServer on an
// ephemeral port serving the queue routes, with admin / operator / viewer tokens.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../api/admin_fixture.h"
#include "hub/ingress/ingress.h"
#include "hub/queue/canonical_queues.h"
#include "hub/queue/queue_routes.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "test_paths.h"

namespace hub::queue::testsupport {

using api::testsupport::http;
using api::testsupport::HttpResult;

inline std::string sample(const std::string& type) {
  std::ifstream in(hub::testing::source_dir() / "schemas/canonical/samples" / (type + ".xml"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline Subscription subscription(std::string name, std::vector<std::string> types,
                                 std::vector<std::string> sources = {},
                                 std::chrono::seconds visibility = std::chrono::seconds(60)) {
  Subscription s;
  s.name = std::move(name);
  s.types = std::move(types);
  s.sources = std::move(sources);
  s.visibility_timeout = visibility;
  return s;
}

/// An HTTP request with extra headers (Accept, Content-Type).
inline HttpResult http_with(int port, const std::string& method, const std::string& path,
                            const std::string& token, const std::string& body,
                            const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setTimeout(Poco::Timespan(90, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!token.empty()) req.set("Authorization", "Bearer " + token);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  auto& in = s.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  r.content_type = resp.getContentType();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

inline Poco::JSON::Object::Ptr parse_object(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

/// One pulled message as a consumer sees it.
struct Pulled {
  std::string receipt;
  int delivery_count = 0;
  std::string id, type, source, idempotency_key, body;
};

class QueueFixture {
 public:
  explicit QueueFixture(std::vector<Subscription> subs, QueueOptions options = fast_options())
      : api_(api::AdminServerOptions{}, true, false) {
    pool_ = api_.db.make_pool(8);
    schemas_ = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
    router_.set(router::make_router("", "test-routes.yaml", nullptr, 1));
    ingress_ = std::make_unique<ingress::Ingress>(*pool_, schemas_, router_);
    queues_ =
        std::make_unique<CanonicalQueues>(*pool_, api_.db.conninfo(), std::move(subs), options);
    ingress_->set_fan_out(
        [q = queues_.get()](const Envelope& e, router::RoutingDecision& d) { q->fan_out(e, d); });
    api_.server->add_routes(queue_routes(*queues_, *ingress_, *pool_));
    api_.server->start();
  }
  ~QueueFixture() {
    api_.server->stop();
    queues_.reset();
  }

  static QueueOptions fast_options() {
    QueueOptions o;
    o.poll_interval = std::chrono::milliseconds(200);
    o.stats_interval = std::chrono::milliseconds(0);
    return o;
  }

  int port() const { return api_.port(); }
  const std::string& operator_token() const { return api_.operator_; }
  const std::string& viewer_token() const { return api_.viewer; }
  const std::string& admin_token() const { return api_.admin; }
  testing::TestDatabase& db() { return api_.db; }
  CanonicalQueues& queues() { return *queues_; }
  ingress::Ingress& ingress() { return *ingress_; }

  /// Journals one message through Ingress; returns its id ("" for a duplicate).
  std::string submit(const std::string& type, const std::string& source, const std::string& key) {
    Envelope e;
    e.type = type;
    e.source = source;
    e.idempotency_key = key;
    e.body = sample(type);
    const auto r = ingress_->submit({e});
    return r.ids.empty() ? std::string() : r.ids.front();
  }

  /// POST .../pull over HTTP as `token`; fails the test on a non-200.
  std::vector<Pulled> pull(const std::string& sub, int max, int wait = 0,
                           const std::string& token = "") {
    const auto r = http(port(), "POST",
                        "/api/v1/queues/" + sub + "/pull?max=" + std::to_string(max) +
                            "&wait=" + std::to_string(wait),
                        token.empty() ? operator_token() : token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<Pulled> out;
    if (r.status != 200) return out;
    const auto msgs = parse_object(r.body)->getArray("messages");
    for (std::size_t i = 0; i < msgs->size(); ++i) {
      const auto m = msgs->getObject(static_cast<unsigned>(i));
      const auto e = m->getObject("message");
      out.push_back({m->getValue<std::string>("receipt"), m->getValue<int>("delivery_count"),
                     e->getValue<std::string>("id"), e->getValue<std::string>("type"),
                     e->getValue<std::string>("source"),
                     e->getValue<std::string>("idempotency_key"),
                     e->getValue<std::string>("body")});
    }
    return out;
  }

  /// POST .../ack; returns {acked, rejected receipts}.
  std::pair<int, std::vector<std::string>> ack(const std::string& sub,
                                               const std::vector<std::string>& receipts,
                                               const std::string& token = "") {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& r : receipts) list->add(r);
    body->set("receipts", list);
    std::ostringstream text;
    body->stringify(text);
    const auto r = http(port(), "POST", "/api/v1/queues/" + sub + "/ack",
                        token.empty() ? operator_token() : token, text.str());
    EXPECT_EQ(r.status, 200) << r.body;
    std::pair<int, std::vector<std::string>> out{0, {}};
    if (r.status != 200) return out;
    const auto o = parse_object(r.body);
    out.first = o->getValue<int>("acked");
    const auto rej = o->getArray("rejected");
    for (std::size_t i = 0; i < rej->size(); ++i) {
      out.second.push_back(rej->getElement<std::string>(static_cast<unsigned>(i)));
    }
    return out;
  }

  static std::vector<std::string> receipts(const std::vector<Pulled>& p) {
    std::vector<std::string> out;
    for (const auto& x : p) out.push_back(x.receipt);
    return out;
  }

 private:
  api::testsupport::AdminFixture api_;
  std::unique_ptr<store::Pool> pool_;
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  router::RouterHolder router_;
  std::unique_ptr<ingress::Ingress> ingress_;
  std::unique_ptr<CanonicalQueues> queues_;
};

}  // namespace hub::queue::testsupport
