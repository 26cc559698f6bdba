#pragma once
// The SOAP 1.1 endpoint for government and partner systems that only speak SOAP, mounted on the
// admin API (AdminServer::add_routes):
//   GET  /soap?wsdl        the WSDL (anonymous: clients read it before they hold a token)
//   GET  /soap?xsd=NAME    one of the XSDs the WSDL references (anonymous)
//   POST /soap             Submit / Pull / Ack (bearer token, role operator)
// See service_description.h for the operations. Every failure of a POST is a SOAP 1.1 fault
// (HTTP 500, text/xml): Client for what the caller must change (malformed envelope, unknown
// operation, a SOAPAction that does not name the Body's operation, an envelope or body that does
// not validate — the faultstring names the line and XPath of the first problem, the detail lists
// every issue), Server for what may pass (database, queues). Authentication and role refusals
// happen before the endpoint runs and are the admin API's JSON 401/403.
//
// As with POST /api/v1/messages (hub/queue/queue_routes.h), a submitted message's source is the
// caller: an envelope without one gets the token's name, and only an admin token may name
// another (a partner cannot pose as a bank adapter). Successful calls write no hub.audit row
// (they are recorded in hub.message.source and hub.delivery.consumer); faults are audited.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hub/api/api_route.h"
#include "hub/plugin/context.h"
#include "hub/queue/canonical_queues.h"
#include "hub/soap/service_description.h"
#include "hub/soap/soap_message.h"
#include "hub/store/pool.h"
#include "hub/xml/schema_registry.h"

namespace hub::soap {

/// The canonical queues as the endpoint uses them. Unbound members make Pull / Ack answer a
/// Server fault ("no canonical queues on this node").
struct SoapQueues {
  /// `consumer` is the caller's token name, recorded on the claimed rows.
  std::function<std::vector<queue::QueuedMessage>(const std::string& subscription, int max,
                                                  std::chrono::milliseconds wait,
                                                  const std::string& consumer)>
      pull;
  std::function<queue::AckResult(const std::string& subscription,
                                 const std::vector<std::string>& receipts)>
      ack;

  /// Binds both to `queues`, which must outlive the endpoint.
  static SoapQueues over(queue::CanonicalQueues& queues) {
    SoapQueues q;
    q.pull = [&queues](const std::string& s, int max, std::chrono::milliseconds wait,
                       const std::string& consumer) { return queues.pull(s, max, wait, consumer); };
    q.ack = [&queues](const std::string& s, const std::vector<std::string>& receipts) {
      return queues.ack(s, receipts);
    };
    return q;
  }
};

struct SoapEndpointOptions {
  /// The endpoint URL written into the WSDL; empty = "http://<Host header>/soap".
  std::string public_url;
  std::size_t max_request_bytes = 4u << 20;
};

class SoapEndpoint {
 public:
  /// `ingress` takes submitted messages (Ingress, or anything in front of it); `pool` finds the id
  /// of a duplicate's journalled message. All must outlive the endpoint.
  SoapEndpoint(ServiceDescription description, plugin::Emitter& ingress,
               std::shared_ptr<const xml::SchemaRegistry> schemas, store::Pool& pool,
               SoapQueues queues = {}, SoapEndpointOptions options = {});

  /// The routes for AdminServer::add_routes(); they call back into this object, which must
  /// outlive the server's serving.
  std::vector<api::ApiRoute> routes();

  /// GET /soap: ?wsdl or ?xsd=NAME (api::ApiError 400/404 otherwise).
  api::ApiResponse get(const api::ApiRequest& request) const;
  /// POST /soap: one operation; a response or a fault, never an exception.
  api::ApiResponse post(api::ApiRequest& request);

 private:
  std::string endpoint_url(const api::ApiRequest& request) const;
  std::string submit(xmlNodePtr operation, api::ApiRequest& request);
  std::string pull(xmlNodePtr operation, api::ApiRequest& request);
  std::string ack(xmlNodePtr operation, api::ApiRequest& request);
  std::string existing_id(const std::string& idempotency_key);

  ServiceDescription description_;
  plugin::Emitter& ingress_;
  std::shared_ptr<const xml::SchemaRegistry> schemas_;
  store::Pool& pool_;
  SoapQueues queues_;
  SoapEndpointOptions options_;
};

}  // namespace hub::soap
