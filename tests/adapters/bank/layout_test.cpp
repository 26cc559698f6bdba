// Layout files: clear errors naming file, line and key; and the golden check of the shipped
// vtb_partner layout against the bank's field template in ../shared/samples/bank_registries/.
#include <gtest/gtest.h>

#include "bank_test_util.h"
#include "registry/record_reader.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;
using testing::write_file;

class LayoutTest : public ::testing::Test {
 protected:
  LayoutTest() : dir_(hub::testing::make_temp_dir("zhkh-layout")) {}
  ~LayoutTest() override { fs::remove_all(dir_); }

  /// The LayoutError message for `yaml`, or "" when it loads.
  std::string error_of(const std::string& yaml, const std::string& name = "x.yaml") {
    write_file(dir_ / name, yaml);
    try {
      load_layout(dir_ / name);
    } catch (const LayoutError& e) {
      const std::string prefix = (dir_ / name).string() + ":";
      std::string what = e.what();
      return what.rfind(prefix, 0) == 0 ? name + ":" + what.substr(prefix.size()) : what;
    }
    return "";
  }

  static std::string minimal(const std::string& extra = "", const std::string& fields = "") {
    return "layout: test\nkind: payments\nseparator: \";\"\nperiod_default: payment_month\n" +
           extra + "fields:\n" +
           (fields.empty() ? "  - {name: d, role: paid_at, type: date, format: dd.MM.yyyy}\n"
                             "  - {name: ls, role: account}\n"
                             "  - {name: sum, role: amount, type: amount}\n"
                           : fields);
  }

  fs::path dir_;
};

TEST_F(LayoutTest, MinimalLayoutLoads) {
  EXPECT_EQ(error_of(minimal()), "");
  const auto l = load_layout(dir_ / "x.yaml");
  EXPECT_EQ(l.name, "test");
  EXPECT_EQ(l.agent_code, "test");  // no agent: the layout's name is the bank id
  EXPECT_EQ(l.items.size(), 3u);
}

TEST_F(LayoutTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of(minimal("separater: \"|\"\n")).substr(0, 43),
            "x.yaml:5: separater: unknown key (known: la");
  EXPECT_EQ(error_of(minimal("",
                             "  - {name: d, role: paid_at, type: date, format: dd.MM.yyyy}\n"
                             "  - {name: ls, role: acount}\n"
                             "  - {name: sum, role: amount, type: amount}\n"))
                .substr(0, 54),
            "x.yaml:7: fields[2].role: unknown role 'acount' here (");
  EXPECT_EQ(error_of(minimal("",
                             "  - {name: d, role: paid_at, type: date}\n"
                             "  - {name: ls, role: account}\n"
                             "  - {name: sum, role: amount, type: amount}\n")),
            "x.yaml:6: fields[1].format: a date or period needs a format");
  EXPECT_EQ(error_of(minimal("",
                             "  - {name: d, role: paid_at, type: date, format: dd.MM.yyyy}\n"
                             "  - {name: ls, role: account}\n"
                             "  - {name: sum, role: amount}\n")),
            "x.yaml:8: fields[3].type: role 'amount' needs type amount");
  EXPECT_EQ(error_of(minimal("encoding: latin1\n")),
            "x.yaml:5: encoding: unknown encoding 'latin1' (cp1251, cp866, koi8-r, utf-8)");
  EXPECT_EQ(error_of(minimal("",
                             "  - {name: d, role: paid_at, type: date, format: dd.MM.yyyy}\n"
                             "  - {name: ls, role: account}\n")),
            "x.yaml:6: fields: a payments layout needs role amount");
  EXPECT_EQ(error_of(minimal("footer: {kind: line, fields: [count, sum]}\n")),
            "x.yaml:5: footer.prefix: required key is missing");
  EXPECT_EQ(error_of(minimal("footer: {kind: trailer}\n")),
            "x.yaml:5: footer.kind: 'trailer' (line, filesum, check_columns, none)");
  EXPECT_EQ(error_of(minimal("file_name: {pattern: \"{inn}_{date}.txt\"}\n")),
            "x.yaml:5: file_name.pattern: unknown placeholder {date} (inn, rs, seq, mmyy, mmyyyy, "
            "yyyymm, service_code, bank)");
  EXPECT_EQ(error_of("layout: test\nkind: payments\n  separator: [\n"),
            error_of("layout: test\nkind: payments\n  separator: [\n"));  // stable
  EXPECT_EQ(error_of("layout: test\nkind: payments\n  separator: [\n").substr(0, 25),
            "x.yaml:3: : not valid YAM");
  EXPECT_EQ(error_of("layout: Test\nkind: payments\n"),
            "x.yaml:1: layout: 'Test' must be lower-case letters, digits, _");
}

TEST_F(LayoutTest, DuplicateNamesInOneDirectoryAreRefused) {
  const auto d = dir_ / "two";
  fs::create_directories(d);
  write_file(d / "a.yaml", minimal());
  write_file(d / "b.yaml", minimal());
  try {
    load_layouts(d);
    FAIL() << "loaded two layouts named test";
  } catch (const LayoutError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "b.yaml").string() +
                                         ":1: layout: name 'test' is already used by " +
                                         (d / "a.yaml").string());
  }
}

// Golden: every field name of the bank's template stands where the shipped layout reads it
// (the template puts sample numbers where the amounts go), and the template read as a registry
// gives exactly the refusal its check columns call for.
TEST_F(LayoutTest, VtbPartnerLayoutMatchesTheBanksFieldTemplate) {
  const auto sample =
      hub::testing::shared_dir() / "samples/bank_registries/vtb_partner_registry_fields.txt";
  ASSERT_TRUE(fs::exists(sample)) << sample;
  const auto layout = testing::shipped("vtb_partner");
  RecordReader reader(*layout);
  auto text = testing::read_file(sample);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto tokens = reader.split(text);

  // The layout's own template: fields in order, blocks with one group and their marker. The
  // bank's template has no '!' after the service block; the tail anchors it instead.
  std::vector<const FieldSpec*> expected;
  std::vector<std::string> names;
  for (const auto& item : layout->items) {
    if (!item.is_block) {
      expected.push_back(&item.field);
      names.push_back(item.field.name);
      continue;
    }
    for (const auto& f : item.block.fields) {
      expected.push_back(&f);
      names.push_back(f.name);
    }
    if (item.block.name == "meters") {
      expected.push_back(nullptr);
      names.push_back("!");
    }
  }
  ASSERT_EQ(tokens.size(), names.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const bool number = tokens[i].find_first_not_of("0123456789.") == std::string::npos;
    if (number) {
      ASSERT_NE(expected[i], nullptr);
      EXPECT_TRUE(expected[i]->type == FieldType::kAmount || expected[i]->type == FieldType::kInt)
          << "field " << i + 1 << " (" << names[i] << ") holds the number " << tokens[i];
    } else {
      EXPECT_EQ(tokens[i], names[i]) << "field " << i + 1;
    }
  }

  // As a file: the structure reads (names where values go are per-field problems), and the
  // check columns' 123 rows refuse it as a whole.
  testing::CaptureSink sink;
  RegistryParser parser(layout);
  auto out = parser.parse(sample, testing::info_for(sample.filename().string()), sink);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.fatal.size(), 1u);
  EXPECT_EQ(out.fatal[0].line, 1);
  EXPECT_EQ(out.fatal[0].reason.substr(0, 50),
            "check columns at line 1 say 123 rows, the file has");
  EXPECT_TRUE(sink.envelopes.empty());
}

}  // namespace
}  // namespace hub::bank
