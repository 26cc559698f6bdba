// The queue endpoints' HTTP contract: unknown subscriptions, roles and audit, parameter checks,
// the XML forms, and POST /api/v1/messages (validation errors, duplicates, source).

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include "hub/core/json_text.h"
#include "hub/xml/document.h"
#include "hub/xml/envelope_xml.h"
#include "queue_fixture.h"

namespace hub::queue {
namespace {

using testsupport::http;
using testsupport::http_with;
using testsupport::parse_object;
using testsupport::QueueFixture;
using testsupport::subscription;

TEST(QueueApi, UnknownSubscriptionIs404) {
  QueueFixture f({subscription("billing", {})});
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/queues/nope/pull", f.operator_token()).status, 404);
  const auto r = http(f.port(), "POST", "/api/v1/queues/nope/ack", f.operator_token(),
                      R"({"receipts":["1.00000000000000000000000000000000"]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(parse_object(r.body)->getValue<std::string>("error").find("nope"), std::string::npos);
}

TEST(QueueApi, PullWithoutAnyBodyAnswersAtOnce) {
  // `curl -XPOST` sends neither Content-Length nor a chunked body: that is an empty body, and the
  // server must not wait for the connection to close before answering.
  QueueFixture f({subscription("billing", {})});
  f.submit("payment.received", "bank", "nobody-1");
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(f.port()));
  s.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest req("POST", "/api/v1/queues/billing/pull?max=5",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + f.operator_token());
  const auto t0 = std::chrono::steady_clock::now();
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
  EXPECT_EQ(resp.getStatus(), 200) << body;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(parse_object(body)->getArray("messages")->size(), 1u);
}

TEST(QueueApi, RolesAndAudit) {
  QueueFixture f({subscription("billing", {})});
  f.submit("payment.received", "bank", "role-1");
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/queues/billing/pull").status, 401);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/queues/billing/pull", f.viewer_token()).status, 403);
  EXPECT_EQ(
      http(f.port(), "POST", "/api/v1/queues/billing/ack", f.viewer_token(), R"({"receipts":[]})")
          .status,
      403);
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/messages", f.viewer_token(), "{}").status, 403);
  EXPECT_EQ(http(f.port(), "GET", "/api/v1/queues", f.viewer_token()).status, 200);
  // The refusals are audited; the viewer's failed pull did not take the message.
  EXPECT_EQ(f.db().scalar("SELECT count(*) FROM hub.audit WHERE actor = 'ops-viewer'"
                          " AND (details->>'status')::int = 403"),
            "3");
  const auto got = f.pull("billing", 10, 0, f.admin_token());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(f.ack("billing", QueueFixture::receipts(got), f.admin_token()).first, 1);
  // Successful pulls and acks are recorded on the row (consumer), not as audit rows.
  EXPECT_EQ(f.db().scalar("SELECT count(*) FROM hub.audit WHERE action IN"
                          " ('api.queue.pull', 'api.queue.ack') AND actor = 'ops-admin'"),
            "0");
  EXPECT_EQ(f.db().scalar("SELECT consumer FROM hub.delivery WHERE target = 'queue:billing'"),
            "ops-admin");
}

