// Bank registry import end to end: a generated Sber-style registry (mappings/bank/
// sber_payments.yaml, cp1251, one payment per line, a reading on every 10th line) dropped into a
// file inbox and imported by the real plugins (build/plugins/file_inbox.so handing it to
// bank.so's bank.sber_payments.batched) through the hub's Ingress into a private PostgreSQL:
// two-pass parse, one payment.lines message per 500 lines (XSD validation, routing, journal,
// a delivery to billing_store, the file checkpoint, all in one transaction per batch). That is
// "imported": durable, acknowledged, nothing lost. Then the dispatcher delivers the batches to the
// billing store (identification, billing.payment rows, readings) and the bench reports that rate
// too; the store knows 95% of the payers' accounts. Each import runs in a fresh child process so
// that its peak RSS is its own (the 100k run and the 1M run); the 100k file is also imported with
// the line parser (bank.sber_payments: a payment.received and its meter.readings per line) for
// comparison. Baseline in the same run: COPY of the same payments (one row each: date, branch,
// operation, account, amount, commission, payer) into a plain table, right after each import.
// Each size's import and its COPY run --rounds times, alternating, each on a fresh database; the
// rates are the median round's (by ratio), rounds_1m and rounds_100k list every round, and the
// peak RSS figures are the highest of a size's rounds. Last line: one JSON object;
// end_to_end_lines_per_s counts the first round's import and the billing store's apply one after
// the other (in the hub they overlap), peak_rss_mb_with_apply the first round's high-water mark of
// both (the apply claims deploy/local.yaml's 100 messages at a time).
//
//   bench_registry_import [--lines N (1000000)] [--small N (100000)] [--batch N (500)]
//                         [--rounds N (3)] [--per-line 0 (skip the line parser's comparison run)]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>

#include "hub/billing/billing_store.h"
#include "hub/billing/billing_store_sink.h"
#include "hub/core/log.h"
#include "hub/dispatcher/dispatcher.h"
#include "hub/ingress/ingress.h"
#include "hub/plugin_host/adapter_host.h"
#include "hub/router/router.h"
#include "hub/store/migrations.h"
#include "hub/store/pool.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "pg_cluster.h"
#include "process_usage.h"
#include "registry/registry_parser.h"
#include "registry/registry_writer.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kRoutes = R"(routes:
  - name: payments
    match: {type: [payment.received, payment.lines, meter.reading]}
    to: [billing_store]
)";

/// Peak resident set of this process in MB (VmHWM).
double peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

fs::path self_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

/// Writes an `n`-line sber_payments registry with the layout's own writer.
void generate(const hub::bank::Layout& layout, const fs::path& file, long n) {
  hub::bank::RegistryWriter w(layout);
  w.open(file);
  std::string why;
  for (long i = 1; i <= n; ++i) {
    hub::bank::Record r;
    r.values = {{"branch", std::to_string(8600 + i % 30)},
                {"cashier", "0042"},
                {"paid_at",
                 "2026-11-" + std::string(i % 28 + 1 < 10 ? "0" : "") + std::to_string(i % 28 + 1)},
                {"transaction_id", std::to_string(10000000 + i)},
                {"amount", std::to_string(50000 + i % 100000)},
                {"commission", "0"},
                {"account", std::to_string(100000 + i % 200000)},
                {"payer_name", "Иванова Мария Петровна"}};
    if (i % 10 == 0) r.meters = {{"1", "", "", std::to_string(100 + i % 900) + ".5"}};
    if (!w.write(r, why)) throw std::runtime_error(why);
  }
  w.finish();
}

std::string fresh_database(const std::string& admin, const std::string& name) {
  pqxx::connection c(admin);
  pqxx::nontransaction tx(c);
  tx.exec("DROP DATABASE IF EXISTS " + name);
  tx.exec("CREATE DATABASE " + name);
  return with_dbname(admin, name);
}

