#include "client_bank/statement_messages.h"

#include <chrono>

#include "client_bank/payer_reference.h"
#include "client_bank/text_utf8.h"
#include "client_bank/xml_builder.h"

namespace hub::bank {
namespace {

std::chrono::system_clock::time_point at_midnight_utc(const std::string& iso) {
  const int y = std::stoi(iso.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(iso.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(iso.substr(8, 2)));
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d));
}

void party_xml(XmlBuilder& x, const char* element, const StatementParty& p) {
  x.open(element);
  x.leaf_if("name", p.name);
  x.leaf_if("inn", p.inn);
  x.leaf_if("kpp", p.kpp);
  x.leaf_if("account", p.account);
  if (!p.bank_name.empty() || !p.bank_city.empty() || !p.bik.empty() ||
      !p.correspondent_account.empty()) {
    x.open("bank");
    x.leaf_if("name", p.bank_name);
    x.leaf_if("city", p.bank_city);
    x.leaf_if("bik", p.bik);
    x.leaf_if("correspondentAccount", p.correspondent_account);
    x.close("bank");
  }
  x.close(element);
}

void source_xml(XmlBuilder& x, const StatementSourceInfo& s, std::int64_t line) {
  x.open("source");
  x.leaf("fileName", utf8_prefix(s.file_name.empty() ? "statement" : s.file_name, 255));
  x.leaf("line", std::to_string(line < 1 ? 1 : line));
  // Code: the version as written when it fits, e.g. 1.03.
  bool code = !s.format_version.empty() && s.format_version.size() <= 64;
  for (char c : s.format_version) {
    code = code && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '.' || c == '_' || c == '-');
  }
  if (code) x.leaf("formatVersion", s.format_version);
  x.leaf_if("encoding", s.encoding);
  x.close("source");
}

std::string key_tail(const StatementLine& l) {
  const StatementParty& other = l.counterparty();
  const std::string who = !other.account.empty() ? other.account
                          : !other.inn.empty()   ? other.inn
                                                 : std::string("-");
  return l.statement_account + ":" + l.booked_on + ":" + l.direction + ":" + l.kind + ":" + l.date +
         ":" + l.number + ":" + who + ":" + std::to_string(l.amount_kopecks);
}

plugin::Envelope base(const std::string& type, const StatementMessageOptions& o) {
  plugin::Envelope e;
  e.type = type;
  e.source = o.source.empty() ? std::string("bank") : o.source;
  return e;
}

}  // namespace

std::string statement_line_key(const StatementLine& l) {
  return "bank:client_bank:line:" + key_tail(l);
}

std::string statement_line_xml(const StatementLine& l) {
  XmlBuilder x("bankStatementLine");
  x.leaf("statementAccount", l.statement_account);
  x.leaf("direction", l.direction);
  x.leaf("bookedOn", l.booked_on);
  x.leaf("amountKopecks", std::to_string(l.amount_kopecks));
  x.open("document");
  x.leaf("kind", l.kind);
  x.leaf("number", l.number);
  x.leaf("date", l.date);
  x.leaf_if("operationType", l.operation_type);
  x.leaf_if("paymentMethod", l.payment_method);
  x.leaf_if("priority", l.priority);
  x.leaf_if("uin", l.uin);
  x.leaf_if("purposeCode", l.purpose_code);
  x.close("document");
  party_xml(x, "payer", l.payer);
  party_xml(x, "payee", l.payee);
  x.leaf_if("purpose", l.purpose);
  const std::string* budget[] = {&l.budget_status, &l.budget_kbk,    &l.budget_oktmo,
                                 &l.budget_basis,  &l.budget_period, &l.budget_number,
                                 &l.budget_date,   &l.budget_type};
  const char* names[] = {"status", "kbk", "oktmo", "basis", "period", "number", "date", "type"};
  bool any = false;
  for (const auto* v : budget) any = any || !v->empty();
  if (any) {
    x.open("budget");
    for (std::size_t i = 0; i < 8; ++i) x.leaf_if(names[i], *budget[i]);
    x.close("budget");
  }
  if (l.reference) {
    x.open("payerReference");
    x.leaf(element_of(l.reference->kind), l.reference->value);
    x.close("payerReference");
  }
  source_xml(x, l.source, l.line);
  return x.finish();
}

