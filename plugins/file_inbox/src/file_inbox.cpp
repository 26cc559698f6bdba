#include "file_inbox.h"

#include <fnmatch.h>
#include <libxml/parser.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <system_error>

#include "parsers.h"
#include "util.h"

namespace hub::plugins::file_inbox {

namespace fs = std::filesystem;

namespace {

constexpr const char* kReportSuffix = ".report.json";

std::string errors_json(const std::vector<plugin::InputError>& errors) {
  std::string out = "[";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const auto& e = errors[i];
    out += (i ? "," : "") + std::string("{\"line\":") + std::to_string(e.line) +
           ",\"field\":" + json_quote(e.field) + ",\"reason\":" + json_quote(e.reason) + "}";
  }
  return out + "]";
}

/// Collects what the parser hands over and passes it to Ingress in batches of `batch_size`, each
/// with an in_progress checkpoint at the position reached. The last batch goes with the final
/// checkpoint, so a file's end and its last messages commit together.
///
/// An in_progress batch is handed to Ingress on a thread of its own while the parser reads on,
/// so that reading a big file and validating and journalling it use both cores instead of taking
/// turns. At most one batch is in flight: the next one waits for it, so checkpoints commit in
/// file order and a committed position never has an uncommitted batch before it. What the
/// in-flight batch threw comes out of the next emit, flush or the parser's return, exactly as it
/// would have come out of a synchronous flush one batch later.
class InboxSink : public plugin::ParseSink {
 public:
  InboxSink(plugin::Emitter& emitter, plugin::Checkpoint base, std::size_t batch_size)
      : emitter_(emitter),
        base_(std::move(base)),
        batch_size_(std::max<std::size_t>(1, batch_size)),
        committed_(base_.position),
        position_(base_.position) {}

  void emit(std::vector<plugin::Envelope> batch, std::int64_t position) override {
    // Already committed before a crash: the parser may not know how to skip it.
    if (position <= committed_) {
      skipped_ += batch.size();
      return;
    }
    handed_ += batch.size();
    for (auto& e : batch) {
      pending_bytes_ += e.body.size();
      pending_.push_back(std::move(e));
    }
    position_ = std::max(position_, position);
    if (pending_.size() >= batch_size_ || pending_bytes_ >= plugin::kMaxPendingBodyBytes)
      flush_behind();
  }
  void error(plugin::InputError e) override { errors_.push_back(std::move(e)); }

  /// Commits what is pending with a checkpoint of `status`, after the batch in flight.
  void flush(const std::string& status, const std::string& report) {
    settle();
    const auto result =
        guarded([&] { return emitter_.emit(take_pending(), checkpoint(status, report)); });
    count(result, position_);
  }
  /// Waits for the batch in flight (whatever it threw no longer matters), then drops what was
  /// not committed yet; the checkpoint stays at the last committed position.
  void discard() {
    try {
      settle();
    } catch (...) {
    }
    pending_.clear();
    pending_bytes_ = 0;
    position_ = committed_;
  }

  const std::vector<plugin::InputError>& errors() const { return errors_; }
  std::int64_t committed() const { return committed_; }
  std::size_t handed() const { return handed_; }
  std::size_t accepted() const { return accepted_; }
  std::size_t duplicates() const { return duplicates_; }
  std::size_t skipped() const { return skipped_; }
  bool emitter_failed() const { return emitter_failed_; }

 private:
  /// Hands the pending batch to Ingress on its own thread, once the previous one has committed.
  void flush_behind() {
    settle();
    auto batch = take_pending();
    auto cp = checkpoint("in_progress", "");
    try {
      in_flight_ = std::async(std::launch::async,
                              [this, batch = std::move(batch), cp = std::move(cp)]() mutable {
                                return emitter_.emit(std::move(batch), cp);
                              });
    } catch (...) {
      emitter_failed_ = true;  // no thread for the batch: the hub's trouble, not the file's
      throw;
    }
    in_flight_position_ = position_;
  }
  /// Waits for the batch in flight and counts it, or rethrows what it threw.
  void settle() {
    if (!in_flight_.valid()) return;
    count(guarded([&] { return in_flight_.get(); }), in_flight_position_);
  }
  /// Runs an Ingress call; anything but a refusal of the input is the hub's outage, not the
  /// file's fault.
  template <typename F>
  plugin::EmitResult guarded(F&& call) {
    try {
      return call();
    } catch (const plugin::RejectedInput&) {
      throw;
    } catch (...) {
      emitter_failed_ = true;
      throw;
    }
  }
  void count(const plugin::EmitResult& result, std::int64_t position) {
    accepted_ += result.accepted;
    duplicates_ += result.duplicates;
    committed_ = position;
  }
  std::vector<plugin::Envelope> take_pending() {
    std::vector<plugin::Envelope> batch;
    batch.swap(pending_);
    pending_bytes_ = 0;
    return batch;
  }
  plugin::Checkpoint checkpoint(const std::string& status, const std::string& report) const {
    auto cp = base_;
    cp.position = position_;
    cp.status = status;
    cp.report = report;
    return cp;
  }

