#include "registry/reconciler.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <stdexcept>
#include <vector>

#include "registry/line_reader.h"
#include "registry/record.h"
#include "registry/record_reader.h"
#include "registry/scanner.h"
#include "registry/values.h"

namespace hub::bank {

namespace {

constexpr std::uint64_t kProgressStep = 1u << 20;

std::string check_mismatch(std::int64_t line, const std::string& count, const std::string& sum,
                           std::int64_t first_line, const std::string& first_count,
                           const std::string& first_sum) {
  return "line " + std::to_string(line) + ": the check columns (" + count + " rows, " + sum +
         " kopecks) differ from line " + std::to_string(first_line) + " (" + first_count +
         " rows, " + first_sum + " kopecks)";
}

/// What one range of lines showed, with what joining it to the range before needs.
struct RangeResult : Reconciliation {
  std::int64_t first_line = 0;  // the range's first line that is not skipped (0: none)
  bool seen_record = false;
  // Refused for check columns differing from the range's first: the line's own values (the
  // join names the file's first line instead).
  std::optional<std::pair<std::string, std::string>> refused_check;
  // The counts up to and including the line of the first check columns.
  std::int64_t count_at_check = 0, sum_at_check = 0, bad_at_check = 0;
};

/// Reads the lines of `range` as pass 1 does. Progress: `own` counts this range's bytes read;
/// `report`, when given, is called with the bytes of both ranges (`own` and `other`).
RangeResult read_range(const std::filesystem::path& file, const Layout& l, Encoding encoding,
                       const LineReader::Range& range, bool after_records,
                       std::atomic<std::uint64_t>& own, const std::atomic<std::uint64_t>& other,
                       const ReconcileProgress* report) {
  RangeResult out;
  auto refuse = [&](std::int64_t line, std::string why) {
    out.refusal = plugin::InputError{line, "", std::move(why)};
    return out;
  };
  // Only what the reconciliation needs is read: every line's structure and amount, and the check
  // columns. So `errors` in the summary of a file refused here counts the lines whose structure
  // or amount is broken; the other fields are read, and reported line by line, in pass 2.
  std::vector<std::string> reconciled_roles{"amount"};
  if (l.footer.kind == FooterKind::kCheckColumns) {
    reconciled_roles.push_back(l.footer.count_field);
    reconciled_roles.push_back(l.footer.sum_field);
  }
  RecordReader reader(l);
  Record record;  // cleared for every line, it keeps its allocations
  std::vector<FieldError> errors;
  std::string text;
  Scanner scan(file, l, encoding, range, after_records);
  std::uint64_t next_progress = 0;
  for (auto kind = scan.next(text); kind != Scanner::Kind::kEnd; kind = scan.next(text)) {
    const auto n = scan.line();
    if (scan.reader().bytes_read() >= next_progress) {
      own.store(scan.reader().bytes_read(), std::memory_order_relaxed);
      if (report) (*report)(own + other, scan.reader().size());
      next_progress = scan.reader().bytes_read() + kProgressStep;
    }
    if (kind == Scanner::Kind::kSkip) continue;
    if (!out.first_line) out.first_line = n;
    if (out.footer_line) {
      return refuse(n, "line " + std::to_string(n) + " comes after the footer at line " +
                           std::to_string(*out.footer_line));
    }
    if (kind == Scanner::Kind::kDirective) {
      const auto* d = scan.directive();
      if (d->role == "sum") {
        const auto v =
            trim_spaces(std::string_view(text).substr(text.find(d->prefix) + d->prefix.size()));
        auto s = parse_amount(v, l.footer.sum_unit == AmountUnit::kKopecks ? AmountUnit::kKopecks
                                                                           : AmountUnit::kRubles);
        if (!s) {
          return refuse(n, "line " + std::to_string(n) + ": " + d->prefix + " '" + std::string(v) +
                               "' is not an amount");
        }
        out.directive_sum = *s;
        out.directive_line = n;
      }
      continue;
    }
    if (kind == Scanner::Kind::kFooter) {
      out.footer_line = n;
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
            return refuse(
                n, "footer at line " + std::to_string(n) + ": count '" + tok + "' is not a number");
          }
          out.footer_count = *c;
        } else {
          auto s =
              parse_amount(tok, l.footer.sum_unit == AmountUnit::kKopecks ? AmountUnit::kKopecks
                                                                          : AmountUnit::kRubles);
          if (!s) {
            return refuse(
                n, "footer at line " + std::to_string(n) + ": sum '" + tok + "' is not an amount");
          }
          out.footer_sum = *s;
        }
      }
      continue;
    }
    // A record.
    ++out.count;
    Record& r = record;
    r.clear();
    r.line = n;
    errors.clear();
    const bool whole = reader.read(text, r, errors, &reconciled_roles);
    if (!errors.empty() || has_control_chars(text)) ++out.bad;
    const auto& amount = r.get("amount");
    if (whole && !amount.empty()) out.sum += std::stoll(amount);
    if (l.footer.kind == FooterKind::kCheckColumns && whole) {
      const auto& c = r.get(l.footer.count_field);
      const auto& s = r.get(l.footer.sum_field);
      if (!out.check_count) {
        out.check_count = c, out.check_sum = s, out.check_line = n;
        out.count_at_check = out.count, out.sum_at_check = out.sum, out.bad_at_check = out.bad;
      } else if (c != *out.check_count || s != *out.check_sum) {
        out.refused_check = std::pair{c, s};
        return refuse(n, check_mismatch(n, c, s, out.check_line, *out.check_count, *out.check_sum));
      }
    }
  }
  out.seen_record = scan.seen_record();
  out.lines = scan.line();
  out.last_line_terminated = scan.reader().last_line_terminated();
  own.store(scan.reader().bytes_read(), std::memory_order_relaxed);
  if (scan.fatal()) return refuse(scan.fatal()->line, scan.fatal()->reason);
  return out;
}

