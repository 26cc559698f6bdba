// hub::bank encodings: names, exact code-page bytes, round trips over every byte, sniffing of
// real-looking 1C text in each code page with right, wrong and missing declarations.
#include "encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace hub::bank {
namespace {

std::string encode(std::string_view utf8, Encoding e) {
  std::string out;
  EXPECT_TRUE(encode_from_utf8(utf8, e, out)) << name_of(e);
  return out;
}

std::string decode(std::string_view bytes, Encoding e) {
  std::string out;
  EXPECT_TRUE(decode_to_utf8(bytes, e, out)) << name_of(e);
  return out;
}

constexpr std::string_view kStatement =
    "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\n"
    "Отправитель=Бухгалтерия предприятия\r\nСекцияДокумент=Платежное поручение\r\n"
    "Плательщик=Иванова Мария Петровна\r\nПолучатель=ООО \"Управляющая компания Уютный дом\"\r\n"
    "НазначениеПлатежа=Оплата за жилищно-коммунальные услуги за ноябрь 2026, лицевой счёт "
    "№ 100234. Без НДС\r\nКонецДокумента\r\nКонецФайла\r\n";

TEST(EncodingNames, AcceptsTheUsualSpellingsCaseInsensitively) {
  EXPECT_EQ(encoding_from_name("cp1251"), Encoding::kCp1251);
  EXPECT_EQ(encoding_from_name("Windows-1251"), Encoding::kCp1251);
  EXPECT_EQ(encoding_from_name("WINDOWS"), Encoding::kCp1251);
  EXPECT_EQ(encoding_from_name("cp866"), Encoding::kCp866);
  EXPECT_EQ(encoding_from_name("IBM866"), Encoding::kCp866);
  EXPECT_EQ(encoding_from_name("DOS"), Encoding::kCp866);
  EXPECT_EQ(encoding_from_name("koi8-r"), Encoding::kKoi8r);
  EXPECT_EQ(encoding_from_name("KOI8-R"), Encoding::kKoi8r);
  EXPECT_EQ(encoding_from_name("utf-8"), Encoding::kUtf8);
  EXPECT_EQ(encoding_from_name(" UTF8 "), Encoding::kUtf8);
  EXPECT_EQ(encoding_from_name("latin1"), std::nullopt);
  EXPECT_EQ(encoding_from_name(""), std::nullopt);
  for (Encoding e : {Encoding::kUtf8, Encoding::kCp1251, Encoding::kCp866, Encoding::kKoi8r}) {
    EXPECT_EQ(encoding_from_name(name_of(e)), e);
  }
}

TEST(EncodingConvert, ProducesTheCodePageBytes) {
  EXPECT_EQ(encode("Привет, ёЁ №", Encoding::kCp1251), "\xCF\xF0\xE8\xE2\xE5\xF2, \xB8\xA8 \xB9");
  EXPECT_EQ(encode("Привет, ёЁ №", Encoding::kCp866), "\x8F\xE0\xA8\xA2\xA5\xE2, \xF1\xF0 \xFC");
  EXPECT_EQ(encode("Привет, ёЁ", Encoding::kKoi8r), "\xF0\xD2\xC9\xD7\xC5\xD4, \xA3\xB3");
  EXPECT_EQ(decode("\xCF\xF0\xE8\xE2\xE5\xF2", Encoding::kCp1251), "Привет");
  EXPECT_EQ(decode("\x8F\xE0\xA8\xA2\xA5\xE2", Encoding::kCp866), "Привет");
  EXPECT_EQ(decode("\xF0\xD2\xC9\xD7\xC5\xD4", Encoding::kKoi8r), "Привет");
}

TEST(EncodingConvert, AppendsToWhatIsThere) {
  std::string out = "a=";
  ASSERT_TRUE(decode_to_utf8("\xC4\xE0", Encoding::kCp1251, out));
  EXPECT_EQ(out, "a=Да");
  ASSERT_TRUE(encode_from_utf8("Нет", Encoding::kCp866, out));
  EXPECT_EQ(out, "a=Да\x8D\xA5\xE2");
}

TEST(EncodingConvert, EveryByteOfEverySingleByteCodePageRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (Encoding e : {Encoding::kCp1251, Encoding::kCp866, Encoding::kKoi8r}) {
    const std::string utf8 = decode(all, e);
    EXPECT_TRUE(is_valid_utf8(utf8));
    EXPECT_EQ(encode(utf8, e), all) << name_of(e);
  }
}

TEST(EncodingConvert, UnrepresentableCharacterFailsAndLeavesOutputAlone) {
  std::string out = "keep";
  EXPECT_FALSE(encode_from_utf8("Цена 5 €uro ☃", Encoding::kCp866, out));  // no € in cp866
  EXPECT_EQ(out, "keep");
  EXPECT_FALSE(encode_from_utf8("№", Encoding::kKoi8r, out));  // KOI8-R has no №
  EXPECT_EQ(out, "keep");
  EXPECT_FALSE(encode_from_utf8("日本", Encoding::kCp1251, out));
  EXPECT_TRUE(encode_from_utf8("5 €", Encoding::kCp1251, out));
  EXPECT_EQ(out, "keep5 \x88");
}

TEST(EncodingConvert, InvalidUtf8IsRefused) {
  std::string out = "x";
  EXPECT_FALSE(decode_to_utf8("ok \xCF\xF0", Encoding::kUtf8, out));       // cp1251 bytes
  EXPECT_FALSE(decode_to_utf8("\xC0\xAF", Encoding::kUtf8, out));          // overlong '/'
  EXPECT_FALSE(decode_to_utf8("\xED\xA0\x80", Encoding::kUtf8, out));      // surrogate
  EXPECT_FALSE(decode_to_utf8("\xF4\x90\x80\x80", Encoding::kUtf8, out));  // > U+10FFFF
  EXPECT_FALSE(decode_to_utf8("\xD0", Encoding::kUtf8, out));              // truncated
  EXPECT_FALSE(encode_from_utf8("\xFF", Encoding::kCp1251, out));
  EXPECT_EQ(out, "x");
  EXPECT_TRUE(decode_to_utf8("Да", Encoding::kUtf8, out));
  EXPECT_EQ(out, "xДа");
  EXPECT_TRUE(is_valid_utf8("Д\xD0", /*allow_truncated_tail=*/true));
  EXPECT_FALSE(is_valid_utf8("Д\xD0", false));
  EXPECT_FALSE(is_valid_utf8("\xD0x", true));
}

TEST(EncodingSniff, ValidUtf8WinsOverADeclaredCodePage) {
  // The public 1C samples declare Кодировка=Windows and are UTF-8 on disk.
  EXPECT_EQ(sniff_encoding(kStatement, Encoding::kCp1251), Encoding::kUtf8);
  EXPECT_EQ(sniff_encoding(kStatement, std::nullopt), Encoding::kUtf8);
  // A sample cut in the middle of a two-byte letter is still UTF-8.
  const std::string cut(kStatement.substr(0, kStatement.find("Отправитель") + 1));
  EXPECT_EQ(sniff_encoding(cut, Encoding::kCp866), Encoding::kUtf8);
}

TEST(EncodingSniff, Utf8WithADamagedLineIsStillUtf8) {
  std::string text(kStatement);
  text += encode("Плательщик=Петров\r\n", Encoding::kCp1251);
  EXPECT_FALSE(is_valid_utf8(text));
  EXPECT_EQ(sniff_encoding(text, Encoding::kCp1251), Encoding::kUtf8);
  // Real cp1251 text is not mistaken for it.
  EXPECT_EQ(sniff_encoding(encode(kStatement, Encoding::kCp1251), std::nullopt), Encoding::kCp1251);
}

TEST(EncodingSniff, FindsEachCodePageWithoutADeclaration) {
  for (Encoding e : {Encoding::kCp1251, Encoding::kCp866, Encoding::kKoi8r}) {
    std::string text(kStatement);
    text.erase(text.find("№"), std::string_view("№").size());  // not in KOI8-R
    const std::string bytes = encode(text, e);
    EXPECT_EQ(sniff_encoding(bytes, std::nullopt), e) << name_of(e);
  }
}

TEST(EncodingSniff, AWrongDeclarationIsOverruled) {
  std::string text(kStatement);
  text.erase(text.find("№"), std::string_view("№").size());
  const std::string cp866 = encode(text, Encoding::kCp866);
  const std::string cp1251 = encode(text, Encoding::kCp1251);
  const std::string koi8 = encode(text, Encoding::kKoi8r);
  EXPECT_EQ(sniff_encoding(cp866, Encoding::kCp1251), Encoding::kCp866);
  EXPECT_EQ(sniff_encoding(cp1251, Encoding::kCp866), Encoding::kCp1251);
  EXPECT_EQ(sniff_encoding(cp1251, Encoding::kKoi8r), Encoding::kCp1251);
  EXPECT_EQ(sniff_encoding(koi8, Encoding::kCp1251), Encoding::kKoi8r);
  EXPECT_EQ(sniff_encoding(cp1251, Encoding::kUtf8), Encoding::kCp1251);  // not valid UTF-8
}

TEST(EncodingSniff, ACorrectDeclarationIsKeptOnShortSamples) {
  // Two letters say little; the header's word is taken when it reads as letters at all.
  EXPECT_EQ(sniff_encoding(encode("Да", Encoding::kCp1251), Encoding::kCp1251), Encoding::kCp1251);
  EXPECT_EQ(sniff_encoding(encode("Да", Encoding::kCp866), Encoding::kCp866), Encoding::kCp866);
  EXPECT_EQ(sniff_encoding(encode("Да", Encoding::kKoi8r), Encoding::kKoi8r), Encoding::kKoi8r);
  EXPECT_EQ(sniff_encoding(encode("Кодировка=DOS", Encoding::kCp866), Encoding::kCp866),
            Encoding::kCp866);
}

TEST(EncodingSniff, PureAsciiTakesTheDeclarationOrUtf8) {
  EXPECT_EQ(sniff_encoding("1CClientBankExchange\r\n", Encoding::kCp866), Encoding::kCp866);
  EXPECT_EQ(sniff_encoding("1CClientBankExchange\r\n", std::nullopt), Encoding::kUtf8);
  EXPECT_EQ(sniff_encoding("", Encoding::kKoi8r), Encoding::kKoi8r);
}

}  // namespace
}  // namespace hub::bank