  plugin::Emitter& emitter_;
  plugin::Checkpoint base_;
  std::size_t batch_size_;
  std::vector<plugin::Envelope> pending_;
  std::size_t pending_bytes_ = 0;
  std::vector<plugin::InputError> errors_;
  std::int64_t committed_;
  std::int64_t position_;
  std::size_t handed_ = 0, accepted_ = 0, duplicates_ = 0, skipped_ = 0;
  bool emitter_failed_ = false;
  std::int64_t in_flight_position_ = 0;
  // Last: its destructor waits for the batch in flight, which uses the members above.
  std::future<plugin::EmitResult> in_flight_;
};

}  // namespace

plugin::ConfigSpec FileInbox::config_spec() {
  using T = plugin::ConfigType;
  return {
      {"path", T::kPath, std::nullopt, "inbox directory to watch (created when missing)"},
      {"pattern", T::kString, "*", "glob of file names to take; dot-files are never taken"},
      {"parser", T::kString, "canonical_xml",
       "parser name in the registry: canonical_xml, file_received, or one an adapter registers"},
      {"message_type", T::kString, "",
       "canonical_xml: type of documents whose root is neither an envelope nor a canonical root"},
      {"poll_interval", T::kDuration, "2s", "how often the inbox is scanned"},
      {"batch_size", T::kInt, "500", "messages per Ingress transaction"},
      {"done_dir", T::kPath, "${path}/done", "where processed files (and duplicates) go"},
      {"quarantine_dir", T::kPath, "${path}/quarantine", "where refused files go"},
      {"min_age", T::kDuration, "1s",
       "files modified more recently are skipped (still being written)"},
  };
}

FileInbox::FileInbox(plugin::Context& ctx)
    : ctx_(ctx),
      path_(ctx.config().get_string("path")),
      pattern_(ctx.config().get_string("pattern")),
      parser_name_(ctx.config().get_string("parser")),
      message_type_(ctx.config().get_string("message_type")),
      poll_interval_(ctx.config().get_duration("poll_interval")),
      batch_size_(
          static_cast<std::size_t>(std::max<std::int64_t>(1, ctx.config().get_int("batch_size")))),
      done_dir_(ctx.config().get_string("done_dir")),
      quarantine_dir_(ctx.config().get_string("quarantine_dir")),
      min_age_(ctx.config().get_duration("min_age")) {
  for (const auto& dir : {path_, done_dir_, quarantine_dir_}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
      throw std::runtime_error("file_inbox '" + ctx.instance() + "': cannot create directory " +
                               dir.string() + (ec ? ": " + ec.message() : ""));
    }
  }
  // The built-ins are per instance (canonical_xml needs this instance's message_type).
  if (parser_name_ == "canonical_xml") {
    builtin_ = std::make_shared<CanonicalXmlParser>(message_type_, type_for_root());
  }
  if (parser_name_ == "file_received") builtin_ = std::make_shared<FileReceivedParser>();
}

void FileInbox::start() {
  xmlInitParser();
  // Offered to other adapters too (e.g. an SFTP poller); the first registration is kept.
  if (!ctx_.parsers().find("canonical_xml")) {
    ctx_.parsers().add("canonical_xml", std::make_shared<CanonicalXmlParser>("", type_for_root()));
  }
  if (!ctx_.parsers().find("file_received")) {
    ctx_.parsers().add("file_received", std::make_shared<FileReceivedParser>());
  }
  ctx_.every(poll_interval_, "scan", [this] { scan(); });
  ctx_.log().info("inbox_watching", {{"path", path_.string()}, {"parser", parser_name_}});
}

plugin::Health FileInbox::health() {
  if (!fs::is_directory(path_)) return {false, "inbox " + path_.string() + " is not a directory"};
  std::lock_guard lock(health_mu_);
  if (!last_error_.empty()) return {false, "last scan failed: " + last_error_};
  return {true, "watching " + path_.string()};
}

std::vector<plugin::JobSpec> FileInbox::jobs() {
  return {{"scan", "Process the files waiting in the inbox now", ""}};
}

