#include "registry/payment_builder.h"

#include <chrono>
#include <random>

#include "hub/plugin/registry_ref.h"
#include "hub/plugin/text_escape.h"
#include "registry/values.h"

namespace hub::bank {

namespace {

// Code points of a UTF-8 string (the input was validated when decoded).
std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (int k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

bool digit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool upper_alnum(char32_t c) {
  return digit(c) || (c >= 'A' && c <= 'Z') || (c >= 0x0410 && c <= 0x042F) || c == 0x0401;
}

// [0-9]{2}[0-9A-ZА-ЯЁ]{2}[0-9]{6} at the start of `cp`.
bool els_prefix(const std::vector<char32_t>& cp) {
  if (cp.size() < 10) return false;
  for (int i = 0; i < 10; ++i) {
    const bool ok = (i < 2 || i >= 4) ? digit(cp[i]) : upper_alnum(cp[i]);
    if (!ok) return false;
  }
  return true;
}

bool digits_at(const std::vector<char32_t>& cp, std::size_t from, std::size_t n) {
  if (cp.size() < from + n) return false;
  for (std::size_t i = from; i < from + n; ++i) {
    if (!digit(cp[i])) return false;
  }
  return true;
}

std::chrono::system_clock::time_point to_time_point(const CivilTime& t) {
  using namespace std::chrono;
  const auto days = sys_days(year{t.year} / month{static_cast<unsigned>(t.month)} /
                             day{static_cast<unsigned>(t.day)});
  return days + hours(t.hour) + minutes(t.minute) + seconds(t.second);
}

}  // namespace

bool is_code(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_account_number(std::string_view s) {
  if (s.empty() || utf8_length(s) > 30) return false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
  }
  // Non-breaking and other Unicode spaces also count as \s for the XSD.
  return s.find("\xC2\xA0") == std::string_view::npos;
}

bool is_els(std::string_view s) {
  const auto cp = code_points(s);
  return cp.size() == 10 && els_prefix(cp);
}

bool is_izhku(std::string_view s) {
  const auto cp = code_points(s);
  return cp.size() == 13 && els_prefix(cp) && cp[10] == '-' && digits_at(cp, 11, 2);
}

bool is_ipd(std::string_view s) {
  const auto cp = code_points(s);
  return cp.size() == 18 && els_prefix(cp) && cp[10] == '-' && digits_at(cp, 11, 2) &&
         cp[13] == '-' && digits_at(cp, 14, 4);
}

std::string escape_xml(std::string_view s) {
  return plugin::xml_escaped(s);
}

std::string new_uuid_v7() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const std::uint64_t r1 = rng(), r2 = rng();
  unsigned char b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | ((r1 >> 8) & 0x0F));
  b[7] = static_cast<unsigned char>(r1);
  b[8] = static_cast<unsigned char>(0x80 | ((r2 >> 56) & 0x3F));
  for (int i = 9; i < 16; ++i) b[i] = static_cast<unsigned char>(r2 >> (8 * (15 - i)));
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

std::size_t PaymentBuilder::build(const Record& r, std::vector<plugin::Envelope>& out,
                                  std::vector<FieldError>& errors) const {
  const auto before = errors.size();
  const auto& paid = r.get("paid_at");
  const auto paid_at = parse_iso(paid);
  if (!paid_at) errors.push_back({"paid_at", "the payment date is missing"});
  const auto& amount_text = r.get("amount");
  std::int64_t amount = 0;
  if (amount_text.empty()) {
    errors.push_back({"amount", "the payment amount is missing"});
  } else {
    amount = std::stoll(amount_text);
    if (amount <= 0)
      errors.push_back({"amount", "the amount must be positive, got " + amount_text + " kopecks"});
  }
  const auto& commission = r.get("commission");
  if (!commission.empty() && std::stoll(commission) < 0) {
    errors.push_back({"commission", "a commission cannot be negative"});
  }
  // The payer: the first identifier present, in the order billing identifies by.
  std::string id_element, id_value;
  for (const auto& [role, element, check] :
       {std::tuple{"account", "account", &is_account_number}, std::tuple{"els", "els", &is_els},
        std::tuple{"izhku", "izhku", &is_izhku}, std::tuple{"ipd", "ipd", &is_ipd}}) {
    const auto& v = r.get(role);
    if (v.empty()) continue;
    if (!check(v)) {
      errors.push_back({role, "'" + v + "' is not a valid " + std::string(role)});
      break;
    }
    id_element = element;
    id_value = v;
    break;
  }
  if (id_element.empty() && errors.size() == before) {
    errors.push_back({"account", "the payer is not named (no account, ЕЛС, ИЖКУ or ИПД)"});
  }
  std::string period = r.get("period");
  if (period.empty() && paid_at) {
    CivilTime t = *paid_at;
    if (layout_.period_default == PeriodDefault::kPreviousMonth) {
      if (--t.month == 0) t.month = 12, --t.year;
    }
    if (layout_.period_default != PeriodDefault::kNone) period = iso_date(t).substr(0, 7);
  }
  if (period.empty()) errors.push_back({"period", "the month paid for is missing"});
  const auto& tx = r.get("transaction_id");
  if (!tx.empty() && utf8_length(tx) > 255) errors.push_back({"transaction_id", "longer than 255"});
  if (errors.size() != before) return 0;

  const auto& branch = r.get("branch");
  const std::string date = iso_date(*paid_at);
  std::string key;
  key.reserve(96);
  key += "bank:";
  key += layout_.agent_code;
  if (tx.empty()) {
    key += ":file:";
    key += info_.fingerprint;
    key += ':';
    key += std::to_string(r.line);
  } else {
    key += ':';
    key += date;
    key += ':';
    key += branch;
    key += ':';
    key += tx;
    key += ':';
    key += std::to_string(amount);
  }

  // Services and readings: a bad one is reported and left out, the payment still goes.
  std::vector<const ServiceEntry*> services;
  for (const auto& s : r.services) {
    if (!is_code(s.code)) {
      errors.push_back({"services", "service code '" + s.code + "' is not a code"});
      continue;
    }
    if (s.amount.empty() || std::stoll(s.amount) < 0) {
      errors.push_back({"services", "service " + s.code + " has no amount"});
      continue;
    }
    services.push_back(&s);
  }
  struct Reading {
    std::string meter_id, value;
  };
  std::vector<Reading> readings;
  for (const auto& m : r.meters) {
    if (m.value.empty()) continue;  // a meter shown without a current value
    std::string id = m.id;
    if (!layout_.tags.empty() && !layout_.meter_id.empty()) {
      // Numbered tags name meters by position: the layout says how that becomes a meter id.
      bool numbered = false;
      for (const auto& t : layout_.tags) numbered |= t.numbered;
      if (numbered && m.name.empty() && m.previous.empty()) {
        id = layout_.meter_id;
        for (auto p = id.find("{n}"); p != std::string::npos; p = id.find("{n}"))
          id.replace(p, 3, m.id);
        for (auto p = id.find("{account}"); p != std::string::npos; p = id.find("{account}")) {
          id.replace(p, 9, r.get("account"));
        }
      }
    }
    if (!is_code(id)) {
      errors.push_back({"meters", "meter id '" + id + "' is not a code; reading left out"});
      continue;
    }
    readings.push_back({id, m.value});
  }

  const auto payment_id = batched_ ? std::string() : new_uuid_v7();
  const auto& name = r.get("payer_name");
  const auto& address = r.get("address");
  // The file as payment.lines names it, so that both forms of a line carry the same reference
  // (a line of payment.lines carries only its number).
  const std::string ref =
      batched_ ? std::string()
               : plugin::registry_line_ref(
                     info_.file_name.empty() ? info_.fingerprint : info_.file_name, r.line);
  // Appended piece by piece: a registry of a million lines builds a million of these, and
  // temporaries of `"<c:x>" + value + "</c:x>"` were a good part of the parser's time.
  std::string body;
  body.reserve(batched_ ? 320 : 768);
  auto element = [&body](std::string_view name, std::string_view value, bool escape) {
    body += "<c:";
    body += name;
    body += '>';
    if (escape)
      plugin::append_xml_escaped(body, value);
    else
      body += value;
    body += "</c:";
    body += name;
    body += '>';
  };
  auto attribute = [&body](std::string_view name, std::string_view value) {
    body += ' ';
    body += name;
    body += "=\"";
    plugin::append_xml_escaped(body, value, true);
    body += '"';
  };
  if (batched_) {
    // The line of a payment.lines message (payment_lines.xsd): the agent and the file are the
    // batch's, the scalar fields attributes.
    body += "<c:line n=\"";
    body += std::to_string(r.line);
    body += '"';
    attribute("key", key);
    if (!tx.empty()) attribute("tx", tx);
    attribute("paidAt", date);
    attribute("period", period);
    attribute("amount", std::to_string(amount));
    if (!commission.empty()) attribute("commission", commission);
    if (!name.empty()) attribute("payerName", name);
    if (!address.empty()) attribute("payerAddress", address);
    body += '>';
    element(id_element, id_value, true);
    for (const ServiceEntry* s : services) {
      body += "<c:service";
      attribute("code", s->code);
      attribute("amount", s->amount);
      if (!s->name.empty()) attribute("name", s->name);
      body += "/>";
    }
  } else {
    body += "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:agent>";
    element("code", layout_.agent_code, false);
    if (!layout_.agent_name.empty()) element("name", layout_.agent_name, true);
    if (!layout_.agent_inn.empty()) element("inn", layout_.agent_inn, false);
    if (!layout_.agent_bik.empty()) element("bik", layout_.agent_bik, false);
    body += "</c:agent>";
    element("registryRef", ref, true);
    if (!tx.empty()) element("transactionId", tx, true);
    element("paidAt", date, false);
    element(id_element, id_value, true);
    element("period", period, false);
    element("amountKopecks", std::to_string(amount), false);
    if (!commission.empty()) element("commissionKopecks", commission, false);
    if (!services.empty()) {
      body += "<c:services>";
      for (const ServiceEntry* s : services) {
        body += "<c:service>";
        element("code", s->code, false);
        element("amountKopecks", s->amount, false);
        if (!s->name.empty()) element("name", s->name, true);
        body += "</c:service>";
      }
      body += "</c:services>";
    }
  }
  if (!readings.empty()) {
    if (!batched_) body += "<c:readings>";
    for (const auto& rd : readings) {
      body += "<c:meter>";
      element("meterId", rd.meter_id, false);
      body += "<c:value zone=\"total\">";
      body += rd.value;
      body += "</c:value></c:meter>";
    }
    if (!batched_) body += "</c:readings>";
  }
  if (batched_) {
    body += "</c:line>";
  } else {
    if (!name.empty() || !address.empty()) {
      body += "<c:payer>";
      if (!name.empty()) element("name", name, true);
      if (!address.empty()) element("address", address, true);
      body += "</c:payer>";
    }
    body += "</c:paymentReceived>";
  }

  const auto occurred = to_time_point(*paid_at);
  plugin::Envelope e;
  e.type = "payment.received";
  e.idempotency_key = key;
  e.body = std::move(body);
  if (!batched_) {
    e.id = payment_id;
    e.source = info_.source;
    e.occurred_at = occurred;
    e.correlation_id = payment_id;
    e.headers = {
        {"file_name", info_.file_name}, {"line", std::to_string(r.line)}, {"layout", layout_.name}};
  }
  const auto headers = e.headers;
  out.push_back(std::move(e));
  std::size_t added = 1;

  const auto& account = r.get("account");
  for (const auto& rd : readings) {
    if (id_element != "account") {
      errors.push_back({"meters", "reading of meter " + rd.meter_id +
                                      " kept in the payment only: meter.reading needs the "
                                      "account number and the payer is named by " +
                                      id_element});
      continue;
    }
    if (batched_) {
      ++added;  // carried in the payment's body
      continue;
    }
    // Midnight UTC of the payment date: the moment billing gives the readings it takes from the
    // payment body itself, so both land on the same (meter, takenAt, channel) reading.
    std::string taken = date + "T00:00:00Z";
    std::string b = "<c:meterReading xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>" +
                    rd.meter_id + "</c:meterId><c:account>" + escape_xml(account) +
                    "</c:account><c:value zone=\"total\">" + rd.value +
                    "</c:value><c:channel>bank</c:channel><c:takenAt>" + taken +
                    "</c:takenAt><c:period>" + period + "</c:period>";
    if (!tx.empty()) b += "<c:externalId>" + escape_xml(tx) + "</c:externalId>";
    b += "</c:meterReading>";
    plugin::Envelope m;
    m.type = "meter.reading";
    m.source = info_.source;
    m.occurred_at = occurred;
    m.correlation_id = payment_id;
    m.causation_id = payment_id;
    m.idempotency_key = key + ":meter:" + rd.meter_id;
    m.headers = headers;
    m.body = std::move(b);
    out.push_back(std::move(m));
    ++added;
  }
  return added;
}

}  // namespace hub::bank