/// Child: import `file` through the plugins into `conninfo` with `parser`, then (with `apply`)
/// let the billing store apply what was imported; prints one JSON line.
int child_import(const fs::path& source, const fs::path& file, const std::string& conninfo,
                 int batch, const std::string& parser_name, bool apply) {
  hub::LogSink::instance().set_min_level(hub::LogLevel::kWarn);
  {
    pqxx::connection c(conninfo);
    hub::store::migrate(c);
    // The store knows the payers, as a real one knows nearly all of them: 19 of every 20 of the
    // generated accounts, so that 5% of the payments end unidentified.
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO billing.account (nkey, number) SELECT n::text, n::text"
        " FROM generate_series(100000, 299999) AS n WHERE n % 20 <> 0");
    tx.exec("ANALYZE billing.account");
    tx.commit();
  }
  hub::store::Pool pool(conninfo, 4);
  auto schemas = hub::xml::SchemaRegistry::load(source / "schemas/canonical");
  auto config = std::make_shared<hub::router::RoutingConfig>(
      hub::router::parse_routing_config(kRoutes, "bench-routes.yaml"));
  auto xslt = std::make_shared<hub::xml::StylesheetCache>(source / "mappings");
  hub::router::RouterHolder router;
  router.set(std::make_shared<hub::router::Router>(config, xslt, 1));
  hub::ingress::Ingress ingress(pool, schemas, router);
  // The file waits beside the inbox until the poll thread's first (empty) pass is over, so that
  // the timed scan below is the one that imports it.
  const auto inbox = file.parent_path() / "inbox";
  fs::create_directories(inbox);
  hub::plugin_host::AdapterHost host(self_dir().parent_path() / "plugins", pool, ingress);
  host.add_instances(
      YAML::Load("bank:\n  plugin: bank\n  layouts: " + (source / "mappings/bank").string() +
                 "\n  batch_lines: " + std::to_string(batch) +
                 "\nsber_inbox:\n  plugin: file_inbox\n  path: " + inbox.string() +
                 "\n  parser: " + parser_name +
                 "\n  min_age: 0s\n  poll_interval: 24h\n"
                 "  batch_size: " +
                 std::to_string(batch) + "\n"),
      "bench.yaml");
  host.start_all();

  host.run_job("sber_inbox.scan");
  fs::rename(file, inbox / file.filename());
  const double cpu0 = cpu_seconds();
  auto t0 = Clock::now();
  const auto r = host.run_job("sber_inbox.scan");
  const double import_s = seconds_since(t0);
  const double import_cpu_s = cpu_seconds() - cpu0;
  if (!r.ok) throw std::runtime_error("import failed: " + r.message);
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  const auto messages = tx.exec("SELECT count(*) FROM hub.message")[0][0].as<long>();
  const auto status =
      tx.exec("SELECT status FROM hub.file_checkpoint LIMIT 1")[0][0].as<std::string>();
  host.stop_all();
  const double import_rss = peak_rss_mb();

  // The parser alone (both passes, bodies built, nothing stored): where the time goes. After the
  // import and its peak RSS, so that the peak is the import's own: this pass builds, parses and
  // frees every body on this thread, and the import found the heap as the pass had left it
  // (before it moved here, 1M rounds peaked at 52.2-55.6 MB, after at 51.9-53.0).
  // Also the floor of any import that journals canonical XML: parsing and validating the bodies
  // the parser built, as Ingress does, timed apart from the parser.
  struct Null : hub::plugin::ParseSink {
    explicit Null(const hub::xml::SchemaRegistry& s) : schemas(s) {}
    const hub::xml::SchemaRegistry& schemas;
    std::size_t n = 0;
    double validate_s = 0, validate_cpu_s = 0;
    void emit(std::vector<hub::plugin::Envelope> b, std::int64_t) override {
      n += b.size();
      const auto t = Clock::now();
      const double c = thread_cpu_seconds();
      for (const auto& e : b) schemas.validate_or_throw(e.type, hub::xml::parse_xml(e.body, e.id));
      validate_s += seconds_since(t);
      validate_cpu_s += thread_cpu_seconds() - c;
    }
    void error(hub::plugin::InputError) override {}
  } null(*schemas);
  auto parser = host.parsers().find(parser_name);
  const double parse_cpu0 = thread_cpu_seconds();
  t0 = Clock::now();
  auto outcome = parser->parse(inbox / "done" / file.filename(),
                               {file.filename().string(), std::string(64, '0'), 0, "x"}, null);
  const double parse_s = seconds_since(t0) - null.validate_s;
  const double parse_cpu_s = thread_cpu_seconds() - parse_cpu0 - null.validate_cpu_s;
  if (!outcome.accepted) throw std::runtime_error("refused: " + outcome.fatal.at(0).reason);

  // The billing store applies what was imported, as the hub's dispatcher does it.
  auto sinks = std::make_shared<hub::dispatcher::SinkRegistry>();
  auto billing = std::make_shared<hub::billing::BillingStore>(pool);
  sinks->add("billing_store", std::make_shared<hub::billing::BillingStoreSink>(billing));
  hub::dispatcher::DispatcherOptions dopt;
  dopt.node_id = "bench-registry";
  // deploy/local.yaml's 100 messages per claim: 50,000 payments of payment.lines, which the
  // billing store applies in groups (BillingStore::apply_batch_on).
  dopt.defaults.batch_size = 100;
  const double apply_cpu0 = cpu_seconds();
  t0 = Clock::now();
  if (apply) {
    hub::dispatcher::Dispatcher dispatcher(pool, sinks, dopt);
    dispatcher.start();
    const auto deliveries = tx.exec("SELECT count(*) FROM hub.delivery")[0][0].as<long>();
    while (static_cast<long>(dispatcher.stats().delivered + dispatcher.stats().dead) < deliveries) {
      if (seconds_since(t0) > 3600) throw std::runtime_error("billing did not finish in an hour");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    dispatcher.stop();
  }
  const double apply_s = seconds_since(t0);
  const double apply_cpu_s = cpu_seconds() - apply_cpu0;
  const auto payments = tx.exec("SELECT count(*) FROM billing.payment")[0][0].as<long>();
  const auto dead = tx.exec("SELECT count(*) FROM hub.dead_letter")[0][0].as<long>();
  // The high-water mark of the import and the apply together: what the hub, which does both in
  // one process, would have needed.
  const double with_apply_rss = peak_rss_mb();
  std::printf(
      "{\"parse_s\":%.3f,\"parse_cpu_s\":%.3f,\"validate_s\":%.3f,\"validate_cpu_s\":%.3f,\"parse_"
      "messages\":%zu,\"import_s\":%.3f,\"import_cpu_"
      "s\":%.3f,"
      "\"messages\":%ld,"
      "\"checkpoint\":\"%s\",\"peak_rss_mb\":%.1f,\"scan\":\"%s\",\"apply_s\":%.3f,\"apply_cpu_s\":"
      "%.3f,"
      "\"payments\":%ld,\"dead_letters\":%ld,\"peak_rss_mb_with_apply\":%.1f}\n",
      parse_s, parse_cpu_s, null.validate_s, null.validate_cpu_s, null.n, import_s, import_cpu_s,
      messages, status.c_str(), import_rss, r.message.c_str(), apply_s, apply_cpu_s, payments, dead,
      with_apply_rss);
  return 0;
}

