#pragma once
// Turns one inbound file into canonical messages. Parsers stream: they hand batches to `sink`
// with the position (line or record number) reached, so memory never grows with file size.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hub/plugin/envelope.h"

namespace hub::plugin {

/// One problem in the input: where it is and why it is wrong.
struct InputError {
  std::int64_t line = 0;  ///< 1-based line or record; 0 = the whole file
  std::string field;      ///< field name, XPath or empty
  std::string reason;
};

struct ParsedFile {
  std::string file_name;      ///< base name, for reports
  std::string fingerprint;    ///< SHA-256 of the content, hex
  std::int64_t resume_after = 0;  ///< positions at or below this were already committed
  std::string source;         ///< adapter instance handing the file over (for idempotency keys)
};

/// A sink that gathers what a parser emits into Ingress batches hands its batch over once it holds
/// this many bytes of bodies, whatever its message count: a parser that emits big messages (a
/// payment.lines of 500 payments is ~120 KB) must not make a 500-message batch of them, which
/// would hold the whole file in memory. The file inbox keeps one batch in flight while it fills
/// the next, so a file holds at most two batches of bodies at once, and every file of more than
/// two batches (a 100,000-line Sber registry is ~24 MB of payment.lines) peaks at the same RSS:
/// bench_registry_import at 16 MB peaked at 68.6-69.5 MB for 1M lines and 56.1-61.8 MB for 100k,
/// at 10 MB at 56.6-57.9 and 55.5-58.4 MB. Not much smaller: every batch ends with a moment where
/// its last envelopes are checked and its last part written while the other core waits (4 MB
/// batches imported a million lines 25% slower than 16 MB ones; 10 MB is within the noise of 16).
inline constexpr std::size_t kMaxPendingBodyBytes = 10u << 20;

class ParseSink {
 public:
  virtual ~ParseSink() = default;
  /// Hands over messages read up to and including `position`.
  virtual void emit(std::vector<Envelope> batch, std::int64_t position) = 0;
  /// A bad record that does not stop the rest of the file.
  virtual void error(InputError e) = 0;
  /// How far the parser has read, for percent and ETA of long files. Call it now and then (per
  /// batch or every few hundred KiB); a pass that reads the file twice reports each pass from 0.
  virtual void progress(std::uint64_t bytes_read, std::uint64_t bytes_total) {}
};

struct ParseOutcome {
  bool accepted = true;          ///< false: quarantine the whole file, nothing is kept
  /// Counts and totals for the report: a JSON object for parsers with totals (e.g.
  /// {"count":120,"sum_kopecks":5431200}), which `zhkh-hub import --json` prints as its last
  /// line; free text otherwise.
  std::string summary;
  std::vector<InputError> fatal; ///< why the file as a whole was refused
};

class FileParser {
 public:
  virtual ~FileParser() = default;
  virtual ParseOutcome parse(const std::filesystem::path& file, const ParsedFile& info,
                             ParseSink& sink) = 0;
};

}  // namespace hub::plugin