plugin::JobResult FileInbox::run_job(const std::string& job) {
  if (job != "scan") return plugin::JobResult::failure("file_inbox offers no job '" + job + "'");
  const auto c = scan();
  return plugin::JobResult::success(
      "done " + std::to_string(c.done) + ", quarantined " + std::to_string(c.quarantined) +
      ", duplicates " + std::to_string(c.duplicates) + ", messages " + std::to_string(c.messages) +
      (c.young ? ", " + std::to_string(c.young) + " still being written" : ""));
}

TypeForRoot FileInbox::type_for_root() {
  plugin::Context* ctx = &ctx_;  // outlives the adapter and the parsers it registers
  return [ctx](const std::string& ns, const std::string& local) {
    return ctx->type_for_root(ns, local);
  };
}

std::shared_ptr<plugin::FileParser> FileInbox::parser() {
  if (builtin_) return builtin_;
  auto p = ctx_.parsers().find(parser_name_);
  if (!p) {
    throw std::runtime_error("parser '" + parser_name_ +
                             "' is not registered (is the adapter that provides it configured?)");
  }
  return p;
}

ScanCounts FileInbox::scan() {
  std::lock_guard lock(scan_mu_);
  ScanCounts counts;
  std::vector<fs::path> files;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(path_)) {
    if (!entry.is_regular_file()) continue;
    const auto name = entry.path().filename().string();
    if (fnmatch(pattern_.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    if (now - entry.last_write_time() < min_age_) {
      ++counts.young;
      continue;
    }
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  try {
    for (const auto& f : files) {
      switch (process(f, counts)) {
        case Outcome::kDone:
          ++counts.done;
          break;
        case Outcome::kQuarantined:
          ++counts.quarantined;
          break;
        case Outcome::kDuplicate:
          ++counts.duplicates;
          break;
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard h(health_mu_);
    last_error_ = e.what();
    throw;
  }
  std::lock_guard h(health_mu_);
  last_error_.clear();
  return counts;
}

FileInbox::Outcome FileInbox::process(const fs::path& file, ScanCounts& counts) {
  const auto name = file.filename().string();
  const auto sha = sha256_file(file);
  auto& metrics = ctx_.metrics();
  const auto known = ctx_.store().find_checkpoint(ctx_.instance(), sha);
  if (known && (known->status == "done" || known->status == "quarantined")) {
    const std::string report =
        "{\"file\":" + json_quote(name) + ",\"sha256\":" + json_quote(sha) +
        ",\"status\":\"duplicate\",\"note\":" +
        json_quote("duplicate of " + known->file_name + " (" + known->status + ")") +
        ",\"duplicate_of\":" + json_quote(known->file_name) +
        ",\"original_status\":" + json_quote(known->status) + "}";
    const auto moved = move_away(file, done_dir_, sha, report);
    ctx_.log().info("file_duplicate", {{"file", name},
                                       {"sha256", sha},
                                       {"duplicate_of", known->file_name},
                                       {"moved_to", moved.string()}});
    metrics.add("files_total", {{"outcome", "duplicate"}}, 1);
    return Outcome::kDuplicate;
  }

  plugin::Checkpoint base;
  base.source = ctx_.instance();
  base.key = sha;
  base.file_name = name;
  base.position = known ? known->position : 0;
  plugin::ParsedFile info{name, sha, base.position, ctx_.instance()};
  InboxSink sink(ctx_.emitter(), base, batch_size_);
  const auto started = std::chrono::steady_clock::now();

  auto report_json = [&](const std::string& status, const plugin::ParseOutcome* outcome,
                         bool final_counts) {
    std::vector<plugin::InputError> errors = sink.errors();
    std::string summary;
    if (outcome) {
      errors.insert(errors.end(), outcome->fatal.begin(), outcome->fatal.end());
      summary = outcome->summary;
    }
    std::string r = "{\"file\":" + json_quote(name) + ",\"sha256\":" + json_quote(sha) +
                    ",\"status\":" + json_quote(status) +
                    ",\"parser\":" + json_quote(parser_name_) +
                    ",\"resumed_after\":" + std::to_string(info.resume_after) +
                    ",\"messages\":" + std::to_string(sink.handed()) +
                    ",\"committed_position\":" + std::to_string(sink.committed());
    if (final_counts) {
      r += ",\"accepted\":" + std::to_string(sink.accepted()) +
           ",\"duplicates\":" + std::to_string(sink.duplicates());
    }
    return r + ",\"summary\":" + json_quote(summary) + ",\"error_count\":" +
           std::to_string(errors.size()) + ",\"errors\":" + errors_json(errors) + "}";
  };
  auto quarantine = [&](const std::string& report) {
    sink.discard();
    sink.flush("quarantined", report);
    const auto moved = move_away(file, quarantine_dir_, sha, report);
    ctx_.log().warn("file_quarantined",
                    {{"file", name}, {"sha256", sha}, {"moved_to", moved.string()}});
    metrics.add("files_total", {{"outcome", "quarantined"}}, 1);
    return Outcome::kQuarantined;
  };

  if (known) {
    ctx_.log().info("file_resumed", {{"file", name}, {"after", std::to_string(info.resume_after)}});
  }
  // Outside the try below: a parser missing from the registry is a configuration problem, not
  // the file's, so the file stays where it is.
  const auto file_parser = parser();
  plugin::ParseOutcome outcome;
  try {
    outcome = file_parser->parse(file, info, sink);
  } catch (const plugin::RejectedInput& e) {
    plugin::ParseOutcome refused;
    refused.accepted = false;
    refused.summary = "refused by ingress";
    refused.fatal.push_back({0, "", e.what()});
    return quarantine(report_json("quarantined", &refused, false));
  } catch (const std::exception& e) {
    // An outage leaves the file for the next scan; a parser that cannot cope with the file
    // would fail on it forever, so the file is quarantined instead.
    if (sink.emitter_failed()) throw;
    plugin::ParseOutcome refused;
    refused.accepted = false;
    refused.summary = "parser '" + parser_name_ + "' failed";
    refused.fatal.push_back({0, "", std::string("parser failed: ") + e.what()});
    return quarantine(report_json("quarantined", &refused, false));
  }
  if (!outcome.accepted) return quarantine(report_json("quarantined", &outcome, false));

  try {
    sink.flush("done", report_json("done", &outcome, false));
  } catch (const plugin::RejectedInput& e) {
    plugin::ParseOutcome refused = outcome;
    refused.accepted = false;
    refused.fatal.push_back({0, "", e.what()});
    return quarantine(report_json("quarantined", &refused, false));
  }
  // The report above went in with the last batch, before its counts were known; the import list
  // (`zhkh-hub imports`) shows the checkpoint's, so it is written again with the final ones.
  const auto final_report = report_json("done", &outcome, true);
  try {
    sink.flush("done", final_report);
  } catch (const std::exception& e) {
    ctx_.log().warn("file_report_not_updated", {{"file", name}, {"error", e.what()}});
  }
  const auto moved = move_away(file, done_dir_, sha, final_report);
  counts.messages += sink.accepted();
  metrics.add("files_total", {{"outcome", "done"}}, 1);
  metrics.add("messages_total", {}, static_cast<double>(sink.accepted()));
  metrics.observe(
      "file_seconds", {},
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  ctx_.log().info("file_done", {{"file", name},
                                {"sha256", sha},
                                {"messages", std::to_string(sink.handed())},
                                {"accepted", std::to_string(sink.accepted())},
                                {"moved_to", moved.string()}});
  return Outcome::kDone;
}

fs::path FileInbox::move_away(const fs::path& file, const fs::path& dir, const std::string& sha,
                              const std::string& report_json) {
  const auto name = file.filename().string();
  fs::path target = dir / name;
  // Never overwrite an earlier file of the same name: keep both, told apart by content hash.
  for (int n = 0; fs::exists(target) || fs::exists(target.string() + kReportSuffix); ++n) {
    target = dir / (name + "." + sha.substr(0, 12) + (n ? "." + std::to_string(n) : ""));
  }
  // The report goes first: whoever sees the file in done/ or quarantine/ finds its report beside
  // it. (A crash in between leaves a report without its file; the file is still in the inbox and
  // its next pass writes another pair.)
  const auto report_path = target.string() + kReportSuffix;
  const auto tmp = report_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << report_json << "\n";
  }
  fs::rename(tmp, report_path);
  std::error_code ec;
  fs::rename(file, target, ec);
  if (ec) {
    // Another filesystem: copy beside the target, then rename it in, so the target never holds
    // half a file; then remove the original.
    const auto partial = target.string() + ".partial";
    fs::copy_file(file, partial, fs::copy_options::overwrite_existing);
    fs::rename(partial, target);
    fs::remove(file);
  }
  return target;
}

}  // namespace hub::plugins::file_inbox

HUB_PLUGIN(
    "file_inbox", "1.0.0",
    "Watches a directory and hands each new file to a parser; done/ or quarantine/ with a report",
    hub::plugins::file_inbox::FileInbox::config_spec, [](hub::plugin::Context& ctx) {
      return std::make_unique<hub::plugins::file_inbox::FileInbox>(ctx);
    })
