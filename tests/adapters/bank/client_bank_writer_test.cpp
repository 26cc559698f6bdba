// Payment orders: the 1CClientBankExchange writer (read back by bank.client_bank: write -> parse
// round trips in cp1251, cp866 and UTF-8) and the outbox sink of payment_order.requested (a file
// per day and account, idempotent by message id, a taken file never rewritten, numbers once).
#include <gtest/gtest.h>

#include "client_bank/client_bank_parser.h"
#include "client_bank/payment_order_outbox.h"
#include "client_bank_test_util.h"

namespace hub::bank {
namespace {

namespace fs = std::filesystem;
using namespace client_bank_testing;

PaymentOrder order(const std::string& number, std::int64_t kopecks,
                   const std::string& date = "2026-11-21") {
  PaymentOrder o;
  o.number = number;
  o.date = date;
  o.amount_kopecks = kopecks;
  o.kind = "supplier";
  o.payer = {"ООО \"УК Уютный дом\"",
             "7329012345",
             "732901001",
             "40702810900000012345",
             {"УЛЬЯНОВСКОЕ ОТДЕЛЕНИЕ N8588 ПАО СБЕРБАНК", "г. Ульяновск", "047308602",
              "30101810000000000602"}};
  o.payee = {"МУП \"Димитровградский водоканал\"",
             "7302000016",
             "730201001",
             "40702810369000001234",
             {"УЛЬЯНОВСКОЕ ОТДЕЛЕНИЕ N8588 ПАО СБЕРБАНК", "г. Ульяновск", "047308602",
              "30101810000000000602"}};
  o.purpose =
      "Перечисление платежей населения за ХВС за ноябрь 2026 по агентскому договору "
      "№ 14/2025";
  o.vat = "В т.ч. НДС 22% 36065.57 руб.";
  return o;
}

plugin::Envelope envelope(const PaymentOrder& o, const std::string& id) {
  plugin::Envelope e;
  e.id = id;
  e.type = kPaymentOrderType;
  e.idempotency_key = "billing:transfer:" + o.number;
  e.body = payment_order_xml(o);
  return e;
}

struct Read {
  plugin::ParseOutcome outcome;
  KeepingSink sink;
};

Read read_back(const fs::path& file) {
  Read r;
  ClientBankParser parser;
  r.outcome =
      parser.parse(file, {file.filename().string(), std::string(64, 'b'), 0, "bankin"}, r.sink);
  return r;
}

class ClientBankWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = hub::testing::make_temp_dir("client-bank-writer"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ClientBankWriterTest, CanonicalBodyRoundTripsAndIsValid) {
  const PaymentOrder o = order("318", 20000000);
  const std::string xml = payment_order_xml(o);
  plugin::Envelope e;
  e.type = kPaymentOrderType;
  e.body = xml;
  EXPECT_EQ(invalid_body({e}), "");
  std::string error;
  auto back = parse_payment_order(xml, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(payment_order_xml(*back), xml);
  // The documented sample is readable too.
  auto sample_order =
      parse_payment_order(read_bytes(hub::testing::source_dir() /
                                     "schemas/canonical/samples/payment_order.requested.xml"),
                          error);
  ASSERT_TRUE(sample_order) << error;
  EXPECT_EQ(sample_order->number, "318");
  EXPECT_EQ(sample_order->amount_kopecks, 20000000);
  EXPECT_EQ(sample_order->payee.bank.bik, "047308602");
  EXPECT_FALSE(parse_payment_order("<a/>", error));
  EXPECT_NE(error.find("paymentOrderRequested"), std::string::npos);
  EXPECT_FALSE(parse_payment_order("<!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>", error));
}

TEST_F(ClientBankWriterTest, WrittenFilesReadBackInEveryEncoding) {
  std::vector<PaymentOrder> orders = {order("318", 20000000), order("319", 150050),
                                      order("320", 1, "2026-11-22")};
  orders[1].kind = "third_party";
  orders[1].payee.name = "ИП Петров Пётр Петрович";
  orders[1].payee.inn = "732900123456";
  orders[1].payee.kpp.clear();
  orders[1].vat = "НДС не облагается";
  orders[2].payer.account = "40702810900000099999";
  orders[2].uin = "18210102010011000110";
  orders[2].priority = 3;
  for (Encoding e : {Encoding::kCp1251, Encoding::kCp866, Encoding::kUtf8}) {
    SCOPED_TRACE(std::string(name_of(e)));
    PaymentOrderFileOptions options;
    options.encoding = e;
    options.created_date = "2026-11-21";
    options.created_time = "09:30:00";
    std::string bytes, error;
    ASSERT_TRUE(write_payment_order_file(orders, options, bytes, error)) << error;
    const fs::path file = dir_ / "1c_to_kl.txt";
    write_bytes(file, bytes);
    auto r = read_back(file);
    ASSERT_TRUE(r.outcome.accepted) << r.outcome.fatal[0].reason;
    EXPECT_TRUE(r.sink.errors.empty()) << r.sink.errors[0].field << " " << r.sink.errors[0].reason;
    EXPECT_EQ(invalid_body(r.sink.envelopes), "");
    EXPECT_NE(r.outcome.summary.find("\"documents\":3,\"lines\":3,\"skipped\":0,\"sum_kopecks\":" +
                                     std::to_string(20000000 + 150050 + 1) +
                                     ",\"incoming_kopecks\":0,\"outgoing_kopecks\":" +
                                     std::to_string(20000000 + 150050 + 1)),
              std::string::npos)
        << r.outcome.summary;
    EXPECT_NE(r.outcome.summary.find("\"encoding\":\"" + std::string(name_of(e)) + "\""),
              std::string::npos);
    const auto lines = r.sink.of("bank_statement.line");
    ASSERT_EQ(lines.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string& b = lines[i]->body;
      const PaymentOrder& o = orders[i];
      EXPECT_EQ(element(b, "direction"), "out");
      EXPECT_EQ(element(b, "statementAccount"), o.payer.account);
      EXPECT_EQ(element(b, "amountKopecks"), std::to_string(o.amount_kopecks));
      EXPECT_EQ(element(b, "bookedOn"), o.date);
      EXPECT_EQ(element_in(b, "document", "number"), o.number);
      EXPECT_EQ(element_in(b, "document", "priority"), std::to_string(o.priority));
      EXPECT_EQ(element_in(b, "payee", "inn"), o.payee.inn);
      EXPECT_EQ(element_in(b, "payee", "kpp"), o.payee.kpp);
      EXPECT_EQ(element_in(b, "payee", "account"), o.payee.account);
      EXPECT_EQ(element_in(b, "payee", "bik"), o.payee.bank.bik);
      EXPECT_EQ(element_in(b, "payer", "inn"), o.payer.inn);
      EXPECT_EQ(element(b, "purpose"), o.purpose + ". " + o.vat);
    }
    EXPECT_EQ(element_in(lines[1]->body, "payee", "name"), "ИП Петров Пётр Петрович");
    EXPECT_EQ(element_in(lines[2]->body, "document", "uin"), "18210102010011000110");
  }
}

TEST_F(ClientBankWriterTest, OrdersThatCannotBeWrittenAreNamed) {
  PaymentOrderFileOptions options;
  std::string bytes, error;
  PaymentOrder snow = order("5", 100);
  snow.purpose = "Оплата ☃";
  EXPECT_FALSE(write_payment_order_file({order("4", 1), snow}, options, bytes, error));
  EXPECT_NE(error.find("payment order 5: 'Оплата ☃' cannot be written in cp1251"),
            std::string::npos)
      << error;
  PaymentOrder longer = order("6", 100);
  longer.purpose = std::string(200, 'x');
  EXPECT_FALSE(write_payment_order_file({longer}, options, bytes, error));
  EXPECT_NE(error.find("payment order 6: НазначениеПлатежа (purpose and VAT) has 230 characters"),
            std::string::npos)
      << error;
  options.encoding = Encoding::kKoi8r;
  EXPECT_FALSE(write_payment_order_file({order("7", 1)}, options, bytes, error));
}

TEST_F(ClientBankWriterTest, OutboxBatchesPerDayAndAccountIdempotentByMessageId) {
  PaymentOrderOutbox outbox({dir_, {}});
  const auto ok = plugin::DeliveryResult::Kind::kDelivered;
  const auto rejected = plugin::DeliveryResult::Kind::kRejected;
  const std::string id1 = "0190a1b2-0000-7000-8000-000000000001";
  const std::string id2 = "0190a1b2-0000-7000-8000-000000000002";
  EXPECT_EQ(outbox.deliver(envelope(order("319", 500), id2)).kind, ok);
  EXPECT_EQ(outbox.deliver(envelope(order("318", 20000000), id1)).kind, ok);
  const fs::path day = outbox.file_for("2026-11-21", "40702810900000012345");
  EXPECT_EQ(day.filename(), "1c_to_kl_20261121_40702810900000012345.txt");
  ASSERT_TRUE(fs::exists(day));
  const std::string first = read_bytes(day);
  // Redelivery of both: nothing written twice.
  EXPECT_EQ(outbox.deliver(envelope(order("318", 20000000), id1)).kind, ok);
  EXPECT_EQ(outbox.deliver(envelope(order("319", 500), id2)).kind, ok);
  EXPECT_EQ(read_bytes(day), first);
  auto r = read_back(day);
  ASSERT_TRUE(r.outcome.accepted);
  const auto lines = r.sink.of("bank_statement.line");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(element_in(lines[0]->body, "document", "number"), "318");  // sorted by number
  EXPECT_EQ(element_in(lines[1]->body, "document", "number"), "319");
  EXPECT_NE(first.find(to_encoding("Кодировка=Windows\r\n", Encoding::kCp1251)), std::string::npos);

  // Another day, another account: other files.
  EXPECT_EQ(outbox.deliver(envelope(order("1", 100, "2026-11-22"), "id-3")).kind, ok);
  PaymentOrder other = order("318", 700);
  other.payer.account = "40702810900000099999";
  EXPECT_EQ(outbox.deliver(envelope(other, "id-4")).kind, ok);
  EXPECT_TRUE(fs::exists(outbox.file_for("2026-11-22", "40702810900000012345")));
  EXPECT_TRUE(fs::exists(outbox.file_for("2026-11-21", "40702810900000099999")));
  EXPECT_EQ(read_bytes(day), first);

  // The same number twice for one account and day, under another message: refused.
  auto twice = outbox.deliver(envelope(order("318", 999), "id-5"));
  EXPECT_EQ(twice.kind, rejected);
  EXPECT_NE(twice.reason.find("number 318 of 2026-11-21 from account 40702810900000012345 was "
                              "already written for message " +
                              id1),
            std::string::npos)
      << twice.reason;
  // Not a payment order, not a valid body, not writable: refused, nothing stored.
  plugin::Envelope wrong = envelope(order("400", 1), "id-6");
  wrong.type = "payment.received";
  EXPECT_EQ(outbox.deliver(wrong).kind, rejected);
  wrong = envelope(order("401", 1), "id-7");
  wrong.body = "<x/>";
  EXPECT_EQ(outbox.deliver(wrong).kind, rejected);
  PaymentOrder snow = order("402", 1);
  snow.purpose = "☃";
  EXPECT_EQ(outbox.deliver(envelope(snow, "id-8")).kind, rejected);
  EXPECT_EQ(read_bytes(day), first);
}

TEST_F(ClientBankWriterTest, ATakenFileIsNeverOfferedAgain) {
  PaymentOrderOutbox outbox({dir_, {Encoding::kCp866, "zhkh-hub test", "", "", ""}});
  const auto ok = plugin::DeliveryResult::Kind::kDelivered;
  ASSERT_EQ(outbox.deliver(envelope(order("10", 100), "a")).kind, ok);
  const fs::path day = outbox.file_for("2026-11-21", "40702810900000012345");
  // The client-bank program takes the file away.
  fs::rename(day, dir_ / "taken.txt");
  ASSERT_EQ(outbox.deliver(envelope(order("11", 200), "b")).kind, ok);
  ASSERT_EQ(outbox.deliver(envelope(order("10", 100), "a")).kind, ok);  // redelivered: nothing
  EXPECT_FALSE(fs::exists(day));
  const fs::path next = outbox.file_for("2026-11-21", "40702810900000012345", 2);
  EXPECT_EQ(next.filename(), "1c_to_kl_20261121_40702810900000012345_2.txt");
  ASSERT_TRUE(fs::exists(next));
  auto r = read_back(next);
  ASSERT_TRUE(r.outcome.accepted);
  ASSERT_EQ(r.sink.of("bank_statement.line").size(), 1u);
  EXPECT_EQ(element_in(r.sink.of("bank_statement.line")[0]->body, "document", "number"), "11");
  EXPECT_NE(r.outcome.summary.find("\"encoding\":\"cp866\""), std::string::npos);
  // Numbers stay unique over the whole day, across files.
  EXPECT_EQ(outbox.deliver(envelope(order("10", 300), "c")).kind,
            plugin::DeliveryResult::Kind::kRejected);
}

}  // namespace
}  // namespace hub::bank
