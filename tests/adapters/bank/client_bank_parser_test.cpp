// bank.client_bank against the real 1C samples (golden counts, sums, balances and fields), the
// same statements in every code page with right, wrong and missing declarations, payments found
// in the purpose, resumption, and broken files that must be refused before anything is emitted.
#include "client_bank/client_bank_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "client_bank_test_util.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;
using namespace client_bank_testing;

struct Parsed {
  plugin::ParseOutcome outcome;
  KeepingSink sink;
};

Parsed parse(const fs::path& file, std::int64_t resume_after = 0, std::size_t batch = 500) {
  ClientBankParserOptions o;
  o.batch_size = batch;
  ClientBankParser parser(o);
  Parsed p;
  plugin::ParsedFile info{file.filename().string(), std::string(64, 'a'), resume_after, "bankin"};
  p.outcome = parser.parse(file, info, p.sink);
  return p;
}

class ClientBankParserTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = hub::testing::make_temp_dir("client-bank"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& bytes) {
    write_bytes(dir_ / name, bytes);
    return dir_ / name;
  }
  fs::path dir_;
};

bool summary_has(const plugin::ParseOutcome& o, const std::string& fragment) {
  return o.summary.find(fragment) != std::string::npos;
}

// --- golden: the three real files ---

TEST_F(ClientBankParserTest, Sample1TwoAccountsTwoDocumentsOfTwoKinds) {
  auto p = parse(sample("sample1.txt"));
  ASSERT_TRUE(p.outcome.accepted) << (p.outcome.fatal.empty() ? "" : p.outcome.fatal[0].reason);
  EXPECT_EQ(invalid_body(p.sink.envelopes), "");
  const auto lines = p.sink.of("bank_statement.line");
  const auto sums = p.sink.of("bank_statement.summary");
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_TRUE(p.sink.of("payment.received").empty());
  EXPECT_TRUE(summary_has(p.outcome, "\"documents\":2,"));
  EXPECT_TRUE(summary_has(p.outcome, "\"sum_kopecks\":2020,"));
  EXPECT_TRUE(summary_has(p.outcome, "\"opening_balance_kopecks\":2020,"));
  EXPECT_TRUE(summary_has(p.outcome, "\"closing_balance_kopecks\":2020,"));
  EXPECT_TRUE(summary_has(p.outcome,
                          "\"account\":\"12345678901234567891\",\"opening_kopecks\":1010,"
                          "\"incoming_kopecks\":1010,\"outgoing_kopecks\":1010,"
                          "\"closing_kopecks\":1010,\"reconciled\":false"));
  EXPECT_TRUE(summary_has(p.outcome,
                          "\"encoding\":\"utf-8\",\"declared_encoding\":\"Windows\","
                          "\"version\":\"1.03\""));
  // Declared Windows, UTF-8 on disk: read as UTF-8 and said so.
  EXPECT_TRUE(p.sink.reported("declared Windows (cp1251) but the content is utf-8"));
  // Payer and payee are both the statement's account: an internal transfer.
  const std::string& b = lines[0]->body;
  EXPECT_EQ(element(b, "statementAccount"), "12345678901234567890");
  EXPECT_EQ(element(b, "direction"), "internal");
  EXPECT_EQ(element(b, "bookedOn"), "2020-01-01");
  EXPECT_EQ(element(b, "amountKopecks"), "1010");
  EXPECT_EQ(element_in(b, "document", "kind"), "Платежное поручение");
  EXPECT_EQ(element_in(lines[1]->body, "document", "kind"), "Платежное требование");
  EXPECT_EQ(element_in(b, "document", "number"), "1");
  EXPECT_EQ(element_in(b, "document", "operationType"), "01");
  EXPECT_EQ(element_in(b, "payer", "inn"), "1234567890");
  EXPECT_EQ(element_in(b, "payer", "kpp"), "123456789");
  EXPECT_EQ(element_in(b, "payer", "bik"), "123456789");
  EXPECT_EQ(element_in(b, "payee", "name"), "Получатель");
  EXPECT_EQ(element(b, "purpose"),
            "НазначениеПлатежа НазначениеПлатежа1 НазначениеПлатежа2 НазначениеПлатежа3 "
            "НазначениеПлатежа4 НазначениеПлатежа5 НазначениеПлатежа6");
  EXPECT_EQ(element_in(b, "budget", "kbk"), "12345678901234567890");
  EXPECT_EQ(element_in(b, "source", "line"), "31");
  EXPECT_EQ(element(sums[0]->body, "account"), "12345678901234567890");
  EXPECT_EQ(element(sums[0]->body, "closingKopecks"), "1010");
  // The documents do not add up to the balance sections' totals: reported, not refused.
  EXPECT_TRUE(p.sink.reported("documents missing from the statement?"));
  // Keys are the business identity: the two documents differ by their kind only, and stay two.
  EXPECT_EQ(lines[0]->idempotency_key,
            "bank:client_bank:line:12345678901234567890:2020-01-01:internal:Платежное поручение:"
            "2020-01-01:1:12345678901234567890:1010");
  EXPECT_NE(lines[0]->idempotency_key, lines[1]->idempotency_key);
}

