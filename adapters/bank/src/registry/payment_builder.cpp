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

bool PaymentBuilder::check(const Record& r, std::vector<FieldError>& errors) {
  Checked& c = checked_;
  const auto before = errors.size();
  const auto paid_at = parse_iso(r.get("paid_at"));
  if (!paid_at) errors.push_back({"paid_at", "the payment date is missing"});
  const auto& amount_text = r.get("amount");
  c.amount = 0;
  if (amount_text.empty()) {
    errors.push_back({"amount", "the payment amount is missing"});
  } else {
    c.amount = std::stoll(amount_text);
    if (c.amount <= 0)
      errors.push_back({"amount", "the amount must be positive, got " + amount_text + " kopecks"});
  }
  const auto& commission = r.get("commission");
  if (!commission.empty() && std::stoll(commission) < 0) {
    errors.push_back({"commission", "a commission cannot be negative"});
  }
  // The payer: the first identifier present, in the order billing identifies by.
  c.id_element = {};
  c.id_value = nullptr;
  for (const auto& [role, check] :
       {std::pair{"account", &is_account_number}, std::pair{"els", &is_els},
        std::pair{"izhku", &is_izhku}, std::pair{"ipd", &is_ipd}}) {
    const auto& v = r.get(role);
    if (v.empty()) continue;
    if (!check(v)) {
      errors.push_back({role, "'" + v + "' is not a valid " + std::string(role)});
      break;
    }
    c.id_element = role;  // the element is named as the role
    c.id_value = &v;
    break;
  }
  if (c.id_element.empty() && errors.size() == before) {
    errors.push_back({"account", "the payer is not named (no account, ЕЛС, ИЖКУ or ИПД)"});
  }
  c.period = r.get("period");
  if (c.period.empty() && paid_at) {
    CivilTime t = *paid_at;
    if (layout_.period_default == PeriodDefault::kPreviousMonth) {
      if (--t.month == 0) t.month = 12, --t.year;
    }
    if (layout_.period_default != PeriodDefault::kNone) c.period = iso_date(t).substr(0, 7);
  }
  if (c.period.empty()) errors.push_back({"period", "the month paid for is missing"});
  const auto& tx = r.get("transaction_id");
  if (!tx.empty() && utf8_length(tx) > 255) errors.push_back({"transaction_id", "longer than 255"});
  if (errors.size() != before) return false;

  c.paid_at = *paid_at;
  c.date = iso_date(*paid_at);
  std::string& key = c.key;
  key.clear();
  key += "bank:";
  key += layout_.agent_code;
  if (tx.empty()) {
    key += ":file:";
    key += info_.fingerprint;
    key += ':';
    key += std::to_string(r.line);
  } else {
    key += ':';
    key += c.date;
    key += ':';
    key += r.get("branch");
    key += ':';
    key += tx;
    key += ':';
    key += std::to_string(c.amount);
  }

  // Services and readings: a bad one is reported and left out, the payment still goes.
  c.services.clear();
  for (const auto& s : r.services) {
    if (!is_code(s.code)) {
      errors.push_back({"services", "service code '" + s.code + "' is not a code"});
      continue;
    }
    if (s.amount.empty() || std::stoll(s.amount) < 0) {
      errors.push_back({"services", "service " + s.code + " has no amount"});
      continue;
    }
    c.services.push_back(&s);
  }
  c.readings.clear();
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
    c.readings.push_back({std::move(id), &m.value});
  }
  return true;
}

std::size_t PaymentBuilder::usable_readings(std::vector<FieldError>& errors) const {
  if (checked_.id_element == "account") return checked_.readings.size();
  for (const auto& rd : checked_.readings) {
    errors.push_back({"meters", "reading of meter " + rd.meter_id +
                                    " kept in the payment only: meter.reading needs the "
                                    "account number and the payer is named by " +
                                    std::string(checked_.id_element)});
  }
  return 0;
}

namespace {

// Appended piece by piece: a registry of a million lines builds a million of these, and
// temporaries of `"<c:x>" + value + "</c:x>"` were a good part of the parser's time.
void append_element(std::string& out, std::string_view name, std::string_view value,
                    bool escape) {
  out += "<c:";
  out += name;
  out += '>';
  if (escape)
    plugin::append_xml_escaped(out, value);
  else
    out += value;
  out += "</c:";
  out += name;
  out += '>';
}

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  plugin::append_xml_escaped(out, value, true);
  out += '"';
}

template <typename Readings>
void append_meters(std::string& out, const Readings& readings) {
  for (const auto& rd : readings) {
    out += "<c:meter>";
    append_element(out, "meterId", rd.meter_id, false);
    out += "<c:value zone=\"total\">";
    out += *rd.value;
    out += "</c:value></c:meter>";
  }
}

}  // namespace

