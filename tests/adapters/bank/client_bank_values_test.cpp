// 1CClientBankExchange values (amounts, dates) and what a payment's purpose says about the payer
// (personal account, ЕЛС, ИЖКУ, ИПД) and the month paid for.
#include <gtest/gtest.h>

#include "client_bank/exchange_values.h"
#include "client_bank/payer_reference.h"

namespace hub::bank {
namespace {

TEST(ClientBankValues, AmountsAreKopecksWithoutFloatingPoint) {
  EXPECT_EQ(parse_exchange_amount("10.10"), 1010);
  EXPECT_EQ(parse_exchange_amount("0.01"), 1);
  EXPECT_EQ(parse_exchange_amount("1234.5"), 123450);
  EXPECT_EQ(parse_exchange_amount("100"), 10000);
  EXPECT_EQ(parse_exchange_amount("2345,67"), 234567);
  EXPECT_EQ(parse_exchange_amount("999999999999999.99"), 99999999999999999);
  EXPECT_EQ(parse_exchange_amount("-5.00"), std::nullopt);
  EXPECT_EQ(parse_exchange_amount("-5.00", true), -500);
  for (const char* bad : {"", ".5", "1.", "1.234", "1 000.00", "12a", "1e3", "1234567890123456"}) {
    EXPECT_EQ(parse_exchange_amount(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(format_exchange_amount(1010), "10.10");
  EXPECT_EQ(format_exchange_amount(1), "0.01");
  EXPECT_EQ(format_exchange_amount(20000000), "200000.00");
  EXPECT_EQ(format_exchange_amount(-150), "-1.50");
}

TEST(ClientBankValues, DatesMustExist) {
  EXPECT_EQ(parse_exchange_date("20.08.2021"), "2021-08-20");
  EXPECT_EQ(parse_exchange_date("29.02.2024"), "2024-02-29");
  for (const char* bad : {"29.02.2023", "31.04.2026", "00.01.2026", "1.1.2026", "2026-01-01", ""}) {
    EXPECT_EQ(parse_exchange_date(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(format_exchange_date("2026-11-21"), "21.11.2026");
}

std::string ref(std::string_view purpose, PayerReference::Kind* kind = nullptr) {
  auto r = find_payer_reference(purpose);
  if (!r) return "-";
  if (kind) *kind = r->kind;
  return std::string(element_of(r->kind)) + ":" + r->value;
}

TEST(ClientBankPayerReference, PersonalAccountAfterItsKeyword) {
  EXPECT_EQ(ref("Оплата ЖКУ за октябрь 2026 г. л/с 100234, Гагарина 15-12А. Без НДС"),
            "account:100234");
  EXPECT_EQ(ref("ОПЛАТА ПО Л/С №100234 ЗА 10.2026"), "account:100234");
  EXPECT_EQ(ref("Квартплата лицевой счёт: 77-0012/3"), "account:77-0012/3");
  EXPECT_EQ(ref("Оплата по лицевому счету N 5501. НДС не облагается"), "account:5501");
  EXPECT_EQ(ref("ЛС 000123;ФИО Иванов"), "account:000123");
  EXPECT_EQ(ref("кап.ремонт лиц.сч. 4410"), "account:4410");
  // No number after the keyword, or a keyword inside a word: nothing.
  EXPECT_EQ(ref("Оплата по лицевому счету. Без НДС"), "-");
  EXPECT_EQ(ref("Услуги ООО ЛСК за ноябрь"), "-");
  // Two different accounts: none is taken; the same one twice is fine.
  std::string several;
  EXPECT_EQ(find_payer_reference("л/с 100234 и л/с 100235", &several), std::nullopt);
  EXPECT_EQ(several, "100234, 100235");
  EXPECT_EQ(ref("л/с 100234 (л/с 100234)"), "account:100234");
  // 20 digits after the keyword are a bank account, not a personal one.
  EXPECT_EQ(ref("по реестру, л/с 40702810900000012345"), "-");
}

TEST(ClientBankPayerReference, GisIdentifiers) {
  EXPECT_EQ(ref("///ЖКУ34АА011432-01///ИПД;оплата за ноябрь 2026"), "izhku:34АА011432-01");
  EXPECT_EQ(ref("Оплата по ИПД 34АА011432-01-2611"), "ipd:34АА011432-01-2611");
  EXPECT_EQ(ref("ЕЛС 7500533315 оплата ЖКУ"), "els:7500533315");
  EXPECT_EQ(ref("оплата 75da533315-01"), "izhku:75DA533315-01");  // upper-cased
  EXPECT_EQ(ref("единый лицевой счет 34АА011432"), "els:34АА011432");
  EXPECT_EQ(ref("плательщик 34АА011432"), "els:34АА011432");  // letters make it unmistakable
  // A bare 10-digit number is as likely an ИНН; 20 digits are a bank account.
  EXPECT_EQ(ref("ИНН 7707049388 оплата по счету 15"), "-");
  EXPECT_EQ(ref("на счет 40702810900000064381"), "-");
  // The explicit personal account wins over a GIS id in the same purpose.
  EXPECT_EQ(ref("ЕЛС 34АА011432 л/с 100234"), "account:100234");
  // The most specific GIS id wins.
  EXPECT_EQ(ref("ЕЛС 34АА011432, ИЖКУ 34АА011432-02"), "izhku:34АА011432-02");
}

TEST(ClientBankPayerReference, PeriodFromThePurpose) {
  EXPECT_EQ(find_period("Оплата ЖКУ за октябрь 2026 г. л/с 100234"), "2026-10");
  EXPECT_EQ(find_period("за ноября 2026г."), "2026-11");
  EXPECT_EQ(find_period("ОПЛАТА ЗА МАЙ 2026"), "2026-05");
  EXPECT_EQ(find_period("л/с 100234 период 11.2026"), "2026-11");
  EXPECT_EQ(find_period("л/с 100234 за 03/2026"), "2026-03");
  // A date is not a period; nothing named: nullopt.
  EXPECT_EQ(find_period("по договору от 21.06.2021"), std::nullopt);
  EXPECT_EQ(find_period("Оплата ЖКУ л/с 100234"), std::nullopt);
  EXPECT_EQ(find_period("за 13.2026"), std::nullopt);
  EXPECT_EQ(find_period("Май месяц"), std::nullopt);
}

}  // namespace
}  // namespace hub::bank