TEST_F(ClientBankParserTest, Sample2Version101OutgoingOrderWithUin) {
  auto p = parse(sample("sample2.txt"));
  ASSERT_TRUE(p.outcome.accepted);
  EXPECT_EQ(invalid_body(p.sink.envelopes), "");
  const auto lines = p.sink.of("bank_statement.line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(p.sink.of("bank_statement.summary").empty());
  EXPECT_TRUE(summary_has(p.outcome,
                          "\"documents\":1,\"lines\":1,\"skipped\":0,\"sum_kopecks\":1,"
                          "\"incoming_kopecks\":0,\"outgoing_kopecks\":1,"));
  EXPECT_TRUE(summary_has(p.outcome, "\"version\":\"1.01\""));
  const std::string& b = lines[0]->body;
  EXPECT_EQ(element(b, "direction"), "out");
  EXPECT_EQ(element(b, "statementAccount"), "40706810900000064381");
  EXPECT_EQ(element(b, "bookedOn"), "2021-08-20");
  EXPECT_EQ(element(b, "amountKopecks"), "1");
  EXPECT_EQ(element_in(b, "document", "number"), "119");
  EXPECT_EQ(element_in(b, "document", "paymentMethod"), "Электронно");
  EXPECT_EQ(element_in(b, "document", "priority"), "5");
  EXPECT_EQ(element_in(b, "document", "uin"), "2021730100412217000244871");
  EXPECT_EQ(element_in(b, "payer", "name"), "ПАО &quot;Ростелеком&quot;");
  EXPECT_EQ(element_in(b, "payer", "kpp"), "770545001");
  EXPECT_EQ(element_in(b, "payee", "name"), "АО &quot;Российские космические системы&quot;");
  EXPECT_EQ(element_in(b, "payee", "inn"), "7722698789");
  EXPECT_EQ(element_in(b, "payee", "account"), "40702810938120061991");
  EXPECT_EQ(element_in(b, "payee", "city"), "г Москва");
  EXPECT_EQ(element_in(b, "payee", "correspondentAccount"), "30101810400000000225");
  EXPECT_EQ(element(b, "purpose"), "Тип 3.Расчет за оказ.услуги. в т.ч. НДС 20%: 0.00");
  EXPECT_EQ(b.find("<c:budget>"), std::string::npos);  // every budget field is empty
  EXPECT_EQ(lines[0]->headers.at("direction"), "out");
}

TEST_F(ClientBankParserTest, Sample3BudgetPaymentToTheTreasury) {
  auto p = parse(sample("sample3.txt"));
  ASSERT_TRUE(p.outcome.accepted);
  EXPECT_EQ(invalid_body(p.sink.envelopes), "");
  const auto lines = p.sink.of("bank_statement.line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(summary_has(p.outcome, "\"documents\":1,"));
  EXPECT_TRUE(summary_has(p.outcome, "\"sum_kopecks\":1,"));
  const std::string& b = lines[0]->body;
  EXPECT_EQ(element(b, "direction"), "out");
  EXPECT_EQ(element_in(b, "document", "number"), "288");
  EXPECT_EQ(element_in(b, "payee", "account"), "03100643000000015400");
  EXPECT_EQ(element_in(b, "payee", "correspondentAccount"), "40102810545370000046");
  EXPECT_EQ(element_in(b, "payee", "bik"), "015402901");
  EXPECT_EQ(element_in(b, "payee", "city"), "Г. Орёл");
  EXPECT_EQ(element_in(b, "budget", "status"), "08");
  EXPECT_EQ(element_in(b, "budget", "kbk"), "18911301050016000130");
  EXPECT_EQ(element_in(b, "budget", "oktmo"), "54701000");
  EXPECT_EQ(element_in(b, "budget", "basis"), "0");
  EXPECT_EQ(b.find("<c:uin>"), std::string::npos);  // Код=0: none
  EXPECT_EQ(element(b, "purpose"),
            "Расчет по договору N 0320 от 21.06.2021 за проведение экспертизы. Не облагается НДС");
}

