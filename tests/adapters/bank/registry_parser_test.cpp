// The registry parser on files generated here (and the shipped layouts from mappings/bank):
// positional and tagged fields, footers, encodings, whole-file refusals and per-line errors.
// Every emitted body is validated against the canonical XSDs from the checkout.
#include <gtest/gtest.h>

#include "bank_test_util.h"
#include "hub/billing/payment_batches.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_registry.h"
#include "xml_difference.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;
using testing::CaptureSink;
using testing::in_encoding;
using testing::info_for;
using testing::shipped;
using testing::write_file;

class RegistryParserTest : public ::testing::Test {
 protected:
  RegistryParserTest() : dir_(hub::testing::make_temp_dir("zhkh-bank")) {}
  ~RegistryParserTest() override { fs::remove_all(dir_); }

  plugin::ParseOutcome parse(const std::string& layout, const std::string& bytes, CaptureSink& sink,
                             const std::string& name = "reg.txt", std::size_t batch = 500,
                             std::int64_t resume_after = 0, bool batched = false) {
    const auto path = dir_ / name;
    write_file(path, bytes);
    RegistryParser parser(shipped(layout), batch, batched);
    auto info = info_for(name);
    info.resume_after = resume_after;
    return parser.parse(path, info, sink);
  }

  /// Every body is valid against the canonical schema of its type.
  void expect_valid(const CaptureSink& sink) {
    for (const auto& e : sink.envelopes) {
      EXPECT_NO_THROW(
          schemas_->validate_or_throw(e.type, xml::parse_xml(e.body, e.idempotency_key)))
          << e.body;
    }
  }

  static std::string sber_line(const std::string& gosb, const std::string& date,
                               const std::string& op, const std::string& amount,
                               const std::string& tail) {
    return gosb + ";0042;" + date + ";" + op + ";" + amount + ";0.00;" + tail + "\r\n";
  }

  fs::path dir_;
  std::shared_ptr<const xml::SchemaRegistry> schemas_ =
      xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas/canonical");
};

std::string sber_file() {
  return "8626;0042;20/11/2026;100001;1523.40;0.00;CLIENTNO:100234;method_pay:card;"
         "CounterVal_1:312.457;CounterVal_2:101,5;FIO:Иванова Мария Петровна\r\n"
         "8626;0042;CLIENTNO:100235;20/11/2026;100002;500,00;0;ADDRESS:Гагарина ул, д.15, кв.12\r\n"
         "CLIENTDOCNO:34АА011432-01-2611;8626;0043;21/11/2026;100003;10.5;0.10\r\n"
         "=;3;2033.90\r\n";
}

TEST_F(RegistryParserTest, ShippedLayoutsLoad) {
  const auto all = load_layouts(testing::layouts_dir());
  std::vector<std::string> names;
  for (const auto& l : all) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"debt_meters", "debt_pipe", "gorod", "sber_payments",
                                             "vtb_partner"}));
}

