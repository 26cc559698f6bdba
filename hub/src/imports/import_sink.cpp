#include "hub/imports/import_sink.h"

#include <algorithm>

namespace hub::imports {

ImportSink::ImportSink(plugin::Emitter& emitter, plugin::Checkpoint base, std::size_t batch_size,
                       std::size_t error_limit, ImportCounters& counters)
    : emitter_(emitter),
      base_(std::move(base)),
      batch_size_(std::max<std::size_t>(1, batch_size)),
      error_limit_(error_limit),
      counters_(counters),
      committed_(base_.position),
      position_(base_.position) {}

void ImportSink::emit(std::vector<plugin::Envelope> batch, std::int64_t position) {
  if (counters_.stop && *counters_.stop) throw ImportInterrupted();
  // Committed before a crash: the parser may not know how to skip it, so the sink does.
  if (position <= committed_) {
    skipped_ += batch.size();
    return;
  }
  handed_ += batch.size();
  for (auto& e : batch) {
    if (e.source.empty()) e.source = base_.source;  // as the plugin host's SourceEmitter does
    pending_bytes_ += e.body.size();
    pending_.push_back(std::move(e));
  }
  position_ = std::max(position_, position);
  if (pending_.size() >= batch_size_ || pending_bytes_ >= plugin::kMaxPendingBodyBytes)
    flush("in_progress", "");
}

void ImportSink::error(plugin::InputError e) {
  ++error_count_;
  counters_.errors = error_count_;
  if (errors_.size() < error_limit_) errors_.push_back(std::move(e));
}

void ImportSink::progress(std::uint64_t bytes_read, std::uint64_t bytes_total) {
  if (counters_.stop && *counters_.stop) throw ImportInterrupted();
  counters_.bytes_read = bytes_read;
  if (bytes_total) counters_.bytes_total = bytes_total;
}

void ImportSink::flush(const std::string& status, const std::string& report) {
  auto cp = base_;
  cp.position = position_;
  cp.status = status;
  cp.report = report;
  // Ingress takes the batch by value: it gets a copy, so that after a throw (the store is down)
  // the batch is still here and a retry of the flush loses nothing.
  const auto result = emitter_.emit(pending_, cp);
  pending_.clear();
  pending_bytes_ = 0;
  committed_ = position_;
  counters_.accepted += result.accepted;
  counters_.duplicates += result.duplicates;
  counters_.position = committed_;
}

void ImportSink::discard() {
  pending_.clear();
  pending_bytes_ = 0;
  position_ = committed_;
}

}  // namespace hub::imports
