#pragma once
// Collects the payments of consecutive registry lines into one `payment.lines` message
// (schemas/canonical/payment_lines.xsd) for the parsers `bank.<layout>.batched`: a registry of a
// million lines is then a few thousand journal rows, validations and deliveries instead of two
// million. Each line is the `c:line` PaymentBuilder made for it in batched mode, carrying the
// idempotency key its own payment.received would carry; its readings travel inside it (the
// billing store records the readings a payment carries once the payment is identified), so the
// line's meter.reading messages are not sent. The agent and the file are written once.

#include <cstdint>
#include <string>
#include <vector>

#include "hub/plugin/envelope.h"
#include "hub/plugin/file_parser.h"
#include "registry/layout.h"
#include "registry/payment_builder.h"
#include "registry/record.h"

namespace hub::bank {

/// payment_lines.xsd allows at most this many lines in one message.
inline constexpr std::size_t kMaxPaymentsPerBatch = 1000;

class PaymentBatcher {
 public:
  PaymentBatcher(const Layout& layout, const plugin::ParsedFile& info);

  /// Adds the payment of record `r` as `builder` writes it (PaymentBuilder::append_line) and
  /// returns what that returned: 0 (nothing added, the problems in `errors`) or 1 + readings.
  std::size_t add(PaymentBuilder& builder, const Record& r, std::vector<FieldError>& errors);
  std::size_t size() const { return payments_; }

  /// The payments added since the last take() as one payment.lines envelope (none when there
  /// were none); the next batch starts empty.
  std::vector<plugin::Envelope> take();

 private:
  const Layout& layout_;
  const plugin::ParsedFile& info_;
  std::string lines_xml_;
  std::size_t payments_ = 0;
  std::int64_t first_line_ = 0;
  std::int64_t last_line_ = 0;
};

}  // namespace hub::bank
