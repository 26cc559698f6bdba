#include "hub/app/hub_app.h"

#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "hub/api/admin_server.h"
#include "hub/api/admin_services.h"
#include "hub/api/token_store.h"
#include "hub/billing/billing_store.h"
#include "hub/billing/billing_store_sink.h"
#include "hub/billing/payment_routes.h"
#include "hub/billing/unidentified_payments.h"
#include "hub/core/error.h"
#include "hub/core/log.h"
#include "hub/dispatcher/builtin_sinks.h"
#include "hub/dispatcher/dead_letters.h"
#include "hub/dispatcher/dispatcher.h"
#include "hub/ingress/ingress.h"
#include "hub/plugin/config.h"
#include "hub/plugin_host/adapter_host.h"
#include "hub/queue/canonical_queues.h"
#include "hub/imports/import_routes.h"
#include "hub/exchanges/exchange_routes.h"
#include "hub/exchanges/gis_report_routes.h"
#include "hub/queue/queue_routes.h"
#include "hub/router/route_store.h"
#include "hub/router/router.h"
#include "hub/scheduler/scheduler.h"
#include "hub/soap/soap_endpoint.h"
#include "hub/store/migrations.h"
#include "hub/store/pool.h"
#include "hub/tickets/sla_monitor.h"
#include "hub/tickets/ticket_publisher.h"
#include "hub/tickets/ticket_routes.h"
#include "hub/tickets/ticket_sink.h"
#include "hub/tickets/ticket_store.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"

