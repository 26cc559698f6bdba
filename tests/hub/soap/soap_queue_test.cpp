// Pull and Ack over SOAP on real canonical queues: a message submitted over SOAP comes back with
// a receipt, is gone once acked, comes again when not acked in time, and a pull waiting for it
// returns as soon as Ingress commits it.

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "soap_fixture.h"

namespace hub::soap {
namespace {

using testsupport::sample_body;
using testsupport::soap_request;
using testsupport::SoapFixture;
using testsupport::submit_request;
using testsupport::xpath;

const std::string kSubmit = "\"urn:zhkh-hub:soap:1#Submit\"";
const std::string kPull = "\"urn:zhkh-hub:soap:1#Pull\"";
const std::string kAck = "\"urn:zhkh-hub:soap:1#Ack\"";

std::string pull_request(const std::string& subscription, int max, int wait) {
  return soap_request("<s:PullRequest><s:subscription>" + subscription +
                      "</s:subscription><s:max>" + std::to_string(max) + "</s:max><s:waitSeconds>" +
                      std::to_string(wait) + "</s:waitSeconds></s:PullRequest>");
}

std::string ack_request(const std::string& subscription, const std::vector<std::string>& receipts) {
  std::string p = "<s:AckRequest><s:subscription>" + subscription + "</s:subscription>";
  for (const auto& r : receipts) p += "<s:receipt>" + r + "</s:receipt>";
  return soap_request(p + "</s:AckRequest>");
}

std::string faultcode(const std::string& body) {
  return xpath(body, "string(//soapenv:Fault/faultcode)");
}

TEST(SoapQueue, SubmittedMessageIsPulledWithAReceiptAndGoneOnceAcked) {
  SoapFixture f(true);
  const auto sub = f.call(kSubmit, submit_request("k-q1", sample_body("payment.received")));
  ASSERT_EQ(sub.status, 200) << sub.body;
  const auto id = xpath(sub.body, "string(//s:messageId)");

  const auto pulled = f.call(kPull, pull_request("billing", 10, 5));
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  EXPECT_EQ(xpath(pulled.body, "count(//s:PullResponse/s:message)"), "1") << pulled.body;
  const auto receipt = xpath(pulled.body, "string(//s:message/s:receipt)");
  EXPECT_FALSE(receipt.empty());
  EXPECT_EQ(xpath(pulled.body, "string(//s:message/s:deliveryCount)"), "1");
  const std::string env = "//s:message/*[local-name()='envelope']";
  EXPECT_EQ(xpath(pulled.body, "string(" + env + "/@id)"), id);
  EXPECT_EQ(xpath(pulled.body, "string(" + env + "/@type)"), "payment.received");
  EXPECT_EQ(xpath(pulled.body, "string(" + env + "/@idempotencyKey)"), "k-q1");
  EXPECT_EQ(xpath(pulled.body, "string(" + env + "//*[local-name()='amountKopecks'][1])"),
            "152340");
  // Who pulled it is recorded on the queued row.
  EXPECT_EQ(f.db.scalar("SELECT consumer FROM hub.delivery WHERE message_id = '" + id +
                        "' AND target = 'queue:billing'"),
            "partner-operator");

  const auto acked = f.call(kAck, ack_request("billing", {receipt}));
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(xpath(acked.body, "string(//s:AckResponse/s:acked)"), "1");
  EXPECT_EQ(xpath(acked.body, "count(//s:AckResponse/s:rejected)"), "0");

  // A receipt acks once; the second time it is handed back as rejected.
  const auto again = f.call(kAck, ack_request("billing", {receipt, "1.bogus"}));
  EXPECT_EQ(xpath(again.body, "string(//s:acked)"), "0") << again.body;
  EXPECT_EQ(xpath(again.body, "count(//s:rejected)"), "2");
  EXPECT_EQ(xpath(again.body, "count(//s:rejected[. = '" + receipt + "'])"), "1");

  const auto empty = f.call(kPull, pull_request("billing", 10, 0));
  EXPECT_EQ(xpath(empty.body, "count(//s:message)"), "0") << empty.body;
}

TEST(SoapQueue, AnUnackedMessageComesAgainAfterTheVisibilityTimeout) {
  SoapFixture f(true);  // visibility timeout 2 s
  ASSERT_EQ(f.call(kSubmit, submit_request("k-q2", sample_body("payment.received"))).status, 200);
  const auto first = f.call(kPull, pull_request("billing", 10, 5));
  ASSERT_EQ(xpath(first.body, "count(//s:message)"), "1") << first.body;
  EXPECT_EQ(xpath(f.call(kPull, pull_request("billing", 10, 0)).body, "count(//s:message)"), "0");
  const auto second = f.call(kPull, pull_request("billing", 10, 10));
  ASSERT_EQ(xpath(second.body, "count(//s:message)"), "1") << second.body;
  EXPECT_EQ(xpath(second.body, "string(//s:deliveryCount)"), "2");
  // The first receipt expired with its lease.
  const auto stale =
      f.call(kAck, ack_request("billing", {xpath(first.body, "string(//s:receipt)")}));
  EXPECT_EQ(xpath(stale.body, "string(//s:acked)"), "0") << stale.body;
  const auto fresh =
      f.call(kAck, ack_request("billing", {xpath(second.body, "string(//s:receipt)")}));
  EXPECT_EQ(xpath(fresh.body, "string(//s:acked)"), "1") << fresh.body;
}

TEST(SoapQueue, AWaitingPullReturnsWhenAMessageArrives) {
  SoapFixture f(true);
  const auto started = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async,
                            [&] { return f.call(kPull, pull_request("billing", 10, 20)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(f.call(kSubmit, submit_request("k-q3", sample_body("payment.received"))).status, 200);
  const auto r = waiting.get();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(xpath(r.body, "count(//s:message)"), "1") << r.body;
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(SoapQueue, BadPullAndAckRequestsAreClientFaults) {
  SoapFixture f(true);
  auto r = f.call(kPull, pull_request("nosuch", 10, 0));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(r.body.find("nosuch"), std::string::npos);

  r = f.call(kPull, pull_request("billing", 5000, 0));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(xpath(r.body, "string(//faultstring)")
                .find("/soapenv:Envelope/soapenv:Body/"
                      "s:PullRequest/s:max"),
            std::string::npos)
      << r.body;

  r = f.call(kPull, soap_request("<s:PullRequest><s:max>1</s:max></s:PullRequest>"));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(xpath(r.body, "string(//faultstring)").find("subscription"), std::string::npos);

  r = f.call(kAck, soap_request("<s:AckRequest><s:subscription>billing</s:subscription>"
                                "</s:AckRequest>"));
  EXPECT_EQ(faultcode(r.body), "soapenv:Client") << r.body;
  EXPECT_NE(xpath(r.body, "string(//faultstring)").find("receipt"), std::string::npos);

  r = f.call(kAck, ack_request("billing", {"x"}), f.viewer);
  EXPECT_EQ(r.status, 403);
}

TEST(SoapQueue, WithoutQueuesOnTheNodePullIsAServerFault) {
  SoapFixture f(false);
  const auto r = f.call(kPull, pull_request("billing", 1, 0));
  EXPECT_EQ(faultcode(r.body), "soapenv:Server") << r.body;
}

}  // namespace
}  // namespace hub::soap
