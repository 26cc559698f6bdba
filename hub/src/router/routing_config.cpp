#include "hub/router/routing_config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include "hub/core/error.h"
#include "hub/core/yaml_checker.h"
#include "hub/xml/document.h"

namespace hub::router {
namespace {

int line_of(const YAML::Node& n) {
  return n.Mark().line + 1;
}

bool name_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.' ||
         static_cast<unsigned char>(ch) >= 0x80;
}

/// The namespace prefixes an XPath expression uses ("c" in c:amount), skipping string literals
/// and axis separators (child::x).
std::set<std::string> xpath_prefixes(const std::string& expr) {
  std::set<std::string> out;
  std::size_t i = 0;
  while (i < expr.size()) {
    const char ch = expr[i];
    if (ch == '\'' || ch == '"') {
      const auto end = expr.find(ch, i + 1);
      if (end == std::string::npos) break;
      i = end + 1;
      continue;
    }
    if (name_char(ch) && !std::isdigit(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') {
      std::size_t j = i;
      while (j < expr.size() && name_char(expr[j])) ++j;
      if (j + 1 < expr.size() && expr[j] == ':' && expr[j + 1] != ':') {
        out.insert(expr.substr(i, j - i));
        ++j;  // the local part is scanned as a name of its own
      } else if (j + 1 < expr.size() && expr[j] == ':') {
        j += 2;  // axis::
      }
      i = j;
      continue;
    }
    ++i;
  }
  return out;
}

/// The shared YAML checks plus the routes' own: XPath expressions compiled and tried at apply time.
class Checker : public YamlChecker {
 public:
  using YamlChecker::YamlChecker;

  xml::XPath xpath(const YAML::Node& n, const std::string& key, const xml::Namespaces& ns) const {
    const auto expr = str(n, key);
    // libxml2 resolves prefixes only when evaluating; catch unbound ones now, at apply time.
    for (const auto& prefix : xpath_prefixes(expr)) {
      if (prefix != "c" && prefix != "e" && !ns.count(prefix)) {
        fail(n, key,
             "XPath '" + expr + "' uses prefix '" + prefix +
                 "' that is not declared under namespaces (c = canonical, e = envelope are "
                 "implicit)");
      }
    }
    try {
      auto x = xml::XPath::compile(expr, ns);
      // libxml2's compiler accepts some broken expressions ("count(", unknown functions) that
      // only fail when evaluated; a trial run on a tiny document catches them at apply time.
      x.matches(probe_document());
      return x;
    } catch (const Error& e) {
      fail(n, key, std::string("invalid XPath: ") + e.what());
    }
  }

  static const xml::Document& probe_document() {
    static const xml::Document doc = xml::parse_xml(
        std::string("<c:probe xmlns:c=\"") + xml::kCanonicalNs + "\"/>", "xpath-probe");
    return doc;
  }

};

void check_cron(const Checker& c, const YAML::Node& n, const std::string& key) {
  const auto expr = c.str(n, key);
  std::istringstream in(expr);
  std::string field;
  int count = 0;
  while (in >> field) ++count;
  if (count != 5 && count != 6) {
    c.fail(n, key,
           "cron '" + expr + "' has " + std::to_string(count) +
               " fields; expected 5 (min hour dom month dow) or 6 (with seconds first)");
  }
}

void check_time_zone(const Checker& c, const YAML::Node& n, const std::string& key,
                     const std::string& tz) {
  // The name becomes a path: refuse anything that could step outside the zoneinfo tree.
  const bool shaped = !tz.empty() && tz.front() != '/' && tz.find("..") == std::string::npos &&
                      tz.find_first_of(" \t\\") == std::string::npos;
  std::error_code ec;
  if (!shaped || !std::filesystem::is_regular_file("/usr/share/zoneinfo/" + tz, ec)) {
    c.fail(n, key, "unknown time zone '" + tz + "' (not in /usr/share/zoneinfo)");
  }
}

Route parse_route(const Checker& c, const YAML::Node& n, std::size_t index) {
  const auto key = "routes[" + std::to_string(index) + "]";
  c.keys(n, {"name", "description", "match", "namespaces", "actions", "to", "stop"}, key);
  Route r;
  r.line = line_of(n);
  if (!n["name"]) c.fail(n, key + ".name", "every route needs a name");
  r.name = c.str(n["name"], key + ".name");
  if (r.name.find_first_of(" \t\r\n") != std::string::npos) {
    c.fail(n["name"], key + ".name", "route name '" + r.name + "' must not contain spaces");
  }
  if (n["description"]) c.str(n["description"], key + ".description", true);

  xml::Namespaces ns;
  if (n["namespaces"]) {
    ns = c.str_map(n["namespaces"], key + ".namespaces");
    for (const auto& [prefix, uri] : ns) {
      if (prefix == "c" && uri != xml::kCanonicalNs) {
        c.fail(n["namespaces"], key + ".namespaces.c",
               std::string("prefix 'c' is reserved for ") + xml::kCanonicalNs);
      }
      if (uri.empty())
        c.fail(n["namespaces"], key + ".namespaces." + prefix, "empty namespace URI");
    }
  }

  if (const auto m = n["match"]) {
    const auto mkey = key + ".match";
    if (m.IsNull()) {
      // "match:" with nothing under it matches everything, as if omitted.
    } else {
      c.keys(m, {"type", "source", "headers", "xpath"}, mkey);
      if (m["type"]) r.match.types = c.str_list(m["type"], mkey + ".type");
      if (m["source"]) r.match.sources = c.str_list(m["source"], mkey + ".source");
      if (m["headers"]) r.match.headers = c.str_map(m["headers"], mkey + ".headers");
      if (m["xpath"]) r.match.xpath = c.xpath(m["xpath"], mkey + ".xpath", ns);
    }
  }

  if (const auto a = n["actions"]) {
    const auto akey = key + ".actions";
    if (!a.IsSequence())
      c.fail(a, akey, "expected a list of actions (- filter: ... / - transform: ...)");
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto item = a[i];
      const auto ikey = akey + "[" + std::to_string(i) + "]";
      c.keys(item, {"filter", "transform", "params"}, ikey);
      RouteAction act{};
      if (item["filter"] && item["transform"]) {
        c.fail(item, ikey, "an action is either a filter or a transform, not both");
      } else if (item["filter"]) {
        if (item["params"])
          c.fail(item["params"], ikey + ".params", "params belong to a transform");
        act.kind = RouteAction::Kind::kFilter;
        act.filter = c.xpath(item["filter"], ikey + ".filter", ns);
      } else if (item["transform"]) {
        act.kind = RouteAction::Kind::kTransform;
        act.stylesheet = c.str(item["transform"], ikey + ".transform");
        const std::filesystem::path p(act.stylesheet);
        if (p.is_absolute() || act.stylesheet.find("..") != std::string::npos) {
          c.fail(item["transform"], ikey + ".transform",
                 "stylesheet '" + act.stylesheet + "' must be a path inside mappings/");
        }
        if (item["params"]) act.params = c.str_map(item["params"], ikey + ".params");
      } else {
        c.fail(item, ikey, "an action needs 'filter' or 'transform'");
      }
      r.actions.push_back(std::move(act));
    }
  }

  if (!n["to"]) c.fail(n, key + ".to", "route '" + r.name + "' has no targets");
  r.targets = c.str_list(n["to"], key + ".to");
  if (r.targets.empty()) c.fail(n["to"], key + ".to", "route '" + r.name + "' has no targets");

  if (n["stop"]) r.stop = c.boolean(n["stop"], key + ".stop");
  return r;
}

ScheduleEntry parse_schedule(const Checker& c, const YAML::Node& n, std::size_t index) {
  const auto key = "schedules[" + std::to_string(index) + "]";
  c.keys(n, {"job", "cron", "time_zone", "enabled"}, key);
  ScheduleEntry s;
  s.line = line_of(n);
  if (!n["job"]) c.fail(n, key + ".job", "every schedule needs a job (<adapter>.<job>)");
  s.job = c.str(n["job"], key + ".job");
  const auto dot = s.job.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == s.job.size()) {
    c.fail(n["job"], key + ".job", "job '" + s.job + "' must be <adapter instance>.<job>");
  }
  if (!n["cron"]) c.fail(n, key + ".cron", "schedule '" + s.job + "' has no cron expression");
  check_cron(c, n["cron"], key + ".cron");
  s.cron = n["cron"].as<std::string>();
  if (n["time_zone"]) {
    s.time_zone = c.str(n["time_zone"], key + ".time_zone");
    check_time_zone(c, n["time_zone"], key + ".time_zone", s.time_zone);
  }
  if (n["enabled"]) s.enabled = c.boolean(n["enabled"], key + ".enabled");
  return s;
}

}  // namespace

