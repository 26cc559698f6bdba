// Every billing type: the canonical sample → store → message round trip is lossless, the built
// message is valid against its XSD, and applying the same message again changes nothing.

#include <gtest/gtest.h>

#include "billing_fixture.h"
#include "hub/billing/type_specs.h"
#include "hub/xml/schema_registry.h"

namespace hub::billing {
namespace {

using testing::BillingTest;
using testing::envelope;
using testing::sample;

std::shared_ptr<const xml::SchemaRegistry> schemas() {
  static auto s = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
  return s;
}

Record record_of(const TypeSpec& spec, const std::string& body) {
  Record r;
  const auto issues = read_record(xml::parse_xml(body, spec.type), spec.fields, r);
  for (const auto& i : issues) ADD_FAILURE() << spec.type << ": " << i.xpath << ": " << i.message;
  return r;
}

class RoundTrip : public BillingTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(RoundTrip, SampleToStoreToMessageIsLosslessAndReapplyChangesNothing) {
  const std::string type = GetParam();
  const TypeSpec* spec = find_type_spec(type);
  ASSERT_NE(spec, nullptr);
  const auto body = sample(type);
  ASSERT_FALSE(body.empty()) << "no sample for " << type;

  const auto first = store.apply(envelope(type, body, type + ":1"));
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.outcome, ApplyResult::Outcome::kInserted);
  ASSERT_GT(first.id, 0);

  const auto built = store.build(type, first.id);
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ(built->type, type);
  // Valid against the XSD, and the same values element by element.
  const auto doc = xml::parse_xml(built->body, "built " + type);
  const auto issues = schemas()->validate(type, doc);
  for (const auto& i : issues) ADD_FAILURE() << i.xpath << ": " << i.message << "\n" << built->body;
  const auto original = record_of(*spec, body);
  EXPECT_GE(original.size(), 3u) << "the sample maps to almost nothing";
  EXPECT_EQ(record_of(*spec, built->body), original) << built->body;

  // The original and the rebuilt message are the same object: nothing changes, history stays.
  const auto rows = count("SELECT count(*) FROM billing." + spec->table);
  const auto again = store.apply(envelope(type, body, type + ":2"));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.outcome, ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(again.id, first.id);
  const auto rebuilt = store.apply(envelope(type, built->body, type + ":3"));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error;
  EXPECT_EQ(rebuilt.outcome, ApplyResult::Outcome::kUnchanged);
  EXPECT_EQ(count("SELECT count(*) FROM billing." + spec->table), rows);
  EXPECT_EQ(count("SELECT count(*) FROM billing.history"), 0);
}

std::vector<std::string> all_types() {
  return BillingStore::types();
}

INSTANTIATE_TEST_SUITE_P(EveryBillingType, RoundTrip, ::testing::ValuesIn(all_types()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '.') c = '_';
                           return n;
                         });

TEST_F(BillingTest, EveryTypeTheStoreHandlesIsACanonicalTypeWithASample) {
  for (const auto& t : BillingStore::types()) {
    EXPECT_TRUE(schemas()->knows(t)) << t;
    EXPECT_FALSE(sample(t).empty()) << t;
  }
}

}  // namespace
}  // namespace hub::billing
