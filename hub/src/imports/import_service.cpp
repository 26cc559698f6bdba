#include "hub/imports/import_service.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <pqxx/pqxx>
#include <sstream>

#include "hub/api/api_route.h"
#include "hub/core/error.h"
#include "hub/core/log.h"
#include "hub/imports/spooled_file.h"

namespace hub::imports {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

constexpr const char* kSource = "import";

Log& log() {
  static Log l("imports");
  return l;
}

std::string to_json(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(v, out);
  return out.str();
}

Array::Ptr errors_array(const std::vector<plugin::InputError>& errors) {
  Array::Ptr a = new Array;
  for (const auto& e : errors) {
    Object::Ptr o = new Object;
    o->set("line", e.line);
    o->set("field", e.field);
    o->set("reason", e.reason);
    a->add(o);
  }
  return a;
}

/// The parser's summary as JSON when it is a JSON object, else as a string.
Poco::Dynamic::Var summary_value(const std::string& summary) {
  if (!summary.empty() && summary.front() == '{') {
    try {
      return Poco::JSON::Parser().parse(summary);
    } catch (const std::exception&) {
    }
  }
  return summary;
}

/// `parser` and `file` of a checkpoint's report, whichever report it is.
std::string report_field(const std::string& report, const std::string& key) {
  if (report.empty() || report.front() != '{') return {};
  try {
    auto o = Poco::JSON::Parser().parse(report).extract<Object::Ptr>();
    return o->has(key) ? o->getValue<std::string>(key) : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

ImportStatus status_from_row(const pqxx::row& r) {
  ImportStatus s;
  s.source = r[0].c_str();
  s.id = r[1].c_str();
  s.file_name = r[2].c_str();
  s.position = r[3].as<std::int64_t>();
  s.status = r[4].c_str();
  s.report = r[5].c_str();
  s.created_at = r[6].c_str();
  s.updated_at = r[7].c_str();
  s.parser = report_field(s.report, "parser");
  return s;
}

constexpr const char* kStatusColumns =
    "source, key, coalesce(file_name, ''), position, status, coalesce(report, ''), "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

/// Collects a dry run's messages (up to a limit) and errors; commits nothing.
class DryRunSink : public plugin::ParseSink {
 public:
  DryRunSink(DryRunResult& out, std::size_t limit, std::size_t error_limit)
      : out_(out), limit_(limit), error_limit_(error_limit) {}
  void emit(std::vector<plugin::Envelope> batch, std::int64_t) override {
    for (auto& e : batch) {
      ++out_.messages_total;
      if (out_.messages.size() < limit_) out_.messages.push_back(std::move(e));
    }
  }
  void error(plugin::InputError e) override {
    ++out_.error_count;
    if (out_.errors.size() < error_limit_) out_.errors.push_back(std::move(e));
  }

 private:
  DryRunResult& out_;
  std::size_t limit_, error_limit_;
};

}  // namespace

std::string import_report_json(const std::string& status, const std::string& parser,
                               const std::string& file_name, std::uint64_t accepted,
                               std::uint64_t duplicates, std::int64_t lines,
                               const std::vector<plugin::InputError>& errors,
                               std::uint64_t error_count,
                               const std::vector<plugin::InputError>& fatal,
                               const std::string& summary, double seconds) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("status", status);
  o->set("parser", parser);
  o->set("file", file_name);
  o->set("accepted", accepted);
  o->set("duplicates", duplicates);
  o->set("lines", lines);
  o->set("error_count", error_count);
  o->set("errors", errors_array(errors));
  o->set("fatal", errors_array(fatal));
  o->set("summary", summary_value(summary));
  o->set("seconds", seconds);
  return to_json(o);
}

struct ImportService::Job {
  std::string id;
  std::string parser;
  std::string file_name;
  fs::path path;
  std::string status = "queued";
  std::string last_error;
  ImportCounters counters;
  Clock::time_point started{};  // first run
  Clock::time_point not_before{};
};

ImportService::ImportService(store::Pool& pool, plugin::Emitter& ingress,
                             const plugin_host::SharedParserRegistry& parsers,
                             ImportOptions options)
    : pool_(pool), ingress_(ingress), parsers_(parsers), options_(std::move(options)) {}

ImportService::~ImportService() {
  stop();
}

void ImportService::start() {
  {
    std::lock_guard lock(mu_);
    if (worker_.joinable()) return;
    stopping_ = false;
  }
  // Files a crash (or a stop) left half-imported: their spooled copies are still there.
  pqxx::result rows;
  {
    auto lease = pool_.lease();
    pqxx::read_transaction tx(lease.conn());
    rows = tx.exec_params(std::string("SELECT ") + kStatusColumns +
                              " FROM hub.file_checkpoint WHERE source = $1 AND status = "
                              "'in_progress' ORDER BY created_at",
                          kSource);
  }
  for (const auto& r : rows) {
    const auto s = status_from_row(r);
    auto job = std::make_shared<Job>();
    job->id = s.id;
    job->parser = s.parser;
    job->file_name = s.file_name;
    job->path = options_.spool_dir / s.id;
    job->counters.stop = &stopping_;
    std::error_code ec;
    job->counters.bytes_total = fs::file_size(job->path, ec);
    std::lock_guard lock(mu_);
    live_[job->id] = job;
    queue_.push_back(job);
    log().info(
        "import.resume",
        {{"id", job->id}, {"file", job->file_name}, {"position", std::to_string(s.position)}});
  }
  worker_ = std::thread([this] { run_worker(); });
}

void ImportService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::shared_ptr<plugin::FileParser> ImportService::parser_or_throw(const std::string& name) const {
  if (auto p = parsers_.find(name)) return p;
  Array::Ptr known = new Array;
  std::string list;
  for (const auto& n : parsers_.names()) {
    known->add(n);
    list += (list.empty() ? "" : ", ") + n;
  }
  Object::Ptr d = new Object;
  d->set("parser", name);
  d->set("known", known);
  throw api::ApiError(400,
                      "no parser '" + name + "' (known: " + (list.empty() ? "none" : list) +
                          "; is the adapter that provides it configured?)",
                      d);
}

ImportStatus ImportService::submit(const std::string& parser, const std::string& file_name,
                                   std::istream& body) {
  parser_or_throw(parser);
  const auto spooled = spool_stream(body, options_.spool_dir, options_.max_file_bytes);
  Object::Ptr initial = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  initial->set("status", "received");
  initial->set("parser", parser);
  initial->set("file", file_name);
  initial->set("bytes", spooled.size);

  std::lock_guard lock(mu_);
  if (auto it = live_.find(spooled.sha256); it != live_.end()) {
    auto s = live_status(*it->second);
    s.duplicate = true;
    return s;
  }
  // Recorded before the answer: from here on a crash resumes the file instead of losing it.
  auto lease = pool_.lease();
  pqxx::work tx(lease.conn());
  const auto inserted = tx.exec_params(
      "INSERT INTO hub.file_checkpoint (source, key, file_name, position, status, report)"
      " VALUES ($1, $2, $3, 0, 'in_progress', $4) ON CONFLICT (source, key) DO NOTHING",
      kSource, spooled.sha256, file_name, to_json(initial));
  if (inserted.affected_rows() == 0) {
    const auto r = tx.exec_params(std::string("SELECT ") + kStatusColumns +
                                      " FROM hub.file_checkpoint WHERE source = $1 AND key = $2",
                                  kSource, spooled.sha256);
    tx.commit();
    auto s = status_from_row(r.at(0));
    if (s.status != "in_progress") {
      s.duplicate = true;  // the spooled copy is the earlier file's, byte for byte
      return s;
    }
    // in_progress but not running here: left by a crash; take it up now.
  } else {
    tx.commit();
  }
  auto job = std::make_shared<Job>();
  job->id = spooled.sha256;
  job->parser = parser;
  job->file_name = file_name;
  job->path = spooled.path;
  job->counters.bytes_total = spooled.size;
  job->counters.stop = &stopping_;
  live_[job->id] = job;
  queue_.push_back(job);
  wake_.notify_all();
  log().info("import.received", {{"id", job->id},
                                 {"file", file_name},
                                 {"parser", parser},
                                 {"bytes", std::to_string(spooled.size)}});
  return live_status(*job);
}

DryRunResult ImportService::dry_run(const std::string& parser_name, const std::string& file_name,
                                    std::istream& body, std::size_t limit) {
  auto parser = parser_or_throw(parser_name);
  const auto spooled = spool_stream(body, options_.spool_dir / "dry-run", options_.max_file_bytes,
                                    /*keep_name=*/false);
  struct Remove {
    fs::path p;
    ~Remove() {
      std::error_code ec;
      fs::remove(p, ec);
    }
  } remove{spooled.path};

  DryRunResult out;
  out.file_name = file_name;
  out.parser = parser_name;
  out.sha256 = spooled.sha256;
  {
    auto lease = pool_.lease();
    pqxx::read_transaction tx(lease.conn());
    out.already_imported =
        !tx.exec_params(
               "SELECT 1 FROM hub.file_checkpoint WHERE source = $1 AND key = $2 AND "
               "status = 'done'",
               kSource, spooled.sha256)
             .empty();
  }
  const auto t0 = Clock::now();
  DryRunSink sink(out, limit, options_.error_limit);
  plugin::ParsedFile info{file_name, spooled.sha256, 0, kSource};
  const auto outcome = parser->parse(spooled.path, info, sink);
  out.accepted = outcome.accepted;
  out.fatal = outcome.fatal;
  out.summary = outcome.summary;
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

void ImportService::run_worker() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stopping_) return;
        if (!queue_.empty()) {
          const auto now = Clock::now();
          if (queue_.front()->not_before <= now) break;
          wake_.wait_until(lock, queue_.front()->not_before);
          continue;
        }
        wake_.wait(lock);
      }
      job = queue_.front();
      queue_.pop_front();
      job->status = "running";
      if (job->started == Clock::time_point{}) job->started = Clock::now();
    }
    run(*job);
  }
}

