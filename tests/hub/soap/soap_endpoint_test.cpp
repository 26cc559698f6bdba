// The SOAP endpoint over a real AdminServer, PostgreSQL and Ingress: Submit journals through
// Ingress (duplicates answer the existing id), validation failures are Client faults naming the
// line and XPath, protocol mistakes are Client (or VersionMismatch / MustUnderstand) faults,
// server trouble is a Server fault, and POST needs an operator token.

#include "hub/soap/soap_endpoint.h"

#include <gtest/gtest.h>

#include "hub/core/uuid.h"
#include "soap_fixture.h"

namespace hub::soap {
namespace {

using testsupport::envelope;
using testsupport::http;
using testsupport::sample_body;
using testsupport::soap_request;
using testsupport::SoapFixture;
using testsupport::submit_request;
using testsupport::xpath;

const std::string kSubmit = "\"urn:zhkh-hub:soap:1#Submit\"";
const std::string kPull = "\"urn:zhkh-hub:soap:1#Pull\"";

std::string faultcode(const std::string& body) {
  return xpath(body, "string(/soapenv:Envelope/soapenv:Body/soapenv:Fault/faultcode)");
}
std::string faultstring(const std::string& body) {
  return xpath(body, "string(/soapenv:Envelope/soapenv:Body/soapenv:Fault/faultstring)");
}

TEST(SoapSubmit, JournalsThroughIngressAndAnswersTheMessageId) {
  SoapFixture f;
  const auto r = f.call(kSubmit, submit_request("partner:pay:1", sample_body("payment.received")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("text/xml"), std::string::npos);
  const auto id = xpath(r.body, "string(//s:SubmitResponse/s:messageId)");
  EXPECT_TRUE(is_uuid(id)) << r.body;
  EXPECT_EQ(xpath(r.body, "string(//s:SubmitResponse/s:duplicate)"), "false");
  EXPECT_EQ(f.db.scalar("SELECT type || '|' || source || '|' || idempotency_key || '|' || "
                        "(headers->>'channel') FROM hub.message WHERE id = '" +
                        id + "'"),
            "payment.received|partner-operator|partner:pay:1|soap");
  EXPECT_NE(f.db.scalar("SELECT body FROM hub.message WHERE id = '" + id + "'").find("152340"),
            std::string::npos);
  // Routed like anything else that comes in.
  EXPECT_EQ(f.db.scalar("SELECT target FROM hub.delivery WHERE message_id = '" + id + "'"), "noop");
  // A success is recorded by the journal (source = the token's name), not in hub.audit.
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.audit WHERE action = 'api.soap'"), "0");
}

TEST(SoapSubmit, ADuplicateIdempotencyKeyAnswersTheExistingId) {
  SoapFixture f;
  const auto body = submit_request("partner:pay:dup", sample_body("payment.received"));
  const auto first = f.call(kSubmit, body);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto second = f.call(kSubmit, body);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(xpath(second.body, "string(//s:messageId)"),
            xpath(first.body, "string(//s:messageId)"));
  EXPECT_EQ(xpath(second.body, "string(//s:duplicate)"), "true");
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.message"), "1");
}

TEST(SoapSubmit, AnInvalidBodyIsAClientFaultNamingTheXPathAndLine) {
  SoapFixture f;
  std::string body = sample_body("payment.received");
  body.replace(body.find(">152340<") + 1, 6, "a lot");
  const auto request = submit_request("partner:pay:bad", body);
  const auto r = f.call(kSubmit, request);
  ASSERT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(faultcode(r.body), "soapenv:Client");
  const std::string where =
      "/soapenv:Envelope/soapenv:Body/s:SubmitRequest/e:envelope/e:body/c:paymentReceived/"
      "c:amountKopecks";
  EXPECT_NE(faultstring(r.body).find(where), std::string::npos) << faultstring(r.body);
  // The line is the request's own line of <c:amountKopecks>.
  int line = 1;
  for (std::size_t i = 0; i < request.find("a lot"); ++i) line += request[i] == '\n';
  EXPECT_NE(faultstring(r.body).find("line " + std::to_string(line) + ":"), std::string::npos)
      << faultstring(r.body);
  EXPECT_EQ(xpath(r.body, "string(//s:FaultDetail/s:issue[1]/@xpath)"), where);
  EXPECT_EQ(xpath(r.body, "string(//s:FaultDetail/s:issue[1]/@line)"), std::to_string(line));
  EXPECT_NE(xpath(r.body, "string(//s:FaultDetail/s:issue[1])").find("amountKopecks"),
            std::string::npos);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.message"), "0");
  // Faults are audited, as the caller.
  EXPECT_EQ(f.db.scalar("SELECT actor || '|' || (details->>'status') FROM hub.audit "
                        "WHERE action = 'api.soap'"),
            "partner-operator|500");
}

TEST(SoapSubmit, TheSourceIsTheCallerUnlessAnAdminNamesAnother) {
  SoapFixture f;
  const auto as = [&](const std::string& key, const std::string& source) {
    return soap_request("<s:SubmitRequest>" +
                        envelope(key, sample_body("payment.received"), "payment.received", source) +
                        "</s:SubmitRequest>");
  };
  auto r = f.call(kSubmit, as("k-pose", "sber"));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("e:envelope/@source"), std::string::npos)
      << faultstring(r.body);
  EXPECT_NE(faultstring(r.body).find("may only submit messages as source 'partner-operator'"),
            std::string::npos);
  r = f.call(kSubmit, as("k-admin", "sber"), f.admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(f.db.scalar("SELECT source FROM hub.message WHERE idempotency_key = 'k-admin'"),
            "sber");
  // No source at all: the token's name.
  std::string none = as("k-none", "x");
  none.replace(none.find(" source=\"x\""), 11, "");
  r = f.call(kSubmit, none);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(f.db.scalar("SELECT source FROM hub.message WHERE idempotency_key = 'k-none'"),
            "partner-operator");
}

TEST(SoapSubmit, EnvelopeProblemsAreClientFaultsWithTheirPlace) {
  SoapFixture f;
  // No idempotency key: envelope.xsd requires it.
  std::string no_key = submit_request("x", sample_body("payment.received"));
  no_key.replace(no_key.find(" idempotencyKey=\"x\""), 19, "");
  auto r = f.call(kSubmit, no_key);
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("/soapenv:Envelope/soapenv:Body/s:SubmitRequest/e:envelope"),
            std::string::npos)
      << faultstring(r.body);
  EXPECT_NE(faultstring(r.body).find("idempotencyKey"), std::string::npos) << faultstring(r.body);

  // A body of another type than the envelope says.
  r = f.call(kSubmit,
             soap_request("<s:SubmitRequest>" +
                          envelope("k-type", sample_body("payment.received"), "meter.reading") +
                          "</s:SubmitRequest>"));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("c:paymentReceived"), std::string::npos)
      << faultstring(r.body);
  EXPECT_NE(faultstring(r.body).find("meterReading"), std::string::npos) << faultstring(r.body);

