#pragma once
// A payment order to write (payment_order.requested), read from its canonical body. The body was
// validated by Ingress against payment_order_requested.xsd before it reached the sink, so this
// reader only maps elements; it still refuses anything it cannot use, naming the element.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hub::bank {

struct PaymentOrderBank {
  std::string name, city, bik, correspondent_account;
};

struct PaymentOrderParty {
  std::string name, inn, kpp, account;
  PaymentOrderBank bank;
};

struct PaymentOrder {
  std::string number;
  std::string date;  ///< ISO
  std::int64_t amount_kopecks = 0;
  std::string kind;  ///< supplier, third_party, tax, other, or empty
  PaymentOrderParty payer, payee;
  std::string purpose, vat;
  int priority = 5;
  std::string uin, reference;

  /// НазначениеПлатежа as written: the purpose, then the VAT clause.
  std::string full_purpose() const { return vat.empty() ? purpose : purpose + ". " + vat; }
};

/// Parses a paymentOrderRequested body (any namespace prefix). nullopt with `error` naming the
/// element when it is not one or lacks what a payment order needs. Hardened: no network, no
/// entity expansion, no DTD.
std::optional<PaymentOrder> parse_payment_order(std::string_view xml, std::string& error);

/// The canonical body of `order` (the inverse of parse_payment_order).
std::string payment_order_xml(const PaymentOrder& order);

}  // namespace hub::bank