void ImportService::run(Job& job) {
  const auto finish = [&](const std::string& status) {
    std::lock_guard lock(mu_);
    job.status = status;
    live_.erase(job.id);
  };
  try {
    auto parser = parsers_.find(job.parser);
    // Where a previous run (before a crash, a stop or a store failure) got to.
    plugin::Checkpoint base;
    base.source = kSource;
    base.key = job.id;
    base.file_name = job.file_name;
    {
      auto lease = pool_.lease();
      pqxx::read_transaction tx(lease.conn());
      const auto r =
          tx.exec_params("SELECT position FROM hub.file_checkpoint WHERE source = $1 AND key = $2",
                         kSource, job.id);
      if (!r.empty()) base.position = r[0][0].as<std::int64_t>();
    }
    ImportSink sink(ingress_, base, options_.batch_size, options_.error_limit, job.counters);
    const auto t0 = Clock::now();
    const auto report = [&](const std::string& status, const plugin::ParseOutcome& outcome) {
      return import_report_json(status, job.parser, job.file_name, job.counters.accepted,
                                job.counters.duplicates, sink.committed(), sink.errors(),
                                sink.error_count(), outcome.fatal, outcome.summary,
                                std::chrono::duration<double>(Clock::now() - t0).count());
    };
    if (!parser) {
      // Its adapter is no longer configured: keep the file for when it is, but say why.
      plugin::ParseOutcome refused{false, "", {{0, "", "no parser '" + job.parser + "'"}}};
      sink.flush("quarantined", report("quarantined", refused));
      finish("quarantined");
      return;
    }
    if (!fs::exists(job.path)) {
      plugin::ParseOutcome refused{
          false, "", {{0, "", "the spooled copy " + job.path.string() + " is missing"}}};
      sink.flush("quarantined", report("quarantined", refused));
      finish("quarantined");
      return;
    }
    plugin::ParsedFile info{job.file_name, job.id, base.position, kSource};
    plugin::ParseOutcome outcome;
    try {
      outcome = parser->parse(job.path, info, sink);
    } catch (const plugin::RejectedInput& e) {
      outcome = {
          false, "", {{sink.committed(), "", std::string("Ingress refused a batch: ") + e.what()}}};
    }
    if (!outcome.accepted) {
      sink.discard();
      sink.flush("quarantined", report("quarantined", outcome));
      log().warn("import.quarantined",
                 {{"id", job.id},
                  {"file", job.file_name},
                  {"reason", outcome.fatal.empty() ? "" : outcome.fatal.front().reason}});
      finish("quarantined");
      return;
    }
    // The rest first, so that the report counts it; a crash between the two commits resumes
    // at the end of the file and only writes the report.
    sink.flush("in_progress", "");
    sink.flush("done", report("done", outcome));
    log().info("import.done", {{"id", job.id},
                               {"file", job.file_name},
                               {"accepted", std::to_string(job.counters.accepted)},
                               {"duplicates", std::to_string(job.counters.duplicates)},
                               {"errors", std::to_string(sink.error_count())}});
    std::error_code ec;
    fs::create_directories(options_.spool_dir / "done", ec);
    fs::rename(job.path, options_.spool_dir / "done" / job.id, ec);
    finish("done");
  } catch (const ImportInterrupted&) {
    log().info("import.interrupted", {{"id", job.id}, {"file", job.file_name}});
  } catch (const std::exception& e) {
    // The store or Ingress failed, not the file: what was committed stays, the rest is retried.
    log().error("import.retry", {{"id", job.id}, {"file", job.file_name}, {"error", e.what()}});
    std::lock_guard lock(mu_);
    job.status = "retrying";
    job.last_error = e.what();
    job.not_before = Clock::now() + options_.retry_delay;
    queue_.push_back(live_[job.id]);
  }
}

