#include "gis_zhkh.h"

#include <libxml/parser.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hub/plugin/billing_export.h"
#include "hub/plugin/exchange_state.h"
#include "hub/plugin/xml_services.h"
#include "operations/accounts.h"
#include "operations/appeals.h"
#include "operations/history.h"
#include "operations/houses.h"
#include "operations/meters.h"
#include "operations/nsi.h"
#include "operations/org_registry.h"
#include "operations/payments.h"
#include "operations/readings.h"
#include "placement_pass.h"
#include "util.h"

#ifndef GIS_DEFAULT_SCHEMA_ROOT
#define GIS_DEFAULT_SCHEMA_ROOT "schemas/gis_zhkh"
#endif

namespace hub::adapters::gis_zhkh {

namespace {

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::chrono::milliseconds> parse_cadence(const std::vector<std::string>& items) {
  std::vector<std::chrono::milliseconds> out;
  for (const auto& i : items) {
    try {
      out.push_back(plugin::parse_duration(i));
    } catch (const std::exception& e) {
      throw std::runtime_error("poll_schedule: '" + i + "' is not a duration: " + e.what());
    }
  }
  if (out.empty()) throw std::runtime_error("poll_schedule: at least one interval is needed");
  return out;
}

plugin::DeliveryResult to_delivery(const SendOutcome& out) {
  switch (out.kind) {
    case SendOutcome::Kind::kSent:
    case SendOutcome::Kind::kQueued:
      return plugin::DeliveryResult::delivered();
    case SendOutcome::Kind::kTransient:
      return plugin::DeliveryResult::retry(out.reason);
    case SendOutcome::Kind::kRejected:
      return plugin::DeliveryResult::rejected(out.reason);
  }
  return plugin::DeliveryResult::retry("unknown send outcome");
}

}  // namespace

plugin::ConfigSpec GisZhkhAdapter::config_spec() {
  using T = plugin::ConfigType;
  return {
      {"endpoint", T::kString, std::nullopt,
       "scheme://host[:port] of GIS (or of the local TLS tunnel / the emulator); service paths "
       "come from the WSDLs"},
      {"org_ppa_guid", T::kString, std::nullopt, "RequestHeader orgPPAGUID of the organisation"},
      {"schema_root", T::kPath, GIS_DEFAULT_SCHEMA_ROOT,
       "directory holding one official package per format version"},
      {"format_versions", T::kStringList, "16.3.0.0",
       "format versions held at once: VERSION or VERSION@YYYY-MM-DD (in force from that date)"},
      {"operator_signature", T::kBool, "true", "send RequestHeader IsOperatorSignature=true"},
      {"basic_user", T::kString, "", "HTTP Basic user (test stands)"},
      {"basic_password", T::kSecret, "", "HTTP Basic password (test stands)"},
      {"cert_fingerprint", T::kString, "",
       "X-Client-Cert-Fingerprint header (plain-HTTP test stands): SHA-1 of the client "
       "certificate"},
      {"host_header", T::kString, "", "Host header to send (through a local TLS tunnel)"},
      {"ca_file", T::kString, "", "HTTPS: CA bundle for the server certificate"},
      {"cert_file", T::kString, "", "HTTPS: client certificate (PEM)"},
      {"key_file", T::kString, "", "HTTPS: client key (PEM)"},
      {"keep_alive_connections", T::kInt, "16",
       "idle HTTP connections to GIS kept for the next call (through a TLS tunnel: no new "
       "handshake per call); 0 = a new connection per call"},
      {"keep_alive_idle", T::kDuration, "4s",
       "an idle connection older than this is closed, not reused (below the peer's own idle "
       "timeout)"},
      {"send_timeout", T::kDuration, "180s", "timeout of one import/export call"},
      {"poll_timeout", T::kDuration, "60s", "timeout of one getState call"},
      {"poll_schedule", T::kStringList, "10s,60s,300s,900s,1800s",
       "getState cadence after the Ack: first, second, ...; the last repeats"},
      {"poll_interval", T::kDuration, "1s", "how often the poller looks for due requests"},
      {"poll_batch", T::kInt, "20", "requests one poller claims at a time"},
      {"workers", T::kInt, "2",
       "pollers (hub-owned threads) sending queued requests and polling getState in parallel"},
      {"max_resends", T::kInt, "5", "sends of one request before a transient error is final"},
      {"account_kind", T::kString, "uo",
       "account kind when account.upsert has none: uo, rso, cr, rc, tko"},
      {"account_chunk", T::kInt, "100", "accounts per importAccountData (GIS limit 100)"},
      {"nsi_resources", T::kStringList, "",
       "NSI 2 references of canonical resources for one-rate readings: resource=code:guid, e.g. "
       "cold_water=1:<guid> (take them from exportNsiItem 2 of your stand)"},
      {"pd_services", T::kStringList, "",
       "payment documents: canonical service code -> GIS charge block and NSI element, "
       "code=housing|municipal|additional|penalty:nsi_code:guid (operations/payment_documents.h)"},
      {"signing_key", T::kString, "",
       "key for the XAdES-BES signature of every request: PEM key or PKCS#12; empty = requests go "
       "unsigned (only for an emulator started with --signatures off)"},
      {"signing_cert", T::kString, "", "certificate (PEM/DER) for signing_key; empty for PKCS#12"},
      {"signing_profile", T::kString, "gost2012",
       "gost2012 (GOST R 34.10/34.11-2012-256, production) or rsa (test environments)"},
      {"signing_password", T::kSecret, "", "password of an encrypted key / PKCS#12"},
      {"recipient_inn", T::kString, "", "payment notices: the organisation's INN"},
      {"recipient_kpp", T::kString, "", "payment notices: its KPP"},
      {"recipient_name", T::kString, "", "payment notices: its name (PaymentRecipient)"},
      {"bank_name", T::kString, "", "payment notices: the bank of its settlement account"},
      {"bank_bik", T::kString, "", "payment notices: that bank's BIK"},
      {"bank_account", T::kString, "", "payment notices: the settlement account (20 digits)"},
      {"bank_corr_account", T::kString, "", "payment notices: the bank's correspondent account"},
      {"nsi_registries", T::kStringList, "2", "NSI dictionaries the nsi job reads (2 = resources)"},
      {"org_ogrn", T::kStringList, "", "OGRN / OGRNIP the org_registry job looks up"},
      {"history_window", T::kDuration, "35d",
       "readings_from_gis asks for values entered in GIS within this window"},
      {"verify_responses", T::kBool, "true",
       "verify the signature GIS puts on getStateResult; an invalid one is not taken"},
      {"report_dir", T::kString, "", "where the report job writes gis_report.json (empty: none)"},
  };
}

GisZhkhAdapter::GisZhkhAdapter(plugin::Context& ctx)
    : ctx_(ctx),
      account_kind_(ctx.config().get_string("account_kind")),
      account_chunk_(static_cast<std::size_t>(
          std::clamp<std::int64_t>(ctx.config().get_int("account_chunk"), 1, kImportAccountLimit))),
      poll_batch_(
          static_cast<std::size_t>(std::max<std::int64_t>(1, ctx.config().get_int("poll_batch")))),
      poll_interval_(ctx.config().get_duration("poll_interval")),
      report_dir_(ctx.config().get_string("report_dir")),
      history_window_(ctx.config().get_duration("history_window")) {
  const auto& c = ctx.config();
  xmlInitParser();
  recipient_ = {c.get_string("recipient_inn"),    c.get_string("recipient_kpp"),
                c.get_string("recipient_name"),   c.get_string("bank_name"),
                c.get_string("bank_bik"),         c.get_string("bank_account"),
                c.get_string("bank_corr_account")};
  {
    std::vector<std::string> entries;
    for (const auto& e : c.get_list("nsi_resources"))
      if (!e.empty()) entries.push_back(e);
    try {
      nsi_resources_ = parse_nsi_resources(entries);
    } catch (const std::exception& e) {
      throw std::runtime_error(e.what());
    }
  }
  auto formats = std::make_shared<Formats>(ctx.xml(), c.get_string("schema_root"),
                                           c.get_list("format_versions"));
  SoapSettings soap;
  soap.endpoint = c.get_string("endpoint");
  while (!soap.endpoint.empty() && soap.endpoint.back() == '/') soap.endpoint.pop_back();
  soap.basic_user = c.get_string("basic_user");
  soap.basic_password = c.get_string("basic_password");
  soap.cert_fingerprint = c.get_string("cert_fingerprint");
  soap.host_header = c.get_string("host_header");
  soap.http.ca_file = c.get_string("ca_file");
  soap.http.cert_file = c.get_string("cert_file");
  soap.http.key_file = c.get_string("key_file");
  if (c.get_int("keep_alive_connections") < 0)
    throw std::runtime_error("keep_alive_connections: must be 0 or more");
  soap.keep_alive_sessions = static_cast<std::size_t>(c.get_int("keep_alive_connections"));
  soap.keep_alive_idle = c.get_duration("keep_alive_idle");
  EngineSettings es;
  es.org_ppa_guid = c.get_string("org_ppa_guid");
  es.operator_signature = c.get_bool("operator_signature");
  es.cadence = parse_cadence(c.get_list("poll_schedule"));
  es.send_timeout = c.get_duration("send_timeout");
  es.poll_timeout = c.get_duration("poll_timeout");
  es.max_resends = static_cast<int>(c.get_int("max_resends"));
  if (c.get_bool("verify_responses")) {
    try {
      es.verifier = &ctx.signers();
    } catch (const std::logic_error&) {
      ctx.log().warn("responses_unverified", {{"why", "this hub provides no signature checks"}});
    }
  }
  // A claim is held while one step (one call) runs; a hub killed mid-step frees its claims when
  // this runs out, so it is only as long as the slowest call.
  es.lease = std::max(es.send_timeout, es.poll_timeout) + std::chrono::seconds(5);
  std::shared_ptr<plugin::Signer> signer;
  if (!c.get_string("signing_key").empty()) {
    plugin::SignerOptions so;
    so.profile = c.get_string("signing_profile");
    so.key_file = c.get_string("signing_key");
    so.cert_file = c.get_string("signing_cert");
    so.password = c.get_string("signing_password");
    try {
      signer = ctx.signers().open(so);
    } catch (const std::exception& e) {
      throw std::runtime_error("signing_key: " + std::string(e.what()));
    }
  } else {
    ctx.log().warn("requests_unsigned",
                   {{"why", "no signing_key configured; GIS refuses unsigned requests"}});
  }
  engine_ = std::make_unique<ExchangeEngine>(
      ctx, es, formats, std::make_shared<SoapClient>(ctx.http(), soap), signer);
  engine_->on_result("exportAccountData", handle_export_accounts);
  engine_->on_result("exportMeteringDeviceHistory", handle_export_history);
  engine_->on_result("importMeteringDeviceData", handle_import_meters);
  engine_->on_result("exportAppeal", handle_export_appeals);
  engine_->on_result("exportHouseData", handle_export_house);
  engine_->on_result("exportNsiPagingItem", handle_export_nsi_page);
  engine_->on_result("exportPaymentDocumentData", handle_export_payment_documents);
  {
    std::vector<std::string> entries;
    for (const auto& e : c.get_list("pd_services"))
      if (!e.empty()) entries.push_back(e);
    try {
      payment_documents_ = std::make_unique<PaymentDocumentJobs>(
          ctx, *engine_, parse_pd_services(entries), recipient_);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
  }
  engine_->on_result("exportOrgRegistry", [this](const ResultInput& in) {
    auto h = handle_export_org_registry(in);
    ctx_.log().info("org_registry", {{"found", h.summary}});
    return h;
  });
}

void GisZhkhAdapter::start() {
  // Several pollers: claims are leased with SKIP LOCKED, so they never take the same request.
  const auto workers = std::max<std::int64_t>(1, ctx_.config().get_int("workers"));
  for (std::int64_t w = 0; w < workers; ++w) {
    ctx_.every(poll_interval_, "poll-" + std::to_string(w + 1), [this] {
      try {
        for (int round = 0; round < 1000; ++round) {
          const auto r = engine_->poll_once(poll_batch_);
          if (r.claimed < poll_batch_) break;
        }
        std::lock_guard h(health_mu_);
        last_error_.clear();
      } catch (const std::exception& e) {
        std::lock_guard h(health_mu_);
        last_error_ = e.what();
        throw;
      }
    });
  }
}

plugin::Health GisZhkhAdapter::health() {
  std::lock_guard lock(health_mu_);
  if (!last_error_.empty()) return {false, "last poll failed: " + last_error_};
  return {true, "exchanging with " + ctx_.config().get_string("endpoint")};
}

std::vector<plugin::JobSpec> GisZhkhAdapter::jobs() {
  return {
      {"import_accounts", "Place accounts the store has without AccountGUID (importAccountData)",
       ""},
      {"import_meters",
       "Place meters the store has without MeteringDeviceRootGUID (importMeteringDeviceData)", ""},
      {"sync_accounts", "Fetch ELS / ИЖКУ / AccountGUID of placed accounts (exportAccountData)",
       ""},
      {"readings_from_gis",
       "Readings entered in GIS for meters with a GIS GUID (exportMeteringDeviceHistory) as "
       "meter.reading",
       ""},
      {"org_registry", "orgPPAGUID (and registry GUIDs) of the org_ogrn list (exportOrgRegistry)",
       ""},
      {"houses",
       "HouseGUID and unique number of houses the store has without them (exportHouseData)", ""},
      {"nsi", "GIS dictionaries of nsi_registries, paged (exportNsiPagingItem)", ""},
      {"appeals", "Residents' appeals filed in GIS within history_window as ticket.created", ""},
      {"payment_documents",
       "Place payment documents the store has without a GIS GUID (importPaymentDocumentData)", ""},
      {"sync_payment_documents",
       "ИПД and withdrawals of placed payment documents by account and period "
       "(exportPaymentDocumentData)",
       ""},
      {"poll", "Advance every due request now (send queued, getState)", ""},
      {"report", "Write the error report and the placement audit", ""},
  };
}

plugin::JobResult GisZhkhAdapter::run_job(const std::string& job) {
  if (job == "import_accounts") return import_accounts();
  if (job == "import_meters") return import_meters();
  if (job == "sync_accounts") return sync_accounts();
  if (job == "poll") return poll_all();
  if (job == "readings_from_gis") return readings_from_gis();
  if (job == "org_registry") return org_registry();
  if (job == "houses") return houses();
  if (job == "nsi") {
    std::size_t n = 0;
    for (const auto& r : ctx_.config().get_list("nsi_registries")) {
      const int registry = std::atoi(r.c_str());
      if (registry <= 0)
        return plugin::JobResult::failure("nsi_registries: '" + r + "' is not a number");
      engine_->submit("nsi:" + r + ":" + new_guid(), build_export_nsi_page(registry, 1), false,
                      false);
      ++n;
    }
    return plugin::JobResult::success(std::to_string(n) + " dictionaries requested");
  }
  if (job == "appeals") {
    const auto now = ctx_.clock().now();
    // Days as GIS counts them: an appeal filed at 00:30 Moscow time is filed "tomorrow" in UTC.
    const auto from = moscow_date(now - history_window_), to = moscow_date(now);
    engine_->submit("appeals:" + new_guid(), build_export_appeals(from, to), false, false);
    return plugin::JobResult::success("appeals from " + from + " to " + to + " requested");
  }
  if (job == "payment_documents") return payment_documents_->place();
  if (job == "sync_payment_documents") return payment_documents_->sync();
  if (job == "report") return report();
  return plugin::JobResult::failure("gis_zhkh offers no job '" + job + "'");
}

plugin::DeliveryResult GisZhkhAdapter::deliver(const plugin::Envelope& message) {
  if (message.type == "meter.reading") return deliver_reading(message);
  if (message.type == "meter.upsert") return deliver_meter(message);
  if (message.type == "payment.received") return deliver_payment(message);
  if (message.type == "payment_document.issued" || message.type == "payment.cancelled") {
    auto p = message.type == "payment.cancelled" ? payment_documents_->prepare_cancellation(message)
                                                 : payment_documents_->prepare_document(message);
    if (!p.request) return p.result;
    return to_delivery(engine_->submit("msg:" + message.id, *p.request, true));
  }
  if (message.type != "account.upsert") {
    return plugin::DeliveryResult::rejected("gis_zhkh does not place messages of type '" +
                                            message.type + "'");
  }
  std::vector<Refused> refused;
  auto ref = message.id;
  const auto req = build_import_accounts({{ref, message.body}}, account_kind_, refused);
  if (req.objects.empty()) {
    return plugin::DeliveryResult::rejected(refused.empty() ? "nothing to send"
                                                            : refused.front().reason);
  }
  // The reference external.state names is the account number, not the message id.
  auto fixed = req;
  {
    auto doc = parse_xml(message.body, "message " + message.id);
    fixed.objects.front().ref = child_text(xmlDocGetRootElement(doc.get()), "account");
  }
  return to_delivery(engine_->submit("msg:" + message.id, fixed, true));
}

void GisZhkhAdapter::abandoned(const plugin::Envelope& message, const std::string& reason) {
  try {
    engine_->abandon("msg:" + message.id, reason);  // every routed message's record key
  } catch (const std::exception& e) {
    ctx_.log().error("abandon_failed", {{"message", message.id}, {"error", e.what()}});
  }
}

plugin::DeliveryResult GisZhkhAdapter::deliver_payment(const plugin::Envelope& message) {
  std::vector<Refused> refused;
  const auto req = build_import_notifications({{message.id, message.body}}, recipient_, refused);
  if (req.objects.empty()) {
    return plugin::DeliveryResult::rejected(refused.empty() ? "nothing to send"
                                                            : refused.front().reason);
  }
  return to_delivery(engine_->submit("msg:" + message.id, req, true));
}

plugin::DeliveryResult GisZhkhAdapter::deliver_reading(const plugin::Envelope& message) {
  std::string ref = message.id;
  try {
    auto doc = parse_xml(message.body, "message " + message.id);
    xmlNodePtr root = xmlDocGetRootElement(doc.get());
    auto meter = child_text(root, "meterId");
    if (meter.empty()) meter = child_text(root, "serialNumber");
    ref = meter + "@" + child_text(root, "takenAt");
  } catch (const std::exception& e) {
    return plugin::DeliveryResult::rejected(e.what());
  }
  std::vector<Refused> refused;
  const auto req = build_import_readings({{ref, message.body}}, nsi_resources_, refused);
  if (req.objects.empty()) {
    return plugin::DeliveryResult::rejected(refused.empty() ? "nothing to send"
                                                            : refused.front().reason);
  }
  return to_delivery(engine_->submit("msg:" + message.id, req, true));
}

plugin::JobResult GisZhkhAdapter::import_accounts() {
  PlacementTally tally;
  std::vector<AccountInput> chunk;
  auto flush = [&] {
    if (chunk.empty()) return;
    std::vector<Refused> refused;
    auto req = build_import_accounts(chunk, account_kind_, refused);
    chunk.clear();
    tally.refused(refused, "account");
    if (req.objects.empty()) return;
    tally.submitted(req, engine_->submit("import_accounts:" + new_guid(), req, false, false));
  };
  for_each_unplaced_page(ctx_, "account.upsert", "account", 1000, tally, [&](auto& page) {
    for (auto& o : page) {
      chunk.push_back({o.ref, std::move(o.body)});
      if (chunk.size() >= account_chunk_) flush();
    }
  });
  flush();
  return tally.result("accounts queued");
}

plugin::DeliveryResult GisZhkhAdapter::deliver_meter(const plugin::Envelope& message) {
  std::string ref;
  try {
    auto doc = parse_xml(message.body, "message " + message.id);
    ref = child_text(xmlDocGetRootElement(doc.get()), "meterId");
  } catch (const std::exception& e) {
    return plugin::DeliveryResult::rejected(e.what());
  }
  const std::vector<MeterInput> in = {{ref, message.body}};
  std::vector<Refused> refused, waiting;
  const auto req = build_import_meters(in, lookup_places(ctx_.billing_export(), in), nsi_resources_,
                                       refused, &waiting);
  // A meter whose account or premise is not placed yet goes once it is (the dispatcher retries;
  // after max_attempts it is a dead letter with this reason).
  if (!waiting.empty()) return plugin::DeliveryResult::retry(waiting.front().reason);
  if (req.objects.empty()) {
    return plugin::DeliveryResult::rejected(refused.empty() ? "nothing to send"
                                                            : refused.front().reason);
  }
  return to_delivery(engine_->submit("msg:" + message.id, req, true));
}

plugin::JobResult GisZhkhAdapter::import_meters() {
  auto& store = ctx_.billing_export();
  PlacementTally tally;
  std::vector<MeterInput> chunk;
  auto flush = [&] {
    if (chunk.empty()) return;
    std::vector<Refused> refused;
    auto req = build_import_meters(chunk, lookup_places(store, chunk), nsi_resources_, refused);
    chunk.clear();
    tally.refused(refused, "meter");
    if (req.objects.empty()) return;
    tally.submitted(req, engine_->submit("import_meters:" + new_guid(), req, false, false));
  };
  for_each_unplaced_page(ctx_, "meter.upsert", "meter", 1000, tally, [&](auto& page) {
    for (auto& o : page) {
      chunk.push_back({o.ref, std::move(o.body)});
      if (chunk.size() >= kImportMeterLimit) flush();
    }
  });
  flush();
  return tally.result("meters queued");
}

plugin::JobResult GisZhkhAdapter::sync_accounts() {
  auto& store = ctx_.billing_export();
  std::int64_t after = 0;
  std::size_t requests = 0, accounts = 0;
  std::vector<std::string> failures;
  for (;;) {
    auto page = store.page(
        {"account.upsert", plugin::ExportFilter::kWithExternalId, after, kExportAccountLimit});
    if (page.empty()) break;
    after = page.back().id;
    std::vector<AccountInput> in;
    for (auto& o : page) in.push_back({o.ref, std::move(o.body)});
    auto req = build_export_accounts(in);
    if (req.objects.empty()) continue;
    const auto out = engine_->submit("sync_accounts:" + new_guid(), req, false, false);
    ++requests;
    accounts += req.objects.size();
    if (out.kind == SendOutcome::Kind::kRejected) failures.push_back(out.reason);
  }
  const std::string msg =
      std::to_string(accounts) + " accounts in " + std::to_string(requests) + " export requests";
  if (!failures.empty())
    return plugin::JobResult::failure(msg + "; first failure: " + failures.front());
  return plugin::JobResult::success(msg);
}

plugin::JobResult GisZhkhAdapter::readings_from_gis() {
  auto& store = ctx_.billing_export();
  const auto since = moscow_date(ctx_.clock().now() - history_window_);
  std::int64_t after = 0;
  std::size_t requests = 0, meters = 0;
  std::vector<std::string> failures;
  for (;;) {
    auto page =
        store.page({"meter.upsert", plugin::ExportFilter::kWithExternalId, after, kHistoryLimit});
    if (page.empty()) break;
    after = page.back().id;
    std::vector<MeterInput> in;
    for (auto& o : page) in.push_back({o.ref, std::move(o.body)});
    auto req = build_export_history(in, since);
    if (req.objects.empty()) continue;
    const auto out = engine_->submit("readings_from_gis:" + new_guid(), req, false, false);
    ++requests;
    meters += req.objects.size();
    if (out.kind == SendOutcome::Kind::kRejected) failures.push_back(out.reason);
  }
  const std::string msg = std::to_string(meters) + " meters in " + std::to_string(requests) +
                          " history requests since " + since;
  if (!failures.empty())
    return plugin::JobResult::failure(msg + "; first failure: " + failures.front());
  return plugin::JobResult::success(msg);
}

plugin::JobResult GisZhkhAdapter::org_registry() {
  std::vector<Refused> refused;
  std::vector<std::string> ogrns;
  for (const auto& o : ctx_.config().get_list("org_ogrn"))
    if (!o.empty()) ogrns.push_back(o);
  if (ogrns.empty()) return plugin::JobResult::failure("org_ogrn lists no OGRN");
  std::size_t requests = 0;
  for (std::size_t i = 0; i < ogrns.size(); i += kOrgSearchLimit) {
    std::vector<std::string> chunk(
        ogrns.begin() + static_cast<std::ptrdiff_t>(i),
        ogrns.begin() + static_cast<std::ptrdiff_t>(std::min(ogrns.size(), i + kOrgSearchLimit)));
    auto req = build_export_org_registry(chunk, refused);
    if (req.objects.empty()) continue;
    engine_->submit("org_registry:" + new_guid(), req, false, false);
    ++requests;
  }
  if (!refused.empty()) return plugin::JobResult::failure(refused.front().reason);
  return plugin::JobResult::success(std::to_string(ogrns.size()) + " OGRN in " +
                                    std::to_string(requests) + " requests");
}

plugin::JobResult GisZhkhAdapter::houses() {
  auto& store = ctx_.billing_export();
  std::int64_t after = 0;
  std::size_t requests = 0, skipped = 0;
  for (;;) {
    auto page = store.page({"house.upsert", plugin::ExportFilter::kWithoutExternalId, after, 1000});
    if (page.empty()) break;
    after = page.back().id;
    std::vector<std::string> refs;
    for (const auto& o : page) refs.push_back("house:" + o.ref);
    const auto busy_list = ctx_.exchanges().in_flight(refs);
    const std::set<std::string> busy(busy_list.begin(), busy_list.end());
    for (const auto& o : page) {
      if (busy.count("house:" + o.ref)) {
        ++skipped;
        continue;
      }
      engine_->submit("houses:" + o.ref + ":" + new_guid(), build_export_house(o.ref), false,
                      false);
      ++requests;
    }
  }
  return plugin::JobResult::success(std::to_string(requests) + " houses requested" +
                                    (skipped ? ", " + std::to_string(skipped) + " in flight" : ""));
}

plugin::JobResult GisZhkhAdapter::poll_all() {
  PollReport total;
  for (int round = 0; round < 1000; ++round) {
    const auto r = engine_->poll_once(poll_batch_);
    total.claimed += r.claimed;
    total.sent += r.sent;
    total.polled += r.polled;
    total.done += r.done;
    total.failed += r.failed;
    total.retried += r.retried;
    total.failures.insert(total.failures.end(), r.failures.begin(), r.failures.end());
    if (r.claimed < poll_batch_) break;
  }
  const std::string msg = std::to_string(total.sent) + " sent, " + std::to_string(total.polled) +
                          " polled, " + std::to_string(total.done) + " done, " +
                          std::to_string(total.failed) + " failed";
  // A job run that saw a request fail names the code, so the schedule run shows it.
  if (!total.failures.empty())
    return plugin::JobResult::failure(msg + ": " + total.failures.front());
  return plugin::JobResult::success(msg);
}

plugin::JobResult GisZhkhAdapter::report() {
  std::string json = "{\"adapter\":" + json_str(ctx_.instance()) +
                     ",\"at\":" + json_str(format_time(ctx_.clock().now())) + ",\"placement\":[";
  bool first = true;
  std::int64_t missing = 0;
  for (const auto& p : ctx_.billing_export().placement()) {
    json += std::string(first ? "" : ",") + "{\"type\":" + json_str(p.type) +
            ",\"total\":" + std::to_string(p.total) +
            ",\"without_gis_guid\":" + std::to_string(p.without_external_id) +
            ",\"with_error\":" + std::to_string(p.with_error) + "}";
    missing += p.without_external_id;
    first = false;
  }
  json += "],\"errors_by_object\":[";
  first = true;
  for (const auto& e : ctx_.billing_export().errors()) {
    json += std::string(first ? "" : ",") + "{\"kind\":" + json_str(e.type) +
            ",\"code\":" + json_str(e.code) + ",\"count\":" + std::to_string(e.count) + "}";
    first = false;
  }
  json += "],\"exchanges\":[";
  first = true;
  for (const auto& c : ctx_.exchanges().counts()) {
    json += std::string(first ? "" : ",") + "{\"operation\":" + json_str(c.operation) +
            ",\"state\":" + json_str(c.state) + ",\"error_code\":" + json_str(c.error_code) +
            ",\"count\":" + std::to_string(c.count) + "}";
    first = false;
  }
  json += "]}";
  if (!report_dir_.empty()) {
    std::filesystem::create_directories(report_dir_);
    const auto path = std::filesystem::path(report_dir_) / "gis_report.json";
    const auto tmp = path.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << json << "\n";
    }
    std::filesystem::rename(tmp, path);
  }
  ctx_.log().info("gis_report", {{"report", json}});
  return plugin::JobResult::success(std::to_string(missing) + " objects without GIS GUID" +
                                    (report_dir_.empty() ? "" : "; written to " + report_dir_));
}

}  // namespace hub::adapters::gis_zhkh

HUB_PLUGIN(
    "gis_zhkh", "0.1.0",
    "GIS ZhKH: signed asynchronous SOAP exchange (accounts; getState on the official cadence)",
    hub::adapters::gis_zhkh::GisZhkhAdapter::config_spec, [](hub::plugin::Context& ctx) {
      return std::make_unique<hub::adapters::gis_zhkh::GisZhkhAdapter>(ctx);
    })