TEST_F(RegistryParserTest, SberPaymentsPositionalAndTaggedFieldsInCp1251) {
  CaptureSink sink;
  auto out = parse("sber_payments", in_encoding(sber_file(), Encoding::kCp1251), sink);
  ASSERT_TRUE(out.accepted) << (out.fatal.empty() ? "" : out.fatal[0].reason);
  EXPECT_TRUE(sink.errors.empty()) << sink.errors[0].reason;
  EXPECT_EQ(sink.count("payment.received"), 3u);
  EXPECT_EQ(sink.count("meter.reading"), 2u);
  expect_valid(sink);
  EXPECT_NE(out.summary.find("\"count\":3"), std::string::npos) << out.summary;
  EXPECT_NE(out.summary.find("\"sum_kopecks\":203390"), std::string::npos) << out.summary;
  EXPECT_NE(out.summary.find("\"encoding\":\"cp1251\""), std::string::npos) << out.summary;

  const auto& p1 = sink.envelopes[0];
  EXPECT_EQ(p1.type, "payment.received");
  EXPECT_EQ(p1.idempotency_key, "bank:sber:2026-11-20:8626:100001:152340");
  EXPECT_EQ(p1.source, "bankin");
  EXPECT_EQ(p1.headers.at("line"), "1");
  for (const char* part :
       {"<c:code>sber</c:code>", "<c:registryRef>reg.txt#1</c:registryRef>",
        "<c:transactionId>100001</c:transactionId>", "<c:paidAt>2026-11-20</c:paidAt>",
        "<c:account>100234</c:account>", "<c:period>2026-10</c:period>",
        "<c:amountKopecks>152340</c:amountKopecks>", "<c:commissionKopecks>0</c:commissionKopecks>",
        "<c:meterId>100234-1</c:meterId><c:value zone=\"total\">312.457</c:value>",
        "<c:meterId>100234-2</c:meterId><c:value zone=\"total\">101.5</c:value>",
        "<c:name>Иванова Мария Петровна</c:name>"}) {
    EXPECT_NE(p1.body.find(part), std::string::npos) << part << "\n" << p1.body;
  }
  // The readings follow their payment, correlated to it.
  const auto& r1 = sink.envelopes[1];
  EXPECT_EQ(r1.type, "meter.reading");
  EXPECT_EQ(r1.correlation_id, p1.id);
  EXPECT_EQ(r1.causation_id, p1.id);
  EXPECT_EQ(r1.idempotency_key, p1.idempotency_key + ":meter:100234-1");
  EXPECT_NE(r1.body.find("<c:channel>bank</c:channel>"), std::string::npos);
  EXPECT_NE(r1.body.find("<c:account>100234</c:account>"), std::string::npos);
  // Tags anywhere in the line; a comma as the decimal separator.
  const auto& p2 = sink.envelopes[3];
  EXPECT_NE(p2.body.find("<c:account>100235</c:account>"), std::string::npos) << p2.body;
  EXPECT_NE(p2.body.find("<c:amountKopecks>50000</c:amountKopecks>"), std::string::npos);
  EXPECT_NE(p2.body.find("<c:address>Гагарина ул, д.15, кв.12</c:address>"), std::string::npos);
  // A payer named by the ИПД only.
  const auto& p3 = sink.envelopes[4];
  EXPECT_NE(p3.body.find("<c:ipd>34АА011432-01-2611</c:ipd>"), std::string::npos) << p3.body;
  EXPECT_NE(p3.body.find("<c:amountKopecks>1050</c:amountKopecks>"), std::string::npos);
  EXPECT_GE(sink.progress_calls, 2u);
  EXPECT_EQ(sink.last_read, sink.last_total);
}

TEST_F(RegistryParserTest, FooterCountMismatchRefusesTheFileAndEmitsNothing) {
  CaptureSink sink;
  auto text = sber_file();
  text.replace(text.find("=;3;"), 4, "=;4;");
  auto out = parse("sber_payments", in_encoding(text, Encoding::kCp1251), sink);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.fatal.size(), 1u);
  EXPECT_EQ(out.fatal[0].line, 4);
  EXPECT_EQ(out.fatal[0].reason, "footer at line 4 says 4 lines, the file has 3");
  EXPECT_TRUE(sink.envelopes.empty());
  EXPECT_TRUE(sink.positions.empty());
}

TEST_F(RegistryParserTest, FooterSumMismatchRefusesTheFile) {
  CaptureSink sink;
  auto text = sber_file();
  text.replace(text.find("2033.90"), 7, "2033.91");
  auto out = parse("sber_payments", in_encoding(text, Encoding::kCp1251), sink);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.fatal.size(), 1u);
  EXPECT_EQ(out.fatal[0].reason,
            "footer at line 4 says the sum is 2033.91, the lines add up to 2033.90");
  EXPECT_TRUE(sink.envelopes.empty());
}

TEST_F(RegistryParserTest, TruncatedFileIsRefusedNamingTheLastLine) {
  CaptureSink sink;
  auto text = sber_file();
  text = text.substr(0, text.find("CLIENTDOCNO") + 14);  // cut inside line 3, no footer
  auto out = parse("sber_payments", in_encoding(text, Encoding::kCp1251), sink);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.fatal.size(), 1u);
  EXPECT_EQ(out.fatal[0].line, 3);
  EXPECT_EQ(out.fatal[0].reason,
            "no footer line ('=;...') after line 3: the file is incomplete (the last line has no "
            "line end: truncated?)");
  EXPECT_TRUE(sink.envelopes.empty());
}