ImportStatus ImportService::live_status(const Job& job) const {
  ImportStatus s;
  s.id = job.id;
  s.source = kSource;
  s.parser = job.parser;
  s.file_name = job.file_name;
  s.status = job.status;
  s.bytes_total = job.counters.bytes_total;
  s.bytes_read = job.counters.bytes_read;
  s.position = job.counters.position;
  s.accepted = job.counters.accepted;
  s.duplicates = job.counters.duplicates;
  s.errors = job.counters.errors;
  s.last_error = job.last_error;
  if (job.started != Clock::time_point{}) {
    s.seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
  }
  return s;
}

std::optional<ImportStatus> ImportService::find(const std::string& id) const {
  if (id.size() < 8 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw api::ApiError(400, "an import id is the file's SHA-256 in hex (at least 8 characters)");
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, job] : live_) {
      if (key.rfind(id, 0) == 0) return live_status(*job);
    }
  }
  auto lease = pool_.lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(std::string("SELECT ") + kStatusColumns +
                                    " FROM hub.file_checkpoint WHERE key LIKE $1 || '%'"
                                    " ORDER BY updated_at DESC LIMIT 1",
                                id);
  if (r.empty()) return std::nullopt;
  return status_from_row(r[0]);
}

std::vector<ImportStatus> ImportService::list(std::size_t limit, std::size_t offset) const {
  std::vector<ImportStatus> out;
  {
    auto lease = pool_.lease();
    pqxx::read_transaction tx(lease.conn());
    const auto rows = tx.exec_params(std::string("SELECT ") + kStatusColumns +
                                         " FROM hub.file_checkpoint ORDER BY created_at DESC,"
                                         " key LIMIT $1 OFFSET $2",
                                     static_cast<long long>(limit), static_cast<long long>(offset));
    for (const auto& r : rows) out.push_back(status_from_row(r));
  }
  std::lock_guard lock(mu_);
  for (auto& s : out) {
    if (s.source != kSource) continue;
    if (auto it = live_.find(s.id); it != live_.end()) {
      auto live = live_status(*it->second);
      live.created_at = s.created_at;
      live.updated_at = s.updated_at;
      s = live;
    }
  }
  return out;
}

}  // namespace hub::imports
