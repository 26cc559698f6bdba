#pragma once
// Collects the payments of consecutive registry lines into one `payment.batch` message
// (schemas/canonical/payment_batch.xsd) for the parsers `bank.<layout>.batched`: a registry of a
// million lines is then a few thousand journal rows, validations and deliveries instead of two
// million. Each payment is the body PaymentBuilder made for its line, under the idempotency key
// its own payment.received would carry; its readings travel inside it (the billing store records
// the readings a payment carries once the payment is identified), so the line's meter.reading
// messages are not sent.

#include <cstdint>
#include <string>
#include <vector>

#include "hub/plugin/envelope.h"
#include "hub/plugin/file_parser.h"
#include "registry/layout.h"

namespace hub::bank {

/// payment_batch.xsd allows at most this many payments in one message.
inline constexpr std::size_t kMaxPaymentsPerBatch = 1000;

class PaymentBatcher {
 public:
  PaymentBatcher(const Layout& layout, const plugin::ParsedFile& info);

  /// Takes what PaymentBuilder built for registry line `line` (its payment.received, then its
  /// meter.reading messages) and clears `built`.
  void add(std::vector<plugin::Envelope>& built, std::int64_t line);
  std::size_t size() const { return payments_; }

  /// The payments added since the last take() as one payment.batch envelope (none when there
  /// were none); the next batch starts empty.
  std::vector<plugin::Envelope> take();

 private:
  const Layout& layout_;
  const plugin::ParsedFile& info_;
  std::string payments_xml_;
  std::size_t payments_ = 0;
  std::int64_t first_line_ = 0;
  std::int64_t last_line_ = 0;
};

}  // namespace hub::bank