namespace hub::app {
namespace {

Log& log() {
  static Log l("hub");
  return l;
}

dispatcher::TargetConfig to_target_config(const TargetSettings& s) {
  dispatcher::TargetConfig t;
  t.workers = s.workers;
  t.batch_size = s.batch;
  t.max_attempts = s.max_attempts;
  t.backoff_base = plugin::parse_duration(s.backoff_base);
  t.backoff_max = plugin::parse_duration(s.backoff_max);
  t.lease = plugin::parse_duration(s.lease);
  t.breaker_failures = s.breaker_failures;
  t.breaker_open = plugin::parse_duration(s.breaker_open);
  t.poll_interval = plugin::parse_duration(s.poll);
  t.linger = plugin::parse_duration(s.linger);
  return t;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, 0, "", "cannot read the routes file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LogLevel parse_level(const std::string& s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "warn") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

}  // namespace

struct HubApp::Parts {
  std::unique_ptr<store::Pool> pool;           // ingress, adapters, API, scheduler
  std::unique_ptr<store::Pool> dispatch_pool;  // dispatcher workers only
  std::shared_ptr<const xml::SchemaRegistry> schemas;
  std::shared_ptr<xml::StylesheetCache> xslt;
  std::unique_ptr<router::RouteStore> route_store;
  router::RouterHolder router;
  std::unique_ptr<ingress::Ingress> ingress;
  std::shared_ptr<dispatcher::SinkRegistry> sinks = std::make_shared<dispatcher::SinkRegistry>();
  std::unique_ptr<plugin_host::AdapterHost> host;
  std::unique_ptr<dispatcher::Dispatcher> dispatcher;
  std::unique_ptr<dispatcher::DeadLetters> dead_letters;
  std::unique_ptr<scheduler::Scheduler> scheduler;
  std::unique_ptr<router::RouteWatcher> watcher;
  std::unique_ptr<api::AdminServer> api;
  std::shared_ptr<billing::BillingStore> billing;  // schema billing: target billing_store
  std::unique_ptr<billing::UnidentifiedPayments> unidentified;  // their API (resolve re-emits)
  std::unique_ptr<queue::CanonicalQueues> queues;  // canonical queues for billing engines
  // Schema tickets: target ticket_store, its API and the SLA breach recorder (hub/tickets).
  std::shared_ptr<tickets::TicketStore> ticket_store;
  std::unique_ptr<tickets::SlaMonitor> sla_monitor;
  std::unique_ptr<tickets::TicketPublisher> ticket_publisher;  // staff changes → channels
  std::unique_ptr<soap::SoapEndpoint> soap;        // /soap for SOAP-only partners (hub/soap)
  std::unique_ptr<imports::ImportService> imports;  // `zhkh-hub import ...` uploads (hub/imports)
  std::string admin_token;
  std::atomic<bool> ready{false};
  std::mutex reload_mu;
};

HubApp::HubApp(HubConfig config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

HubApp::~HubApp() { stop(); }

const std::string& HubApp::admin_token() const { return parts_->admin_token; }
int HubApp::api_port() const { return parts_->api ? parts_->api->port() : 0; }
long long HubApp::routes_version() const {
  auto r = parts_->router.get();
  return r ? r->version() : 0;
}

namespace {

// Every target a route names must be something the dispatcher can deliver to.
void check_targets(const router::RoutingConfig& config, const dispatcher::SinkRegistry& sinks,
                   const std::string& file) {
  const auto names = sinks.names();
  for (const auto& route : config.routes) {
    for (const auto& t : route.targets) {
      if (std::find(names.begin(), names.end(), t) == names.end()) {
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        throw ConfigError(file, route.line, "routes." + route.name + ".to",
                          "unknown target '" + t + "' (known: " + known + ")");
      }
    }
  }
}

}  // namespace

void HubApp::start() {
  auto& p = *parts_;
  auto& c = config_;
  LogSink::instance().set_min_level(parse_level(c.log_level));
  if (!c.log_file.empty()) LogSink::instance().set_file(c.log_file);
  log().info("starting", {{"node", c.node_id}, {"config", c.file}});

  try {
    p.pool = std::make_unique<store::Pool>(c.db_conninfo, c.pool_size);
    {
      auto lease = p.pool->lease();
      const auto report = store::migrate(lease.conn());
      for (const auto& m : report.applied) log().info("migration_applied", {{"name", m}});
    }
    p.schemas = xml::SchemaRegistry::load(c.schemas_dir);
    p.xslt = std::make_shared<xml::StylesheetCache>(c.mappings_dir);
    p.route_store = std::make_unique<router::RouteStore>(*p.pool);
    p.ingress = std::make_unique<ingress::Ingress>(*p.pool, p.schemas, p.router);

    // Canonical queues: every message Ingress journals is also queued, in the same transaction,
    // for each subscription whose filter it passes (hub/queue/canonical_queues.h).
    {
      std::vector<queue::Subscription> subs;
      for (const auto& q : c.queues) {
        queue::Subscription s{q.name, q.types, q.sources,
                              std::chrono::duration_cast<std::chrono::seconds>(
                                  plugin::parse_duration(q.visibility_timeout)),
                              q.line, q.max_deliveries};
        for (const auto& t : s.types) {
          if (!p.schemas->knows(t)) {
            throw ConfigError(c.file, q.line, "queues." + q.name + ".types",
                              "unknown message type '" + t + "'");
          }
        }
        subs.push_back(std::move(s));
      }
      queue::validate_subscriptions(subs, c.file);
      p.queues = std::make_unique<queue::CanonicalQueues>(*p.pool, c.db_conninfo, std::move(subs));
      p.ingress->set_fan_out([q = p.queues.get()](const Envelope& e, router::RoutingDecision& d) {
        q->fan_out(e, d);
      });
    }

    // Plugins next: routes may name their sinks.
    p.sinks->add("noop", std::make_shared<dispatcher::NoopSink>());
    p.sinks->add("log", std::make_shared<dispatcher::LoggingSink>("log"));
    // Built-in target billing_store: canonical state in schema billing (hub/billing).
    p.billing = std::make_shared<billing::BillingStore>(*p.pool);
    p.sinks->add("billing_store", std::make_shared<billing::BillingStoreSink>(p.billing));
    p.unidentified = std::make_unique<billing::UnidentifiedPayments>(*p.billing, *p.ingress);
    // Built-in target ticket_store: residents' requests under the organisation's model from
    // tickets.config (hub/tickets); a bad model stops the start naming its file, line and key.
    if (!c.tickets_config.empty()) {
      auto model = std::make_shared<const tickets::TicketModel>(
          tickets::TicketModel::load(c.tickets_config));
      p.ticket_store = std::make_shared<tickets::TicketStore>(*p.pool, std::move(model));
      p.sinks->add("ticket_store", std::make_shared<tickets::TicketSink>(p.ticket_store));
      p.sla_monitor = std::make_unique<tickets::SlaMonitor>(
          p.ticket_store, plugin::parse_duration(c.tickets_sla_check));
      // Staff changes go out as ticket.updated through Ingress, for routes to the channels.
      p.ticket_publisher = std::make_unique<tickets::TicketPublisher>(*p.pool, *p.ingress);
      p.ticket_store->set_on_change([pub = p.ticket_publisher.get()] { pub->wake(); });
    }
    p.host = std::make_unique<plugin_host::AdapterHost>(c.plugins_dir, *p.pool, *p.ingress);
    // Lets file adapters name a canonical document's type from its root element.
    p.host->set_type_resolver([schemas = p.schemas](const std::string& ns, const std::string& local) {
      const auto* t = schemas->find_by_root(ns, local);
      return t ? t->type : std::string();
    });
    for (const auto& a : c.adapters) p.host->add_instance(a.name, a.settings, c.file);
    p.host->register_sinks(*p.sinks);

    // Routes: seed from the routes file, then run whatever version the database holds.
    if (!c.routes_file.empty()) {
      const bool seed = c.routes_on_start == "always" || !p.route_store->current();
      if (seed) {
        const auto text = read_file(c.routes_file);
        check_targets(router::parse_routing_config(text, c.routes_file), *p.sinks, c.routes_file);
        const auto r = p.route_store->apply(text, c.routes_file, "config:" + c.file, false);
        if (r.changed) log().info("routes_published", {{"version", std::to_string(r.version)}});
      }
    }
    router::RoutingConfig routing;
    long long version = 0;
    if (auto stored = p.route_store->current()) {
      routing = router::parse_routing_config(stored->config,
                                             "route version " + std::to_string(stored->version));
      version = stored->version;
    }
    auto routing_ptr = std::make_shared<router::RoutingConfig>(std::move(routing));
    p.router.set(std::make_shared<router::Router>(routing_ptr, p.xslt, version));

    dispatcher::DispatcherOptions dopt;
    dopt.node_id = c.node_id;
    dopt.defaults = to_target_config(c.target_defaults);
    int workers = 0;
    for (const auto& [name, t] : c.targets) {
      dopt.targets[name] = to_target_config(t);
      workers += t.workers;
    }
    workers += static_cast<int>(p.sinks->names().size()) * dopt.defaults.workers;
    p.dispatch_pool = std::make_unique<store::Pool>(c.db_conninfo, workers + 2);
    p.dispatcher = std::make_unique<dispatcher::Dispatcher>(*p.dispatch_pool, p.sinks, dopt);
    p.dead_letters = std::make_unique<dispatcher::DeadLetters>(*p.pool);
    p.dispatcher->start();

    auto* host = p.host.get();
    p.scheduler = std::make_unique<scheduler::Scheduler>(
        *p.pool, [host](const std::string& job) { return host->run_job(job); },
        [host](const std::string& job) { return host->has_job(job); }, c.node_id);
    p.scheduler->set_schedules(routing_ptr->schedules);
    p.scheduler->start();

    // A version published by any node (or `routes apply`) reaches this one here.
    p.watcher = std::make_unique<router::RouteWatcher>(
        c.db_conninfo, [this](const router::StoredVersion& v) {
          auto& parts = *parts_;
          std::lock_guard lock(parts.reload_mu);
          try {
            auto cfg = std::make_shared<router::RoutingConfig>(router::parse_routing_config(
                v.config, "route version " + std::to_string(v.version)));
            parts.scheduler->set_schedules(cfg->schedules);
            for (const auto& r : cfg->routes)
              for (const auto& t : r.targets) parts.dispatcher->ensure_target(t);
            parts.router.set(std::make_shared<router::Router>(cfg, parts.xslt, v.version));
            log().info("routes_switched", {{"version", std::to_string(v.version)},
                                           {"applied_by", v.applied_by}});
          } catch (const std::exception& e) {
            log().error("routes_switch_failed",
                        {{"version", std::to_string(v.version)}, {"error", e.what()}});
          }
        });
    p.watcher->start(version);

    api::TokenStore tokens(*p.pool);
    const auto boot = tokens.ensure_bootstrap_admin(c.admin_token, c.token_file);
    p.admin_token = boot.token;

    api::AdminServices services;
    auto* parts = &p;
    services.apply_routes = [parts](const std::string& yaml, const std::string& file,
                                    const std::string& actor, bool dry_run) {
      check_targets(router::parse_routing_config(yaml, file), *parts->sinks, file);
      const auto r = parts->route_store->apply(yaml, file, actor, dry_run);
      return api::RoutesApplyResult{r.version, r.diff, r.changed};
    };
    services.current_routes = [parts]() {
      auto r = parts->router.get();
      return api::CurrentRoutes{r->version(), r->config().source_text};
    };
    services.list_adapters = [parts]() {
      std::vector<api::AdapterInfo> out;
      for (const auto& i : parts->host->instances()) {
        api::AdapterInfo a{i.name, i.plugin, i.version, i.is_sink, {},
                           i.health.ok ? "ok" : i.health.detail};
        for (const auto& j : i.jobs) a.jobs.push_back(i.name + "." + j.name);
        out.push_back(std::move(a));
      }
      return out;
    };
    services.describe_adapter = [parts](const std::string& name) {
      return parts->host->describe(name);
    };
    services.list_schedules = [parts]() {
      std::vector<api::ScheduleInfo> out;
      for (const auto& s : parts->scheduler->list()) {
        out.push_back({s.entry.job, s.entry.cron, s.entry.time_zone, s.entry.enabled,
                       s.next_fire ? xml::format_timestamp(*s.next_fire) : std::string()});
      }
      return out;
    };
    services.run_schedule = [parts](const std::string& job, const std::string& actor) {
      try {
        return static_cast<long long>(parts->scheduler->trigger(job, actor));
      } catch (const scheduler::UnknownJobError& e) {
        throw api::NotFound(e.what());
      }
    };
    services.replay_dead_letter = [parts](long long id, const std::string& actor) {
      const auto outcome = parts->dead_letters->replay(id, actor);
      if (outcome == dispatcher::ReplayOutcome::kNotFound) {
        throw api::NotFound("no dead letter " + std::to_string(id));
      }
      return outcome == dispatcher::ReplayOutcome::kReplayed;
    };
    services.ready = [parts]() { return parts->ready.load(); };
    services.pool_stats = [parts]() {
      return std::map<std::string, store::PoolStats>{{"main", parts->pool->stats()},
                                                     {"dispatch", parts->dispatch_pool->stats()}};
    };
    api::AdminServerOptions aopt;
    aopt.host = c.listen_host;
    aopt.port = c.listen_port;
    p.api = std::make_unique<api::AdminServer>(*p.pool, std::move(services), aopt);
    p.api->add_routes(billing::payment_routes(*p.unidentified));  // payments/unidentified
    p.api->add_routes(queue::queue_routes(*p.queues, *p.ingress, *p.pool));
    if (p.ticket_store) p.api->add_routes(tickets::ticket_routes(p.ticket_store));
    // SOAP 1.1 at /soap: Submit into Ingress, Pull/Ack on the same queues; the WSDL is built
    // from the schema directory now, so it lists whatever types.yaml lists.
    soap::SoapEndpointOptions soap_options;
    soap_options.public_url = c.soap_url;
    p.soap = std::make_unique<soap::SoapEndpoint>(soap::ServiceDescription::load(c.schemas_dir),
                                                  *p.ingress, p.schemas, *p.pool,
                                                  soap::SoapQueues::over(*p.queues), soap_options);
    p.api->add_routes(p.soap->routes());
    imports::ImportOptions import_options;
    import_options.spool_dir = c.imports_dir;
    p.imports = std::make_unique<imports::ImportService>(*p.pool, *p.ingress, p.host->parsers(),
                                                         import_options);
    p.api->add_routes(imports::import_routes(*p.imports));
    p.api->add_routes(exchanges::exchange_routes(*p.pool));     // exchanges (the exchange log)
    p.api->add_routes(exchanges::gis_report_routes(*p.pool));  // gis/reports/errors, placement
    p.api->start();
    if (p.sla_monitor) p.sla_monitor->start();
    if (p.ticket_publisher) p.ticket_publisher->start();

    // Sources last: everything that takes their messages is running.
    p.host->start_all();
    p.imports->start();  // after the adapters: their parsers take up unfinished imports
    p.ready = true;
    log().info("started", {{"node", c.node_id},
                           {"api", p.api->base_url()},
                           {"routes_version", std::to_string(version)},
                           {"adapters", std::to_string(c.adapters.size())}});
  } catch (...) {
    stop();
    throw;
  }
}

void HubApp::stop() {
  auto& p = *parts_;
  const bool was_ready = p.ready.exchange(false);
  if (p.imports) p.imports->stop();  // it runs parsers from plugin code
  if (p.host) p.host->stop_all();    // sources stop emitting first
  if (p.api) p.api->stop();
  if (p.watcher) p.watcher->stop();
  if (p.scheduler) p.scheduler->stop();
  if (p.dispatcher) p.dispatcher->stop();
  if (p.sla_monitor) p.sla_monitor->stop();
  if (p.ticket_publisher) p.ticket_publisher->stop();
  p.api.reset();
  p.imports.reset();
  p.soap.reset();  // its routes are gone with the server; it refers to the queues
  p.watcher.reset();
  p.scheduler.reset();
  p.dispatcher.reset();
  // Nothing submits any more (sources, API and scheduler are stopped): the fan-out can go.
  if (p.ingress) p.ingress->set_fan_out({});
  p.queues.reset();
  p.host.reset();
  if (was_ready) log().info("stopped", {{"node", config_.node_id}});
}

int run_until_signal(const HubConfig& config) {
  // Block the signals in every thread the hub creates; this thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  HubApp app(config);
  app.start();
  std::cout << "zhkh-hub: admin API on http://" << config.listen_host << ":" << app.api_port()
            << "\nzhkh-hub: admin token " << app.admin_token();
  if (!config.token_file.empty()) std::cout << " (also in " << config.token_file << ")";
  std::cout << "\nzhkh-hub: running as node " << config.node_id
            << "; Ctrl-C or SIGTERM stops it" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  log().info("signal", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  app.stop();
  return 0;
}

}  // namespace hub::app