/// Where the second half starts: the first line start at or after the middle of the file, or
/// 0 when the file is smaller than `from_bytes` or no line ends in the second half's first MB
/// and max_line_bytes (a file of one huge line, binary content: read in one piece).
std::uint64_t split_point(const std::filesystem::path& file, const Layout& l,
                          std::uint64_t from_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size < 2 || size < from_bytes) return 0;
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return 0;
  std::uint64_t at = size / 2;
  std::uint64_t found = 0;
  if (std::fseek(f, static_cast<long>(at), SEEK_SET) == 0) {
    std::vector<char> buf(64 * 1024);
    const std::uint64_t limit = at + (1u << 20) + l.max_line_bytes;
    while (!found && at < std::min<std::uint64_t>(size, limit)) {
      const auto got = std::fread(buf.data(), 1, buf.size(), f);
      if (got == 0) break;
      if (const void* nl = std::memchr(buf.data(), '\n', got)) {
        found = at + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buf.data()) + 1;
      }
      at += got;
    }
  }
  std::fclose(f);
  return found < size ? found : 0;
}

/// The line ends in the first `bytes` bytes of the file.
std::int64_t count_lines(const std::filesystem::path& file, std::uint64_t bytes) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  std::vector<char> buf(1u << 20);
  std::int64_t n = 0;
  while (bytes) {
    const auto got = std::fread(buf.data(), 1, std::min<std::uint64_t>(buf.size(), bytes), f);
    if (got == 0) break;
    n += std::count(buf.data(), buf.data() + got, '\n');
    bytes -= got;
  }
  std::fclose(f);
  return n;
}