TEST_F(RegistryParserTest, LinesAfterTheFooterRefuseTheFile) {
  CaptureSink sink;
  auto out = parse("sber_payments",
                   in_encoding(sber_file() + sber_line("8626", "22/11/2026", "9", "1.00", ""),
                               Encoding::kCp1251),
                   sink);
  EXPECT_FALSE(out.accepted);
  EXPECT_EQ(out.fatal.at(0).reason, "line 5 comes after the footer at line 4");
  EXPECT_TRUE(sink.envelopes.empty());
}

TEST_F(RegistryParserTest, TenMegabyteLineIsRefusedWithoutBeingKept) {
  CaptureSink sink;
  std::string text = sber_file();
  text.insert(text.find("=;3"), std::string(10 << 20, 'x') + "\r\n");
  auto out = parse("sber_payments", text, sink);
  EXPECT_FALSE(out.accepted);
  EXPECT_EQ(out.fatal.at(0).line, 4);
  EXPECT_EQ(out.fatal.at(0).reason,
            "line 4 is longer than 65536 bytes: not a registry line (binary or corrupt file?)");
  EXPECT_TRUE(sink.envelopes.empty());
}

TEST_F(RegistryParserTest, BinaryGarbageIsRefused) {
  CaptureSink sink;
  std::string garbage;
  std::uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245u + 12345u;
    garbage += static_cast<char>(x >> 24);
  }
  auto out = parse("sber_payments", garbage, sink);
  EXPECT_FALSE(out.accepted);
  ASSERT_FALSE(out.fatal.empty());
  EXPECT_NE(out.fatal[0].reason.find("line"), std::string::npos) << out.fatal[0].reason;
  EXPECT_TRUE(sink.envelopes.empty());
}

TEST_F(RegistryParserTest, BrokenUtf8IsRefusedNamingTheLine) {
  // vtb_partner declares UTF-8; line 3 has a cut Cyrillic sequence.
  std::string lines;
  for (int i = 1; i <= 3; ++i) {
    lines += "R1;01-06-2025T13:35:46Z;4;730;uni-" + std::to_string(i) +
             ";6245;Иванов Иван Иванович;Москва, ул. Тверская, 1;062025;!;!;0;RUB;100.00;RUB;"
             "100.00;RUB;0;RUB;3;300.00;RUB;300.00;RUB;0;RUB;65;01-06-2025;\r\n";
  }
  const auto at = lines.rfind("Иван");
  lines.erase(at + 1, 1);  // the second byte of 'И'
  CaptureSink sink;
  auto out = parse("vtb_partner", lines, sink);
  EXPECT_FALSE(out.accepted);
  ASSERT_EQ(out.fatal.size(), 1u);
  EXPECT_EQ(out.fatal[0].line, 3);
  EXPECT_EQ(out.fatal[0].reason, "line 3 is not valid utf-8 text");
  EXPECT_TRUE(sink.envelopes.empty());
}

TEST_F(RegistryParserTest, WrongDeclaredEncodingIsSniffed) {
  for (auto enc : {Encoding::kCp866, Encoding::kKoi8r, Encoding::kUtf8}) {
    CaptureSink sink;
    auto out = parse("sber_payments", in_encoding(sber_file(), enc), sink);
    ASSERT_TRUE(out.accepted) << name_of(enc);
    EXPECT_NE(out.summary.find(std::string("\"encoding\":\"") + std::string(name_of(enc))),
              std::string::npos)
        << out.summary;
    ASSERT_EQ(sink.count("payment.received"), 3u);
    EXPECT_NE(sink.envelopes[0].body.find("Иванова Мария Петровна"), std::string::npos)
        << name_of(enc) << ": " << sink.envelopes[0].body;
  }
}

