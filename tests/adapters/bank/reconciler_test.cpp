// Pass 1 read in two halves on two threads gives what one pass over the file gives: the same
// totals, footer, check columns and the same first refusal, wherever in the file the problem is
// (before the middle, just after it, at the end), for the shipped layouts' footer kinds.
#include "registry/reconciler.h"

#include <gtest/gtest.h>

#include "bank_test_util.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;
using testing::in_encoding;
using testing::shipped;
using testing::write_file;

constexpr std::uint64_t kAlwaysSplit = 0;
constexpr std::uint64_t kNeverSplit = UINT64_MAX;

std::string describe(const Reconciliation& r) {
  auto opt = [](const auto& o) {
    if (!o) return std::string("-");
    if constexpr (std::is_same_v<std::decay_t<decltype(*o)>, std::string>) {
      return *o;
    } else {
      return std::to_string(*o);
    }
  };
  const auto totals = " lines=" + std::to_string(r.lines) + " count=" + std::to_string(r.count) +
                      " sum=" + std::to_string(r.sum) + " bad=" + std::to_string(r.bad);
  // Of a refused file only the totals go on (into the summary).
  if (r.refusal) {
    return "refusal=" + std::to_string(r.refusal->line) + ":" + r.refusal->reason + totals;
  }
  return "accepted" + totals + " footer=" + opt(r.footer_line) + "/" + opt(r.footer_count) + "/" +
         opt(r.footer_sum) + " directive=" + opt(r.directive_sum) + "@" +
         std::to_string(r.directive_line) + " check=" + opt(r.check_count) + "/" +
         opt(r.check_sum) + "@" + std::to_string(r.check_line) +
         " terminated=" + std::to_string(r.last_line_terminated);
}

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() : dir_(hub::testing::make_temp_dir("zhkh-reconcile")) {}
  ~ReconcilerTest() override { fs::remove_all(dir_); }

  /// Reconciles `bytes` both ways, expects the same, and returns it.
  Reconciliation both_ways(const std::string& layout_name, const std::string& bytes) {
    const auto layout = shipped(layout_name);
    const auto file = dir_ / "reg.txt";
    write_file(file, bytes);
    std::uint64_t last_done = 0, last_size = 0;
    auto progress = [&](std::uint64_t done, std::uint64_t size) {
      last_done = done;
      last_size = size;
    };
    const auto whole = reconcile(file, *layout, layout->encoding, progress, kNeverSplit);
    const auto split = reconcile(file, *layout, layout->encoding, progress, kAlwaysSplit);
    EXPECT_EQ(describe(split), describe(whole));
    if (!split.refusal) {
      EXPECT_EQ(last_done, bytes.size());  // both halves are reported
    }
    EXPECT_EQ(last_size, bytes.size());
    return whole;
  }

  static std::string sber_line(int i, const std::string& amount = "") {
    return "8626;0042;20/11/2026;" + std::to_string(100000 + i) + ";" +
           (amount.empty() ? std::to_string(i) + ".50" : amount) +
           ";0.00;CLIENTNO:" + std::to_string(100200 + i) + ";FIO:Иванова Мария Петровна\r\n";
  }
  /// `n` sber lines and the footer with their count and sum.
  static std::string sber_file(int n) {
    std::string s;
    std::int64_t kop = 0;
    for (int i = 1; i <= n; ++i) {
      s += sber_line(i);
      kop += i * 100 + 50;
    }
    return s + "=;" + std::to_string(n) + ";" + std::to_string(kop / 100) + "." +
           std::to_string(kop % 100) + "\r\n";
  }
  static std::string vtb_line(int i, int rows, const std::string& total) {
    return "R1;01-06-2025T13:35:46Z;4;730;uni-" + std::to_string(i) +
           ";6245;Иванов Иван Иванович;Москва, ул. Тверская, 1;062025;!;!;0;RUB;100.00;RUB;"
           "100.00;RUB;0;RUB;" +
           std::to_string(rows) + ";" + total + ";RUB;300.00;RUB;0;RUB;65;01-06-2025;\r\n";
  }
  static std::string vtb_file(int n) {
    std::string s;
    for (int i = 1; i <= n; ++i) s += vtb_line(i, n, std::to_string(n * 100) + ".00");
    return s;
  }
  /// Line `n` (1-based) of `text`, as an offset range [begin, end) without its line end.
  static std::pair<std::size_t, std::size_t> line_at(const std::string& text, int n) {
    std::size_t begin = 0;
    for (int i = 1; i < n; ++i) begin = text.find('\n', begin) + 1;
    return {begin, text.find('\r', begin)};
  }

  fs::path dir_;
};