// --- the same statements in every code page ---

struct EncodingCase {
  Encoding stored;
  const char* declared;  // Кодировка= value written into the file
};

class ClientBankEncodingTest : public ClientBankParserTest,
                               public ::testing::WithParamInterface<EncodingCase> {};

TEST_P(ClientBankEncodingTest, SameMessagesWhateverTheEncodingAndDeclaration) {
  const auto [stored, declared] = GetParam();
  for (const char* name : {"sample1.txt", "sample2.txt", "sample3.txt"}) {
    SCOPED_TRACE(name);
    std::string text = read_bytes(sample(name));
    const auto pos = text.find("Кодировка=Windows");
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, std::string("Кодировка=Windows").size(),
                 std::string("Кодировка=") + declared);
    std::string crlf;
    for (char c : text) {
      if (c == '\n') crlf += '\r';
      crlf += c;
    }
    const auto converted = write(name, to_encoding(crlf, stored));
    auto original = parse(sample(name));
    auto p = parse(converted);
    ASSERT_TRUE(p.outcome.accepted) << (p.outcome.fatal.empty() ? "" : p.outcome.fatal[0].reason);
    EXPECT_TRUE(summary_has(p.outcome, "\"encoding\":\"" + std::string(name_of(stored)) + "\""))
        << p.outcome.summary;
    ASSERT_EQ(p.sink.envelopes.size(), original.sink.envelopes.size());
    for (std::size_t i = 0; i < p.sink.envelopes.size(); ++i) {
      std::string a = original.sink.envelopes[i].body, b = p.sink.envelopes[i].body;
      // Only the encoding recorded in the source differs.
      const std::string enc_a = "<c:encoding>utf-8</c:encoding>";
      const std::string enc_b = "<c:encoding>" + std::string(name_of(stored)) + "</c:encoding>";
      if (auto q = a.find(enc_a); q != std::string::npos) a.replace(q, enc_a.size(), enc_b);
      EXPECT_EQ(a, b);
      EXPECT_EQ(original.sink.envelopes[i].idempotency_key, p.sink.envelopes[i].idempotency_key);
    }
    const bool contradicts =
        encoding_from_name(declared == std::string("Windows") ? "cp1251"
                           : declared == std::string("DOS")   ? "cp866"
                                                              : declared) != stored;
    EXPECT_EQ(p.sink.reported("but the content is"), contradicts);
  }
}

INSTANTIATE_TEST_SUITE_P(
    CodePages, ClientBankEncodingTest,
    ::testing::Values(EncodingCase{Encoding::kCp1251, "Windows"},
                      EncodingCase{Encoding::kCp866, "DOS"},
                      EncodingCase{Encoding::kCp866, "Windows"},  // wrong declaration
                      EncodingCase{Encoding::kCp1251, "DOS"},     // wrong declaration
                      EncodingCase{Encoding::kKoi8r, "Windows"},  // seen from old Unix exports
                      EncodingCase{Encoding::kUtf8, "DOS"}),
    [](const auto& info) {
      return std::string(name_of(info.param.stored) == std::string("koi8-r") ? "koi8r"
                         : name_of(info.param.stored) == std::string("utf-8")
                             ? "utf8"
                             : std::string(name_of(info.param.stored))) +
             "_declared_" + info.param.declared;
    });

// --- incoming payments ---

std::string statement(const std::vector<std::string>& documents, const std::string& balances = "") {
  std::string s =
      "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nОтправитель=Сбербанк "
      "Бизнес Онлайн\r\nПолучатель=1С:Бухгалтерия\r\nДатаСоздания=21.11.2026\r\n"
      "ДатаНачала=20.11.2026\r\nДатаКонца=20.11.2026\r\nРасчСчет=40702810900000012345\r\n";
  s += balances;
  for (const auto& d : documents) s += d;
  return s + "КонецФайла\r\n";
}

