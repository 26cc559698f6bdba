#include "registry/registry_parser.h"

#include <algorithm>
#include <optional>

#include "hub/plugin/text_escape.h"
#include "registry/file_name.h"
#include "registry/line_reader.h"
#include "registry/payment_batcher.h"
#include "registry/payment_builder.h"
#include "registry/record_reader.h"
#include "registry/scanner.h"
#include "registry/values.h"

namespace hub::bank {

namespace {

std::string json_string(std::string_view s) {
  return plugin::json_quoted(s);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
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

bool sums_match(std::int64_t stated, AmountUnit unit, std::int64_t actual) {
  if (unit == AmountUnit::kRublesRounded) {
    // Whole rubles: the lines' kopecks rounded half up.
    return stated == (actual >= 0 ? (actual + 50) / 100 * 100 : -((-actual + 50) / 100 * 100));
  }
  return stated == actual;
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

  // ---- Pass 1: decode, read and reconcile everything; emit nothing. ----
  // Only what the reconciliation needs is read: every line's structure and amount, and the check
  // columns. So `errors` in the summary of a file refused here counts the lines whose structure
  // or amount is broken; the other fields are read, and reported line by line, in pass 2.
  std::vector<std::string> reconciled_roles{"amount"};
  if (l.footer.kind == FooterKind::kCheckColumns) {
    reconciled_roles.push_back(l.footer.count_field);
    reconciled_roles.push_back(l.footer.sum_field);
  }
  {
    Scanner scan(file, l, encoding);
    std::optional<std::int64_t> footer_line, footer_count, footer_sum, directive_sum;
    std::int64_t directive_line = 0;
    std::optional<std::string> check_count, check_sum;
    std::int64_t check_line = 0;
    std::uint64_t next_progress = 0;
    for (auto kind = scan.next(text); kind != Scanner::Kind::kEnd; kind = scan.next(text)) {
      const auto n = scan.line();
      if (scan.reader().bytes_read() >= next_progress) {
        sink.progress(scan.reader().bytes_read(), scan.reader().size());
        next_progress = scan.reader().bytes_read() + (1u << 20);
      }
      if (kind == Scanner::Kind::kSkip) continue;
      if (footer_line) {
        return refuse(n, "line " + std::to_string(n) + " comes after the footer at line " +
                             std::to_string(*footer_line));
      }
      if (kind == Scanner::Kind::kDirective) {
        const auto* d = scan.directive();
        if (d->role == "sum") {
          const auto v =
              trim(std::string_view(text).substr(text.find(d->prefix) + d->prefix.size()));
          auto s = parse_amount(v, l.footer.sum_unit == AmountUnit::kKopecks ? AmountUnit::kKopecks
                                                                             : AmountUnit::kRubles);
          if (!s) {
            return refuse(n, "line " + std::to_string(n) + ": " + d->prefix + " '" +
                                 std::string(v) + "' is not an amount");
          }
          directive_sum = *s;
          directive_line = n;
        }
        continue;
      }
      if (kind == Scanner::Kind::kFooter) {
        footer_line = n;
        auto tokens = reader.split(text);
        for (std::size_t i = 0; i < l.footer.fields.size(); ++i) {
          const auto& role = l.footer.fields[i];
          if (role == "-") continue;
          if (i + 1 >= tokens.size()) {
            return refuse(n, "footer at line " + std::to_string(n) + " has no " + role);
          }
          const auto& tok = tokens[i + 1];
          if (role == "count") {
            auto c = parse_amount(tok, AmountUnit::kKopecks);
            if (!c || *c < 0) {
              return refuse(n, "footer at line " + std::to_string(n) + ": count '" + tok +
                                   "' is not a number");
            }
            footer_count = *c;
          } else {
            auto s =
                parse_amount(tok, l.footer.sum_unit == AmountUnit::kKopecks ? AmountUnit::kKopecks
                                                                            : AmountUnit::kRubles);
            if (!s) {
              return refuse(n, "footer at line " + std::to_string(n) + ": sum '" + tok +
                                   "' is not an amount");
            }
            footer_sum = *s;
          }
        }
        continue;
      }
      // A record.
      ++totals.count;
      Record& r = record;
      r.clear();
      r.line = n;
      errors.clear();
      const bool whole = reader.read(text, r, errors, &reconciled_roles);
      if (!errors.empty() || has_control_chars(text)) ++totals.bad;
      const auto& amount = r.get("amount");
      if (whole && !amount.empty()) totals.sum += std::stoll(amount);
      if (l.footer.kind == FooterKind::kCheckColumns && whole) {
        const auto& c = r.get(l.footer.count_field);
        const auto& s = r.get(l.footer.sum_field);
        if (!check_count) {
          check_count = c, check_sum = s, check_line = n;
        } else if (c != *check_count || s != *check_sum) {
          return refuse(n, "line " + std::to_string(n) + ": the check columns (" + c + " rows, " +
                               s + " kopecks) differ from line " + std::to_string(check_line) +
                               " (" + *check_count + " rows, " + *check_sum + " kopecks)");
        }
      }
    }
    totals.lines = scan.line();
    if (scan.fatal()) return refuse(scan.fatal()->line, scan.fatal()->reason);
    sink.progress(scan.reader().bytes_read(), scan.reader().size());
    const auto last = scan.line();
    const std::string truncated =
        scan.reader().last_line_terminated() ? "" : " (the last line has no line end: truncated?)";
    if (totals.count == 0) return refuse(last, "no registry lines in the file" + truncated);

    const auto sum_text = [&](std::int64_t kop) {
      return format_amount(kop, AmountUnit::kRubles, '.');
    };
    switch (l.footer.kind) {
      case FooterKind::kNone:
        break;
      case FooterKind::kLine:
        if (!footer_line) {
          if (l.footer.required) {
            return refuse(last, "no footer line ('" + l.footer.prefix + l.separator +
                                    "...') after line " + std::to_string(last) +
                                    ": the file is incomplete" + truncated);
          }
          break;
        }
        if (footer_count && *footer_count != totals.count) {
          return refuse(*footer_line, "footer at line " + std::to_string(*footer_line) + " says " +
                                          std::to_string(*footer_count) + " lines, the file has " +
                                          std::to_string(totals.count) + truncated);
        }
        if (footer_sum && !sums_match(*footer_sum, l.footer.sum_unit, totals.sum)) {
          return refuse(*footer_line, "footer at line " + std::to_string(*footer_line) +
                                          " says the sum is " + sum_text(*footer_sum) +
                                          ", the lines add up to " + sum_text(totals.sum));
        }
        break;
      case FooterKind::kFileSum:
        if (!directive_sum) {
          if (l.footer.required) return refuse(1, "no file sum directive in the header");
          break;
        }
        if (!sums_match(*directive_sum, l.footer.sum_unit, totals.sum)) {
          return refuse(directive_line, "the file sum at line " + std::to_string(directive_line) +
                                            " is " + sum_text(*directive_sum) +
                                            ", the lines add up to " + sum_text(totals.sum) +
                                            truncated);
        }
        break;
      case FooterKind::kCheckColumns:
        if (!check_count) {
          if (l.footer.required) return refuse(last, "no line carries the check columns");
          break;
        }
        if (std::to_string(totals.count) != *check_count) {
          return refuse(check_line, "check columns at line " + std::to_string(check_line) +
                                        " say " + *check_count + " rows, the file has " +
                                        std::to_string(totals.count) + truncated);
        }
        if (check_sum->empty() || std::stoll(*check_sum) != totals.sum) {
          return refuse(check_line,
                        "check columns at line " + std::to_string(check_line) +
                            " say the total is " +
                            (check_sum->empty() ? "empty" : sum_text(std::stoll(*check_sum))) +
                            ", the lines add up to " + sum_text(totals.sum));
        }
        break;
    }
  }

  // ---- Pass 2: emit (payments only). ----
  totals.bad = 0;
  if (l.kind == LayoutKind::kPayments) {
    PaymentBuilder builder(l, info);
    builder.set_batched(batched_);
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
        const auto added = builder.build(r, batch, errors);
        if (added) {
          ++totals.payments;
          totals.readings += static_cast<std::int64_t>(added) - 1;
        }
        if (batched_) batcher.add(batch, n);
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