TEST_F(ReconcilerTest, GoodFilesAddUpTheSameInHalves) {
  for (int n : {1, 2, 3, 40, 41}) {
    SCOPED_TRACE(n);
    const auto r = both_ways("sber_payments", in_encoding(sber_file(n), Encoding::kCp1251));
    EXPECT_FALSE(r.refusal);
    EXPECT_EQ(r.count, n);
    ASSERT_TRUE(r.footer_line);
    EXPECT_EQ(*r.footer_line, n + 1);
  }
  const auto v = both_ways("vtb_partner", vtb_file(30));
  EXPECT_FALSE(v.refusal);
  EXPECT_EQ(v.count, 30);
  EXPECT_EQ(v.check_line, 1);
}

TEST_F(ReconcilerTest, RefusalsAnywhereAreTheFirstOnesOfOnePass) {
  const int n = 40;
  const std::string good = sber_file(n);
  for (int line : {3, 20, 21, 22, 39, 40}) {
    SCOPED_TRACE(line);
    {  // bytes that are not UTF-8 (vtb_partner declares it): a cut Cyrillic sequence
      auto text = vtb_file(n);
      text.erase(text.find("Иван", line_at(text, line).first) + 1, 1);
      const auto r = both_ways("vtb_partner", text);
      ASSERT_TRUE(r.refusal);
      EXPECT_EQ(r.refusal->line, line);
      EXPECT_EQ(r.refusal->reason, "line " + std::to_string(line) + " is not valid utf-8 text");
    }
    {  // NUL bytes
      auto bytes = in_encoding(good, Encoding::kCp1251);
      bytes.insert(line_at(bytes, line).first + 2, std::string(1, '\0'));
      EXPECT_TRUE(both_ways("sber_payments", bytes).refusal);
    }
    {  // a broken amount (counted as a bad line) and a wrong footer sum
      auto text = good;
      const auto [b, e] = line_at(text, line);
      text.replace(text.find(";0.00;", b) - 4, 4, "x.50");
      const auto r = both_ways("sber_payments", in_encoding(text, Encoding::kCp1251));
      EXPECT_EQ(r.bad, 1);
    }
    {  // a line after the footer, and a second footer
      auto text = good + sber_line(99);
      EXPECT_TRUE(both_ways("sber_payments", in_encoding(text, Encoding::kCp1251)).refusal);
      text = good + "=;1;1.00\r\n";
      EXPECT_TRUE(both_ways("sber_payments", in_encoding(text, Encoding::kCp1251)).refusal);
    }
    {  // the footer early: every line after it refuses the file
      auto text = good;
      text.insert(line_at(text, line).first, "=;1;1.00\r\n");
      const auto r = both_ways("sber_payments", in_encoding(text, Encoding::kCp1251));
      ASSERT_TRUE(r.refusal);
      EXPECT_EQ(r.refusal->line, line + 1);
    }
    {  // check columns that differ from the first line's, in either half
      auto text = vtb_file(n);
      const auto [b, e] = line_at(text, line);
      text.replace(text.find(";40;", b), 4, ";41;");
      const auto r = both_ways("vtb_partner", text);
      ASSERT_TRUE(r.refusal);
      EXPECT_EQ(r.refusal->line, line == 1 ? 2 : line);
    }
    {  // a line over max_line_bytes
      auto text = good;
      text.insert(line_at(text, line).first,
                  std::string(shipped("sber_payments")->max_line_bytes + 5, 'z') + "\r\n");
      const auto r = both_ways("sber_payments", in_encoding(text, Encoding::kCp1251));
      ASSERT_TRUE(r.refusal);
      EXPECT_EQ(r.refusal->line, line);
    }
  }
  // Check columns differing from line 1 only in the second half's first line, and blank lines
  // around the middle.
  for (int at = 15; at <= 25; ++at) {
    SCOPED_TRACE(at);
    auto text = vtb_file(n);
    const auto [b, e] = line_at(text, at);
    text.replace(text.find(";40;", b), 4, ";41;");
    text.insert(line_at(text, at).first, "\r\n  \r\n");
    both_ways("vtb_partner", text);
  }
}

