#include "registry/payment_batcher.h"

#include "hub/plugin/text_escape.h"

namespace hub::bank {

PaymentBatcher::PaymentBatcher(const Layout& layout, const plugin::ParsedFile& info)
    : layout_(layout), info_(info) {}

std::size_t PaymentBatcher::add(PaymentBuilder& builder, const Record& r,
                                std::vector<FieldError>& errors) {
  const auto added = builder.append_line(r, lines_xml_, errors);
  if (!added) return 0;
  if (!payments_) first_line_ = r.line;
  last_line_ = r.line;
  ++payments_;
  return added;
}

std::vector<plugin::Envelope> PaymentBatcher::take() {
  std::vector<plugin::Envelope> out;
  if (!payments_) return out;
  plugin::Envelope e;
  e.id = new_uuid_v7();
  e.type = "payment.lines";
  e.source = info_.source;
  e.correlation_id = e.id;
  // The file and its range of lines: a re-read file (or a resumed one) adds nothing twice.
  e.idempotency_key = "bank:" + layout_.agent_code + ":file:" + info_.fingerprint +
                      ":lines:" + std::to_string(first_line_) + "-" + std::to_string(last_line_);
  e.headers["registry"] = info_.file_name;
  e.headers["payments"] = std::to_string(payments_);
  e.body.reserve(lines_xml_.size() + 400 + info_.file_name.size());
  e.body = "<c:paymentLines xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:agent><c:code>";
  e.body += layout_.agent_code;
  e.body += "</c:code>";
  auto element = [&e](const char* name, const std::string& value) {
    if (value.empty()) return;
    e.body += "<c:";
    e.body += name;
    e.body += '>';
    plugin::append_xml_escaped(e.body, value);
    e.body += "</c:";
    e.body += name;
    e.body += '>';
  };
  element("name", layout_.agent_name);
  element("inn", layout_.agent_inn);
  element("bik", layout_.agent_bik);
  e.body += "</c:agent><c:registryRef>";
  plugin::append_xml_escaped(e.body, info_.file_name.empty() ? info_.fingerprint : info_.file_name);
  e.body += "</c:registryRef>";
  e.body += lines_xml_;
  e.body += "</c:paymentLines>";
  out.push_back(std::move(e));
  lines_xml_.clear();
  payments_ = 0;
  return out;
}

}  // namespace hub::bank
