#pragma once
// The file inbox adapter: watches a directory and hands every stable file (older than min_age) to
// the parser its config names. Files are checkpointed by content hash: a file whose hash the store
// already knows as done or quarantined is moved to done/ as a duplicate and never re-emitted; a
// file left in_progress by a crash resumes after the committed position. A finished file goes to
// done/, a refused one to quarantine/, each with `<file>.report.json` beside it.

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "hub/plugin/sdk.h"

namespace hub::plugins::file_inbox {

struct ScanCounts {
  std::size_t done = 0;
  std::size_t quarantined = 0;
  std::size_t duplicates = 0;
  std::size_t young = 0;     ///< skipped: modified less than min_age ago
  std::size_t messages = 0;  ///< messages accepted by Ingress
};

class FileInbox : public plugin::Adapter {
 public:
  static plugin::ConfigSpec config_spec();

  /// Creates the inbox, done and quarantine directories; throws std::runtime_error when it cannot.
  explicit FileInbox(plugin::Context& ctx);

  void start() override;
  plugin::Health health() override;
  std::vector<plugin::JobSpec> jobs() override;
  plugin::JobResult run_job(const std::string& job) override;

  /// One pass over the inbox. Serialized: the poll thread and a scheduled job never overlap.
  /// Throws when the store or Ingress fails (the file stays in place and is retried next time).
  ScanCounts scan();

 private:
  enum class Outcome { kDone, kQuarantined, kDuplicate };
  Outcome process(const std::filesystem::path& file, ScanCounts& counts);
  std::shared_ptr<plugin::FileParser> parser();
  std::function<std::string(const std::string&, const std::string&)> type_for_root();
  std::filesystem::path move_away(const std::filesystem::path& file,
                                  const std::filesystem::path& dir, const std::string& sha,
                                  const std::string& report_json);

  plugin::Context& ctx_;
  std::filesystem::path path_;
  std::string pattern_;
  std::string parser_name_;
  std::string message_type_;
  std::chrono::milliseconds poll_interval_;
  std::size_t batch_size_;
  std::filesystem::path done_dir_;
  std::filesystem::path quarantine_dir_;
  std::chrono::milliseconds min_age_;
  std::shared_ptr<plugin::FileParser> builtin_;  // this instance's own built-in parser, if named

  std::mutex scan_mu_;
  std::mutex health_mu_;
  std::string last_error_;
};

}  // namespace hub::plugins::file_inbox
