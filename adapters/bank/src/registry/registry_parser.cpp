#include "registry/registry_parser.h"

#include <algorithm>
#include <optional>

#include "hub/plugin/text_escape.h"
#include "registry/file_name.h"
#include "registry/line_reader.h"
#include "registry/payment_batcher.h"
#include "registry/payment_builder.h"
#include "registry/reconciler.h"
#include "registry/record_reader.h"
#include "registry/scanner.h"
#include "registry/values.h"

namespace hub::bank {

namespace {

std::string json_string(std::string_view s) {
  return plugin::json_quoted(s);
}

struct Totals {
  std::int64_t lines = 0;  // physical lines
  std::int64_t count = 0;  // record lines
  std::int64_t sum = 0;    // kopecks of the amounts read
  std::int64_t bad = 0;    // record lines with problems
  std::int64_t payments = 0;
  std::int64_t readings = 0;
};

std::string summary(const Layout& l, Encoding e, const Totals& t) {
  return "{\"layout\":" + json_string(l.name) + ",\"kind\":\"" +
         (l.kind == LayoutKind::kPayments ? "payments" : "debts") + "\",\"encoding\":\"" +
         std::string(name_of(e)) + "\",\"lines\":" + std::to_string(t.lines) +
         ",\"count\":" + std::to_string(t.count) + ",\"sum_kopecks\":" + std::to_string(t.sum) +
         ",\"errors\":" + std::to_string(t.bad) + ",\"payments\":" + std::to_string(t.payments) +
         ",\"readings\":" + std::to_string(t.readings) + "}";
}

}  // namespace

plugin::ParseOutcome RegistryParser::parse(const std::filesystem::path& file,
                                           const plugin::ParsedFile& info,
                                           plugin::ParseSink& sink) {
  const Layout& l = *layout_;
  plugin::ParseOutcome outcome;
  Totals totals;
  Encoding encoding = l.encoding;
  // One record for every line of both passes: cleared, it keeps its allocations.
  Record record;
  auto refuse = [&](std::int64_t line, std::string why) {
    outcome.accepted = false;
    outcome.fatal.push_back({line, "", std::move(why)});
    outcome.summary = summary(l, encoding, totals);
    return outcome;
  };

  if (l.file_name.check && !l.file_name.pattern.empty() &&
      !file_name_matches(l.file_name.pattern, info.file_name)) {
    return refuse(0, "file name '" + info.file_name + "' does not follow the rule " +
                         l.file_name.pattern + " of layout " + l.name);
  }
  encoding = choose_encoding(file, l);

  RecordReader reader(l);
  std::string text;
  std::vector<FieldError> errors;

  // ---- Pass 1: decode, read and reconcile everything; emit nothing (reconciler.h). ----
  {
    const auto rec = reconcile(
        file, l, encoding,
        [&sink](std::uint64_t done, std::uint64_t size) { sink.progress(done, size); },
        split_reconcile_bytes_);
    totals.lines = rec.lines;
    totals.count = rec.count;
    totals.sum = rec.sum;
    totals.bad = rec.bad;
    if (rec.refusal) return refuse(rec.refusal->line, rec.refusal->reason);
  }

  // ---- Pass 2: emit (payments only). ----
  totals.bad = 0;
  if (l.kind == LayoutKind::kPayments) {
    PaymentBuilder builder(l, info);
    PaymentBatcher batcher(l, info);
    Scanner scan(file, l, encoding);
    std::vector<plugin::Envelope> batch;
    std::size_t lines_in_batch = 0;
    std::int64_t position = info.resume_after;
    for (auto kind = scan.next(text); kind != Scanner::Kind::kEnd; kind = scan.next(text)) {
      const auto n = scan.line();
      if (kind != Scanner::Kind::kRecord || n <= info.resume_after) continue;
      Record& r = record;
      r.clear();
      r.line = n;
      errors.clear();
      if (has_control_chars(text)) {
        errors.push_back(
            {"",
             "the line holds characters XML cannot carry (control characters, U+FFFE, U+FFFF)"});
      } else if (reader.read(text, r, errors) &&
                 std::all_of(errors.begin(), errors.end(),
                             [](const FieldError& e) { return e.reading; })) {
        // A bad meter value leaves that reading out; the payment itself still goes.
        const auto added =
            batched_ ? batcher.add(builder, r, errors) : builder.build(r, batch, errors);
        if (added) {
          ++totals.payments;
          totals.readings += static_cast<std::int64_t>(added) - 1;
        }
      }
      if (!errors.empty()) {
        ++totals.bad;
        for (auto& e : errors) sink.error({n, std::move(e.field), std::move(e.reason)});
      }
      position = n;
      if (++lines_in_batch >= batch_lines_ || batcher.size() >= kMaxPaymentsPerBatch) {
        if (batched_) batch = batcher.take();
        sink.emit(std::move(batch), position);
        batch.clear();
        lines_in_batch = 0;
        sink.progress(scan.reader().bytes_read(), scan.reader().size());
      }
    }
    if (scan.fatal()) {
      // Pass 1 read the same bytes: the file changed under us.
      throw std::runtime_error(scan.fatal()->reason + " (the file changed while it was read)");
    }
    if (batched_) batch = batcher.take();
    if (!batch.empty() || lines_in_batch) sink.emit(std::move(batch), position);
    sink.progress(scan.reader().bytes_read(), scan.reader().size());
  } else {
    // Debts are outgoing: only checked. Per-line problems still go to the report.
    Scanner scan(file, l, encoding);
    for (auto kind = scan.next(text); kind != Scanner::Kind::kEnd; kind = scan.next(text)) {
      if (kind != Scanner::Kind::kRecord) continue;
      Record r;
      errors.clear();
      reader.read(text, r, errors);
      if (!errors.empty()) ++totals.bad;
      for (auto& e : errors) sink.error({scan.line(), std::move(e.field), std::move(e.reason)});
    }
  }
  outcome.summary = summary(l, encoding, totals);
  return outcome;
}

}  // namespace hub::bank
