#pragma once
// Decides where a message goes. Routes are tried in order; each matching route runs its actions
// and fans the (possibly transformed) message out to its targets.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/core/envelope.h"
#include "hub/router/routing_config.h"
#include "hub/xml/document.h"
#include "hub/xml/xslt.h"

namespace hub::router {

/// One outbox row to write.
struct RoutedDelivery {
  std::string route;
  std::string target;
  std::optional<std::string> body;  ///< transformed body; nullopt = the message's own body
};

struct RoutingDecision {
  std::vector<RoutedDelivery> deliveries;
  std::vector<std::string> filtered_by;  ///< routes that matched but whose filter dropped it
};

class Router {
 public:
  Router(std::shared_ptr<const RoutingConfig> config, std::shared_ptr<xml::StylesheetCache> xslt,
         long long version = 0);

  /// `body` is the parsed message body (already validated). Thread-safe.
  /// Throws XmlError when a transform fails (the caller rejects the message).
  RoutingDecision route(const Envelope& message, const xml::Document& body) const;

  long long version() const { return version_; }
  const RoutingConfig& config() const { return *config_; }

 private:
  std::shared_ptr<const RoutingConfig> config_;
  std::shared_ptr<xml::StylesheetCache> xslt_;
  long long version_;
};

/// The router every thread uses now; swapped atomically when a new version is published.
class RouterHolder {
 public:
  std::shared_ptr<const Router> get() const { return std::atomic_load(&current_); }
  void set(std::shared_ptr<const Router> r) { std::atomic_store(&current_, std::move(r)); }

 private:
  std::shared_ptr<const Router> current_;
};

}  // namespace hub::router
