#include "payments.h"

#include <stdexcept>

#include "../util.h"
#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

constexpr const char* kPaymentNs = "http://dom.gosuslugi.ru/schema/integration/payment/";
constexpr const char* kPaymentsBaseNs = "http://dom.gosuslugi.ru/schema/integration/payments-base/";
constexpr const char* kOrganizationsBaseNs =
    "http://dom.gosuslugi.ru/schema/integration/organizations-base/";
constexpr const char* kBillsBaseNs = "http://dom.gosuslugi.ru/schema/integration/bills-base/";

void pb(std::string& out, const char* tag, const std::string& v) {
  out += std::string("<pb:") + tag + ">";
  append_escaped(out, v);
  out += std::string("</pb:") + tag + ">";
}

void map_payment(std::string& out, xmlNodePtr p, const std::string& order_id, const Recipient& r,
                 const std::string& transport) {
  const auto amount = child_text(p, "amountKopecks");
  if (amount.empty() || amount[0] == '-' || amount == "0")
    throw std::invalid_argument("/c:paymentReceived/c:amountKopecks: GIS needs a positive amount");
  const auto paid = child_text(p, "paidAt");
  if (paid.size() < 10) throw std::invalid_argument("/c:paymentReceived/c:paidAt: missing");
  out += "<pm:NotificationOfOrderExecutionType><pb:RecipientInfo><ob:INN>" + escaped(r.inn) +
         "</ob:INN><pb:Legal><ob:KPP>" + escaped(r.kpp) + "</ob:KPP>";
  pb(out, "Name", r.name);
  out += "</pb:Legal><pb:PaymentInformation>";
  pb(out, "RecipientINN", r.inn);
  if (!r.kpp.empty()) pb(out, "RecipientKPP", r.kpp);
  pb(out, "BankName", r.bank_name);
  pb(out, "PaymentRecipient", r.name);
  pb(out, "BankBIK", r.bank_bik);
  pb(out, "operatingAccountNumber", r.account);
  if (!r.correspondent_account.empty())
    pb(out, "CorrespondentBankAccount", r.correspondent_account);
  out += "</pb:PaymentInformation></pb:RecipientInfo><pb:OrderInfo>";
  pb(out, "OrderID", order_id);
  pb(out, "OrderDate", paid.substr(0, 10));
  const auto tx = child_text(p, "transactionId");
  if (!tx.empty()) pb(out, "OrderNum", tx.substr(0, 9));
  pb(out, "Amount", amount);
  const auto ipd = child_text(p, "ipd");
  if (!ipd.empty()) out += "<bb:PaymentDocumentID>" + escaped(ipd) + "</bb:PaymentDocumentID>";
  const auto period = child_text(p, "period");
  if (period.size() == 7) {
    out += "<base:Year>" + period.substr(0, 4) + "</base:Year><base:Month>" +
           std::to_string(std::stoi(period.substr(5, 2))) + "</base:Month>";
  }
  const auto els = child_text(p, "els");
  if (!els.empty())
    out += "<ab:UnifiedAccountNumber>" + escaped(els) + "</ab:UnifiedAccountNumber>";
  const auto izhku = child_text(p, "izhku");
  if (!izhku.empty())
    out += "<pb:Service><ab:ServiceID>" + escaped(izhku) + "</ab:ServiceID></pb:Service>";
  const auto account = child_text(p, "account");
  if (!account.empty()) out += "<ab:AccountNumber>" + escaped(account) + "</ab:AccountNumber>";
  out += "</pb:OrderInfo><base:TransportGUID>" + transport +
         "</base:TransportGUID></pm:NotificationOfOrderExecutionType>";
}

}  // namespace

std::string Recipient::missing() const {
  std::string m;
  auto need = [&](const std::string& v, const char* key) {
    if (v.empty()) m += (m.empty() ? "" : ", ") + std::string(key);
  };
  need(inn, "recipient_inn");
  need(name, "recipient_name");
  need(bank_name, "bank_name");
  need(bank_bik, "bank_bik");
  need(account, "bank_account");
  return m;
}

BuiltRequest build_import_notifications(const std::vector<PaymentInput>& payments,
                                        const Recipient& recipient, std::vector<Refused>& refused) {
  BuiltRequest req{"importNotificationsOfOrderExecution",
                   "payment",
                   "importNotificationsOfOrderExecutionRequest",
                   kPaymentNs,
                   "10.0.1.1",
                   {},
                   {}};
  req.body = std::string("<pm:importNotificationsOfOrderExecutionRequest xmlns:pm=\"") +
             kPaymentNs + "\" xmlns:pb=\"" + kPaymentsBaseNs + "\" xmlns:ob=\"" +
             kOrganizationsBaseNs + "\" xmlns:bb=\"" + kBillsBaseNs + "\" xmlns:ab=\"" +
             kAccountBaseNs + "\" xmlns:base=\"" + kBaseNs +
             "\" Id=\"signed-data-container\" base:version=\"10.0.1.1\">";
  const auto missing = recipient.missing();
  for (const auto& in : payments) {
    if (!missing.empty()) {
      refused.push_back({in.message_id, "config keys not set: " + missing});
      continue;
    }
    std::string one;
    const auto transport = new_guid();
    std::string order_id;
    for (char c : in.message_id)
      if (c != '-') order_id += c;
    try {
      if (order_id.size() != 32) throw std::invalid_argument("message id is not a UUID");
      auto doc = parse_xml(in.body, "payment " + in.message_id);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      if (local_name(root) != "paymentReceived")
        throw std::invalid_argument("/" + local_name(root) + ": not a payment.received body");
      map_payment(one, root, order_id, recipient, transport);
    } catch (const std::exception& e) {
      refused.push_back({in.message_id, e.what()});
      continue;
    }
    req.body += one;
    req.objects.push_back({transport, "payment", in.message_id, {}});
  }
  req.body += "</pm:importNotificationsOfOrderExecutionRequest>";
  return req;
}

}  // namespace hub::adapters::gis_zhkh
