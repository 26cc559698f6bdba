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
#include "registry/values.h"

namespace hub::bank {

class PaymentBuilder {
 public:
  PaymentBuilder(const Layout& layout, const plugin::ParsedFile& info)
      : layout_(layout), info_(info) {}

  /// Appends the line's envelopes to `out` (nothing when the payment cannot be built) and its
  /// problems to `errors`. Returns 0 when the payment cannot be built, else 1 + its readings.
  std::size_t build(const Record& r, std::vector<plugin::Envelope>& out,
                    std::vector<FieldError>& errors);

  /// For a PaymentBatcher: appends the payment as its `c:line` of a payment.lines message
  /// (schemas/canonical/payment_lines.xsd) to `lines_xml`; its readings ride inside the line and
  /// get no messages of their own. Checks, problems and the result are build()'s. No envelope
  /// is made: a registry of a million lines would make a million only to copy their bodies.
  std::size_t append_line(const Record& r, std::string& lines_xml,
                          std::vector<FieldError>& errors);

 private:
  struct Reading {
    std::string meter_id;
    const std::string* value;
  };
  /// What the checks of one line found, kept between lines so that its strings and vectors
  /// keep their buffers.
  struct Checked {
    std::string_view id_element;  ///< account, els, izhku or ipd
    const std::string* id_value = nullptr;
    std::string period;
    std::int64_t amount = 0;
    std::string date;  ///< YYYY-MM-DD
    CivilTime paid_at;
    std::string key;   ///< the idempotency key
    std::vector<const ServiceEntry*> services;
    std::vector<Reading> readings;
  };

  /// Checks the line and fills checked_; false (with `errors`) when no payment can be built.
  /// Bad services and readings are reported and left out.
  bool check(const Record& r, std::vector<FieldError>& errors);
  /// The readings that can become meter.reading messages: with the payer named by account.
  /// Reports the others (they stay in the payment) and returns how many can.
  std::size_t usable_readings(std::vector<FieldError>& errors) const;

  const Layout& layout_;
  const plugin::ParsedFile& info_;
  Checked checked_;
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
