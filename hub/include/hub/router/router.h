#pragma once
// Decides where a message goes. Routes are tried in order; each matching route runs its actions
// and fans the (possibly transformed) message out to its targets.
//
// A route matches when the type, source, headers and XPath of its `match` all hold (an omitted
// part holds). Its actions then run in order: a filter that is false drops the message for this
// route (recorded in filtered_by, no deliveries); a transform replaces the body for the actions
// and deliveries after it. `stop: true` on a matching route ends the search, whether or not its
// filter dropped the message (the route owns what it matches). A Router is immutable: route() is
// safe from any number of threads without locks of its own.

#include <atomic>
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
  /// Compiles every stylesheet the routes name (XmlError naming the stylesheet when one is
  /// missing or broken). `xslt` may be null when no route transforms.
  Router(std::shared_ptr<const RoutingConfig> config, std::shared_ptr<xml::StylesheetCache> xslt,
         long long version = 0);

  /// `body` is the parsed message body (already validated). Thread-safe.
  /// Throws XmlError when a transform fails (the caller rejects the message).
  RoutingDecision route(const Envelope& message, const xml::Document& body) const;

  /// Whether routing `message` looks at its body: a route it may match has an XPath match, a
  /// filter or a transform. When not, route() may be given an empty Document. Thread-safe.
  bool needs_body(const Envelope& message) const;

  long long version() const { return version_; }
  const RoutingConfig& config() const { return *config_; }

 private:
  std::shared_ptr<const RoutingConfig> config_;
  std::shared_ptr<xml::StylesheetCache> xslt_;
  long long version_;

  bool matches(const Route& r, const Envelope& message, const xml::Document& body) const;
};

/// Parses `yaml_text` (ConfigError) and builds a Router for `version` (XmlError on stylesheets):
/// what a node does when a new version is published.
std::shared_ptr<const Router> make_router(const std::string& yaml_text, const std::string& file,
                                          std::shared_ptr<xml::StylesheetCache> xslt,
                                          long long version);

/// The router every thread uses now; swapped atomically when a new version is published.
class RouterHolder {
 public:
  std::shared_ptr<const Router> get() const { return std::atomic_load(&current_); }
  void set(std::shared_ptr<const Router> r) { std::atomic_store(&current_, std::move(r)); }

 private:
  std::shared_ptr<const Router> current_;
};

}  // namespace hub::router
