#pragma once
// The GIS ZhKH adapter (plugin gis_zhkh): signed asynchronous SOAP exchange with the state housing
// system. As a route target it places canonical objects (account.upsert → importAccountData);
// as a job source it exports what the store has (accounts without AccountGUID) in chunks of the
// operation's limit and syncs GIS ids back (exportAccountData). A hub-owned periodic task polls
// getState on the configured cadence; results become external.state (and account.upsert) messages
// through Ingress. See adapters/gis_zhkh/README.md.

#include <memory>
#include <mutex>
#include <string>

#include "exchange_engine.h"
#include "hub/plugin/sdk.h"
#include "operations/payments.h"
#include "operations/readings.h"
#include "payment_document_jobs.h"

namespace hub::adapters::gis_zhkh {

class GisZhkhAdapter : public plugin::Adapter {
 public:
  static plugin::ConfigSpec config_spec();

  /// Compiles the configured format packages; throws std::runtime_error naming the key.
  explicit GisZhkhAdapter(plugin::Context& ctx);

  void start() override;
  plugin::Health health() override;
  std::vector<plugin::JobSpec> jobs() override;
  plugin::JobResult run_job(const std::string& job) override;
  bool is_sink() const override { return true; }
  plugin::DeliveryResult deliver(const plugin::Envelope& message) override;
  void abandoned(const plugin::Envelope& message, const std::string& reason) override;

  ExchangeEngine& engine() { return *engine_; }

 private:
  plugin::DeliveryResult deliver_reading(const plugin::Envelope& message);
  plugin::DeliveryResult deliver_payment(const plugin::Envelope& message);
  plugin::DeliveryResult deliver_meter(const plugin::Envelope& message);
  plugin::JobResult import_meters();
  plugin::JobResult import_accounts();
  plugin::JobResult sync_accounts();
  plugin::JobResult poll_all();
  plugin::JobResult readings_from_gis();
  plugin::JobResult org_registry();
  plugin::JobResult houses();
  plugin::JobResult report();

  plugin::Context& ctx_;
  std::string account_kind_;
  std::size_t account_chunk_;
  std::size_t poll_batch_;
  std::chrono::milliseconds poll_interval_;
  std::string report_dir_;
  std::map<std::string, NsiRef> nsi_resources_;
  Recipient recipient_;
  std::chrono::milliseconds history_window_;
  std::unique_ptr<ExchangeEngine> engine_;
  std::unique_ptr<PaymentDocumentJobs> payment_documents_;  ///< payment_document_jobs.h
  std::mutex health_mu_;
  std::string last_error_;
};

}  // namespace hub::adapters::gis_zhkh