std::string incoming(const std::string& number, const std::string& amount,
                     const std::string& purpose, const std::string& payer_account) {
  return "СекцияДокумент=Платежное поручение\r\nНомер=" + number +
         "\r\nДата=19.11.2026\r\nСумма=" + amount + "\r\nПлательщикСчет=" + payer_account +
         "\r\nПлательщик=Иванова Мария Петровна\r\nПлательщикИНН=0\r\nПлательщикБИК=044525225\r\n"
         "ПлательщикБанк1=ПАО СБЕРБАНК\r\nПолучательСчет=40702810900000012345\r\n"
         "ДатаПоступило=20.11.2026\r\nПолучатель=ООО \"УК Уютный дом\"\r\nПолучательИНН=7329012345"
         "\r\nПолучательКПП=732901001\r\nПолучательБИК=047308602\r\nПолучательБанк1=УЛЬЯНОВСКОЕ "
         "ОТДЕЛЕНИЕ N8588 ПАО СБЕРБАНК\r\nВидОплаты=01\r\nНазначениеПлатежа=" +
         purpose + "\r\nКонецДокумента\r\n";
}

std::string outgoing(const std::string& number, const std::string& amount) {
  return "СекцияДокумент=Платежное поручение\r\nНомер=" + number +
         "\r\nДата=20.11.2026\r\nСумма=" + amount +
         "\r\nПлательщикСчет=40702810900000012345\r\nДатаСписано=20.11.2026\r\nПлательщик=ООО "
         "\"УК Уютный дом\"\r\nПлательщикИНН=7329012345\r\nПолучательСчет=40702810369000001234\r\n"
         "Получатель=МУП "
         "\"Водоканал\"\r\nПолучательИНН=7302000016\r\nНазначениеПлатежа=Перечисление"
         " за ХВС за ноябрь 2026, л/с 999 не наш\r\nКонецДокумента\r\n";
}

std::string balance(const std::string& opening, const std::string& in, const std::string& out,
                    const std::string& closing) {
  return "СекцияРасчСчет\r\nДатаНачала=20.11.2026\r\nДатаКонца=20.11.2026\r\nРасчСчет="
         "40702810900000012345\r\nНачальныйОстаток=" +
         opening + "\r\nВсегоПоступило=" + in + "\r\nВсегоСписано=" + out +
         "\r\nКонечныйОстаток=" + closing + "\r\nКонецРасчСчет\r\n";
}