/// Runs this binary as a child (`--child file conninfo batch parser apply`) and returns its JSON
/// line.
std::string run_child(const fs::path& file, const std::string& conninfo, int batch,
                      const std::string& parser, bool apply) {
  const auto cmd = shell_quote((self_dir() / "bench_registry_import").string()) + " --child " +
                   shell_quote(file.string()) + " " + shell_quote(conninfo) + " " +
                   std::to_string(batch) + " " + shell_quote(parser) + (apply ? " 1" : " 0");
  return run_capture(cmd);
}

double json_number(const std::string& json, const std::string& key) {
  const auto p = json.find("\"" + key + "\":");
  if (p == std::string::npos) throw std::runtime_error("no " + key + " in " + json);
  return std::stod(json.substr(p + key.size() + 3));
}

/// Writes out everything dirty, so that the next timed phase does not share the disk with a
/// checkpoint of the phase before.
void checkpoint(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  tx.exec("CHECKPOINT");
}

/// COPY of the same payments, one row each, read from the same file (plain split, no checks).
double copy_baseline(const std::string& conninfo, const fs::path& file, long& rows) {
  pqxx::connection c(conninfo);
  {
    pqxx::nontransaction tx(c);
    tx.exec(
        "CREATE TABLE copy_payment (paid_on date, branch text, operation text, account text,"
        " amount_kopecks bigint, commission_kopecks bigint, payer text)");
  }
  const auto t0 = Clock::now();
  pqxx::work tx(c);
  pqxx::stream_to stream(tx, "copy_payment",
                         std::vector<std::string>{"paid_on", "branch", "operation", "account",
                                                  "amount_kopecks", "commission_kopecks", "payer"});
  std::ifstream in(file, std::ios::binary);
  std::string raw, line;
  rows = 0;
  std::vector<std::string> f;
  while (std::getline(in, raw)) {
    if (raw.rfind("=;", 0) == 0) break;
    line.clear();
    hub::bank::decode_to_utf8(raw, hub::bank::Encoding::kCp1251, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    f.clear();
    std::size_t s = 0;
    for (auto p = line.find(';');; p = line.find(';', s)) {
      f.push_back(line.substr(s, p == std::string::npos ? std::string::npos : p - s));
      if (p == std::string::npos) break;
      s = p + 1;
    }
    const auto& d = f[2];  // dd/MM/yyyy
    const std::string iso = d.substr(6, 4) + "-" + d.substr(3, 2) + "-" + d.substr(0, 2);
    auto kop = [](const std::string& r) {
      const auto dot = r.find('.');
      return std::stoll(r.substr(0, dot)) * 100 +
             (dot == std::string::npos ? 0 : std::stoll(r.substr(dot + 1)));
    };
    std::string account, payer;
    for (std::size_t i = 6; i < f.size(); ++i) {
      if (f[i].rfind("CLIENTNO:", 0) == 0) account = f[i].substr(9);
      if (f[i].rfind("FIO:", 0) == 0) payer = f[i].substr(4);
    }
    stream << std::make_tuple(iso, f[0], f[3], account, kop(f[4]), kop(f[5]), payer);
    ++rows;
  }
  stream.complete();
  tx.commit();
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path source = std::getenv("ZHKH_SOURCE_DIR") ? std::getenv("ZHKH_SOURCE_DIR")
                                                   : self_dir().parent_path().parent_path();
  try {
    if (argc == 7 && std::string(argv[1]) == "--child") {
      return child_import(source, argv[2], argv[3], std::atoi(argv[4]), argv[5],
                          std::string(argv[6]) != "0");
    }
    long lines = 1000000, small = 100000;
    int batch = 500, rounds = 3;
    bool per_line_run = true;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string k = argv[i];
      if (k == "--lines")
        lines = std::atol(argv[i + 1]);
      else if (k == "--small")
        small = std::atol(argv[i + 1]);
      else if (k == "--batch")
        batch = std::atoi(argv[i + 1]);
      else if (k == "--per-line")
        per_line_run = std::string(argv[i + 1]) != "0";
      else if (k == "--rounds")
        rounds = std::max(1, std::atoi(argv[i + 1]));
      else {
        std::cerr << "unknown option " << k << "\n";
        return 2;
      }
    }
    small = std::min(small, lines);
    hub::LogSink::instance().set_min_level(hub::LogLevel::kWarn);
    std::unique_ptr<TempCluster> cluster;
    std::string admin;
    if (const char* env = std::getenv("ZHKH_BENCH_PG"); env && *env) {
      admin = env;
    } else {
      cluster = std::make_unique<TempCluster>(source);
      admin = cluster->conninfo();
    }
    const auto layout = hub::bank::load_layout(source / "mappings/bank/sber_payments.yaml");
    char tmpl[] = "/tmp/zhkh-bench-registry.XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    const fs::path work = tmpl;
    struct R {
      double lines_per_s, copy_rows_per_s, parse_lines_per_s, validate_lines_per_s, rss;
      double end_to_end_lines_per_s;
      double messages, billing_per_s, payments;
      double rss_with_apply;  // 0 without the apply
      double ratio() const { return lines_per_s / copy_rows_per_s; }
    };
    std::map<long, fs::path> generated;  // one file per size, copied into each run's inbox
    // One run: a fresh database, the import in a child, then COPY of the same rows. With `apply`,
    // the billing store then applies what was imported (in the child, after the import).
    auto run = [&](long n, const std::string& tag, const std::string& parser, bool apply) {
      const auto inbox = work / ("inbox_" + tag);
      fs::create_directories(inbox);
      const auto file = inbox / ("sber_" + tag + ".txt");
      if (auto g = generated.find(n); g != generated.end()) {
        fs::copy_file(g->second, file);
      } else {
        auto t0 = Clock::now();
        generate(layout, work / ("sber_" + std::to_string(n) + ".txt"), n);
        generated[n] = work / ("sber_" + std::to_string(n) + ".txt");
        fs::copy_file(generated[n], file);
        std::printf("%s: generated %ld lines, %.1f MB in %.1f s\n", tag.c_str(), n,
                    fs::file_size(file) / 1048576.0, seconds_since(t0));
      }
      const auto db_name = "bench_reg_" + tag + "_" + std::to_string(::getpid());
      const auto db = fresh_database(admin, db_name);
      // Each timed phase starts on a fresh checkpoint: COPY follows the billing store's apply
      // (~1.5 GB of WAL), so without one a checkpoint fell inside COPY in some runs and not in
      // others, and COPY's rate swung 350k-510k rows/s between identical runs.
      checkpoint(admin);
      const auto json = run_child(file, db, batch, parser, apply);
      std::printf("%s import: %s\n", tag.c_str(), json.c_str());
      std::fflush(stdout);
      long rows = 0;
      checkpoint(admin);
      const double copy_s = copy_baseline(db, inbox / "inbox/done" / file.filename(), rows);
      const double import_s = json_number(json, "import_s");
      const double parse_s = json_number(json, "parse_s");
      const double apply_s = json_number(json, "apply_s");
      std::printf(
          "%s (%s): import %.1f s = %.0f lines/s (parser alone %.0f lines/s, parsing and validating"
          " its bodies alone %.0f lines/s); COPY of %ld rows %.2f s = %.0f rows/s; ratio %.4f;"
          " peak RSS %.1f MB",
          tag.c_str(), parser.c_str(), import_s, n / import_s, n / parse_s,
          n / json_number(json, "validate_s"), rows, copy_s, rows / copy_s,
          (n / import_s) / (rows / copy_s), json_number(json, "peak_rss_mb"));
      if (apply) {
        std::printf(
            "; then the billing store applied %.0f payments in %.1f s = %.0f payments/s (%.0f dead"
            " letters; peak RSS of import and apply %.1f MB)",
            json_number(json, "payments"), apply_s, json_number(json, "payments") / apply_s,
            json_number(json, "dead_letters"), json_number(json, "peak_rss_mb_with_apply"));
      }
      std::printf("\n");
      std::fflush(stdout);
      if (!apply) fs::remove_all(inbox);  // a later round's file waits in its own inbox
      // Gone before the next round, so that every round runs on a cluster that holds only its own
      // database (the first round's leaves a million applied payments behind).
      {
        pqxx::connection c(admin);
        pqxx::nontransaction tx(c);
        tx.exec("DROP DATABASE " + db_name);
      }
      return R{n / import_s,
               rows / copy_s,
               n / parse_s,
               n / json_number(json, "validate_s"),
               json_number(json, "peak_rss_mb"),
               apply ? n / (import_s + apply_s) : 0.0,
               json_number(json, "messages"),
               apply ? json_number(json, "payments") / apply_s : 0.0,
               json_number(json, "payments"),
               apply ? json_number(json, "peak_rss_mb_with_apply") : 0.0};
    };
    const std::string batched = "bank.sber_payments.batched", per_line = "bank.sber_payments";
    // Each size's import and its COPY, `rounds` times, each on a fresh database: the two phases
    // take a few seconds each, and on a shared machine one run's rates swung by a third between
    // identical runs (COPY 394k-784k rows/s on 2026-12-02), its peak RSS by ~10 MB. The rates
    // reported are those of the round with the median ratio, the peak RSS the highest of the
    // rounds; the billing store's apply runs in the first round only.
    struct Rounds {
      std::vector<R> all;
      const R& median() const {
        std::vector<const R*> by_ratio;
        for (const auto& r : all) by_ratio.push_back(&r);
        std::sort(by_ratio.begin(), by_ratio.end(),
                  [](const R* x, const R* y) { return x->ratio() < y->ratio(); });
        return *by_ratio[by_ratio.size() / 2];
      }
      double peak_rss() const {
        double m = 0;
        for (const auto& r : all) m = std::max(m, r.rss);
        return m;
      }
      double min_ratio() const {
        double m = all.front().ratio();
        for (const auto& r : all) m = std::min(m, r.ratio());
        return m;
      }
      double max_ratio() const {
        double m = 0;
        for (const auto& r : all) m = std::max(m, r.ratio());
        return m;
      }
      std::string json() const {
        std::string out;
        for (const auto& r : all) {
          char buf[200];
          std::snprintf(buf, sizeof buf,
                        "%s{\"lines_per_s\":%.0f,\"copy_rows_per_s\":%.0f,\"ratio\":%.4f,"
                        "\"peak_rss_mb\":%.1f}",
                        out.empty() ? "" : ",", r.lines_per_s, r.copy_rows_per_s, r.ratio(), r.rss);
          out += buf;
        }
        return "[" + out + "]";
      }
    };
    auto rounds_of = [&](long n, const std::string& tag) {
      Rounds out;
      for (int k = 1; k <= rounds; ++k)
        out.all.push_back(
            run(n, k == 1 ? tag : tag + "_round" + std::to_string(k), batched, k == 1));
      return out;
    };
    const auto s = rounds_of(small, "small");
    const auto b = lines == small ? s : rounds_of(lines, "big");
    const R& m = b.median();
    const R& first = b.all.front();
    std::optional<R> l;
    if (per_line_run) l = run(small, "small_per_line", per_line, true);
    fs::remove_all(work);
    std::printf(
        "{\"bench\":\"registry_import\",\"lines\":%ld,\"lines_per_s\":%.0f,"
        "\"copy_rows_per_s\":%.0f,\"ratio_vs_copy\":%.4f,\"ratio_vs_copy_min\":%.4f,"
        "\"ratio_vs_copy_max\":%.4f,\"parse_lines_per_s\":%.0f,"
        "\"validate_lines_per_s\":%.0f,\"end_to_end_lines_per_s\":%.0f,"
        "\"messages\":%.0f,\"peak_rss_mb\":%.1f,\"lines_100k\":%ld,\"lines_per_s_100k\":%.0f,"
        "\"peak_rss_mb_100k\":%.1f,\"batch\":%d,\"billing_payments_per_s\":%.0f,"
        "\"billing_payments\":%.0f,\"peak_rss_mb_with_apply\":%.1f,"
        "\"per_line_lines_per_s_100k\":%.0f,\"per_line_ratio_vs_copy_100k\":%.4f,\"rounds\":%d,"
        "\"rounds_1m\":%s,\"rounds_100k\":%s}\n",
        lines, m.lines_per_s, m.copy_rows_per_s, m.ratio(), b.min_ratio(), b.max_ratio(),
        m.parse_lines_per_s, m.validate_lines_per_s, first.end_to_end_lines_per_s, m.messages,
        b.peak_rss(), small, s.median().lines_per_s, s.peak_rss(), batch, first.billing_per_s,
        first.payments, first.rss_with_apply, l ? l->lines_per_s : 0.0, l ? l->ratio() : 0.0,
        rounds, b.json().c_str(), s.json().c_str());
  } catch (const std::exception& e) {
    std::cerr << "bench_registry_import: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