std::uint64_t size_of(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

/// The two halves as one pass over the file would have seen them: `a` the first, `b` the second.
Reconciliation join(const Reconciliation& a, const RangeResult& b) {
  if (a.refusal) return a;
  // What refuses the file in the second half, first by line, then in the order one pass checks.
  struct Candidate {
    std::int64_t line;
    int rank;
    std::string why;
    std::int64_t lines, count, sum, bad;
  };
  std::vector<Candidate> found;
  if (a.footer_line && b.first_line) {
    found.push_back({b.first_line, 0,
                     "line " + std::to_string(b.first_line) + " comes after the footer at line " +
                         std::to_string(*a.footer_line),
                     0, a.count, a.sum, a.bad});
  }
  if (a.check_count && b.check_count &&
      (*b.check_count != *a.check_count || *b.check_sum != *a.check_sum)) {
    found.push_back({b.check_line, 1,
                     check_mismatch(b.check_line, *b.check_count, *b.check_sum, a.check_line,
                                    *a.check_count, *a.check_sum),
                     0, a.count + b.count_at_check, a.sum + b.sum_at_check,
                     a.bad + b.bad_at_check});
  }
  if (b.refusal) {
    // A line differing from the second half's first check columns, which are the first half's
    // (or the join refuses there, earlier): one pass names the file's first line.
    const auto why =
        b.refused_check && a.check_count
            ? check_mismatch(b.refusal->line, b.refused_check->first, b.refused_check->second,
                             a.check_line, *a.check_count, *a.check_sum)
            : b.refusal->reason;
    found.push_back(
        {b.refusal->line, 2, why, b.lines, a.count + b.count, a.sum + b.sum, a.bad + b.bad});
  }
  Reconciliation out = a;
  if (!found.empty()) {
    const auto& c = *std::min_element(found.begin(), found.end(), [](const auto& x, const auto& y) {
      return x.line != y.line ? x.line < y.line : x.rank < y.rank;
    });
    out.refusal = plugin::InputError{c.line, "", c.why};
    out.lines = c.lines;
    out.count = c.count, out.sum = c.sum, out.bad = c.bad;
    return out;
  }
  out.lines = b.lines;
  out.count += b.count, out.sum += b.sum, out.bad += b.bad;
  if (b.directive_sum) {  // the second half read after a first half without records
    out.directive_sum = b.directive_sum, out.directive_line = b.directive_line;
  }
  if (b.footer_line) {
    out.footer_line = b.footer_line, out.footer_count = b.footer_count,
    out.footer_sum = b.footer_sum;
  }
  if (!a.check_count && b.check_count) {
    out.check_count = b.check_count, out.check_sum = b.check_sum, out.check_line = b.check_line;
  }
  out.last_line_terminated = b.last_line_terminated;
  return out;
}

bool sums_match(std::int64_t stated, AmountUnit unit, std::int64_t actual) {
  if (unit == AmountUnit::kRublesRounded) {
    // Whole rubles: the lines' kopecks rounded half up.
    return stated == (actual >= 0 ? (actual + 50) / 100 * 100 : -((-actual + 50) / 100 * 100));
  }
  return stated == actual;
}

/// The reconciliation proper, on the whole file's figures: there must be lines, and the footer,
/// the file-sum directive or the check columns (whichever the layout has, when it requires them)
/// must agree with them. Sets `r.refusal` when they do not.
void check_totals(const Layout& l, Reconciliation& r) {
  auto refuse = [&r](std::int64_t line, std::string why) {
    r.refusal = plugin::InputError{line, "", std::move(why)};
  };
  const auto last = r.lines;
  const std::string truncated =
      r.last_line_terminated ? "" : " (the last line has no line end: truncated?)";
  if (r.count == 0) return refuse(last, "no registry lines in the file" + truncated);

  const auto sum_text = [&](std::int64_t kop) {
    return format_amount(kop, AmountUnit::kRubles, '.');
  };
  switch (l.footer.kind) {
    case FooterKind::kNone:
      break;
    case FooterKind::kLine:
      if (!r.footer_line) {
        if (l.footer.required) {
          return refuse(last, "no footer line ('" + l.footer.prefix + l.separator +
                                  "...') after line " + std::to_string(last) +
                                  ": the file is incomplete" + truncated);
        }
        break;
      }
      if (r.footer_count && *r.footer_count != r.count) {
        return refuse(*r.footer_line, "footer at line " + std::to_string(*r.footer_line) +
                                          " says " + std::to_string(*r.footer_count) +
                                          " lines, the file has " + std::to_string(r.count) +
                                          truncated);
      }
      if (r.footer_sum && !sums_match(*r.footer_sum, l.footer.sum_unit, r.sum)) {
        return refuse(*r.footer_line, "footer at line " + std::to_string(*r.footer_line) +
                                          " says the sum is " + sum_text(*r.footer_sum) +
                                          ", the lines add up to " + sum_text(r.sum));
      }
      break;
    case FooterKind::kFileSum:
      if (!r.directive_sum) {
        if (l.footer.required) return refuse(1, "no file sum directive in the header");
        break;
      }
      if (!sums_match(*r.directive_sum, l.footer.sum_unit, r.sum)) {
        return refuse(r.directive_line, "the file sum at line " + std::to_string(r.directive_line) +
                                            " is " + sum_text(*r.directive_sum) +
                                            ", the lines add up to " + sum_text(r.sum) + truncated);
      }
      break;
    case FooterKind::kCheckColumns:
      if (!r.check_count) {
        if (l.footer.required) return refuse(last, "no line carries the check columns");
        break;
      }
      if (std::to_string(r.count) != *r.check_count) {
        return refuse(r.check_line, "check columns at line " + std::to_string(r.check_line) +
                                        " say " + *r.check_count + " rows, the file has " +
                                        std::to_string(r.count) + truncated);
      }
      if (r.check_sum->empty() || std::stoll(*r.check_sum) != r.sum) {
        return refuse(r.check_line,
                      "check columns at line " + std::to_string(r.check_line) +
                          " say the total is " +
                          (r.check_sum->empty() ? "empty" : sum_text(std::stoll(*r.check_sum))) +
                          ", the lines add up to " + sum_text(r.sum));
      }
      break;
  }
}

}  // namespace

Reconciliation reconcile(const std::filesystem::path& file, const Layout& layout, Encoding encoding,
                         const ReconcileProgress& progress, std::uint64_t split_from_bytes) {
  std::atomic<std::uint64_t> bytes_a{0}, bytes_b{0};
  const auto mid = split_point(file, layout, split_from_bytes);
  if (!mid) {
    Reconciliation whole =
        read_range(file, layout, encoding, {}, false, bytes_a, bytes_b, &progress);
    progress(bytes_a, size_of(file));
    if (!whole.refusal) check_totals(layout, whole);
    return whole;
  }
  // The second half on a thread of its own, the first on this one (which reports progress).
  auto second = std::async(std::launch::async, [&] {
    LineReader::Range r{mid, UINT64_MAX, count_lines(file, mid)};
    return std::pair{r, read_range(file, layout, encoding, r, true, bytes_b, bytes_a, nullptr)};
  });
  RangeResult first;
  try {
    first = read_range(file, layout, encoding, {0, mid, 0}, false, bytes_a, bytes_b, &progress);
  } catch (...) {
    second.wait();
    throw;
  }
  auto [range, b] = second.get();
  if (!first.refusal && !first.seen_record) {
    // No record in the first half: the second may begin with header directives.
    bytes_b = 0;
    b = read_range(file, layout, encoding, range, false, bytes_b, bytes_a, nullptr);
  }
  auto out = join(first, b);
  progress(bytes_a + bytes_b, size_of(file));
  if (!out.refusal) check_totals(layout, out);
  return out;
}

}  // namespace hub::bank
