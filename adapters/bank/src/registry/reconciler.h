#pragma once
// Pass 1 of a registry import (registry_parser.h): every line decoded, classified and read as far
// as the reconciliation needs it (structure, amount, check columns), the footer, the file-sum
// directive and the check columns found, the lines counted and their amounts added up, and those
// checked against each other. Nothing is emitted; the first whole-file problem in file order, or
// totals that disagree with the footer, refuse the file.
//
// Nothing else of a file can happen before it is reconciled, so a big file is read in two halves
// on two threads: the second half starts at a line start near the middle, with its line numbers
// (it counts the first half's line ends first) and as a range that follows records, and the
// halves are joined as one pass over the whole file would have seen them: the same totals, the
// same first refusal with the same text. A first half without any record line (where the second
// half could still hold header directives) is read again in one piece.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "encoding.h"
#include "hub/plugin/file_parser.h"
#include "registry/layout.h"

namespace hub::bank {

struct Reconciliation {
  /// The first problem that refuses the file, in file order, or the totals' disagreement with
  /// the footer.
  std::optional<plugin::InputError> refusal;
  std::int64_t lines = 0;  ///< physical lines read (0 when a line refused the file)
  std::int64_t count = 0;  ///< record lines
  std::int64_t sum = 0;    ///< kopecks of the amounts read
  std::int64_t bad = 0;    ///< record lines whose structure or amount is broken
  std::optional<std::int64_t> footer_line, footer_count, footer_sum;
  std::optional<std::int64_t> directive_sum;
  std::int64_t directive_line = 0;
  std::optional<std::string> check_count, check_sum;  ///< the first line's check columns
  std::int64_t check_line = 0;
  bool last_line_terminated = true;
};

/// Progress of the read: bytes done of the file's size.
using ReconcileProgress = std::function<void(std::uint64_t done, std::uint64_t size)>;

/// Files from this size are read in two halves on two threads.
constexpr std::uint64_t kSplitReconcileBytes = 8u << 20;

/// Pass 1 over `file`. `split_from_bytes`: the size from which the file is read in two halves
/// (the tests lower it to check that both ways agree). `progress` is called on this thread.
Reconciliation reconcile(const std::filesystem::path& file, const Layout& layout, Encoding encoding,
                         const ReconcileProgress& progress,
                         std::uint64_t split_from_bytes = kSplitReconcileBytes);

}  // namespace hub::bank
