#pragma once
// The FileParser `bank.<layout>`: reads a registry in two streaming passes.
//
// Pass 1 (reconciler.h; a big file in two halves on two threads) decodes every line (declared
// encoding, sniffed when it does not fit), reads every record and reconciles the file as a whole:
// the footer (`=` line, #FILESUM directive or the check columns) must be there when the layout
// requires it and its count and sum must match the lines. Any whole-file problem (footer mismatch
// or missing, a line over max_line_bytes, binary content, bytes that are not text in the encoding,
// lines after the footer, a file name breaking the layout's rule) refuses the file:
// ParseOutcome.accepted = false with a fatal error naming the line, and nothing is emitted.
//
// Pass 2 (payments layouts only) emits `payment.received` and `meter.reading` envelopes in
// batches with the line reached, skipping lines at or below ParsedFile::resume_after, and reports
// per-line problems (line, field, reason) through ParseSink::error; those lines are left out.
// A debts layout (an outgoing registry) is checked and summarised, never emitted.
// `bank.<layout>.batched` (batched = true) emits `payment.lines` messages instead, one per batch
// of lines (at most kMaxPaymentsPerBatch payments), readings inside their payments
// (payment_batcher.h); checks, errors, positions and the summary are the same.
//
// The summary is a JSON object: layout, kind, encoding, lines, count, sum_kopecks, errors
// (lines with problems), payments, readings.

#include <memory>

#include "hub/plugin/file_parser.h"
#include "registry/layout.h"
#include "registry/reconciler.h"

namespace hub::bank {

class RegistryParser : public plugin::FileParser {
 public:
  /// `batch_lines`: registry lines per ParseSink::emit. `batched`: one payment.lines per emit
  /// instead of a payment.received (and meter.readings) per line.
  explicit RegistryParser(std::shared_ptr<const Layout> layout, std::size_t batch_lines = 500,
                          bool batched = false)
      : layout_(std::move(layout)),
        batch_lines_(batch_lines ? batch_lines : 1),
        batched_(batched) {}

  plugin::ParseOutcome parse(const std::filesystem::path& file, const plugin::ParsedFile& info,
                             plugin::ParseSink& sink) override;

  const Layout& layout() const { return *layout_; }
  /// Files from this size are reconciled in two halves on two threads (reconciler.h); the tests
  /// lower it so that small files take that way too.
  void set_split_reconcile_bytes(std::uint64_t bytes) { split_reconcile_bytes_ = bytes; }

 private:
  std::shared_ptr<const Layout> layout_;
  std::size_t batch_lines_;
  bool batched_;
  std::uint64_t split_reconcile_bytes_ = kSplitReconcileBytes;
};

}  // namespace hub::bank