TEST_F(RegistryParserTest, BadLinesAreReportedAndTheRestEmitted) {
  const std::string text =
      sber_line("8626", "20/11/2026", "1", "10.00", "CLIENTNO:1") +
      sber_line("8626", "31/11/2026", "2", "20.00", "CLIENTNO:2") +             // no such day
      sber_line("8626", "20/11/2026", "3", "30.00", "method_pay:cash") +        // no payer
      sber_line("8626", "20/11/2026", "4", "40.00", "CLIENTNO:4;CLIENTNO:5") +  // twice
      sber_line("8626", "20/11/2026", "5", "50.00", "CLIENTNO:5;CounterVal_1:-3") +
      "8626;0042;20/11/2026\r\n" +  // too short
      sber_line("8626", "20/11/2026", "7", "70.00", "CLIENTDOCNO:BAD-IPD") + "=;7;220.00\r\n";
  CaptureSink sink;
  auto out = parse("sber_payments", in_encoding(text, Encoding::kCp1251), sink);
  ASSERT_TRUE(out.accepted) << out.fatal.at(0).reason;
  EXPECT_EQ(sink.count("payment.received"), 2u);  // lines 1 and 5 (its bad reading left out)
  expect_valid(sink);
  EXPECT_EQ(sink.envelopes.at(1).headers.at("line"), "5");
  EXPECT_EQ(sink.envelopes.at(1).body.find("<c:readings>"), std::string::npos);
  std::vector<std::string> got;
  for (const auto& e : sink.errors)
    got.push_back(std::to_string(e.line) + "|" + e.field + "|" + e.reason);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "2|date|'31/11/2026' is not a date in the form dd/MM/yyyy",
                     "3|account|the payer is not named (no account, ЕЛС, ИЖКУ or ИПД)",
                     "4|CLIENTNO|given twice in the line",
                     "5|CounterVal_1|'-3' is not a meter value (digits, one '.' or ',', up to 6 "
                     "decimals)",
                     "6||expected 6 fields, found 3", "7|ipd|'BAD-IPD' is not a valid ipd"}));
  EXPECT_NE(out.summary.find("\"errors\":6"), std::string::npos) << out.summary;
}

TEST_F(RegistryParserTest, CharactersXmlCannotHoldAreAPerLineError) {
  // UTF-8 U+FFFF in a name, a control character in another line: reported, the rest goes.
  const std::string text =
      sber_line("8626", "20/11/2026", "1", "1.00", "CLIENTNO:1;FIO:A\xEF\xBF\xBF") +
      sber_line("8626", "20/11/2026", "2", "1.00", "CLIENTNO:2;FIO:B\x01") +
      sber_line("8626", "20/11/2026", "3", "1.00", "CLIENTNO:3;FIO:Ян") + "=;3;3.00\r\n";
  CaptureSink sink;
  auto out = parse("vtb_partner", "", sink);  // (warm-up of another layout: refused, empty)
  EXPECT_FALSE(out.accepted);
  out = parse("sber_payments", text, sink);
  ASSERT_TRUE(out.accepted) << out.fatal.at(0).reason;
  ASSERT_EQ(sink.count("payment.received"), 1u);
  expect_valid(sink);
  ASSERT_EQ(sink.errors.size(), 2u);
  EXPECT_EQ(sink.errors[0].line, 1);
  EXPECT_EQ(sink.errors[0].reason,
            "the line holds characters XML cannot carry (control characters, U+FFFE, U+FFFF)");
  EXPECT_EQ(sink.errors[1].line, 2);
}

TEST_F(RegistryParserTest, BatchesCarryTheLineReachedAndResumeSkipsCommittedLines) {
  std::string text;
  for (int i = 1; i <= 5; ++i) {
    text +=
        sber_line("8626", "20/11/2026", std::to_string(i), "1.00", "CLIENTNO:" + std::to_string(i));
  }
  text += "=;5;5.00\r\n";
  CaptureSink sink;
  ASSERT_TRUE(parse("sber_payments", text, sink, "b.txt", 2).accepted);
  EXPECT_EQ(sink.positions, (std::vector<std::int64_t>{2, 4, 5}));
  EXPECT_EQ(sink.count("payment.received"), 5u);

  CaptureSink resumed;
  ASSERT_TRUE(parse("sber_payments", text, resumed, "b.txt", 2, 3).accepted);
  EXPECT_EQ(resumed.positions, (std::vector<std::int64_t>{5}));
  ASSERT_EQ(resumed.count("payment.received"), 2u);
  EXPECT_EQ(resumed.envelopes[0].headers.at("line"), "4");
}

