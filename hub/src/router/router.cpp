#include "hub/router/router.h"

#include <algorithm>

#include "hub/core/error.h"

namespace hub::router {
namespace {

bool listed(const std::vector<std::string>& allowed, const std::string& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool headers_match(const std::map<std::string, std::string>& wanted,
                   const std::map<std::string, std::string>& have) {
  for (const auto& [k, v] : wanted) {
    const auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

// The part of a route's match that looks at the envelope only (everything but the XPath).
bool matches_envelope(const Route& r, const Envelope& message) {
  return listed(r.match.types, message.type) && listed(r.match.sources, message.source) &&
         headers_match(r.match.headers, message.headers);
}

}  // namespace

Router::Router(std::shared_ptr<const RoutingConfig> config,
               std::shared_ptr<xml::StylesheetCache> xslt, long long version)
    : config_(std::move(config)), xslt_(std::move(xslt)), version_(version) {
  if (!config_) throw Error("router: no routing configuration");
  for (const auto& r : config_->routes) {
    for (const auto& a : r.actions) {
      if (a.kind != RouteAction::Kind::kTransform) continue;
      if (!xslt_) {
        throw ConfigError("routes", r.line, r.name,
                          "transform '" + a.stylesheet + "' needs a stylesheet directory");
      }
      // Compile now: a missing or broken stylesheet must fail the switch to this version, not the
      // first message that takes the route.
      xslt_->get(a.stylesheet);
    }
  }
}

bool Router::matches(const Route& r, const Envelope& message, const xml::Document& body) const {
  return matches_envelope(r, message) && (!r.match.xpath || r.match.xpath->matches(body));
}

bool Router::needs_body(const Envelope& message) const {
  for (const auto& r : config_->routes) {
    if (!matches_envelope(r, message)) continue;
    if (r.match.xpath || !r.actions.empty()) return true;
    if (r.stop) return false;  // it matches for certain, and no route after it is tried
  }
  return false;
}

RoutingDecision Router::route(const Envelope& message, const xml::Document& body) const {
  RoutingDecision decision;
  for (const auto& r : config_->routes) {
    if (!matches(r, message, body)) continue;

    // Actions run in order on the current document; a transform replaces it for what follows.
    const xml::Document* current = &body;
    xml::Document transformed;
    bool dropped = false;
    for (const auto& a : r.actions) {
      if (a.kind == RouteAction::Kind::kFilter) {
        if (!a.filter->matches(*current)) {
          dropped = true;
          break;
        }
      } else {
        transformed = xslt_->transform(a.stylesheet, *current, a.params);
        current = &transformed;
      }
    }

    if (dropped) {
      decision.filtered_by.push_back(r.name);
    } else {
      std::optional<std::string> out;
      if (current != &body) out = current->to_string();
      for (const auto& t : r.targets) decision.deliveries.push_back({r.name, t, out});
    }
    if (r.stop) break;
  }
  return decision;
}

std::shared_ptr<const Router> make_router(const std::string& yaml_text, const std::string& file,
                                          std::shared_ptr<xml::StylesheetCache> xslt,
                                          long long version) {
  auto config = std::make_shared<const RoutingConfig>(parse_routing_config(yaml_text, file));
  return std::make_shared<const Router>(std::move(config), std::move(xslt), version);
}

}  // namespace hub::router
