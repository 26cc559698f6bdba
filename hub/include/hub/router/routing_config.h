#pragma once
// Routes and schedules as admins write them (YAML) and as the hub stores them, versioned, in
// hub.route_version. Parsing validates everything up front; errors name file, line and key.
//
//   routes:
//     - name: payments-to-billing          # unique, no spaces; becomes hub.delivery.route
//       description: free text             # optional
//       match:
//         type: [payment.received]          # one or a list; omitted = any
//         source: [bank-sber]               # adapter instances; omitted = any
//         headers: {channel: inbox}         # all must equal
//         xpath: "/c:paymentReceived[c:amountKopecks > 0]"
//       namespaces: {g: "urn:..."}          # extra prefixes for xpath (c = canonical)
//       actions:
//         - filter: "not(/c:paymentReceived/c:test)"   # drop when false
//         - transform: bank/enrich.xsl                 # XSLT from mappings/
//           params: {mode: full}                       # optional xsl:param string values
//       to: [billing_store, queue-1c]       # fan-out targets
//       stop: false                         # true: later routes are not tried
//   schedules:
//     - job: inbox.scan
//       cron: "*/10 * * * * *"
//       time_zone: Europe/Moscow            # default
//       enabled: true

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/xml/xpath.h"

namespace hub::router {

struct RouteMatch {
  std::vector<std::string> types;    ///< empty = any
  std::vector<std::string> sources;  ///< empty = any
  std::map<std::string, std::string> headers;
  std::optional<xml::XPath> xpath;
};

struct RouteAction {
  enum class Kind { kFilter, kTransform };
  Kind kind;
  std::optional<xml::XPath> filter;  ///< kFilter: the message goes on only when this is true
  std::string stylesheet;            ///< kTransform: path under mappings/
  std::map<std::string, std::string> params;  ///< kTransform: xsl:param values
};

struct Route {
  std::string name;
  int line = 0;  ///< where it was declared, for messages
  RouteMatch match;
  std::vector<RouteAction> actions;
  std::vector<std::string> targets;
  bool stop = false;
};

struct ScheduleEntry {
  std::string job;   ///< "<adapter instance>.<job>"
  std::string cron;  ///< 5 or 6 fields
  std::string time_zone = "Europe/Moscow";
  bool enabled = true;
  int line = 0;
};

struct RoutingConfig {
  std::vector<Route> routes;
  std::vector<ScheduleEntry> schedules;
  std::string source_text;  ///< the YAML as given; what is stored and diffed
};

/// Parses and validates; throws ConfigError(file, line, key, why). `file` is used in messages.
/// Keys are paths like "routes[2].match.xpath" (0-based indexes); lines are 1-based. XPath is
/// compiled and trial-evaluated (prefixes c and e are implicit, others must be under namespaces);
/// cron is checked for 5 or 6 fields only (the scheduler parses it); time zones must exist in
/// /usr/share/zoneinfo. An empty text is a valid configuration with no routes and no schedules.
RoutingConfig parse_routing_config(const std::string& yaml_text, const std::string& file);

}  // namespace hub::router