  // An unknown type.
  r = f.call(kSubmit,
             soap_request("<s:SubmitRequest>" +
                          envelope("k-unknown", sample_body("payment.received"), "no.such") +
                          "</s:SubmitRequest>"));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("unknown message type 'no.such'"), std::string::npos)
      << faultstring(r.body);

  // No envelope at all.
  r = f.call(kSubmit, soap_request("<s:SubmitRequest/>"));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("/soapenv:Envelope/soapenv:Body/s:SubmitRequest"),
            std::string::npos);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.message"), "0");
}

TEST(SoapProtocol, MalformedUnknownOrMismatchedRequestsAreClientFaults) {
  SoapFixture f;
  const auto good = submit_request("k-proto", sample_body("payment.received"));

  auto r =
      f.call(kSubmit, "<?xml version=\"1.0\"?>\n<soapenv:Envelope xmlns:soapenv=\"x\">\n<oops>");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("malformed"), std::string::npos) << faultstring(r.body);
  EXPECT_NE(faultstring(r.body).find("request:3"), std::string::npos) << faultstring(r.body);

  // A DTD with entities is refused by the hardened parser.
  r = f.call(kSubmit, "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>");
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("entity"), std::string::npos) << faultstring(r.body);

  r = f.call(kSubmit, soap_request("<s:RefundRequest/>"));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("unknown operation {urn:zhkh-hub:soap:1}RefundRequest"),
            std::string::npos)
      << faultstring(r.body);

  r = f.call(kPull, good);  // stubs that disagree with the Body
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("SOAPAction"), std::string::npos) << faultstring(r.body);

  r = f.call("\x01", good);  // no SOAPAction header at all
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("SOAPAction"), std::string::npos);

  r = f.call(kSubmit, "<x:Envelope xmlns:x=\"urn:other\"><x:Body/></x:Envelope>");
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;

  r = f.call(kSubmit,
             "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
             "<soapenv:Body><a/><b/></soapenv:Body></soapenv:Envelope>");
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("exactly one"), std::string::npos);

  r = f.call(kSubmit,
             "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\">"
             "<env:Body/></env:Envelope>");
  EXPECT_EQ(faultcode(r.body), "soapenv:VersionMismatch") << r.body;

  r = f.call(
      kSubmit,
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "<soapenv:Header><t:tx xmlns:t=\"urn:t\" soapenv:mustUnderstand=\"1\"/></soapenv:Header>"
      "<soapenv:Body><s:SubmitRequest xmlns:s=\"urn:zhkh-hub:soap:1\"/></soapenv:Body>"
      "</soapenv:Envelope>");
  EXPECT_EQ(faultcode(r.body), "soapenv:MustUnderstand") << r.body;

  // An empty SOAPAction ("see the Body") is accepted.
  r = f.call("\"\"", good);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.message"), "1");
}

