#include "hub/plugin_host/http_client_factory.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <sstream>

namespace hub::plugin_host {
namespace {

class Echo : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    resp.setContentType("text/plain");
    resp.send() << "you asked for " << req.getURI();
  }
};

class EchoFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Echo;
  }
};

TEST(HttpClientFactory, OpensPlainSessionsToALoopbackServer) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::HTTPServer server(new EchoFactory, socket, new Poco::Net::HTTPServerParams);
  server.start();
  PocoHttpClientFactory factory;
  plugin::HttpOptions options;
  options.timeout = std::chrono::seconds(7);
  auto session =
      factory.open("http://127.0.0.1:" + std::to_string(socket.address().port()) + "/x", options);
  EXPECT_EQ(session->getTimeout().totalSeconds(), 7);
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/registry?day=1");
  session->sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::ostringstream body;
  Poco::StreamCopier::copyStream(session->receiveResponse(resp), body);
  EXPECT_EQ(resp.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
  EXPECT_EQ(body.str(), "you asked for /registry?day=1");
  server.stop();
}

TEST(HttpClientFactory, OpensTlsSessionsForHttpsAndRefusesOtherSchemes) {
  PocoHttpClientFactory factory;
  auto s = factory.open("https://127.0.0.1:8443/api", {});
  EXPECT_NE(dynamic_cast<Poco::Net::HTTPSClientSession*>(s.get()), nullptr);
  EXPECT_EQ(s->getHost(), "127.0.0.1");
  EXPECT_EQ(s->getPort(), 8443);
  EXPECT_EQ(factory.open("https://example.org/", {})->getPort(), 443);
  EXPECT_THROW(factory.open("ftp://example.org/", {}), std::invalid_argument);
  EXPECT_THROW(factory.open("not a url", {}), std::invalid_argument);
}

}  // namespace
}  // namespace hub::plugin_host
