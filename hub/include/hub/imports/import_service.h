#pragma once
// File imports through the admin API (`zhkh-hub import ...`): an uploaded file is spooled and
// recorded before it is acknowledged, then parsed on the service's worker thread by a parser from
// the shared registry (the ones adapters register, e.g. bank.sber_payments), and committed
// through Ingress in checkpointed batches, exactly as the file inbox does:
//   - the checkpoint is (source "import", the file's SHA-256): the same file twice is a
//     duplicate and adds nothing; a file the hub crashed in resumes after its last committed
//     line when the service starts again (resume_unfinished);
//   - a file the parser refuses (footer mismatch, wrong format) is quarantined as a whole; since
//     parsers check the whole file before their first message, nothing of it is kept;
//   - the store or Ingress being down is not the file's fault: the worker retries it.
// A dry run parses and reconciles the same way but commits nothing and answers with the messages
// it would have emitted (up to a limit) and the parser's totals.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hub/core/envelope.h"
#include "hub/imports/import_sink.h"
#include "hub/plugin/context.h"
#include "hub/plugin_host/parser_registry.h"
#include "hub/store/pool.h"

namespace hub::imports {

struct ImportOptions {
  std::filesystem::path spool_dir = "var/imports";
  std::size_t batch_size = 1000;  ///< messages per Ingress transaction
  std::uint64_t max_file_bytes = 4ull << 30;
  std::size_t error_limit = 1000;               ///< errors kept in a report (all are counted)
  std::size_t dry_run_limit = 10000;            ///< messages a dry run answers with at most
  std::chrono::milliseconds retry_delay{5000};  ///< after a store or Ingress failure
};

/// One import as the API shows it: live while it runs, from hub.file_checkpoint afterwards.
struct ImportStatus {
  std::string id;      ///< the file's SHA-256
  std::string source;  ///< "import", or the file inbox instance that took the file
  std::string parser;
  std::string file_name;
  /// receiving | queued | running | retrying | done | quarantined | in_progress (from the store,
  /// not running on this node)
  std::string status;
  bool duplicate = false;  ///< this upload was a file already imported
  std::uint64_t bytes_total = 0;
  std::uint64_t bytes_read = 0;
  std::int64_t position = 0;  ///< last committed line
  std::uint64_t accepted = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t errors = 0;
  double seconds = 0;      ///< running time so far
  std::string last_error;  ///< why it is retrying
  std::string report;      ///< the final report (JSON) once finished
  std::string created_at, updated_at;
};

struct DryRunResult {
  std::string file_name, parser, sha256;
  bool accepted = true;
  bool already_imported = false;   ///< a real import of this file exists
  std::vector<Envelope> messages;  ///< the first `limit`
  std::uint64_t messages_total = 0;
  std::vector<plugin::InputError> errors;  ///< the first ImportOptions::error_limit
  std::uint64_t error_count = 0;
  std::vector<plugin::InputError> fatal;
  std::string summary;  ///< the parser's (JSON object text for parsers with totals)
  double seconds = 0;
};

class ImportService {
 public:
  ImportService(store::Pool& pool, plugin::Emitter& ingress,
                const plugin_host::SharedParserRegistry& parsers, ImportOptions options = {});
  ~ImportService();
  ImportService(const ImportService&) = delete;
  ImportService& operator=(const ImportService&) = delete;

  /// Starts the worker and queues the imports a previous run left in_progress.
  void start();
  void stop();

  /// Spools `body`, records it (checkpoint in_progress at line 0) and queues it. Returns at
  /// once; a file already imported comes back with duplicate = true and its earlier status.
  /// Throws api::ApiError 400 for an unknown parser (naming the known ones).
  ImportStatus submit(const std::string& parser, const std::string& file_name, std::istream& body);

  /// Parses without committing; the spooled copy is removed afterwards.
  DryRunResult dry_run(const std::string& parser, const std::string& file_name, std::istream& body,
                       std::size_t limit);

  /// By id (the SHA-256, or a prefix of at least 8 characters): the running one if any, else the
  /// newest checkpoint of any source.
  std::optional<ImportStatus> find(const std::string& id) const;
  /// Newest first, from hub.file_checkpoint (file inbox files too); running ones live.
  std::vector<ImportStatus> list(std::size_t limit, std::size_t offset) const;

  std::vector<std::string> parser_names() const { return parsers_.names(); }
  const ImportOptions& options() const { return options_; }

 private:
  struct Job;
  void run_worker();
  void run(Job& job);
  std::shared_ptr<plugin::FileParser> parser_or_throw(const std::string& name) const;
  ImportStatus live_status(const Job& job) const;

  store::Pool& pool_;
  plugin::Emitter& ingress_;
  const plugin_host::SharedParserRegistry& parsers_;
  ImportOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::map<std::string, std::shared_ptr<Job>> live_;  ///< by id: queued, running or retrying
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

/// The report of a finished import (hub.file_checkpoint.report): status, counts, the first
/// errors and the parser's summary, as one JSON object.
std::string import_report_json(const std::string& status, const std::string& parser,
                               const std::string& file_name, std::uint64_t accepted,
                               std::uint64_t duplicates, std::int64_t lines,
                               const std::vector<plugin::InputError>& errors,
                               std::uint64_t error_count,
                               const std::vector<plugin::InputError>& fatal,
                               const std::string& summary, double seconds);

}  // namespace hub::imports
