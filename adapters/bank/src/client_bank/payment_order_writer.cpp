#include "client_bank/payment_order_writer.h"

#include <algorithm>
#include <set>

#include "client_bank/exchange_values.h"
#include "client_bank/text_utf8.h"

namespace hub::bank {
namespace {

class Lines {
 public:
  void add(std::string_view key, std::string_view value) {
    text_ += key;
    text_ += '=';
    text_ += value;
    text_ += "\r\n";
  }
  void marker(std::string_view m) {
    text_ += m;
    text_ += "\r\n";
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

void party(Lines& l, const std::string& who, const PaymentOrderParty& p) {
  l.add(who + "Счет", p.account);
  if (who == "Плательщик") l.add("ДатаСписано", "");
  if (who == "Получатель") l.add("ДатаПоступило", "");
  l.add(who, p.name);
  l.add(who + "ИНН", p.inn.empty() ? "0" : p.inn);
  l.add(who + "КПП", p.kpp);
  l.add(who + "1", p.name);
  l.add(who + "РасчСчет", p.account);
  l.add(who + "Банк1", p.bank.name);
  l.add(who + "Банк2", p.bank.city);
  l.add(who + "БИК", p.bank.bik);
  l.add(who + "Корсчет", p.bank.correspondent_account);
}

bool one_line(const PaymentOrder& o, std::string& error) {
  for (const std::string* v :
       {&o.number, &o.payer.name, &o.payee.name, &o.purpose, &o.vat, &o.payer.bank.name,
        &o.payee.bank.name, &o.payer.bank.city, &o.payee.bank.city, &o.uin}) {
    if (v->find_first_of("\r\n") != std::string::npos) {
      error = "payment order " + o.number + ": a value contains a line break";
      return false;
    }
  }
  return true;
}

}  // namespace

bool write_payment_order_file(const std::vector<PaymentOrder>& orders,
                              const PaymentOrderFileOptions& options, std::string& out,
                              std::string& error) {
  const char* declared = options.encoding == Encoding::kCp1251  ? "Windows"
                         : options.encoding == Encoding::kCp866 ? "DOS"
                         : options.encoding == Encoding::kUtf8  ? "UTF-8"
                                                                : nullptr;
  if (!declared) {
    error = std::string("payment orders cannot be written in ") +
            std::string(name_of(options.encoding)) + ": Кодировка allows Windows or DOS";
    return false;
  }
  std::set<std::string> accounts;
  std::string first, last;
  for (const auto& o : orders) {
    accounts.insert(o.payer.account);
    if (first.empty() || o.date < first) first = o.date;
    if (last.empty() || o.date > last) last = o.date;
  }
  Lines l;
  l.marker("1CClientBankExchange");
  l.add("ВерсияФормата", "1.03");
  l.add("Кодировка", declared);
  l.add("Отправитель", options.sender);
  l.add("Получатель", options.receiver);
  l.add("ДатаСоздания", format_exchange_date(options.created_date));
  l.add("ВремяСоздания", options.created_time);
  l.add("ДатаНачала", format_exchange_date(first));
  l.add("ДатаКонца", format_exchange_date(last));
  for (const auto& a : accounts) l.add("РасчСчет", a);
  l.add("Документ", "Платежное поручение");
  for (const auto& o : orders) {
    if (!one_line(o, error)) return false;
    const std::string purpose = o.full_purpose();
    if (to_utf32(purpose).size() > kPurposeMaxChars) {
      error = "payment order " + o.number + ": НазначениеПлатежа (purpose and VAT) has " +
              std::to_string(to_utf32(purpose).size()) + " characters, at most " +
              std::to_string(kPurposeMaxChars);
      return false;
    }
    l.marker("СекцияДокумент=Платежное поручение");
    l.add("Номер", o.number);
    l.add("Дата", format_exchange_date(o.date));
    l.add("Сумма", format_exchange_amount(o.amount_kopecks));
    party(l, "Плательщик", o.payer);
    party(l, "Получатель", o.payee);
    l.add("ВидПлатежа", "Электронно");
    l.add("ВидОплаты", "01");
    l.add("Код", o.uin.empty() ? "0" : o.uin);
    l.add("НазначениеПлатежа", purpose);
    l.add("Очередность", std::to_string(o.priority));
    l.marker("КонецДокумента");
  }
  l.marker("КонецФайла");
  std::string encoded;
  if (!encode_from_utf8(l.text(), options.encoding, encoded)) {
    // Name the first order whose text the code page cannot hold.
    for (const auto& o : orders) {
      std::string probe;
      for (const std::string* v : {&o.payer.name, &o.payee.name, &o.purpose, &o.vat,
                                   &o.payer.bank.name, &o.payee.bank.name}) {
        if (!encode_from_utf8(*v, options.encoding, probe)) {
          error = "payment order " + o.number + ": '" + *v + "' cannot be written in " +
                  std::string(name_of(options.encoding));
          return false;
        }
      }
    }
    error = "the header cannot be written in " + std::string(name_of(options.encoding));
    return false;
  }
  out = std::move(encoded);
  return true;
}

}  // namespace hub::bank
