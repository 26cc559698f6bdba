// The envelope's JSON form: what pull writes reads back field for field (escapes included), and
// what producers send is checked key by key.

#include "hub/queue/envelope_json.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "hub/api/api_route.h"
#include "hub/xml/envelope_xml.h"

namespace hub::queue {
namespace {

Envelope tricky() {
  Envelope e;
  e.id = "01900000-0000-7000-8000-000000000001";
  e.type = "payment.received";
  e.schema_version = 2;
  e.source = "bank \"sber\"";
  e.occurred_at = xml::parse_timestamp("2026-11-20T10:00:00.123Z");
  e.correlation_id = "corr\\1";
  e.causation_id = "";
  e.idempotency_key = "key\twith\ttabs";
  e.headers = {{"channel", "sftp"}, {"note", "line1\nline2"}};
  e.body = std::string("<c:x xmlns:c=\"urn:zhkh-hub:canonical:1\">\r\nКириллица \x01 &amp;</c:x>");
  return e;
}

TEST(EnvelopeJson, WhatPullWritesReadsBackExactly) {
  const auto e = tricky();
  std::string text;
  append_envelope_json(text, e);
  // An independent parser sees the same values.
  const auto o = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(o->getValue<std::string>("source"), e.source);
  EXPECT_EQ(o->getValue<std::string>("correlation_id"), e.correlation_id);
  EXPECT_EQ(o->getValue<std::string>("idempotency_key"), e.idempotency_key);
  EXPECT_EQ(o->getValue<std::string>("body"), e.body);
  EXPECT_EQ(o->getValue<int>("schema_version"), 2);
  EXPECT_EQ(o->getValue<std::string>("occurred_at"), "2026-11-20T10:00:00.123Z");
  EXPECT_EQ(o->getObject("headers")->getValue<std::string>("note"), "line1\nline2");
  // And the producer-side reader takes it back unchanged.
  const auto back = envelope_from_json(text);
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.type, e.type);
  EXPECT_EQ(back.schema_version, e.schema_version);
  EXPECT_EQ(back.source, e.source);
  EXPECT_EQ(back.occurred_at, e.occurred_at);
  EXPECT_EQ(back.correlation_id, e.correlation_id);
  EXPECT_EQ(back.idempotency_key, e.idempotency_key);
  EXPECT_EQ(back.headers, e.headers);
  EXPECT_EQ(back.body, e.body);
}

std::string refused_key(const std::string& text) {
  try {
    envelope_from_json(text);
  } catch (const api::ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    return e.detail().extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("key");
  }
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

TEST(EnvelopeJson, ProducerMistakesNameTheKey) {
  EXPECT_EQ(refused_key(R"({"idempotency_key":"k","body":"<x/>"})"), "type");
  EXPECT_EQ(refused_key(R"({"type":"t","body":"<x/>"})"), "idempotency_key");
  EXPECT_EQ(refused_key(R"({"type":"t","idempotency_key":"k"})"), "body");
  EXPECT_EQ(refused_key(R"({"type":7,"idempotency_key":"k","body":"<x/>"})"), "type");
  EXPECT_EQ(refused_key(R"({"type":"t","idempotency_key":"k","body":"<x/>","extra":1})"), "extra");
  EXPECT_EQ(
      refused_key(R"({"type":"t","idempotency_key":"k","body":"<x/>","occurred_at":"yesterday"})"),
      "occurred_at");
  EXPECT_EQ(refused_key(R"({"type":"t","idempotency_key":"k","body":"<x/>","headers":{"a":1}})"),
            "headers.a");
  EXPECT_EQ(refused_key(R"({"type":"t","idempotency_key":"k","body":"<x/>","schema_version":0})"),
            "schema_version");
  EXPECT_EQ(refused_key("[1, 2]"), "");
  EXPECT_EQ(refused_key("{\"type\": "), "");
}

}  // namespace
}  // namespace hub::queue
