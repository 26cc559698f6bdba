#pragma once
// Writes payment orders as a 1CClientBankExchange file (format 1.03, one
// `СекцияДокумент=Платежное поручение` per order), the file client-bank programs import.
// Windows (cp1251) unless told otherwise; CRLF line ends; the header lists every payer account
// and the interval of the orders' dates. bank.client_bank reads such a file back.

#include <string>
#include <vector>

#include "client_bank/payment_order.h"
#include "encoding.h"

namespace hub::bank {

struct PaymentOrderFileOptions {
  Encoding encoding = Encoding::kCp1251;  ///< kCp1251 (Кодировка=Windows) or kCp866 (DOS)
  std::string sender = "zhkh-hub";        ///< Отправитель
  std::string receiver;      ///< Получатель (the client-bank program), may be empty
  std::string created_date;  ///< ISO; ДатаСоздания
  std::string created_time;  ///< hh:mm:ss; ВремяСоздания
};

/// НазначениеПлатежа (purpose + VAT clause) holds at most this many characters (field 24).
inline constexpr std::size_t kPurposeMaxChars = 210;

/// The file for `orders` (encoded bytes) in `out`. False with `error` naming the order number and
/// the field when an order cannot be written: a text the code page cannot represent, a purpose
/// over 210 characters, a line break in a value, or an encoding other than cp1251/cp866/utf-8.
bool write_payment_order_file(const std::vector<PaymentOrder>& orders,
                              const PaymentOrderFileOptions& options, std::string& out,
                              std::string& error);

}  // namespace hub::bank
