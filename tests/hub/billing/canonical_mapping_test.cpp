// The declarative body <-> record mapping without a database: normalised values, refusals that
// name the XPath, and writing back in schema order.

#include "hub/billing/canonical_mapping.h"

#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

#include "hub/xml/document.h"

namespace hub::billing {
namespace {

const std::vector<Field> kFields = {
    scalar("id", "id"),
    group("agent", {scalar("code", "agent_code"), scalar("inn", "agent_inn")}),
    scalar("when", "at", FieldKind::kTimestamp),
    scalar("ok", "ok", FieldKind::kBool),
    scalar("n", "n", FieldKind::kInt),
    scalar("area", "area", FieldKind::kDecimal),
    repeated("tag", "tags"),
    repeated("value", "values", {scalar("@zone", "zone"), scalar(".", "v", FieldKind::kDecimal)}),
};

std::vector<MappingIssue> read(const std::string& inner, Record& r) {
  const auto doc =
      xml::parse_xml("<c:t xmlns:c=\"urn:zhkh-hub:canonical:1\">" + inner + "</c:t>", "test");
  return read_record(doc, kFields, r);
}

TEST(CanonicalMapping, NormalisesValuesToTheirCanonicalForm) {
  EXPECT_EQ(normalise(FieldKind::kTimestamp, "2026-11-22T18:40:00+03:00"), "2026-11-22T15:40:00Z");
  EXPECT_EQ(normalise(FieldKind::kTimestamp, "2026-11-22T15:40:00.120Z"),
            "2026-11-22T15:40:00.12Z");
  EXPECT_EQ(normalise(FieldKind::kTimestamp, "2026-11-22T15:40:00"), "2026-11-22T15:40:00Z");
  EXPECT_EQ(normalise(FieldKind::kTimestamp, "yesterday"), std::nullopt);
  EXPECT_EQ(normalise(FieldKind::kBool, " 1 "), "true");
  EXPECT_EQ(normalise(FieldKind::kBool, "yes"), std::nullopt);
  EXPECT_EQ(normalise(FieldKind::kInt, "+007"), "7");
  EXPECT_EQ(normalise(FieldKind::kInt, "-0"), "0");
  EXPECT_EQ(normalise(FieldKind::kInt, "1e3"), std::nullopt);
  EXPECT_EQ(normalise(FieldKind::kDecimal, "054.30"), "54.30");
  EXPECT_EQ(normalise(FieldKind::kDecimal, ".5"), "0.5");
  EXPECT_EQ(normalise(FieldKind::kText, " as is "), " as is ");
  EXPECT_EQ(normalise(FieldKind::kDate, "2024-02-29"), "2024-02-29");
  EXPECT_EQ(normalise(FieldKind::kDate, "2019-02-29"), std::nullopt);
  EXPECT_EQ(normalise(FieldKind::kDate, "2019-13-01"), std::nullopt);
  EXPECT_EQ(normalise(FieldKind::kInt, "9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(normalise(FieldKind::kInt, "9223372036854775808"), std::nullopt);
}

TEST(CanonicalMapping, ReadsFlattensGroupsAndKeepsRepeatedElementsInOrder) {
  Record r;
  const auto issues = read(
      "<c:id>7</c:id><c:agent><c:code>sber</c:code></c:agent><c:when>2026-01-01T03:00:00+03:00"
      "</c:when><c:ok>0</c:ok><c:tag>b</c:tag><c:tag>a</c:tag>"
      "<c:value zone=\"day\">1.50</c:value><c:value zone=\"night\">2</c:value>",
      r);
  ASSERT_TRUE(issues.empty()) << issues[0].xpath << ": " << issues[0].message;
  EXPECT_EQ(r.at("agent_code"), "sber");
  EXPECT_EQ(r.count("agent_inn"), 0u);
  EXPECT_EQ(r.at("at"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(r.at("ok"), "false");
  EXPECT_EQ(r.at("tags"), R"(["b","a"])");
  EXPECT_EQ(r.at("values"), R"([{"v":"1.50","zone":"day"},{"v":"2","zone":"night"}])");

  const auto body = write_body("t", kFields, r);
  EXPECT_NE(body.find("<c:agent><c:code>sber</c:code></c:agent>"), std::string::npos) << body;
  EXPECT_NE(body.find("<c:tag>b</c:tag><c:tag>a</c:tag>"), std::string::npos) << body;
  EXPECT_NE(body.find("<c:value zone=\"day\">1.50</c:value>"), std::string::npos) << body;
  Record again;
  ASSERT_TRUE(read_record(xml::parse_xml(body, "w"), kFields, again).empty());
  EXPECT_EQ(again, r);
}

TEST(CanonicalMapping, WritesRepeatedFieldsAsPocoWroteThem) {
  // The JSON text of repeated fields is written directly; it is the text Poco's condensed
  // Stringifier wrote for the same values (read back by Poco and by PostgreSQL's jsonb).
  Record r;
  const auto issues = read(
      "<c:tag>a\"b\\c/d</c:tag><c:tag>\xD0\x98\xD0\xB2\xD0\xB0\xD0\xBD &amp; &#9;&#10;&#13;"
      "\xF0\x9F\x98\x80</c:tag><c:tag></c:tag>"
      "<c:value zone=\"z&quot;&#10;\">1</c:value><c:value zone=\"b\">2</c:value>",
      r);
  ASSERT_TRUE(issues.empty()) << issues[0].xpath << ": " << issues[0].message;
  for (const char* key : {"tags", "values"}) {
    Poco::JSON::Parser parser;
    std::ostringstream poco;
    Poco::JSON::Stringifier::condense(parser.parse(r.at(key)), poco);
    EXPECT_EQ(r.at(key), poco.str()) << key;
  }
  EXPECT_EQ(r.at("tags"),
            "[\"a\\\"b\\\\c/d\",\"\xD0\x98\xD0\xB2\xD0\xB0\xD0\xBD & \\t\\n\\r\xF0\x9F\x98\x80\",\"\"]");
  EXPECT_EQ(r.at("values"), R"([{"v":"1","zone":"z\"\n"},{"v":"2","zone":"b"}])");
}

// Bodies are written as text; this is the serialisation libxml2 gave the same tree (schema order,
// attributes in the start tag, escapes, no element for an absent group, <c:x/> when empty).
TEST(CanonicalMapping, WritesBodiesAsLibxml2SerialisedThem) {
  const Record r = {{"id", "a<b & \"c\" >\r"},
                    {"n", "5"},
                    {"tags", R"(["x&y"])"},
                    {"values", R"([{"v":"1.5","zone":"d\"ay\n"},{"zone":"night"},{}])"}};
  EXPECT_EQ(write_body("t", kFields, r),
            "<c:t xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:id>a&lt;b &amp; \"c\" &gt;&#13;</c:id>"
            "<c:n>5</c:n><c:tag>x&amp;y</c:tag><c:value zone=\"d&quot;ay&#10;\">1.5</c:value>"
            "<c:value zone=\"night\"/><c:value/></c:t>");
  EXPECT_EQ(write_body("t", kFields, {}), "<c:t xmlns:c=\"urn:zhkh-hub:canonical:1\"/>");
  // What the escapes say reads back as it was.
  Record valid = r;
  valid.erase("values");
  Record again;
  const auto issues =
      read_record(xml::parse_xml(write_body("t", kFields, valid), "w"), kFields, again);
  ASSERT_TRUE(issues.empty()) << issues[0].xpath << ": " << issues[0].message;
  EXPECT_EQ(again, valid);
}

TEST(CanonicalMapping, RefusesWhatItDoesNotKnowNamingTheXPath) {
  Record r;
  auto issues = read("<c:id>1</c:id><c:agent><c:code>x</c:code><c:bik>1</c:bik></c:agent>", r);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].xpath, "/c:t/c:agent/c:bik");
  issues = read("<c:n>ten</c:n>", r);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].xpath, "/c:t/c:n");
  issues = read("<c:id x=\"1\">1</c:id>", r);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].xpath, "/c:t/c:id/@x");
  issues = read("<c:id>1</c:id><c:id>2</c:id>", r);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].message.find("more than once"), std::string::npos);
  issues = read("<other xmlns=\"urn:x\"/>", r);
  ASSERT_EQ(issues.size(), 1u);
}

}  // namespace
}  // namespace hub::billing