TEST(QueueApi, ParametersAreChecked) {
  QueueFixture f({subscription("billing", {})});
  for (const auto* q : {"max=0", "max=1001", "max=x", "wait=61", "wait=-1"}) {
    const auto r =
        http(f.port(), "POST", std::string("/api/v1/queues/billing/pull?") + q, f.operator_token());
    EXPECT_EQ(r.status, 400) << q << ": " << r.body;
  }
  EXPECT_EQ(http(f.port(), "POST", "/api/v1/queues/billing/ack", f.operator_token(), "[1,2").status,
            400);
  const auto r = http(f.port(), "POST", "/api/v1/queues/billing/ack", f.operator_token(),
                      R"({"receipts":[17]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("receipts[0]"), std::string::npos) << r.body;
}

TEST(QueueApi, XmlOnRequest) {
  QueueFixture f({subscription("billing", {})});
  const auto id = f.submit("payment.received", "bank", "xml-1");
  const auto r = http_with(f.port(), "POST", "/api/v1/queues/billing/pull?max=5",
                           f.operator_token(), "", {{"Accept", "application/xml"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("application/xml"), std::string::npos);
  const auto doc = xml::parse_xml(r.body, "pull response");
  auto* root = doc.root();
  ASSERT_STREQ(reinterpret_cast<const char*>(root->name), "messages");
  ASSERT_STREQ(reinterpret_cast<const char*>(root->ns->href), kQueueNs);
  xmlNodePtr msg = root->children;
  while (msg && msg->type != XML_ELEMENT_NODE) msg = msg->next;
  ASSERT_NE(msg, nullptr);
  xmlChar* receipt = xmlGetProp(msg, BAD_CAST "receipt");
  const std::string rc = reinterpret_cast<const char*>(receipt);
  xmlFree(receipt);
  xmlNodePtr env = msg->children;
  while (env && env->type != XML_ELEMENT_NODE) env = env->next;
  ASSERT_NE(env, nullptr);
  // The envelope inside is the canonical wire form: it reads back with the hub's own reader.
  xml::Document single(xmlNewDoc(BAD_CAST "1.0"), "envelope");
  xmlDocSetRootElement(single.get(), xmlDocCopyNode(env, single.get(), 1));
  const auto e = xml::envelope_from_xml(single);
  EXPECT_EQ(e.id, id);
  EXPECT_EQ(e.idempotency_key, "xml-1");
  EXPECT_NE(e.body.find("paymentReceived"), std::string::npos);

  const auto a = http_with(f.port(), "POST", "/api/v1/queues/billing/ack", f.operator_token(),
                           std::string("<q:ack xmlns:q=\"") + kQueueNs + "\"><q:receipt>" + rc +
                               "</q:receipt><q:receipt>1.bad</q:receipt></q:ack>",
                           {{"Content-Type", "application/xml"}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find("acked=\"1\""), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("<q:rejected>1.bad</q:rejected>"), std::string::npos) << a.body;
}

std::string json_envelope(const std::string& key, const std::string& body,
                          const std::string& extra = "") {
  std::string out =
      "{\"type\":\"payment.received\",\"idempotency_key\":\"" + key + "\"" + extra + ",\"body\":";
  append_json_string(out, body);
  return out + "}";
}

TEST(QueueApi, BillingEnginePushesMessagesThroughIngress) {
  QueueFixture f({subscription("billing", {"payment.received"}, {"ops-operator"})});
  const auto body = testsupport::sample("payment.received");

  const auto r1 = http(f.port(), "POST", "/api/v1/messages", f.operator_token(),
                       json_envelope("engine-1", body));
  ASSERT_EQ(r1.status, 201) << r1.body;
  const auto id = parse_object(r1.body)->getValue<std::string>("id");
  EXPECT_FALSE(parse_object(r1.body)->getValue<bool>("duplicate"));

  // The same idempotency key again: answered idempotently with the journalled id.
  const auto r2 = http(f.port(), "POST", "/api/v1/messages", f.operator_token(),
                       json_envelope("engine-1", body));
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(parse_object(r2.body)->getValue<std::string>("id"), id);
  EXPECT_TRUE(parse_object(r2.body)->getValue<bool>("duplicate"));
  EXPECT_EQ(f.db().scalar("SELECT count(*) FROM hub.message WHERE idempotency_key = 'engine-1'"),
            "1");

  // It went through Ingress: journalled with the token as its source, and fanned out.
  EXPECT_EQ(f.db().scalar("SELECT source FROM hub.message WHERE id = '" + id + "'"),
            "ops-operator");
  const auto got = f.pull("billing", 10);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);

  // The canonical XML envelope is accepted too.
  Envelope e;
  e.type = "payment.received";
  e.idempotency_key = "engine-xml-1";
  e.body = body;
  const auto r3 = http_with(f.port(), "POST", "/api/v1/messages", f.operator_token(),
                            xml::envelope_to_xml(e), {{"Content-Type", "application/xml"}});
  EXPECT_EQ(r3.status, 201) << r3.body;
}

TEST(QueueApi, InvalidMessagesAreRefusedNamingWhere) {
  QueueFixture f({subscription("billing", {})});
  auto bad_body = testsupport::sample("payment.received");
  const auto at = bad_body.find("<c:amountKopecks>152340</c:amountKopecks>");
  ASSERT_NE(at, std::string::npos);
  bad_body.replace(at, std::strlen("<c:amountKopecks>152340</c:amountKopecks>"),
                   "<c:amountKopecks>lots</c:amountKopecks>");
  const auto r = http(f.port(), "POST", "/api/v1/messages", f.operator_token(),
                      json_envelope("bad-1", bad_body));
  ASSERT_EQ(r.status, 400) << r.body;
  const auto err = parse_object(r.body)->getValue<std::string>("error");
  EXPECT_NE(err.find("amountKopecks"), std::string::npos) << err;  // the XPath of the problem
  EXPECT_NE(err.find("bad-1"), std::string::npos) << err;
  EXPECT_EQ(f.db().scalar("SELECT count(*) FROM hub.message WHERE idempotency_key = 'bad-1'"), "0");

  // Malformed XML body: the line is named.
  const auto r2 = http(
      f.port(), "POST", "/api/v1/messages", f.operator_token(),
      json_envelope("bad-2", "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">\n<oops>"));
  ASSERT_EQ(r2.status, 400) << r2.body;
  EXPECT_NE(r2.body.find(":2"), std::string::npos) << r2.body;

  // Envelope problems name the key.
  const auto r3 = http(f.port(), "POST", "/api/v1/messages", f.operator_token(),
                       R"({"idempotency_key":"k","body":"<x/>"})");
  ASSERT_EQ(r3.status, 400);
  EXPECT_EQ(parse_object(r3.body)->getObject("detail")->getValue<std::string>("key"), "type");
  const auto r4 =
      http(f.port(), "POST", "/api/v1/messages", f.operator_token(),
           R"({"type":"payment.received","idempotency_key":"k","body":"<x/>","colour":"red"})");
  ASSERT_EQ(r4.status, 400);
  EXPECT_EQ(parse_object(r4.body)->getObject("detail")->getValue<std::string>("key"), "colour");
  const auto r5 = http(f.port(), "POST", "/api/v1/messages", f.operator_token(), "{\"type\":");
  EXPECT_EQ(r5.status, 400);
  const auto r6 = http_with(f.port(), "POST", "/api/v1/messages", f.operator_token(),
                            "<e:envelope xmlns:e=\"urn:zhkh-hub:envelope:1\">\n</e:envelope>",
                            {{"Content-Type", "application/xml"}});
  EXPECT_EQ(r6.status, 400) << r6.body;

  // An operator token cannot pose as another source; an admin may.
  const auto r7 = http(f.port(), "POST", "/api/v1/messages", f.operator_token(),
                       json_envelope("spoof-1", testsupport::sample("payment.received"),
                                     ",\"source\":\"bank-sber\""));
  EXPECT_EQ(r7.status, 403) << r7.body;
  const auto r8 = http(f.port(), "POST", "/api/v1/messages", f.admin_token(),
                       json_envelope("spoof-2", testsupport::sample("payment.received"),
                                     ",\"source\":\"bank-sber\""));
  EXPECT_EQ(r8.status, 201) << r8.body;
}

}  // namespace
}  // namespace hub::queue