TEST_F(ReconcilerTest, TruncatedAndUnterminatedLastLines) {
  auto text = sber_file(30);
  text.resize(text.size() - 2);  // no line end after the footer
  auto r = both_ways("sber_payments", in_encoding(text, Encoding::kCp1251));
  EXPECT_FALSE(r.last_line_terminated);
  text = sber_file(30);
  text.resize(text.rfind("=;"));
  text.resize(text.size() - 6);  // cut inside the last record ("Петров")
  r = both_ways("sber_payments", in_encoding(text, Encoding::kCp1251));
  EXPECT_FALSE(r.footer_line);
  EXPECT_FALSE(r.last_line_terminated);
}

TEST_F(ReconcilerTest, HeaderDirectivesAndAFirstHalfWithoutRecords) {
  std::string records;
  for (int i = 0; i < 20; ++i) {
    records += "Иванов И.И. | Димитровград, Гагарина ул, 15, " + std::to_string(i) + " | 1002" +
               std::to_string(10 + i) + " | 100.50 | Квартплата\r\n";
  }
  const std::string head = "#FILESUM 2010.00\r\n#TYPE 7\r\n#SERVICE 42\r\n";
  auto r = both_ways("gorod", in_encoding(head + records, Encoding::kCp1251));
  EXPECT_FALSE(r.refusal);
  EXPECT_EQ(r.directive_line, 1);
  EXPECT_EQ(*r.directive_sum, 201000);
  // Blank lines fill the first half: the directives are all there is before the middle, and the
  // directive after them is still a directive (one pass has seen no record yet).
  const std::string blank(records.size(), '\n');
  r = both_ways("gorod",
                in_encoding(head + blank + "#FILESUM 2010.00\r\n" + records, Encoding::kCp1251));
  EXPECT_EQ(r.directive_line, static_cast<std::int64_t>(4 + blank.size()));
  // A directive after a record is a (bad) record line.
  r = both_ways("gorod", in_encoding(head + records + "#TYPE 7\r\n", Encoding::kCp1251));
  EXPECT_EQ(r.count, 21);
}

TEST_F(ReconcilerTest, ParserRefusesTheSameWayWithTheSplit) {
  auto text = sber_file(40);
  text.replace(text.rfind("=;40;"), 5, "=;39;");
  const auto file = dir_ / "reg.txt";
  write_file(file, in_encoding(text, Encoding::kCp1251));
  std::vector<plugin::ParseOutcome> outcomes;
  for (auto split : {kNeverSplit, kAlwaysSplit}) {
    testing::CaptureSink sink;
    RegistryParser parser(shipped("sber_payments"));
    parser.set_split_reconcile_bytes(split);
    outcomes.push_back(parser.parse(file, testing::info_for("reg.txt"), sink));
    EXPECT_TRUE(sink.envelopes.empty());
  }
  ASSERT_FALSE(outcomes[0].accepted);
  ASSERT_FALSE(outcomes[1].accepted);
  EXPECT_EQ(outcomes[1].fatal.at(0).line, outcomes[0].fatal.at(0).line);
  EXPECT_EQ(outcomes[1].fatal.at(0).reason, outcomes[0].fatal.at(0).reason);
  EXPECT_EQ(outcomes[1].summary, outcomes[0].summary);
  EXPECT_EQ(outcomes[0].fatal.at(0).reason, "footer at line 41 says 39 lines, the file has 40");
}

}  // namespace
}  // namespace hub::bank
