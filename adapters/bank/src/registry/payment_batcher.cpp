#include "registry/payment_batcher.h"

#include <string_view>

#include "hub/plugin/text_escape.h"
#include "registry/payment_builder.h"

namespace hub::bank {

PaymentBatcher::PaymentBatcher(const Layout& layout, const plugin::ParsedFile& info)
    : layout_(layout), info_(info) {}

void PaymentBatcher::add(std::vector<plugin::Envelope>& built, std::int64_t line) {
  for (auto& e : built) {
    if (e.type != "payment.received") continue;  // readings ride inside the payment
    if (!payments_) first_line_ = line;
    last_line_ = line;
    ++payments_;
    payments_xml_ += "<c:payment key=\"";
    plugin::append_xml_escaped(payments_xml_, e.idempotency_key, true);
    payments_xml_ += "\">";
    // The payment's own declaration of the canonical namespace is the batch root's: dropped, it
    // is 37 bytes and one namespace scope per payment less for every parser of the batch.
    constexpr std::string_view kOwnRoot =
        "<c:paymentReceived xmlns:c=\"urn:zhkh-hub:canonical:1\">";
    if (std::string_view(e.body).substr(0, kOwnRoot.size()) == kOwnRoot) {
      payments_xml_ += "<c:paymentReceived>";
      payments_xml_.append(e.body, kOwnRoot.size(), std::string::npos);
    } else {
      payments_xml_ += e.body;
    }
    payments_xml_ += "</c:payment>";
  }
  built.clear();
}

std::vector<plugin::Envelope> PaymentBatcher::take() {
  std::vector<plugin::Envelope> out;
  if (!payments_) return out;
  plugin::Envelope e;
  e.id = new_uuid_v7();
  e.type = "payment.batch";
  e.source = info_.source;
  e.correlation_id = e.id;
  // The file and its range of lines: a re-read file (or a resumed one) adds nothing twice.
  e.idempotency_key = "bank:" + layout_.agent_code + ":file:" + info_.fingerprint +
                      ":lines:" + std::to_string(first_line_) + "-" + std::to_string(last_line_);
  e.headers["registry"] = info_.file_name;
  e.headers["payments"] = std::to_string(payments_);
  e.body.reserve(payments_xml_.size() + 160 + info_.file_name.size());
  e.body = "<c:paymentBatch xmlns:c=\"urn:zhkh-hub:canonical:1\"><c:registryRef>";
  plugin::append_xml_escaped(e.body, info_.file_name.empty() ? info_.fingerprint : info_.file_name);
  e.body += "</c:registryRef>";
  e.body += payments_xml_;
  e.body += "</c:paymentBatch>";
  out.push_back(std::move(e));
  payments_xml_.clear();
  payments_ = 0;
  return out;
}

}  // namespace hub::bank
