// SoapClient's connections (src/soap_client.cpp, src/session_pool.cpp): calls reuse a kept-alive
// connection, a kept one the peer closed is replaced without failing the call or sending twice, an
// idle one past keep_alive_idle is not reused, a timed-out call is not sent again, and with
// keeping off every call connects. Against a real HTTP server on 127.0.0.1 that tells connections
// apart by the client's port.

#include "soap_client.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "hub/plugin_host/http_client_factory.h"

namespace {

namespace g = hub::adapters::gis_zhkh;
using std::chrono::milliseconds;

constexpr const char* kAnswer =
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
    "<AckRequest xmlns=\"urn:test\"><Ack>ok</Ack></AckRequest></soap:Body></soap:Envelope>";

/// Answers every POST with kAnswer (keep-alive as the request asks), after `delay` when set.
class PeerServer {
 public:
  explicit PeerServer(int port = 0) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(30, 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~PeerServer() { stop(); }
  void stop() {
    if (server_) server_->stopAll(true);
    server_.reset();
  }

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  std::size_t connections() const {
    std::lock_guard lock(mu_);
    return client_ports_.size();
  }
  std::atomic<int> delay_ms{0};

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(PeerServer& s) : s_(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      ++s_.requests_;
      {
        std::lock_guard lock(s_.mu_);
        s_.client_ports_.insert(req.clientAddress().port());
      }
      if (s_.delay_ms > 0) std::this_thread::sleep_for(milliseconds(s_.delay_ms));
      resp.setContentType("text/xml; charset=utf-8");
      resp.setContentLength(static_cast<std::streamsize>(std::strlen(kAnswer)));
      resp.send() << kAnswer;
    }

   private:
    PeerServer& s_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(PeerServer& s) : s_(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(s_);
    }

   private:
    PeerServer& s_;
  };

  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::set<unsigned> client_ports_;
};

struct SoapClientTest : ::testing::Test {
  hub::plugin_host::PocoHttpClientFactory http;
  PeerServer peer;

  std::unique_ptr<g::SoapClient> client(std::size_t keep, milliseconds idle = milliseconds(4000)) {
    g::SoapSettings s;
    s.endpoint = peer.endpoint();
    s.keep_alive_sessions = keep;
    s.keep_alive_idle = idle;
    return std::make_unique<g::SoapClient>(http, s);
  }
  static g::SoapReply call(g::SoapClient& c, milliseconds timeout = milliseconds(5000)) {
    return c.call("/ext-bus-home-management-service/services/HomeManagementAsync",
                  "urn:importAccountData", "<x/>", timeout);
  }
};

TEST_F(SoapClientTest, CallsInARowShareOneConnection) {
  auto c = client(16);
  for (int i = 0; i < 5; ++i) {
    const auto r = call(*c);
    ASSERT_EQ(r.kind, g::SoapReply::Kind::kOk) << r.error;
    EXPECT_EQ(r.http_status, 200);
  }
  EXPECT_EQ(peer.requests(), 5);
  EXPECT_EQ(peer.connections(), 1u);
  EXPECT_EQ(c->idle_connections(), 1u);
}

TEST_F(SoapClientTest, WithKeepingOffEveryCallConnects) {
  auto c = client(0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(call(*c).kind, g::SoapReply::Kind::kOk);
  EXPECT_EQ(peer.connections(), 3u);
  EXPECT_EQ(c->idle_connections(), 0u);
}

TEST_F(SoapClientTest, ConcurrentCallsEachHaveTheirOwnConnectionAndKeepIt) {
  auto c = client(16);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i)
        if (call(*c).kind == g::SoapReply::Kind::kOk) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 40);
  EXPECT_EQ(peer.requests(), 40);
  EXPECT_LE(peer.connections(), 4u);
  EXPECT_LE(c->idle_connections(), 4u);
}

TEST_F(SoapClientTest, KeptConnectionsThePeerClosedAreReplacedAndTheCallGoesOnce) {
  auto c = client(16);
  peer.delay_ms = 100;  // three calls at once: three connections kept
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&] { call(*c); });
  for (auto& t : threads) t.join();
  peer.delay_ms = 0;
  ASSERT_EQ(c->idle_connections(), 3u);
  // The peer restarts on the same port: every kept connection is dead.
  const int port = peer.port();
  peer.stop();
  PeerServer again(port);
  const auto r = call(*c);
  ASSERT_EQ(r.kind, g::SoapReply::Kind::kOk) << r.error;
  EXPECT_EQ(again.requests(), 1);
  EXPECT_EQ(c->idle_connections(), 1u);
}

TEST_F(SoapClientTest, AnIdleConnectionPastKeepAliveIdleIsClosedNotReused) {
  auto c = client(16, milliseconds(50));
  ASSERT_EQ(call(*c).kind, g::SoapReply::Kind::kOk);
  std::this_thread::sleep_for(milliseconds(150));
  ASSERT_EQ(call(*c).kind, g::SoapReply::Kind::kOk);
  EXPECT_EQ(peer.connections(), 2u);
  EXPECT_EQ(peer.requests(), 2);
}

TEST_F(SoapClientTest, ATimedOutCallOnAKeptConnectionIsNotSentAgain) {
  auto c = client(16);
  ASSERT_EQ(call(*c).kind, g::SoapReply::Kind::kOk);
  peer.delay_ms = 600;
  const auto r = call(*c, milliseconds(150));
  EXPECT_EQ(r.kind, g::SoapReply::Kind::kTransport);
  EXPECT_FALSE(r.error.empty());
  std::this_thread::sleep_for(milliseconds(700));
  EXPECT_EQ(peer.requests(), 2);  // the warm-up and the timed-out one, once
  // The timed-out connection is not kept: the next call has a clean one.
  peer.delay_ms = 0;
  ASSERT_EQ(call(*c).kind, g::SoapReply::Kind::kOk);
  EXPECT_EQ(peer.requests(), 3);
}

TEST_F(SoapClientTest, AnUnreachablePeerIsATransportErrorNotAnException) {
  const int port = peer.port();
  peer.stop();
  g::SoapSettings s;
  s.endpoint = "http://127.0.0.1:" + std::to_string(port);
  g::SoapClient gone(http, s);
  const auto r = call(gone, milliseconds(500));
  EXPECT_EQ(r.kind, g::SoapReply::Kind::kTransport);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