TEST(SoapProtocol, ServerTroubleIsAServerFault) {
  SoapFixture f;
  // The journal cannot be written: Ingress fails on the database, not on the message.
  f.db.exec("ALTER TABLE hub.message RENAME TO message_gone");
  const auto r = f.call(kSubmit, submit_request("k-srv", sample_body("payment.received")));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(faultcode(r.body), "soapenv:Server") << r.body;
  EXPECT_NE(faultstring(r.body).find("Submit failed"), std::string::npos) << faultstring(r.body);
}

TEST(SoapAuth, WsdlIsAnonymousButOperationsNeedAnOperatorToken) {
  SoapFixture f;
  EXPECT_EQ(http(f.port(), "GET", "/soap?wsdl").status, 200);
  const auto body = submit_request("k-auth", sample_body("payment.received"));
  EXPECT_EQ(f.call(kSubmit, body, "").status, 401);
  EXPECT_EQ(f.call(kSubmit, body, "zhkh_not-a-token").status, 401);
  EXPECT_EQ(f.call(kSubmit, body, f.viewer).status, 403);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.message"), "0");
  EXPECT_EQ(f.call(kSubmit, body).status, 200);
}

TEST(SoapAuth, AHostHeaderThatWouldBreakTheWsdlIsRefused) {
  SoapFixture f;
  // The WSDL names the endpoint by the Host the client used; markup there is not echoed.
  const auto r = http(f.port(), "GET", "/soap?wsdl", {{"Host", "evil\"><x y=\""}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.body.find("<x"), std::string::npos);
  const auto named = http(f.port(), "GET", "/soap?wsdl", {{"Host", "hub.example:8480"}});
  EXPECT_EQ(xpath(named.body, "string(//soap:address/@location)"), "http://hub.example:8480/soap");
  EXPECT_EQ(xpath(named.body, "string(//xs:import[1]/@schemaLocation)"),
            "http://hub.example:8480/soap?xsd=envelope.xsd");
}

TEST(SoapAuth, AConfiguredPublicUrlIsWhatTheWsdlNames) {
  SoapEndpointOptions o;
  o.public_url = "https://hub.example/soap";  // a TLS proxy in front of the hub
  SoapFixture f(false, o);
  const auto r = http(f.port(), "GET", "/soap?wsdl");
  EXPECT_EQ(xpath(r.body, "string(//soap:address/@location)"), "https://hub.example/soap");
  EXPECT_EQ(xpath(r.body, "string(//xs:import[2]/@schemaLocation)"),
            "https://hub.example/soap?xsd=canonical");
}

TEST(SoapProtocol, ARequestOverTheSizeLimitIsRefusedBeforeParsing) {
  SoapEndpointOptions o;
  o.max_request_bytes = 1024;
  SoapFixture f(false, o);
  const auto body = submit_request("k-big", sample_body("payment.received"));
  ASSERT_GT(body.size(), 1024u);
  const auto r = f.call(kSubmit, body);
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(faultstring(r.body).find("exceeds the limit of 1024"), std::string::npos)
      << faultstring(r.body);
  EXPECT_EQ(f.db.scalar("SELECT count(*) FROM hub.message"), "0");
}

TEST(SoapMetrics, OperationsAreCountedByOutcome) {
  SoapFixture f;
  ASSERT_EQ(f.call(kSubmit, submit_request("k-metrics", sample_body("payment.received"))).status,
            200);
  f.call(kSubmit, soap_request("<s:SubmitRequest/>"));
  const auto m = http(f.port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("zhkh_soap_requests_total{operation=\"Submit\",outcome=\"ok\"}"),
            std::string::npos)
      << m.body.substr(0, 2000);
  EXPECT_NE(m.body.find("zhkh_soap_requests_total{operation=\"Submit\",outcome=\"Client\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace hub::soap