TEST_F(RegistryParserTest, SamePaymentInTwoFilesHasTheSameKey) {
  const auto line = sber_line("8626", "20/11/2026", "777", "12.34", "CLIENTNO:9");
  CaptureSink a, b;
  ASSERT_TRUE(parse("sber_payments", line + "=;1;12.34\r\n", a, "a.txt").accepted);
  ASSERT_TRUE(
      parse("sber_payments",
            sber_line("8626", "20/11/2026", "778", "1.00", "CLIENTNO:9") + line + "=;2;13.34\r\n",
            b, "b.txt")
          .accepted);
  EXPECT_EQ(a.envelopes.at(0).idempotency_key, b.envelopes.at(1).idempotency_key);
  EXPECT_NE(a.envelopes.at(0).body, b.envelopes.at(1).body);  // registryRef names each file
}

TEST_F(RegistryParserTest, GorodFileSumIsReconciled) {
  const std::string ok =
      "#FILESUM 1500.50\r\n#TYPE 7\r\n#SERVICE 42\r\n"
      "Иванов И.И. | Димитровград, Гагарина ул, 15, 12 | 100234 | 1000.50 | Квартплата\r\n"
      "Петров П.П. | Димитровград, Гагарина ул, 15, 13 | 100235 | 500 | Квартплата\r\n";
  CaptureSink sink;
  auto out = parse("gorod", in_encoding(ok, Encoding::kCp1251), sink);
  ASSERT_TRUE(out.accepted) << out.fatal.at(0).reason;
  EXPECT_TRUE(sink.envelopes.empty());  // a debts registry is outgoing: checked, never emitted
  EXPECT_TRUE(sink.errors.empty());
  EXPECT_NE(out.summary.find("\"count\":2,\"sum_kopecks\":150050"), std::string::npos)
      << out.summary;

  auto bad = ok;
  bad.replace(bad.find("1500.50"), 7, "1500.00");
  CaptureSink sink2;
  out = parse("gorod", in_encoding(bad, Encoding::kCp1251), sink2);
  EXPECT_FALSE(out.accepted);
  EXPECT_EQ(out.fatal.at(0).reason,
            "the file sum at line 1 is 1500.00, the lines add up to 1500.50");
}

TEST_F(RegistryParserTest, DebtPipeFooterInKopecks) {
  const std::string text =
      "100234|34АА011432|0c5b2444-70a0-4932-980c-b4dc0d3f02b5,12А|Иванова М.П.|Димитровград, "
      "Гагарина ул, д.15, кв.12А|1|Квартплата УК|102026||152340|\r\n"
      "=|1|152340|\r\n";
  CaptureSink sink;
  auto out = parse("debt_pipe", in_encoding(text, Encoding::kCp1251), sink);
  ASSERT_TRUE(out.accepted) << out.fatal.at(0).reason;
  EXPECT_TRUE(sink.errors.empty()) << sink.errors.at(0).reason;
  EXPECT_NE(out.summary.find("\"sum_kopecks\":152340"), std::string::npos);
}

TEST_F(RegistryParserTest, FileNameRuleIsCheckedWhenTheLayoutAsksForIt) {
  const auto dir = dir_ / "layouts";
  fs::create_directories(dir);
  auto text = testing::read_file(testing::layouts_dir() / "debt_pipe.yaml");
  text.replace(text.find("{mmyy}.txt\"}"), 12, "{mmyy}.txt\", check: true}");
  write_file(dir / "strict.yaml", text);
  auto layout = std::make_shared<const Layout>(load_layout(dir / "strict.yaml"));
  const std::string body = "1|||||||102026||100|\r\n=|1|100|\r\n";
  RegistryParser parser(layout);
  for (const auto& [name, ok] :
       {std::pair{"1234567890_40702810012345678912_001_1219.txt", true},
        std::pair{"dolg_1219.txt", false},
        std::pair{"1234567890_4070281001234567891_001_1219.txt", false},
        std::pair{"1234567890_40702810012345678912_001_1319.txt", false}}) {
    write_file(dir_ / name, body);
    CaptureSink sink;
    auto out = parser.parse(dir_ / name, info_for(name), sink);
    EXPECT_EQ(out.accepted, ok) << name;
    if (!ok) {
      EXPECT_EQ(out.fatal.at(0).reason, std::string("file name '") + name +
                                            "' does not follow the rule {inn}_{rs}_{seq}_{mmyy}.txt"
                                            " of layout debt_pipe");
    }
  }
}