plugin::Envelope statement_line_envelope(const StatementLine& l, const StatementMessageOptions& o) {
  plugin::Envelope e = base("bank_statement.line", o);
  e.idempotency_key = statement_line_key(l);
  e.correlation_id = e.idempotency_key;
  e.occurred_at = at_midnight_utc(l.booked_on);
  e.headers["file_name"] = l.source.file_name;
  e.headers["line"] = std::to_string(l.line);
  e.headers["direction"] = l.direction;
  e.headers["statement_account"] = l.statement_account;
  e.body = statement_line_xml(l);
  return e;
}

plugin::Envelope payment_received_envelope(const StatementLine& l,
                                           const StatementMessageOptions& o) {
  plugin::Envelope e = base("payment.received", o);
  e.idempotency_key = "bank:client_bank:payment:" + key_tail(l);
  e.correlation_id = statement_line_key(l);
  e.occurred_at = at_midnight_utc(l.booked_on);
  auto period = find_period(l.purpose);
  e.headers["period_from"] = period ? "purpose" : "payment_date";
  if (!period) period = l.booked_on.substr(0, 7);
  e.headers["file_name"] = l.source.file_name;
  e.headers["line"] = std::to_string(l.line);
  e.headers["statement_line_key"] = statement_line_key(l);

  XmlBuilder x("paymentReceived");
  x.open("agent");
  x.leaf("code", o.agent_code.empty() ? std::string("client_bank") : o.agent_code);
  x.leaf_if("name", utf8_prefix(l.payee.bank_name, 255));
  x.leaf_if("bik", l.payee.bik);
  x.close("agent");
  x.leaf("registryRef",
         utf8_prefix((l.source.file_name.empty() ? std::string("statement") : l.source.file_name) +
                         "#" + std::to_string(l.line),
                     255));
  // Billing takes (agent, transactionId) as the payment's identity: document numbers are the
  // payer's own, so the payer's account (or ИНН) and the amount make it unique.
  const std::string who = !l.payer.account.empty() ? l.payer.account
                          : !l.payer.inn.empty()   ? l.payer.inn
                                                   : std::string("-");
  x.leaf("transactionId",
         utf8_prefix(l.date + "/" + l.number + "/" + who + "/" + std::to_string(l.amount_kopecks),
                     255));
  x.leaf("paidAt", l.booked_on);
  x.leaf(element_of(l.reference->kind), l.reference->value);
  x.leaf("period", *period);
  x.leaf("amountKopecks", std::to_string(l.amount_kopecks));
  if (!l.payer.name.empty()) {
    x.open("payer");
    x.leaf("name", utf8_prefix(l.payer.name, 255));
    x.close("payer");
  }
  e.body = x.finish();
  return e;
}

std::string statement_summary_xml(const StatementBalance& b) {
  XmlBuilder x("bankStatementSummary");
  x.leaf("account", b.account);
  x.leaf("from", b.from);
  x.leaf("to", b.to);
  x.leaf("openingKopecks", std::to_string(b.opening));
  x.leaf("incomingKopecks", std::to_string(b.incoming));
  x.leaf("outgoingKopecks", std::to_string(b.outgoing));
  x.leaf("closingKopecks", std::to_string(b.closing));
  source_xml(x, b.source, b.line);
  return x.finish();
}

plugin::Envelope statement_summary_envelope(const StatementBalance& b,
                                            const StatementMessageOptions& o) {
  plugin::Envelope e = base("bank_statement.summary", o);
  e.idempotency_key = "bank:client_bank:summary:" + b.account + ":" + b.from + ":" + b.to + ":" +
                      std::to_string(b.closing);
  e.occurred_at = at_midnight_utc(b.to);
  e.headers["file_name"] = b.source.file_name;
  e.headers["line"] = std::to_string(b.line);
  e.body = statement_summary_xml(b);
  return e;
}

}  // namespace hub::bank
