#pragma once
// Turns a payment Record into canonical envelopes: one `payment.received` (body per
// schemas/canonical/payment_received.xsd; batched, a payment.lines line instead) and one
// `meter.reading` per reading it carries,
// correlated to the payment (correlation_id = causation_id = the payment's id). Everything the
// XSDs would refuse is checked here first and reported per field, so that Ingress never refuses a
// batch because of one bad line.
//
// Idempotency keys (contract_imports.md): `bank:<agent>:<date>:<branch>:<doc id>:<kopecks>`, so
// the same payment in two files is one message; a line without a bank document id falls back to
// `bank:<agent>:file:<sha256>:<line>`. Readings: `<payment key>:meter:<meter id>`, taken at
// midnight UTC of the payment date (as billing records the readings inside a payment).

#include <string>
#include <vector>

#include "hub/plugin/envelope.h"
#include "hub/plugin/file_parser.h"
#include "registry/layout.h"
#include "registry/record.h"
#include "registry/record_reader.h"

namespace hub::bank {

class PaymentBuilder {
 public:
  PaymentBuilder(const Layout& layout, const plugin::ParsedFile& info)
      : layout_(layout), info_(info) {}

  /// Appends the line's envelopes to `out` (nothing when the payment cannot be built) and its
  /// problems to `errors`. Returns 0 when the payment cannot be built, else 1 + its readings.
  std::size_t build(const Record& r, std::vector<plugin::Envelope>& out,
                    std::vector<FieldError>& errors) const;

  /// For a PaymentBatcher: the payment's body is its `c:line` of a payment.lines message
  /// (schemas/canonical/payment_lines.xsd), the envelope gets no id or headers and the readings,
  /// which ride inside the line, no messages of their own. Checks and problems are the same.
  void set_batched(bool on) { batched_ = on; }

 private:
  const Layout& layout_;
  const plugin::ParsedFile& info_;
  bool batched_ = false;
};

/// Format checks of the canonical simple types.
bool is_code(std::string_view s);
bool is_account_number(std::string_view s);
bool is_els(std::string_view s);
bool is_izhku(std::string_view s);
bool is_ipd(std::string_view s);
std::string escape_xml(std::string_view s);
std::string new_uuid_v7();

}  // namespace hub::bank