// bank.<layout>.batched: the same registry as payment.lines messages, one per batch of lines, each
// line under the key its own payment.received has and with its readings inside.
TEST_F(RegistryParserTest, BatchedParserEmitsOnePaymentLinesPerBatchOfLines) {
  CaptureSink lines;
  const auto line_out = parse("sber_payments", in_encoding(sber_file(), Encoding::kCp1251), lines);
  ASSERT_TRUE(line_out.accepted);
  CaptureSink sink;
  auto out = parse("sber_payments", in_encoding(sber_file(), Encoding::kCp1251), sink, "reg.txt", 2,
                   0, true);
  ASSERT_TRUE(out.accepted) << (out.fatal.empty() ? "" : out.fatal[0].reason);
  EXPECT_EQ(out.summary, line_out.summary);  // the same checks and totals
  EXPECT_EQ(sink.positions, (std::vector<std::int64_t>{2, 3}));
  ASSERT_EQ(sink.envelopes.size(), 2u);
  EXPECT_EQ(sink.count("payment.lines"), 2u);
  expect_valid(sink);
  const auto& b1 = sink.envelopes[0];
  EXPECT_EQ(b1.source, "bankin");
  EXPECT_EQ(b1.idempotency_key.rfind("bank:sber:file:", 0), 0u) << b1.idempotency_key;
  EXPECT_NE(b1.idempotency_key.find(":lines:1-2"), std::string::npos) << b1.idempotency_key;
  EXPECT_NE(sink.envelopes[1].idempotency_key.find(":lines:3-3"), std::string::npos);
  EXPECT_EQ(b1.headers.at("payments"), "2");
  // Each payment of the line parser is a line of a batch: under its key, and the line stands for
  // exactly its body (expanded as the billing store expands it).
  std::vector<plugin::Envelope> payments;
  for (const auto& p : lines.envelopes)
    if (p.type == "payment.received") payments.push_back(p);
  ASSERT_EQ(payments.size(), 3u);
  std::vector<hub::Envelope> items;
  std::vector<billing::BillingStore::ParsedBody> bodies;
  for (const auto& b : sink.envelopes) {
    hub::Envelope e;
    e.type = b.type;
    e.id = b.id;
    e.body = b.body;
    billing::split_payment_batch(e, items, bodies);
  }
  ASSERT_EQ(items.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(items[i].idempotency_key, payments[i].idempotency_key);
    const auto own = xml::parse_xml(payments[i].body, "line");
    EXPECT_EQ(hub::testing::xml_difference(bodies[i].root, own.root()), "") << "payment " << i + 1;
  }
  // The readings ride inside their payment; no meter.reading of their own.
  EXPECT_EQ(sink.count("meter.reading"), 0u);
  EXPECT_NE(b1.body.find("<c:meterId>100234-1</c:meterId>"), std::string::npos);
  EXPECT_NE(b1.body.find("<c:registryRef>reg.txt</c:registryRef>"), std::string::npos);

  // Resumed after line 1: the rest, as one batch naming lines 2-3.
  CaptureSink resumed;
  ASSERT_TRUE(parse("sber_payments", in_encoding(sber_file(), Encoding::kCp1251), resumed,
                    "reg.txt", 500, 1, true)
                  .accepted);
  ASSERT_EQ(resumed.envelopes.size(), 1u);
  EXPECT_NE(resumed.envelopes[0].idempotency_key.find(":lines:2-3"), std::string::npos);
  EXPECT_EQ(resumed.envelopes[0].headers.at("payments"), "2");
}

TEST_F(RegistryParserTest, BatchedParserNeverPutsMoreThanAThousandPaymentsInOneMessage) {
  std::string text;
  for (int i = 1; i <= 1500; ++i) {
    text += sber_line("8626", "20/11/2026", std::to_string(i), "1.00",
                      "CLIENTNO:" + std::to_string(100000 + i));
  }
  text += "=;1500;1500.00\r\n";
  CaptureSink sink;
  ASSERT_TRUE(parse("sber_payments", text, sink, "big.txt", 5000, 0, true).accepted);
  EXPECT_EQ(sink.positions, (std::vector<std::int64_t>{1000, 1500}));
  ASSERT_EQ(sink.envelopes.size(), 2u);
  EXPECT_EQ(sink.envelopes[0].headers.at("payments"), "1000");
  EXPECT_EQ(sink.envelopes[1].headers.at("payments"), "500");
  expect_valid(sink);
}

}  // namespace
}  // namespace hub::bank
