// Write -> read round trips for every shipped layout: records written by RegistryWriter (header,
// footer, encoding, file-name rule) read back identical by the reader, and accepted by the parser.
#include "registry/registry_writer.h"

#include <gtest/gtest.h>

#include "bank_test_util.h"
#include "registry/file_name.h"
#include "registry/record_reader.h"
#include "registry/scanner.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;

class RegistryWriterTest : public ::testing::Test {
 protected:
  RegistryWriterTest() : dir_(hub::testing::make_temp_dir("zhkh-writer")) {}
  ~RegistryWriterTest() override { fs::remove_all(dir_); }

  /// The records of `file` as the reader sees them.
  static std::vector<Record> read_back(const fs::path& file, const Layout& l) {
    Scanner scan(file, l, choose_encoding(file, l));
    RecordReader reader(l);
    std::vector<Record> out;
    std::string text;
    for (auto k = scan.next(text); k != Scanner::Kind::kEnd; k = scan.next(text)) {
      if (k != Scanner::Kind::kRecord) continue;
      Record r;
      std::vector<FieldError> errors;
      EXPECT_TRUE(reader.read(text, r, errors)) << text;
      for (const auto& e : errors)
        ADD_FAILURE() << scan.line() << " " << e.field << ": " << e.reason;
      out.push_back(std::move(r));
    }
    EXPECT_FALSE(scan.fatal()) << scan.fatal()->reason;
    return out;
  }

  void round_trip(const std::string& name, const std::vector<Record>& records,
                  const std::map<std::string, std::string>& vars, std::size_t expect_messages,
                  bool totals = false) {
    SCOPED_TRACE(name);
    const auto layout = testing::shipped(name);
    const auto file = dir_ / (name + ".txt");
    RegistryWriter writer(*layout, vars);
    std::int64_t sum = 0;
    for (const auto& r : records) sum += std::stoll(r.get("amount"));
    writer.open(file, totals ? std::optional(std::pair<std::int64_t, std::int64_t>(
                                   static_cast<std::int64_t>(records.size()), sum))
                             : std::nullopt);
    for (const auto& r : records) {
      std::string why;
      ASSERT_TRUE(writer.write(r, why)) << why;
    }
    const auto [count, total] = writer.finish();
    EXPECT_EQ(count, static_cast<std::int64_t>(records.size()));
    EXPECT_EQ(total, sum);
    EXPECT_FALSE(fs::exists(file.string() + ".body.tmp"));

    auto back = read_back(file, *layout);
    ASSERT_EQ(back.size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      EXPECT_TRUE(back[i] == records[i]) << "record " << i + 1;
      for (const auto& [k, v] : records[i].values) EXPECT_EQ(back[i].get(k), v) << k;
      for (const auto& [k, v] : back[i].values) EXPECT_EQ(records[i].get(k), v) << k;
    }
    testing::CaptureSink sink;
    RegistryParser parser(layout);
    auto out = parser.parse(file, testing::info_for(file.filename().string()), sink);
    ASSERT_TRUE(out.accepted) << out.fatal.at(0).reason;
    EXPECT_TRUE(sink.errors.empty()) << sink.errors.at(0).reason;
    EXPECT_EQ(sink.envelopes.size(), expect_messages);
    EXPECT_NE(out.summary.find("\"sum_kopecks\":" + std::to_string(sum)), std::string::npos)
        << out.summary;
  }

  fs::path dir_;
};

Record rec(RoleValues values) {
  Record r;
  r.values = std::move(values);
  return r;
}

TEST_F(RegistryWriterTest, SberPaymentsRoundTrip) {
  auto a = rec({{"branch", "8626"},
                {"cashier", "0042"},
                {"paid_at", "2026-11-20"},
                {"transaction_id", "100001"},
                {"amount", "152340"},
                {"commission", "0"},
                {"account", "100234"},
                {"payer_name", "Иванова Мария Петровна"}});
  a.meters = {{"1", "", "", "312.457"}, {"2", "", "", "7"}};
  auto b = rec({{"branch", "8626"},
                {"paid_at", "2026-11-21"},
                {"transaction_id", "100002"},
                {"amount", "5"},
                {"ipd", "34АА011432-01-2611"},
                {"address", "Гагарина ул, 15"}});
  round_trip("sber_payments", {a, b}, {}, 2 + 2);
  // cp1251 and CRLF on disk, footer in rubles.
  const auto bytes = testing::read_file(dir_ / "sber_payments.txt");
  EXPECT_NE(bytes.find(testing::in_encoding("FIO:Иванова Мария Петровна", Encoding::kCp1251)),
            std::string::npos);
  EXPECT_NE(bytes.find("\r\n=;2;1523.45\r\n"), std::string::npos) << bytes;
}

TEST_F(RegistryWriterTest, VtbPartnerRoundTrip) {
  auto a = rec({{"registry_id", "010625_VTB_1"},
                {"paid_at", "2025-06-01T13:35:46Z"},
                {"branch", "4"},
                {"cashier", "730082630304"},
                {"transaction_id", "crimea_9fdg"},
                {"account", "6245"},
                {"payer_name", "Иванов Иван Иванович"},
                {"address", "Москва, Тверская, 1"},
                {"period", "2025-06"},
                {"amount", "178498"},
                {"commission", "1000"},
                {"row_count", "2"},
                {"total_sum", "188498"}});
  a.meters = {{"123", "ХВС", "3657.099", "3709.582"}, {"124", "ГВС", "10", "12.5"}};
  a.services = {{"40782819819930319", "Содержание", "178498", "RUB"}};
  auto b = rec({{"paid_at", "2025-06-02T09:00:00Z"},
                {"transaction_id", "u2"},
                {"account", "6246"},
                {"period", "2025-05"},
                {"amount", "10000"},
                {"row_count", "2"},
                {"total_sum", "188498"}});
  round_trip("vtb_partner", {a, b}, {}, 2 + 2, true);
}

