#include "payments.h"

#include <cstdint>
#include <cstdio>
#include <set>
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

// The first `max` characters (code points) of UTF-8 text: XSD lengths count characters.
std::string utf8_prefix(const std::string& s, std::size_t max) {
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max) break;
  }
  return s.substr(0, i);
}

std::string key_of(xmlNodePtr root) {
  return payment_key(child_text(child(root, "agent"), "code"), child_text(root, "transactionId"),
                     child_text(root, "registryRef"));
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

std::string payment_key(const std::string& agent_code, const std::string& transaction_id,
                        const std::string& registry_ref) {
  return agent_code + ":" +
         (transaction_id.empty() ? "reg:" + registry_ref : "tx:" + transaction_id);
}

std::string order_id(const std::string& key) {
  // Two FNV-1a passes with different offsets: 128 bits, enough to keep distinct payments apart
  // (the key is not adversarial: it comes from our own journal).
  auto fnv = [&](std::uint64_t h) {
    for (unsigned char c : key) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    return h;
  };
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(fnv(0xcbf29ce484222325ULL)),
                static_cast<unsigned long long>(fnv(0x84222325cbf29ce4ULL)));
  return buf;
}

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
    try {
      auto doc = parse_xml(in.body, "payment " + in.message_id);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      if (local_name(root) != "paymentReceived")
        throw std::invalid_argument("/" + local_name(root) + ": not a payment.received body");
      map_payment(one, root, order_id(key_of(root)), recipient, transport);
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

BuiltRequest build_import_cancellations(const std::vector<CancellationInput>& cancellations,
                                        std::vector<Refused>& refused) {
  BuiltRequest req{"importNotificationsOfOrderExecutionCancellation",
                   "payment",
                   "importNotificationsOfOrderExecutionCancellationRequest",
                   kPaymentNs,
                   "10.0.1.1",
                   {},
                   {}};
  req.body = std::string("<pm:importNotificationsOfOrderExecutionCancellationRequest xmlns:pm=\"") +
             kPaymentNs + "\" xmlns:pb=\"" + kPaymentsBaseNs + "\" xmlns:base=\"" + kBaseNs +
             "\" Id=\"signed-data-container\" base:version=\"10.0.1.1\">";
  std::set<std::string> orders;  // the request's OrderIDs are a key: one cancellation each
  for (const auto& in : cancellations) {
    std::string one, key;
    const auto transport = new_guid();
    try {
      auto doc = parse_xml(in.body, "cancellation " + in.message_id);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      if (local_name(root) != "paymentCancelled")
        throw std::invalid_argument("/" + local_name(root) + ": not a payment.cancelled body");
      const auto on = child_text(root, "cancelledOn");
      if (on.size() < 10) throw std::invalid_argument("/c:paymentCancelled/c:cancelledOn: missing");
      key = key_of(root);
      const auto order = order_id(key);
      if (!orders.insert(order).second) {
        throw std::invalid_argument("/c:paymentCancelled/c:transactionId: payment " + key +
                                    " is cancelled twice in one request");
      }
      one += "<pm:NotificationOfOrderExecutionCancellation>";
      pb(one, "OrderID", order);
      pb(one, "CancellationDate", on.substr(0, 10));
      const auto reason = child_text(root, "reason");
      if (!reason.empty()) pb(one, "Comment", utf8_prefix(reason, 210));
      one += "<base:TransportGUID>" + transport +
             "</base:TransportGUID></pm:NotificationOfOrderExecutionCancellation>";
    } catch (const std::exception& e) {
      refused.push_back({in.message_id, e.what()});
      continue;
    }
    req.body += one;
    req.objects.push_back({transport, "payment_cancellation", key, {}});
  }
  req.body += "</pm:importNotificationsOfOrderExecutionCancellationRequest>";
  return req;
}

}  // namespace hub::adapters::gis_zhkh