TEST_F(ClientBankParserTest, IncomingPaymentsNamingThePayerBecomePaymentReceived) {
  const std::string text = statement(
      {incoming("5071", "2345.67", "Оплата ЖКУ за октябрь 2026 г. л/с 100234. Без НДС",
                "40817810500001234567"),
       incoming("12", "1500.00", "///ЖКУ34АА011432-01///ИПД;оплата за 11.2026",
                "40817810500007654321"),
       incoming("13", "800", "Оплата ЕЛС 34АА011432", "40817810500001111111"),
       incoming("14", "100.50", "Благотворительный взнос", "40817810500002222222"),
       outgoing("318", "200000.00"),
       incoming("15", "1000.00", "Субсидия на капремонт, л/с 0812345", "03100643000000015400")},
      balance("1250000.00", "5746.17", "200000.00", "1055746.17"));
  const auto file = write("kl_to_1c.txt", to_encoding(text, Encoding::kCp1251));
  auto p = parse(file);
  ASSERT_TRUE(p.outcome.accepted) << (p.outcome.fatal.empty() ? "" : p.outcome.fatal[0].reason);
  EXPECT_EQ(invalid_body(p.sink.envelopes), "");
  EXPECT_TRUE(summary_has(p.outcome,
                          "\"documents\":6,\"lines\":6,\"skipped\":0,"
                          "\"sum_kopecks\":20574617,\"incoming_kopecks\":574617,"
                          "\"outgoing_kopecks\":20000000,\"payments\":3,"
                          "\"payments_kopecks\":464567,"))
      << p.outcome.summary;
  EXPECT_TRUE(summary_has(p.outcome, "\"reconciled\":true"));
  EXPECT_TRUE(summary_has(p.outcome, "\"encoding\":\"cp1251\""));
  EXPECT_TRUE(p.sink.errors.empty()) << p.sink.errors[0].reason;
  const auto payments = p.sink.of("payment.received");
  const auto lines = p.sink.of("bank_statement.line");
  ASSERT_EQ(payments.size(), 3u);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(p.sink.of("bank_statement.summary").size(), 1u);

  const std::string& first = payments[0]->body;
  EXPECT_EQ(element(first, "account"), "100234");
  EXPECT_EQ(element(first, "period"), "2026-10");
  EXPECT_EQ(element(first, "paidAt"), "2026-11-20");
  EXPECT_EQ(element(first, "amountKopecks"), "234567");
  EXPECT_EQ(element_in(first, "agent", "code"), "client_bank");
  EXPECT_EQ(element_in(first, "agent", "bik"), "047308602");
  EXPECT_EQ(element(first, "registryRef"), "kl_to_1c.txt#19");
  EXPECT_EQ(element(first, "transactionId"), "2026-11-19/5071/40817810500001234567/234567");
  EXPECT_EQ(element_in(first, "payer", "name"), "Иванова Мария Петровна");
  EXPECT_EQ(payments[0]->headers.at("period_from"), "purpose");
  // Line and payment are one business flow.
  EXPECT_EQ(payments[0]->correlation_id, lines[0]->idempotency_key);
  EXPECT_EQ(lines[0]->correlation_id, lines[0]->idempotency_key);
  EXPECT_EQ(element_in(lines[0]->body, "payerReference", "account"), "100234");
  EXPECT_EQ(element(lines[0]->body, "direction"), "in");

  EXPECT_EQ(element(payments[1]->body, "izhku"), "34АА011432-01");
  EXPECT_EQ(element(payments[1]->body, "period"), "2026-11");
  EXPECT_EQ(element(payments[2]->body, "els"), "34АА011432");
  EXPECT_EQ(element(payments[2]->body, "period"), "2026-11");  // from the payment date
  EXPECT_EQ(payments[2]->headers.at("period_from"), "payment_date");
  // Neither the donation nor the outgoing transfer (whose purpose names an account) is a payment.
  EXPECT_EQ(lines[3]->body.find("payerReference"), std::string::npos);
  EXPECT_EQ(element(lines[4]->body, "direction"), "out");
  EXPECT_EQ(lines[4]->body.find("payerReference"), std::string::npos);
  // Treasury money names the treasury's own л/с: not a resident's payment.
  EXPECT_EQ(element(lines[5]->body, "direction"), "in");
  EXPECT_EQ(lines[5]->body.find("payerReference"), std::string::npos);
  // A line and its payment are handed over in the same batch, positioned at КонецДокумента.
  EXPECT_EQ(p.sink.positions.size(), 1u);
}

TEST_F(ClientBankParserTest, BatchesArePositionedAndAResumedFileSkipsWhatWasCommitted) {
  std::vector<std::string> docs;
  for (int i = 1; i <= 7; ++i) {
    docs.push_back(incoming(std::to_string(i), "10.00", "л/с " + std::to_string(100 + i),
                            "4081781050000000000" + std::to_string(i)));
  }
  const auto file = write("many.txt", to_encoding(statement(docs), Encoding::kCp866));
  auto all = parse(file, 0, 3);
  ASSERT_TRUE(all.outcome.accepted);
  ASSERT_EQ(all.sink.envelopes.size(), 14u);
  ASSERT_GE(all.sink.positions.size(), 3u);
  EXPECT_GT(all.sink.progress_calls, 0u);
  // Positions grow strictly: a document's line and payment are never split over two batches
  // (with 3 per batch, a split would repeat a position), so a resume never loses half of one.
  for (std::size_t i = 1; i < all.sink.positions.size(); ++i) {
    EXPECT_LT(all.sink.positions[i - 1], all.sink.positions[i]);
  }
  // Resume after the second document: documents 3..7 only.
  const std::int64_t after = std::stoll(all.sink.envelopes[2].headers.at("line")) + 20 - 1;
  auto resumed = parse(file, after, 3);
  ASSERT_TRUE(resumed.outcome.accepted);
  ASSERT_EQ(resumed.sink.envelopes.size(), 10u);
  EXPECT_EQ(resumed.sink.envelopes[0].idempotency_key, all.sink.envelopes[4].idempotency_key);
  // The summary counts the whole file either way.
  EXPECT_TRUE(summary_has(resumed.outcome, "\"documents\":7,"));
}

