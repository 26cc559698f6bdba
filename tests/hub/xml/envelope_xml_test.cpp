// The envelope's XML wire form: round trip, escaping, timestamps, and errors naming the part.

#include <gtest/gtest.h>

#include <fstream>

#include "hub/core/error.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/schema_registry.h"
#include "test_paths.h"

namespace hub::xml {
namespace {

using namespace std::chrono;

Envelope sample_envelope() {
  Envelope e;
  e.id = "0193f1a2-7b3c-7def-8123-456789abcdef";
  e.type = "payment.received";
  e.schema_version = 1;
  e.source = "bank-sber";
  e.occurred_at = system_clock::time_point(milliseconds(1795000000123LL));
  e.correlation_id = "corr-1";
  e.causation_id = "cause-<&\">";
  e.idempotency_key = "sber:abc:17";
  e.headers = {{"channel", "inbox"}, {"note", "a < b & \"c\"\nline2"}};
  std::ifstream in(hub::testing::source_dir() / "schemas/canonical/samples/payment.received.xml");
  std::string raw((std::istreambuf_iterator<char>(in)), {});
  // The body as the hub stores it: libxml2's serialization of the canonical element (the sample's
  // leading comment is outside the element and so not part of a body).
  e.body = parse_xml(raw.substr(raw.find("<c:paymentReceived")), "body").to_string();
  return e;
}

void expect_equal(const Envelope& a, const Envelope& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.schema_version, b.schema_version);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.occurred_at, b.occurred_at);
  EXPECT_EQ(a.correlation_id, b.correlation_id);
  EXPECT_EQ(a.causation_id, b.causation_id);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.body, b.body);
}

TEST(EnvelopeXml, RoundTrip) {
  Envelope e = sample_envelope();
  std::string xml = envelope_to_xml(e);
  Envelope back = envelope_from_xml(parse_xml(xml, "env.xml"));
  expect_equal(e, back);
  // Stable: a second trip gives the same bytes.
  EXPECT_EQ(envelope_to_xml(back), xml);
  // And the wire form satisfies envelope.xsd (with the body checked as well).
  auto registry = SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
  auto issues = registry->validate_envelope(parse_xml(xml, "env.xml"));
  EXPECT_TRUE(issues.empty()) << issues[0].xpath << ": " << issues[0].message;
}

TEST(EnvelopeXml, BodyWithDeclarationAndOuterNamespaces) {
  Envelope e = sample_envelope();
  e.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\">"
           "<c:channel>phone</c:channel></c:ticketCreated>";
  Envelope back = envelope_from_xml(parse_xml(envelope_to_xml(e), "env.xml"));
  EXPECT_EQ(back.body,
            "<c:ticketCreated xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:channel>phone</c:channel></c:ticketCreated>");

  // A body relying on a namespace declared on the envelope stands alone once extracted.
  std::string xml =
      "<e:envelope xmlns:e=\"urn:zhkh-hub:envelope:1\" xmlns:c=\"urn:zhkh-hub:canonical:1\" type=\"ticket.created\" "
      "schemaVersion=\"2\" occurredAt=\"2026-11-23T12:00:00.5+03:00\" idempotencyKey=\"k\">"
      "<e:body><c:ticketCreated><c:channel>sms</c:channel></c:ticketCreated></e:body></e:envelope>";
  back = envelope_from_xml(parse_xml(xml, "ns.xml"));
  EXPECT_EQ(back.schema_version, 2);
  EXPECT_EQ(format_timestamp(back.occurred_at), "2026-11-23T09:00:00.500Z");
  EXPECT_NO_THROW(parse_xml(back.body, "extracted"));
  EXPECT_NE(back.body.find("xmlns:c=\"urn:zhkh-hub:canonical:1\""), std::string::npos) << back.body;
}

TEST(EnvelopeXml, Timestamps) {
  auto t = system_clock::time_point(milliseconds(1795000000123LL));
  EXPECT_EQ(parse_timestamp(format_timestamp(t)), t);
  EXPECT_EQ(format_timestamp(parse_timestamp("2026-01-01T00:00:00Z")), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(parse_timestamp("2026-01-01T03:00:00.25+03:00")), "2026-01-01T00:00:00.250Z");
  EXPECT_THROW(parse_timestamp("2026-01-01"), XmlError);
  EXPECT_THROW(parse_timestamp("2026-01-01T00:00:00"), XmlError);
  EXPECT_THROW(parse_timestamp("2026-13-01T00:00:00Z"), XmlError);
  EXPECT_THROW(parse_timestamp("2026-01-01T00:00:00Zjunk"), XmlError);
}

TEST(EnvelopeXml, ErrorsNameTheMissingPart) {
  auto error_of = [](const std::string& xml) {
    try {
      envelope_from_xml(parse_xml(xml, "e.xml"));
    } catch (const XmlError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string open = "<e:envelope xmlns:e=\"urn:zhkh-hub:envelope:1\" ";
  EXPECT_NE(error_of("<envelope/>").find("expected root"), std::string::npos);
  EXPECT_NE(error_of(open + "idempotencyKey=\"k\"><e:body><x/></e:body></e:envelope>").find("/e:envelope/@type: missing"),
            std::string::npos);
  EXPECT_NE(error_of(open + "type=\"a.b\"><e:body><x/></e:body></e:envelope>").find("@idempotencyKey: missing"),
            std::string::npos);
  EXPECT_NE(error_of(open + "type=\"a.b\" idempotencyKey=\"k\"/>").find("/e:envelope/e:body: missing"),
            std::string::npos);
  EXPECT_NE(error_of(open + "type=\"a.b\" idempotencyKey=\"k\"><e:body/></e:envelope>").find("e:body is empty"),
            std::string::npos);
  EXPECT_NE(error_of(open + "type=\"a.b\" idempotencyKey=\"k\" occurredAt=\"yesterday\"><e:body><x/></e:body></e:envelope>")
                .find("@occurredAt"),
            std::string::npos);
  EXPECT_NE(error_of(open + "type=\"a.b\" idempotencyKey=\"k\" schemaVersion=\"x\"><e:body><x/></e:body></e:envelope>")
                .find("@schemaVersion"),
            std::string::npos);
}

}  // namespace
}  // namespace hub::xml
