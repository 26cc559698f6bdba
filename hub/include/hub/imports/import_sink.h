#pragma once
// What a parser hands over during an import, passed to Ingress in batches: each batch commits
// together with an in_progress checkpoint at the position reached, and the last one with the
// final checkpoint, so a file's end and its last messages are one transaction. Positions at or
// below the checkpoint a crash left behind are skipped, so a resumed file adds nothing twice.

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "hub/plugin/context.h"
#include "hub/plugin/file_parser.h"

namespace hub::imports {

/// Live figures of one import, read by the API while the parser runs.
struct ImportCounters {
  std::atomic<std::uint64_t> bytes_read{0};
  std::atomic<std::uint64_t> bytes_total{0};
  std::atomic<std::int64_t> position{0};  ///< last line handed over
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> errors{0};
  /// Set when the hub stops: the sink then throws ImportInterrupted at the parser's next call,
  /// leaving the checkpoint at the last committed batch for the next start to resume from.
  const std::atomic<bool>* stop = nullptr;
};

class ImportInterrupted : public std::runtime_error {
 public:
  ImportInterrupted() : std::runtime_error("the hub is stopping") {}
};

class ImportSink : public plugin::ParseSink {
 public:
  /// `base` names the source, key and file; its position is where a previous run stopped.
  ImportSink(plugin::Emitter& emitter, plugin::Checkpoint base, std::size_t batch_size,
             std::size_t error_limit, ImportCounters& counters);

  void emit(std::vector<plugin::Envelope> batch, std::int64_t position) override;
  void error(plugin::InputError e) override;
  void progress(std::uint64_t bytes_read, std::uint64_t bytes_total) override;

  /// Commits what is pending with a checkpoint of `status` ("in_progress", "done",
  /// "quarantined") and `report`. Throws what Ingress throws; nothing pending is lost then.
  void flush(const std::string& status, const std::string& report);
  /// Forgets what was not committed (the file is refused): the checkpoint stays where it was.
  void discard();

  /// The first `error_limit` errors; error_count() counts all of them.
  const std::vector<plugin::InputError>& errors() const { return errors_; }
  std::uint64_t error_count() const { return error_count_; }
  std::int64_t committed() const { return committed_; }
  std::uint64_t handed() const { return handed_; }
  std::uint64_t skipped() const { return skipped_; }

 private:
  plugin::Emitter& emitter_;
  plugin::Checkpoint base_;
  std::size_t batch_size_;
  std::size_t error_limit_;
  ImportCounters& counters_;
  std::vector<plugin::Envelope> pending_;
  std::size_t pending_bytes_ = 0;
  std::vector<plugin::InputError> errors_;
  std::uint64_t error_count_ = 0;
  std::int64_t committed_;
  std::int64_t position_;
  std::uint64_t handed_ = 0;
  std::uint64_t skipped_ = 0;
};

}  // namespace hub::imports
