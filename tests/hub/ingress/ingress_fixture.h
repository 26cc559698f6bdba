#pragma once
// Shared set-up for Ingress tests and the crash child: canonical schemas from the checkout and a
// routing config that fans every payment out to two targets.

#include <memory>
#include <string>

#include "hub/core/envelope.h"
#include "hub/ingress/ingress.h"
#include "hub/router/router.h"
#include "hub/xml/schema_registry.h"
#include "hub/xml/xslt.h"
#include "test_paths.h"

namespace hub::testing {

inline constexpr const char* kTwoTargetRoutes = R"(routes:
  - name: payments
    match: {type: [payment.received]}
    to: [billing, archive]
  - name: readings
    match: {type: [meter.reading]}
    to: [billing]
)";

struct IngressRig {
  std::shared_ptr<const xml::SchemaRegistry> schemas;
  router::RouterHolder router;
  std::unique_ptr<ingress::Ingress> ingress;

  IngressRig(store::Pool& pool, const std::string& routes_yaml = kTwoTargetRoutes) {
    schemas = xml::SchemaRegistry::load(source_dir() / "schemas/canonical");
    auto config = std::make_shared<router::RoutingConfig>(
        router::parse_routing_config(routes_yaml, "test-routes.yaml"));
    auto xslt = std::make_shared<xml::StylesheetCache>(source_dir() / "mappings");
    router.set(std::make_shared<router::Router>(config, xslt, 1));
    ingress = std::make_unique<ingress::Ingress>(pool, schemas, router);
  }
};

/// A valid payment.received body: the sample shipped with the canonical schemas.
std::string sample_body(const std::string& type);

inline Envelope make_message(const std::string& type, const std::string& key) {
  Envelope e;
  e.type = type;
  e.source = "test";
  e.idempotency_key = key;
  e.body = sample_body(type);
  return e;
}

}  // namespace hub::testing
