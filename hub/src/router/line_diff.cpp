#include "hub/router/line_diff.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace hub::router {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

struct Edit {
  char op;        // ' ', '-', '+'
  std::size_t a;  // line index in before (for ' ' and '-')
  std::size_t b;  // line index in after (for ' ' and '+')
};

/// The edit script from an LCS table over the middle part that differs; the common prefix and
/// suffix are trimmed first so the table stays small for the usual one-line change.
std::vector<Edit> edit_script(const std::vector<std::string>& a,
                              const std::vector<std::string>& b) {
  std::size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  std::size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  const std::size_t n = a.size() - pre - suf, m = b.size() - pre - suf;

  std::vector<Edit> out;
  for (std::size_t i = 0; i < pre; ++i) out.push_back({' ', i, i});
  // Routing files are small; past this size a plain "all removed, all added" is still correct.
  constexpr std::size_t kMaxCells = 25'000'000;
  if (n * m > kMaxCells) {
    for (std::size_t i = 0; i < n; ++i) out.push_back({'-', pre + i, pre});
    for (std::size_t j = 0; j < m; ++j) out.push_back({'+', pre + n, pre + j});
  } else {
    // len[i][j] = LCS length of a[pre+i..pre+n) and b[pre+j..pre+m).
    std::vector<std::uint32_t> len((n + 1) * (m + 1), 0);
    auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return len[i * (m + 1) + j]; };
    for (std::size_t i = n; i-- > 0;) {
      for (std::size_t j = m; j-- > 0;) {
        at(i, j) =
            a[pre + i] == b[pre + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    std::size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[pre + i] == b[pre + j]) {
        out.push_back({' ', pre + i, pre + j});
        ++i, ++j;
      } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
        // Removals before additions on a tie, the way diff(1) prints a changed line.
        out.push_back({'-', pre + i, pre + j});
        ++i;
      } else {
        out.push_back({'+', pre + i, pre + j});
        ++j;
      }
    }
  }
  for (std::size_t k = 0; k < suf; ++k) out.push_back({' ', pre + n + k, pre + m + k});
  return out;
}

std::string range(std::size_t start, std::size_t count) {
  // Unified format: 1-based start, and for an empty range the line before it.
  const auto first = count == 0 ? start : start + 1;
  return count == 1 ? std::to_string(first) : std::to_string(first) + "," + std::to_string(count);
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& before_name, const std::string& after_name,
                         int context) {
  const auto a = split_lines(before);
  const auto b = split_lines(after);
  const auto edits = edit_script(a, b);
  const std::size_t ctx = context < 0 ? 0 : static_cast<std::size_t>(context);

  std::string out;
  std::size_t k = 0;
  while (k < edits.size()) {
    // Next change, then the hunk around it: merge changes closer than 2*context lines.
    while (k < edits.size() && edits[k].op == ' ') ++k;
    if (k == edits.size()) break;
    std::size_t begin = k >= ctx ? k - ctx : 0;
    std::size_t end = k;
    std::size_t last_change = k;
    while (end < edits.size()) {
      if (edits[end].op != ' ') last_change = end;
      if (end - last_change > 2 * ctx) break;
      ++end;
    }
    end = std::min(edits.size(), last_change + ctx + 1);
    // Never start a hunk before the previous one ended (they were merged above).
    std::size_t a_start = edits[begin].a, b_start = edits[begin].b, a_count = 0, b_count = 0;
    std::string body;
    for (std::size_t e = begin; e < end; ++e) {
      const auto& ed = edits[e];
      if (ed.op == ' ') {
        ++a_count, ++b_count;
        body += " " + a[ed.a] + "\n";
      } else if (ed.op == '-') {
        ++a_count;
        body += "-" + a[ed.a] + "\n";
      } else {
        ++b_count;
        body += "+" + b[ed.b] + "\n";
      }
    }
    if (out.empty()) out = "--- " + before_name + "\n+++ " + after_name + "\n";
    out += "@@ -" + range(a_start, a_count) + " +" + range(b_start, b_count) + " @@\n" + body;
    k = end;
  }
  return out;
}

}  // namespace hub::router