TEST_F(ClientBankParserTest, BadDocumentsAreSkippedAndReportedTheRestIsRead) {
  std::string bad_sum = incoming("2", "12,345.00", "л/с 1", "40817810500000000002");
  std::string bad_date = incoming("3", "1.00", "л/с 1", "40817810500000000003");
  const std::string date = "Дата=19.11.2026", inn = "ПлательщикИНН=0", kind = "Платежное поручение";
  bad_date.replace(bad_date.find(date), date.size(), "Дата=31.11.2026");
  std::string bad_inn = incoming("4", "4.00", "л/с 4", "40817810500000000004");
  bad_inn.replace(bad_inn.find(inn), inn.size(), "ПлательщикИНН=12345");
  std::string unknown = incoming("5", "5.00", "л/с 5", "40817810500000000005");
  unknown.replace(unknown.find(kind), kind.size(), "Банковская гарантия");
  unknown.insert(unknown.find("КонецДокумента"), "НовыйКлючБанка=1\r\nНовыйКлючБанка=2\r\n");
  const auto file = write(
      "bad.txt", to_encoding(statement({incoming("1", "1.00", "л/с 1", "40817810500000000001"),
                                        bad_sum, bad_date, bad_inn, unknown}),
                             Encoding::kCp1251));
  auto p = parse(file);
  ASSERT_TRUE(p.outcome.accepted);
  EXPECT_EQ(invalid_body(p.sink.envelopes), "");
  EXPECT_TRUE(summary_has(p.outcome, "\"documents\":5,\"lines\":3,\"skipped\":2,"))
      << p.outcome.summary;
  EXPECT_EQ(p.sink.of("bank_statement.line").size(), 3u);
  auto has = [&](const std::string& field, const std::string& reason) {
    return std::any_of(p.sink.errors.begin(), p.sink.errors.end(), [&](const auto& e) {
      return e.field == field && e.reason.find(reason) != std::string::npos && e.line > 0;
    });
  };
  EXPECT_TRUE(has("Сумма", "amount '12,345.00' is not a positive руб[.коп]; document skipped"));
  EXPECT_TRUE(has("Дата", "date '31.11.2026' is not дд.мм.гггг; document skipped"));
  EXPECT_TRUE(has("ПлательщикИНН", "ИНН '12345' is not 10 or 12 digits; left out"));
  EXPECT_TRUE(has("СекцияДокумент", "unknown document kind 'Банковская гарантия'"));
  // An unknown key is reported once however often it occurs.
  EXPECT_EQ(std::count_if(p.sink.errors.begin(), p.sink.errors.end(),
                          [](const auto& e) { return e.field == "НовыйКлючБанка"; }),
            1);
}

// --- refused files: nothing emitted, the fatal error names the line ---

struct Refusal {
  plugin::ParseOutcome outcome;
  std::size_t emitted;
};