std::size_t PaymentBuilder::append_line(const Record& r, std::string& out,
                                        std::vector<FieldError>& errors) {
  if (!check(r, errors)) return 0;
  const Checked& c = checked_;
  const auto& tx = r.get("transaction_id");
  const auto& commission = r.get("commission");
  const auto& name = r.get("payer_name");
  const auto& address = r.get("address");
  // The agent and the file are the batch's, the scalar fields attributes.
  out += "<c:line n=\"";
  out += std::to_string(r.line);
  out += '"';
  append_attribute(out, "key", c.key);
  if (!tx.empty()) append_attribute(out, "tx", tx);
  append_attribute(out, "paidAt", c.date);
  append_attribute(out, "period", c.period);
  append_attribute(out, "amount", std::to_string(c.amount));
  if (!commission.empty()) append_attribute(out, "commission", commission);
  if (!name.empty()) append_attribute(out, "payerName", name);
  if (!address.empty()) append_attribute(out, "payerAddress", address);
  out += '>';
  append_element(out, c.id_element, *c.id_value, true);
  for (const ServiceEntry* s : c.services) {
    out += "<c:service";
    append_attribute(out, "code", s->code);
    append_attribute(out, "amount", s->amount);
    if (!s->name.empty()) append_attribute(out, "name", s->name);
    out += "/>";
  }
  append_meters(out, c.readings);
  out += "</c:line>";
  return 1 + usable_readings(errors);
}

std::size_t PaymentBuilder::build(const Record& r, std::vector<plugin::Envelope>& out,
                                  std::vector<FieldError>& errors) {
  if (!check(r, errors)) return 0;
  const Checked& c = checked_;
  const auto& tx = r.get("transaction_id");
  const auto& commission = r.get("commission");
  const auto& name = r.get("payer_name");
  const auto& address = r.get("address");
  const auto payment_id = new_uuid_v7();
  // The file as payment.lines names it, so that both forms of a line carry the same reference
  // (a line of payment.lines carries only its number).
  const std::string ref = plugin::registry_line_ref(
      info_.file_name.empty() ? info_.fingerprint : info_.file_name, r.line);
  std::string body;
  body.reserve(768);
  body += "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:agent>";
  append_element(body, "code", layout_.agent_code, false);
  if (!layout_.agent_name.empty()) append_element(body, "name", layout_.agent_name, true);
  if (!layout_.agent_inn.empty()) append_element(body, "inn", layout_.agent_inn, false);
  if (!layout_.agent_bik.empty()) append_element(body, "bik", layout_.agent_bik, false);
  body += "</c:agent>";
  append_element(body, "registryRef", ref, true);
  if (!tx.empty()) append_element(body, "transactionId", tx, true);
  append_element(body, "paidAt", c.date, false);
  append_element(body, c.id_element, *c.id_value, true);
  append_element(body, "period", c.period, false);
  append_element(body, "amountKopecks", std::to_string(c.amount), false);
  if (!commission.empty()) append_element(body, "commissionKopecks", commission, false);
  if (!c.services.empty()) {
    body += "<c:services>";
    for (const ServiceEntry* s : c.services) {
      body += "<c:service>";
      append_element(body, "code", s->code, false);
      append_element(body, "amountKopecks", s->amount, false);
      if (!s->name.empty()) append_element(body, "name", s->name, true);
      body += "</c:service>";
    }
    body += "</c:services>";
  }
  if (!c.readings.empty()) {
    body += "<c:readings>";
    append_meters(body, c.readings);
    body += "</c:readings>";
  }
  if (!name.empty() || !address.empty()) {
    body += "<c:payer>";
    if (!name.empty()) append_element(body, "name", name, true);
    if (!address.empty()) append_element(body, "address", address, true);
    body += "</c:payer>";
  }
  body += "</c:paymentReceived>";

  const auto occurred = to_time_point(c.paid_at);
  plugin::Envelope e;
  e.type = "payment.received";
  e.idempotency_key = c.key;
  e.body = std::move(body);
  e.id = payment_id;
  e.source = info_.source;
  e.occurred_at = occurred;
  e.correlation_id = payment_id;
  e.headers = {
      {"file_name", info_.file_name}, {"line", std::to_string(r.line)}, {"layout", layout_.name}};
  const auto headers = e.headers;
  out.push_back(std::move(e));

  const std::size_t readings = usable_readings(errors);
  if (!readings) return 1;
  const auto& account = r.get("account");
  for (const auto& rd : c.readings) {
    // Midnight UTC of the payment date: the moment billing gives the readings it takes from the
    // payment body itself, so both land on the same (meter, takenAt, channel) reading.
    std::string b = "<c:meterReading xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:meterId>" +
                    rd.meter_id + "</c:meterId><c:account>" + escape_xml(account) +
                    "</c:account><c:value zone=\"total\">" + *rd.value +
                    "</c:value><c:channel>bank</c:channel><c:takenAt>" + c.date +
                    "T00:00:00Z</c:takenAt><c:period>" + c.period + "</c:period>";
    if (!tx.empty()) b += "<c:externalId>" + escape_xml(tx) + "</c:externalId>";
    b += "</c:meterReading>";
    plugin::Envelope m;
    m.type = "meter.reading";
    m.source = info_.source;
    m.occurred_at = occurred;
    m.correlation_id = payment_id;
    m.causation_id = payment_id;
    m.idempotency_key = c.key + ":meter:" + rd.meter_id;
    m.headers = headers;
    m.body = std::move(b);
    out.push_back(std::move(m));
  }
  return 1 + readings;
}

}  // namespace hub::bank