RoutingConfig parse_routing_config(const std::string& yaml_text, const std::string& file) {
  const Checker c(file);
  YAML::Node loaded;
  try {
    loaded = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.line + 1, "", "YAML syntax: " + e.msg);
  }
  const YAML::Node& root = loaded;  // const: lookups must never insert nodes
  RoutingConfig config;
  config.source_text = yaml_text;
  if (root.IsNull()) return config;  // an empty file routes nothing and schedules nothing
  if (!root.IsMap()) c.fail(root, "", "expected a mapping with 'routes' and 'schedules'");
  c.keys(root, {"routes", "schedules"}, "");

  if (const auto routes = root["routes"]; routes && !routes.IsNull()) {
    if (!routes.IsSequence()) c.fail(routes, "routes", "expected a list of routes");
    std::map<std::string, int> names;
    for (std::size_t i = 0; i < routes.size(); ++i) {
      auto r = parse_route(c, routes[i], i);
      if (auto [it, fresh] = names.emplace(r.name, r.line); !fresh) {
        c.fail(routes[i]["name"], "routes[" + std::to_string(i) + "].name",
               "duplicate route name '" + r.name + "' (first at line " +
                   std::to_string(it->second) + ")");
      }
      config.routes.push_back(std::move(r));
    }
  }

  if (const auto schedules = root["schedules"]; schedules && !schedules.IsNull()) {
    if (!schedules.IsSequence()) c.fail(schedules, "schedules", "expected a list of schedules");
    std::map<std::string, int> jobs;
    for (std::size_t i = 0; i < schedules.size(); ++i) {
      auto s = parse_schedule(c, schedules[i], i);
      if (auto [it, fresh] = jobs.emplace(s.job, s.line); !fresh) {
        c.fail(schedules[i]["job"], "schedules[" + std::to_string(i) + "].job",
               "duplicate schedule for job '" + s.job + "' (first at line " +
                   std::to_string(it->second) + ")");
      }
      config.schedules.push_back(std::move(s));
    }
  }
  return config;
}

}  // namespace hub::router
