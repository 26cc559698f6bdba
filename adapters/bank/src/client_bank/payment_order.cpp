#include "client_bank/payment_order.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>
#include <memory>

#include "client_bank/xml_builder.h"

namespace hub::bank {
namespace {

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

bool is(const xmlNode* n, const char* local) {
  return n && n->type == XML_ELEMENT_NODE &&
         std::strcmp(reinterpret_cast<const char*>(n->name), local) == 0 && n->ns &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), kCanonicalNs) == 0;
}

const xmlNode* child(const xmlNode* parent, const char* local) {
  if (!parent) return nullptr;
  for (const xmlNode* c = parent->children; c; c = c->next) {
    if (is(c, local)) return c;
  }
  return nullptr;
}

std::string text(const xmlNode* n) {
  if (!n) return {};
  xmlChar* t = xmlNodeGetContent(n);
  std::string s = t ? reinterpret_cast<const char*>(t) : "";
  xmlFree(t);
  return s;
}

std::string text_of(const xmlNode* parent, const char* local) {
  return text(child(parent, local));
}

PaymentOrderParty party(const xmlNode* n) {
  PaymentOrderParty p;
  p.name = text_of(n, "name");
  p.inn = text_of(n, "inn");
  p.kpp = text_of(n, "kpp");
  p.account = text_of(n, "account");
  const xmlNode* b = child(n, "bank");
  p.bank.name = text_of(b, "name");
  p.bank.city = text_of(b, "city");
  p.bank.bik = text_of(b, "bik");
  p.bank.correspondent_account = text_of(b, "correspondentAccount");
  return p;
}

void party_xml(XmlBuilder& x, const char* element, const PaymentOrderParty& p) {
  x.open(element);
  x.leaf("name", p.name);
  x.leaf_if("inn", p.inn);
  x.leaf_if("kpp", p.kpp);
  x.leaf("account", p.account);
  x.open("bank");
  x.leaf("name", p.bank.name);
  x.leaf_if("city", p.bank.city);
  x.leaf("bik", p.bank.bik);
  x.leaf_if("correspondentAccount", p.bank.correspondent_account);
  x.close("bank");
  x.close(element);
}

}  // namespace

std::optional<PaymentOrder> parse_payment_order(std::string_view xml, std::string& error) {
  std::unique_ptr<xmlDoc, DocFree> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "payment_order.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) {
    error = "body is not well-formed XML";
    return std::nullopt;
  }
  if (doc->intSubset || doc->extSubset) {
    error = "body has a DOCTYPE";
    return std::nullopt;
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!is(root, "paymentOrderRequested")) {
    error = "root is not {" + std::string(kCanonicalNs) + "}paymentOrderRequested";
    return std::nullopt;
  }
  PaymentOrder o;
  o.number = text_of(root, "number");
  o.date = text_of(root, "date");
  const std::string amount = text_of(root, "amountKopecks");
  try {
    std::size_t used = 0;
    o.amount_kopecks = std::stoll(amount, &used);
    if (used != amount.size()) o.amount_kopecks = 0;
  } catch (const std::exception&) {
    o.amount_kopecks = 0;
  }
  o.kind = text_of(root, "kind");
  o.payer = party(child(root, "payer"));
  o.payee = party(child(root, "payee"));
  o.purpose = text_of(root, "purpose");
  o.vat = text_of(root, "vat");
  const std::string priority = text_of(root, "priority");
  if (!priority.empty()) o.priority = priority[0] - '0';
  o.uin = text_of(root, "uin");
  o.reference = text_of(root, "reference");

  struct Need {
    const std::string& value;
    const char* xpath;
  };
  for (const Need& n : {Need{o.number, "number"}, Need{o.date, "date"},
                        Need{o.payer.account, "payer/account"}, Need{o.payer.name, "payer/name"},
                        Need{o.payer.inn, "payer/inn"}, Need{o.payer.bank.bik, "payer/bank/bik"},
                        Need{o.payee.account, "payee/account"}, Need{o.payee.name, "payee/name"},
                        Need{o.payee.bank.bik, "payee/bank/bik"}, Need{o.purpose, "purpose"}}) {
    if (n.value.empty()) {
      error = std::string("/c:paymentOrderRequested/c:") + n.xpath + " is missing or empty";
      return std::nullopt;
    }
  }
  if (o.date.size() != 10 || o.date[4] != '-' || o.date[7] != '-') {
    error = "/c:paymentOrderRequested/c:date '" + o.date + "' is not YYYY-MM-DD";
    return std::nullopt;
  }
  if (o.amount_kopecks <= 0) {
    error = "/c:paymentOrderRequested/c:amountKopecks '" + amount + "' is not a positive integer";
    return std::nullopt;
  }
  if (o.priority < 1 || o.priority > 5) {
    error = "/c:paymentOrderRequested/c:priority '" + priority + "' is not 1-5";
    return std::nullopt;
  }
  return o;
}

std::string payment_order_xml(const PaymentOrder& o) {
  XmlBuilder x("paymentOrderRequested");
  x.leaf("number", o.number);
  x.leaf("date", o.date);
  x.leaf("amountKopecks", std::to_string(o.amount_kopecks));
  x.leaf_if("kind", o.kind);
  party_xml(x, "payer", o.payer);
  party_xml(x, "payee", o.payee);
  x.leaf("purpose", o.purpose);
  x.leaf_if("vat", o.vat);
  x.leaf("priority", std::to_string(o.priority));
  x.leaf_if("uin", o.uin);
  x.leaf_if("reference", o.reference);
  return x.finish();
}

}  // namespace hub::bank