TEST_F(ClientBankParserTest, BrokenFilesAreRefusedBeforeAnythingIsEmitted) {
  const std::string good = statement({incoming("1", "1.00", "л/с 1", "40817810500000000001"),
                                      incoming("2", "2.00", "л/с 2", "40817810500000000002")},
                                     balance("0.00", "3.00", "0.00", "3.00"));
  ASSERT_TRUE(parse(write("good.txt", to_encoding(good, Encoding::kCp1251))).outcome.accepted);

  auto refused = [&](const std::string& name, const std::string& bytes, std::int64_t line,
                     const std::string& reason) {
    SCOPED_TRACE(name);
    auto p = parse(write(name, bytes));
    EXPECT_FALSE(p.outcome.accepted);
    EXPECT_TRUE(p.sink.envelopes.empty());
    ASSERT_FALSE(p.outcome.fatal.empty());
    EXPECT_EQ(p.outcome.fatal[0].line, line) << p.outcome.fatal[0].reason;
    EXPECT_NE(p.outcome.fatal[0].reason.find(reason), std::string::npos)
        << p.outcome.fatal[0].reason;
    EXPECT_EQ(p.outcome.summary.front(), '{');
  };
  const std::string cp = to_encoding(good, Encoding::kCp1251);
  const auto lines_of = [](const std::string& s) {
    return static_cast<std::int64_t>(std::count(s.begin(), s.end(), '\n'));
  };

  // No КонецФайла.
  const std::string no_end = good.substr(0, good.find("КонецФайла"));
  refused("no_end.txt", to_encoding(no_end, Encoding::kCp1251), lines_of(no_end), "no КонецФайла");
  // Truncated inside a document.
  const std::string cut = good.substr(0, good.rfind("НазначениеПлатежа"));
  refused("cut.txt", to_encoding(cut, Encoding::kCp1251), lines_of(cut),
          "file ends inside the section opened at line");
  // A document not closed before the next one opens.
  std::string unbalanced = good;
  unbalanced.erase(unbalanced.find("КонецДокумента\r\n"), 16);
  const auto second = unbalanced.find("СекцияДокумент", unbalanced.find("СекцияДокумент") + 1);
  refused("unbalanced.txt", to_encoding(unbalanced, Encoding::kCp1251),
          lines_of(unbalanced.substr(0, second)) + 1, "which is not closed");
  // A closing marker with nothing open.
  std::string stray = good;
  stray.insert(stray.find("КонецФайла"), "КонецРасчСчет\r\n");
  refused("stray.txt", to_encoding(stray, Encoding::kCp1251),
          lines_of(stray.substr(0, stray.find("КонецФайла"))), "without an open section");
  // Balances that do not add up.
  const std::string wrong = statement({incoming("1", "1.00", "л/с 1", "40817810500000000001")},
                                      balance("0.00", "1.00", "0.00", "2.00"));
  refused("balance.txt", to_encoding(wrong, Encoding::kCp1251),
          lines_of(wrong.substr(0, wrong.find("СекцияРасчСчет"))) + 1, "do not add up");
  // Binary garbage, and a file of another format.
  std::mt19937 rng(42);
  std::string garbage(4096, '\0');
  for (auto& c : garbage) c = static_cast<char>(rng());
  refused("garbage.bin", garbage, 1, "");
  refused("registry.txt", to_encoding("5000;123;19/11/2026;100234;1500.00\r\n", Encoding::kCp1251),
          1, "the first line is not 1CClientBankExchange");
  refused("empty.txt", "", 0, "empty file");
  // Mixed encodings: UTF-8 head, a cp1251 line further on.
  std::string mixed = good;
  const auto purpose = mixed.rfind("л/с 2");
  mixed.replace(purpose, std::string("л/с 2").size(), to_encoding("л/с 2", Encoding::kCp1251));
  refused("mixed.txt", mixed, lines_of(mixed.substr(0, purpose)) + 1, "not valid utf-8");
  // Control characters inside a value.
  std::string nul = cp;
  nul.insert(nul.find("\r\n", nul.find("=Windows")), std::string(1, '\0'));
  refused("nul.txt", nul, 3, "control characters");
  // A 10 MB line.
  std::string huge = cp;
  huge.insert(huge.find("\r\n", huge.find("=Windows")), std::string(10 << 20, 'A'));
  refused("huge.txt", huge, 3, "longer than");
}

TEST_F(ClientBankParserTest, ToleratesBlankLinesLfEndingsBomAndTextAfterTheEnd) {
  std::string text = statement({incoming("1", "1.00", "л/с 1", "40817810500000000001")});
  std::string lf;
  for (char c : text) {
    if (c != '\r') lf += c;
  }
  lf.insert(lf.find("СекцияДокумент"), "\n\n");
  lf += "\nмусор после конца\n";
  auto p = parse(write("lf.txt", "\xEF\xBB\xBF" + lf));
  ASSERT_TRUE(p.outcome.accepted) << (p.outcome.fatal.empty() ? "" : p.outcome.fatal[0].reason);
  EXPECT_EQ(p.sink.of("payment.received").size(), 1u);
  EXPECT_TRUE(p.sink.reported("text after КонецФайла ignored"));
  EXPECT_TRUE(summary_has(p.outcome, "\"encoding\":\"utf-8\""));
}

}  // namespace
}  // namespace hub::bank
