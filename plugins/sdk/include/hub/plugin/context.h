#pragma once
// What the hub gives an adapter. Adapters never open their own database connections or threads:
// everything they need from outside their own code comes through here.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/plugin/config.h"
#include "hub/plugin/envelope.h"

namespace Poco::Net {
class HTTPClientSession;
}

namespace hub::plugin {

class FileParser;
class XmlServices;
class ExchangeStore;
class BillingExport;
class DebtReader;
class SignerFactory;

using Fields = std::vector<std::pair<std::string, std::string>>;

enum class LogLevel { kDebug, kInfo, kWarn, kError };

/// Structured log: one event per line with the given fields; the hub adds time, adapter instance
/// and correlation id, and masks fields whose names look secret.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view event, const Fields& fields = {}) = 0;
  void debug(std::string_view e, const Fields& f = {}) { log(LogLevel::kDebug, e, f); }
  void info(std::string_view e, const Fields& f = {}) { log(LogLevel::kInfo, e, f); }
  void warn(std::string_view e, const Fields& f = {}) { log(LogLevel::kWarn, e, f); }
  void error(std::string_view e, const Fields& f = {}) { log(LogLevel::kError, e, f); }
};

/// Where a source stands, committed in the same transaction as the messages emitted with it.
struct Checkpoint {
  std::string source;        ///< adapter instance (set by the hub when empty)
  std::string key;           ///< e.g. the file's SHA-256, or a GIS MessageGUID
  std::string file_name;     ///< for reports; may be empty
  std::int64_t position = 0; ///< last line / record handed over
  std::string status;        ///< "in_progress", "done" or "quarantined"
  std::string report;        ///< free text or JSON: counts, errors
};

/// Ingress refused a batch (schema violation, unknown type). Nothing of the batch was committed.
class RejectedInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EmitResult {
  std::size_t accepted = 0;    ///< journalled now
  std::size_t duplicates = 0;  ///< already journalled under the same idempotency key
  std::vector<std::string> ids;
};

/// The only way into the hub. A batch is validated, deduplicated, journalled and routed in one
/// transaction together with the checkpoint: either all of it is kept, or none.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual EmitResult emit(std::vector<Envelope> batch,
                          const std::optional<Checkpoint>& checkpoint = std::nullopt) = 0;
};

/// Narrow store access: what adapters may read and record, never raw SQL.
class StoreAccess {
 public:
  virtual ~StoreAccess() = default;
  virtual std::optional<Checkpoint> find_checkpoint(const std::string& source,
                                                    const std::string& key) = 0;
  /// Raw request/response to an external system, for the exchange log. A diagnostic record, not
  /// a state change: it commits without waiting for the disk, so a crash of the database can
  /// lose the entries since the last durable commit (the adapter's next durable write of the
  /// step they belong to makes them durable; a step lost with them is redone and logged again).
  virtual void log_exchange(const std::string& operation, const std::string& direction,
                            const std::string& correlation_id, const std::string& status,
                            const std::string& payload) = 0;
};

struct HttpOptions {
  std::chrono::milliseconds timeout{30000};
  std::string ca_file;    ///< HTTPS: CA bundle; empty = system default
  std::string cert_file;  ///< HTTPS client certificate (PEM)
  std::string key_file;
};

class HttpClientFactory {
 public:
  virtual ~HttpClientFactory() = default;
  /// A session to the scheme/host/port of `url` (http or https).
  virtual std::unique_ptr<Poco::Net::HTTPClientSession> open(const std::string& url,
                                                             const HttpOptions& options = {}) = 0;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

/// Metrics exported on /metrics; names are prefixed with `zhkh_adapter_`.
class Metrics {
 public:
  virtual ~Metrics() = default;
  virtual void add(std::string_view counter, const Labels& labels = {}, double value = 1) = 0;
  virtual void set(std::string_view gauge, const Labels& labels, double value) = 0;
  virtual void observe(std::string_view histogram, const Labels& labels, double seconds) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

/// Parsers are shared between plugins: a system adapter (e.g. bank) registers its file parsers,
/// and the generic file inbox hands files to whichever parser its config names.
class ParserRegistry {
 public:
  virtual ~ParserRegistry() = default;
  virtual void add(const std::string& name, std::shared_ptr<FileParser> parser) = 0;
  virtual std::shared_ptr<FileParser> find(const std::string& name) const = 0;
};

class Context {
 public:
  virtual ~Context() = default;
  virtual const std::string& instance() const = 0;  ///< adapter instance name from config
  virtual const Config& config() const = 0;         ///< this instance's validated section
  virtual Logger& log() = 0;
  virtual Emitter& emitter() = 0;
  virtual StoreAccess& store() = 0;
  virtual HttpClientFactory& http() = 0;
  virtual Metrics& metrics() = 0;
  virtual const Clock& clock() const = 0;
  virtual ParserRegistry& parsers() = 0;
  /// Runs `task` on a hub-owned thread every `interval` between start() and stop(). An exception
  /// from `task` is logged and counted; the next tick still runs.
  virtual void every(std::chrono::milliseconds interval, std::string name,
                     std::function<void()> task) = 0;
  /// The canonical message type whose body has root element {ns}local, from the hub's schema
  /// registry; empty when no type has that root (or the hub was not given the registry).
  virtual std::string type_for_root(const std::string& ns, const std::string& local) const {
    return {};
  }
  /// Official XSD packages (hub/plugin/xml_services.h).
  virtual XmlServices& xml() {
    throw std::logic_error("XML schema services are not provided by this hub");
  }
  /// This instance's durable asynchronous exchanges (hub/plugin/exchange_state.h).
  virtual ExchangeStore& exchanges() {
    throw std::logic_error("exchange state is not provided by this hub");
  }
  /// Keyset-paged reads of the billing store (hub/plugin/billing_export.h).
  virtual BillingExport& billing_export() {
    throw std::logic_error("billing export is not provided by this hub");
  }
  /// Debtors of the billing store for a period (hub/plugin/debt_reader.h).
  virtual DebtReader& debts() { throw std::logic_error("debt reading is not provided by this hub"); }
  /// XML signing keys and signature checks (hub/plugin/signer.h).
  virtual SignerFactory& signers() {
    throw std::logic_error("XML signing is not provided by this hub");
  }
};

}  // namespace hub::plugin