TEST_F(RegistryWriterTest, DebtPipeRoundTripWithFileNameRule) {
  auto a = rec({{"account", "100234"},
                {"els", "34АА011432"},
                {"house_premise", "0c5b2444-70a0-4932-980c-b4dc0d3f02b5,12А"},
                {"payer_name", "Иванова М.П."},
                {"address", "Димитровград, Гагарина ул, д.15"},
                {"service_name", "Квартплата УК Пример"},
                {"period", "2026-10"},
                {"amount", "152340"}});
  auto b = rec({{"account", "100235"},
                {"service_name", "Квартплата УК Пример"},
                {"period", "2026-10"},
                {"amount", "99"}});
  round_trip("debt_pipe", {a, b}, {{"org_name", "УК Пример"}}, 0);
  const auto bytes = testing::read_file(dir_ / "debt_pipe.txt");
  EXPECT_NE(bytes.find("|1|"), std::string::npos);
  EXPECT_NE(bytes.find("\r\n=|2|152439|\r\n"), std::string::npos) << bytes;
  EXPECT_EQ(make_file_name(testing::shipped("debt_pipe")->file_name.pattern,
                           {{"inn", "1234567890"},
                            {"rs", "40702810012345678912"},
                            {"seq", "001"},
                            {"mmyy", "1219"}}),
            "1234567890_40702810012345678912_001_1219.txt");
  EXPECT_THROW(make_file_name("{inn}_{rs}.txt", {{"inn", "123"}, {"rs", "1"}}),
               std::invalid_argument);
}

TEST_F(RegistryWriterTest, AMonthWithoutDebtorsIsAFileWithAZeroFooter) {
  const auto layout = testing::shipped("debt_pipe");
  const auto file = dir_ / "empty.txt";
  RegistryWriter writer(*layout, {{"org_name", "УК Пример"}});
  writer.open(file);
  EXPECT_EQ(writer.finish(), (std::pair<std::int64_t, std::int64_t>{0, 0}));
  EXPECT_NE(testing::read_file(file).find("=|0|0|"), std::string::npos) << testing::read_file(file);
  EXPECT_TRUE(read_back(file, *layout).empty());
}

TEST_F(RegistryWriterTest, GorodRoundTripWritesTheFileSumFirst) {
  auto a = rec({{"payer_name", "Иванов И.И."},
                {"address", "Димитровград, Гагарина ул, 15, 12"},
                {"account", "100234"},
                {"amount", "100050"},
                {"service_name", "Квартплата"}});
  auto b = rec({{"payer_name", "Петров П.П."},
                {"account", "100235"},
                {"amount", "50000"},
                {"service_name", "Квартплата"}});
  round_trip("gorod", {a, b}, {{"service_code", "42"}, {"service_name", "Квартплата"}}, 0);
  const auto bytes = testing::read_file(dir_ / "gorod.txt");
  const std::string header = "#FILESUM 1500.50\r\n#TYPE 7\r\n#SERVICE 42\r\n";
  EXPECT_EQ(bytes.substr(0, header.size()), header);
}

TEST_F(RegistryWriterTest, DebtMetersRoundTripWithOpeningMarkers) {
  auto a = rec({{"payer_name", "Иванова М.П."},
                {"els", "34АА011432"},
                {"house_guid", "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"},
                {"premise", "12А"},
                {"address", "Гагарина ул, д.15"},
                {"account", "100234"},
                {"amount", "152340"},
                {"period", "2026-10"}});
  a.meters = {{"CW-1", "ХВС", "", "312.457"}, {"HW-1", "ГВС", "", "101.5"}};
  a.services = {{"01", "Содержание", "102340", ""}, {"PEN", "Пени", "50000", ""}};
  auto b = rec({{"account", "100235"}, {"amount", "1"}, {"period", "2026-10"}});
  round_trip("debt_meters", {a, b}, {}, 0);
  const auto bytes = testing::read_file(dir_ / "debt_meters.txt");
  EXPECT_NE(bytes.find(testing::in_encoding(
                ";100234;1523.40;:[!]102026;:[!]CW-1;ХВС;312.457;HW-1;ГВС;101.5;:[!]01;Содержание;"
                "1023.40;PEN;Пени;500.00;;\n",
                Encoding::kCp1251)),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find(";;;;;100235;0.01;:[!]102026;:[!];:[!];;\n"), std::string::npos) << bytes;
}

TEST_F(RegistryWriterTest, UnwritableValuesAreRefusedPerRecord) {
  const auto layout = testing::shipped("debt_pipe");
  RegistryWriter writer(*layout, {{"org_name", "УК"}});
  writer.open(dir_ / "w.txt");
  std::string why;
  EXPECT_FALSE(
      writer.write(rec({{"account", "1|2"}, {"period", "2026-10"}, {"amount", "1"}}), why));
  EXPECT_EQ(why, "ls: '1|2' holds the separator or a line break");
  EXPECT_FALSE(writer.write(
      rec({{"account", "7"}, {"payer_name", "Ōno"}, {"period", "2026-10"}, {"amount", "1"}}), why));
  EXPECT_EQ(why, "the line holds characters cp1251 cannot write");
  EXPECT_TRUE(writer.write(rec({{"account", "8"}, {"period", "2026-10"}, {"amount", "1"}}), why));
  EXPECT_EQ(writer.finish(), (std::pair<std::int64_t, std::int64_t>{1, 1}));
}

}  // namespace
}  // namespace hub::bank
