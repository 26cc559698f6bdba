#pragma once
// A real AdminServer on an ephemeral port with the SOAP endpoint mounted, over a fresh migrated
// database, real Ingress (canonical schemas from the checkout, every message routed to `noop`)
// and, when `with_queues`, real canonical queues with subscription "billing" (payment.received).

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "hub/api/admin_server.h"
#include "hub/api/token_store.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/router/routing_config.h"
#include "hub/soap/soap_endpoint.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xpath.h"
#include "hub/xml/xslt.h"
#include "test_database.h"
#include "test_paths.h"

namespace hub::soap::testsupport {

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

inline Reply http(int port, const std::string& method, const std::string& path,
                  const std::map<std::string, std::string>& headers = {},
                  const std::string& body = "") {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (method != "GET") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(req) << body;
  } else {
    s.sendRequest(req);
  }
  Poco::Net::HTTPResponse resp;
  auto& in = s.receiveResponse(resp);
  Reply r;
  r.status = resp.getStatus();
  r.content_type = resp.getContentType();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The canonical sample body for `type` without its XML declaration (it goes inside markup).
inline std::string sample_body(const std::string& type) {
  std::string s =
      read_text(hub::testing::source_dir() / "schemas/canonical/samples" / (type + ".xml"));
  if (s.rfind("<?xml", 0) == 0) s.erase(0, s.find("?>") + 2);
  return s;
}

/// A SOAP 1.1 request with `payload` as the Body's content.
inline std::string soap_request(const std::string& payload) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"\n"
         "                  xmlns:s=\"urn:zhkh-hub:soap:1\">\n"
         "  <soapenv:Body>\n" +
         payload +
         "\n  </soapenv:Body>\n"
         "</soapenv:Envelope>\n";
}

inline std::string envelope(const std::string& key, const std::string& body,
                            const std::string& type = "payment.received",
                            const std::string& source = "partner-operator") {
  return "<e:envelope xmlns:e=\"urn:zhkh-hub:envelope:1\" type=\"" + type +
         "\" schemaVersion=\"1\" source=\"" + source +
         "\" occurredAt=\"2026-11-20T10:00:00Z\" "
         "idempotencyKey=\"" +
         key + "\">\n<e:header name=\"channel\">soap</e:header>\n<e:body>" + body +
         "</e:body>\n</e:envelope>";
}

inline std::string submit_request(const std::string& key, const std::string& body) {
  return soap_request("<s:SubmitRequest>\n" + envelope(key, body) + "\n</s:SubmitRequest>");
}

/// XPath string() over a response, with the SOAP, service and envelope prefixes bound.
inline std::string xpath(const std::string& doc_text, const std::string& expr) {
  auto doc = xml::parse_xml(doc_text, "response");
  return xml::XPath::compile(expr, {{"soapenv", "http://schemas.xmlsoap.org/soap/envelope/"},
                                    {"s", "urn:zhkh-hub:soap:1"},
                                    {"wsdl", "http://schemas.xmlsoap.org/wsdl/"},
                                    {"soap", "http://schemas.xmlsoap.org/wsdl/soap/"},
                                    {"xs", "http://www.w3.org/2001/XMLSchema"}})
      .string_value(doc);
}

class SoapFixture {
 public:
  explicit SoapFixture(bool with_queues = false, SoapEndpointOptions options = {}) {
    pool = db.make_pool(8);
    api::TokenStore tokens(*pool);
    operator_ = tokens.create("partner-operator", api::Role::kOperator);
    admin = tokens.create("partner-admin", api::Role::kAdmin);
    viewer = tokens.create("partner-viewer", api::Role::kViewer);
    const auto src = hub::testing::source_dir();
    schemas = xml::SchemaRegistry::load(src / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(router::parse_routing_config(
        "routes:\n  - name: all\n    match: {}\n    to: [noop]\n", "soap-test-routes.yaml"));
    router.set(std::make_shared<router::Router>(
        config, std::make_shared<xml::StylesheetCache>(src / "mappings"), 1));
    ingress = std::make_unique<ingress::Ingress>(*pool, schemas, router);
    SoapQueues bound;
    if (with_queues) {
      queue::QueueOptions qo;
      qo.poll_interval = std::chrono::milliseconds(200);
      qo.stats_interval = std::chrono::milliseconds(0);
      queue::Subscription billing;
      billing.name = "billing";
      billing.types = {"payment.received"};
      billing.visibility_timeout = std::chrono::seconds(2);
      queues = std::make_unique<queue::CanonicalQueues>(
          *pool, db.conninfo(), std::vector<queue::Subscription>{billing}, qo);
      ingress->set_fan_out(
          [q = queues.get()](const Envelope& e, router::RoutingDecision& d) { q->fan_out(e, d); });
      bound = SoapQueues::over(*queues);
    }
    endpoint = std::make_unique<SoapEndpoint>(ServiceDescription::load(src / "schemas/canonical"),
                                              *ingress, schemas, *pool, bound, options);
    api::AdminServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    server = std::make_unique<api::AdminServer>(*pool, api::AdminServices{}, o);
    server->add_routes(endpoint->routes());
    server->start();
  }
  ~SoapFixture() { server.reset(); }

  int port() const { return server->port(); }
  std::string url() const { return server->base_url() + "/soap"; }

  Reply call(const std::string& action, const std::string& body,
             const std::string& token_override = "\x01") const {
    std::map<std::string, std::string> h{{"Content-Type", "text/xml; charset=utf-8"}};
    if (action != "\x01") h["SOAPAction"] = action;
    const std::string& t = token_override == "\x01" ? operator_ : token_override;
    if (!t.empty()) h["Authorization"] = "Bearer " + t;
    return http(port(), "POST", "/soap", h, body);
  }

  hub::testing::TestDatabase db;
  std::unique_ptr<store::Pool> pool;
  std::shared_ptr<const xml::SchemaRegistry> schemas;
  router::RouterHolder router;
  std::unique_ptr<ingress::Ingress> ingress;
  std::unique_ptr<queue::CanonicalQueues> queues;
  std::unique_ptr<SoapEndpoint> endpoint;
  std::unique_ptr<api::AdminServer> server;
  std::string operator_, viewer, admin;
};

}  // namespace hub::soap::testsupport
