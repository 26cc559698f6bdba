#include "hub/xml/schema_set.h"

#include <libxml/xmlschemas.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "hub/core/error.h"
#include "internal.h"
#include "validation_contexts.h"

namespace hub::xml {
namespace {

namespace fs = std::filesystem;

constexpr const char* kXsNs = "http://www.w3.org/2001/XMLSchema";
constexpr const char* kWsdlNs = "http://schemas.xmlsoap.org/wsdl/";
constexpr const char* kWsdlSoapNs = "http://schemas.xmlsoap.org/wsdl/soap/";

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string attr_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string prop(xmlNodePtr n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string out = reinterpret_cast<const char*>(v);
  xmlFree(v);
  return out;
}

bool has_prop(xmlNodePtr n, const char* name) {
  return xmlHasNsProp(n, reinterpret_cast<const xmlChar*>(name), nullptr) != nullptr;
}

bool is(xmlNodePtr n, const char* ns, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns) &&
         xmlStrEqual(n->name, BAD_CAST local);
}

std::string local_of(xmlNodePtr n) {
  return reinterpret_cast<const char*>(n->name);
}

/// Resolves a QName attribute value ("base:version") against the namespaces in scope at `n`.
std::pair<std::string, std::string> resolve_qname(xmlNodePtr n, const std::string& qname) {
  auto colon = qname.find(':');
  std::string prefix = colon == std::string::npos ? "" : qname.substr(0, colon);
  std::string local = colon == std::string::npos ? qname : qname.substr(colon + 1);
  xmlNsPtr ns = xmlSearchNs(n->doc, n, prefix.empty() ? nullptr : BAD_CAST prefix.c_str());
  return {ns && ns->href ? reinterpret_cast<const char*>(ns->href) : "", local};
}

bool under(const fs::path& p, const std::string& root) {
  const std::string s = p.string();
  return s.size() > root.size() && s.compare(0, root.size(), root) == 0 && s[root.size()] == '/';
}

bool looks_like_url(const std::string& loc) {
  if (loc.rfind("//", 0) == 0) return true;
  auto colon = loc.find(':');
  if (colon == std::string::npos || colon < 2) return false;  // "C:" is not a scheme here either
  for (std::size_t i = 0; i < colon; ++i) {
    char c = loc[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
      return false;
  }
  return true;
}

struct SchemaFree {
  void operator()(xmlSchemaPtr s) const { xmlSchemaFree(s); }
};

struct ScannedFile {
  fs::path path;
  std::string target_ns;
};

class CompiledSet final : public SchemaSet {
 public:
  CompiledSet(fs::path root, std::vector<fs::path> files,
              std::set<std::pair<std::string, std::string>> globals,
              std::unique_ptr<xmlSchema, SchemaFree> schema, double seconds)
      : root_(std::move(root)),
        files_(std::move(files)),
        globals_(std::move(globals)),
        schema_(std::move(schema)),
        seconds_(seconds) {}

  std::vector<ValidationIssue> validate(const Document& doc) const override {
    xmlNodePtr root = doc.root();
    if (!root) return {{0, "/", "no document"}};
    if (auto issue = undeclared(root)) return {*issue};
    return run([&](xmlSchemaValidCtxtPtr v) { return xmlSchemaValidateDoc(v, doc.get()); });
  }

  std::vector<ValidationIssue> validate_element(xmlNodePtr element) const override {
    if (!element || element->type != XML_ELEMENT_NODE) return {{0, "/", "no element"}};
    if (auto issue = undeclared(element)) return {*issue};
    return run([&](xmlSchemaValidCtxtPtr v) { return xmlSchemaValidateOneElement(v, element); });
  }

  bool declares(const std::string& ns, const std::string& local) const override {
    return globals_.count({ns, local}) != 0;
  }

  const fs::path& root() const override { return root_; }
  const std::vector<fs::path>& files() const override { return files_; }
  double compile_seconds() const override { return seconds_; }

 private:
  std::optional<ValidationIssue> undeclared(xmlNodePtr e) const {
    const std::string ns = e->ns && e->ns->href ? reinterpret_cast<const char*>(e->ns->href) : "";
    if (declares(ns, local_of(e))) return std::nullopt;
    return ValidationIssue{static_cast<int>(xmlGetLineNo(e)), node_path(e),
                           "element {" + ns + "}" + local_of(e) +
                               " is not declared by the schema set in " + root_.string()};
  }

  template <class F>
  std::vector<ValidationIssue> run(F&& validate) const {
    xmlSchemaValidCtxtPtr v = contexts_.acquire(schema_.get(), "schema set");
    std::vector<ValidationIssue> issues;
    xmlSchemaSetValidStructuredErrors(
        v,
        [](void* data, xmlErrorPtr err) {
          auto* out = static_cast<std::vector<ValidationIssue>*>(data);
          if (!err || err->level < XML_ERR_ERROR || out->size() >= 100) return;
          ValidationIssue issue;
          issue.line = err->line;
          auto* node = static_cast<xmlNodePtr>(err->node);
          if (node) {
            issue.xpath = node_path(node);
            if (issue.line <= 0) issue.line = static_cast<int>(xmlGetLineNo(node));
          }
          issue.message = trimmed(err->message);
          // libxml2 reports attribute problems on the element; point at the attribute itself.
          if (auto at = issue.message.find(", attribute '");
              at != std::string::npos && !issue.xpath.empty()) {
            auto begin = at + 13, end = issue.message.find('\'', begin);
            if (end != std::string::npos && end > begin && issue.message[begin] != '{') {
              issue.xpath += "/@" + issue.message.substr(begin, end - begin);
            }
          }
          out->push_back(std::move(issue));
        },
        &issues);
    int rc = validate(v);
    xmlSchemaSetValidStructuredErrors(v, nullptr, nullptr);
    contexts_.release(v);
    if (rc != 0 && issues.empty())
      issues.push_back({0, "/", "schema validation failed (code " + std::to_string(rc) + ")"});
    return issues;
  }

  fs::path root_;
  std::vector<fs::path> files_;
  std::set<std::pair<std::string, std::string>> globals_;
  std::unique_ptr<xmlSchema, SchemaFree> schema_;
  double seconds_;
  mutable ValidationContexts contexts_;  // after schema_: freed before it
};

constexpr ParseLimits kXsdLimits{64u << 20, 512};

}  // namespace

std::shared_ptr<const SchemaSet> SchemaSet::compile(const fs::path& root_in,
                                                    const std::vector<fs::path>& entries_in) {
  const auto started = std::chrono::steady_clock::now();
  harden_libxml2();
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::absolute(root_in), ec);
  if (ec || !fs::is_directory(root))
    throw XmlError(root_in.string() + ":0: schema directory does not exist");
  const std::string root_s = root.string();
  if (entries_in.empty()) throw XmlError(root_s + ":0: no entry XSDs given");

  // Walk every file reachable from the entries and check each schemaLocation ourselves first: the
  // error then names the file and line, which libxml2's "failed to load" warning does not.
  std::vector<ScannedFile> entries;
  std::vector<fs::path> files;
  std::set<std::string> seen;
  std::set<std::pair<std::string, std::string>> globals;
  std::deque<std::pair<fs::path, std::string>> todo;  // path, namespace it inherits (xs:include)
  for (const auto& e : entries_in) {
    fs::path p = fs::weakly_canonical(e.is_absolute() ? e : root / e, ec);
    if (ec || !under(p, root_s))
      throw XmlError(e.string() + ":0: entry XSD is not inside " + root_s);
    if (!fs::is_regular_file(p)) throw XmlError(p.string() + ":0: no such file");
    entries.push_back({p, {}});
    todo.emplace_back(p, "");
  }
  std::map<std::string, std::string> entry_ns;  // path -> target namespace
  while (!todo.empty()) {
    auto [path, inherited_ns] = todo.front();
    todo.pop_front();
    if (!seen.insert(path.string()).second) continue;
    files.push_back(path);
    Document doc = parse_xml_file(path.string(), kXsdLimits);
    xmlNodePtr schema = doc.root();
    if (!is(schema, kXsNs, "schema"))
      throw XmlError(path.string() + ":1: not an xs:schema document");
    std::string tns =
        has_prop(schema, "targetNamespace") ? prop(schema, "targetNamespace") : inherited_ns;
    entry_ns.emplace(path.string(), tns);
    for (xmlNodePtr c = schema->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || !c->ns || !xmlStrEqual(c->ns->href, BAD_CAST kXsNs))
        continue;
      const std::string kind = local_of(c);
      if (kind == "element" && has_prop(c, "name")) {
        globals.insert({tns, prop(c, "name")});
        continue;
      }
      if (kind != "import" && kind != "include" && kind != "redefine" && kind != "override")
        continue;
      const std::string where = path.string() + ":" + std::to_string(xmlGetLineNo(c));
      if (!has_prop(c, "schemaLocation")) {
        if (kind == "import") continue;  // a namespace the set must provide from another file
        throw XmlError(where + ": xs:" + kind + " without schemaLocation");
      }
      const std::string loc = prop(c, "schemaLocation");
      if (looks_like_url(loc) && loc.rfind("file:", 0) != 0) {
        throw XmlError(where + ": schemaLocation '" + loc +
                       "' refused: network locations are not loaded (only files inside " + root_s +
                       ")");
      }
      std::string plain =
          loc.rfind("file:", 0) == 0 ? loc.substr(loc.rfind("file://", 0) == 0 ? 7 : 5) : loc;
      fs::path target = fs::weakly_canonical(
          fs::path(plain).is_absolute() ? fs::path(plain) : path.parent_path() / plain, ec);
      if (ec || !under(target, root_s)) {
        throw XmlError(where + ": schemaLocation '" + loc +
                       "' refused: it resolves outside the schema directory " + root_s);
      }
      if (!fs::is_regular_file(target))
        throw XmlError(where + ": schemaLocation '" + loc + "': no such file " + target.string());
      todo.emplace_back(target, kind == "import" ? "" : tns);
    }
  }

  // One in-memory wrapper importing every entry: libxml2 compiles the whole set once, the result
  // is shared by all threads. It lives "in" root so that libxml2 resolves nothing relative to cwd.
  std::set<std::string> namespaces;
  std::string wrapper =
      std::string("<xs:schema xmlns:xs=\"") + kXsNs +
      "\" targetNamespace=\"urn:zhkh-hub:schema-set\" elementFormDefault=\"qualified\">\n";
  for (auto& e : entries) {
    e.target_ns = entry_ns[e.path.string()];
    if (!namespaces.insert(e.target_ns).second) {
      throw XmlError(
          e.path.string() + ":0: another entry already has the target namespace '" + e.target_ns +
          "' (libxml2 loads one document per namespace; include it from that one instead)");
    }
    wrapper += "<xs:import ";
    if (!e.target_ns.empty()) wrapper += "namespace=\"" + attr_escape(e.target_ns) + "\" ";
    wrapper += "schemaLocation=\"" + attr_escape(e.path.string()) + "\"/>\n";
  }
  wrapper += "</xs:schema>\n";

  const std::string name = (root / "_schema_set.xsd").string();
  detail::FileAccessScope scope(root);
  detail::GenericErrorCapture capture;
  Document wrapper_doc(detail::parse_raw(wrapper, name, {}, name), name);
  std::vector<std::string> errors;
  xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewDocParserCtxt(wrapper_doc.get());
  if (!pctxt) throw XmlError(name + ": cannot create a schema parser");
  xmlSchemaSetParserStructuredErrors(
      pctxt,
      [](void* data, xmlErrorPtr err) {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (!err) return;
        std::string msg = trimmed(err->message);
        // A refused or missing import is only a warning to libxml2; to us the set is incomplete.
        if (err->level < XML_ERR_ERROR && msg.find("load") == std::string::npos) return;
        out->push_back(std::string(err->file ? err->file : "?") + ":" + std::to_string(err->line) +
                       ": " + msg);
      },
      &errors);
  xmlSchemaPtr schema = xmlSchemaParse(pctxt);
  xmlSchemaFreeParserCtxt(pctxt);
  const std::string extra = capture.text();
  if (!schema || !errors.empty() || extra.find("external resource refused") != std::string::npos) {
    if (schema) xmlSchemaFree(schema);
    std::string msg = errors.empty() ? name + ": schema set does not compile" : errors.front();
    if (errors.size() > 1) msg += " (and " + std::to_string(errors.size() - 1) + " more)";
    if (!extra.empty()) msg += "; " + trimmed(extra.c_str());
    throw XmlError(msg);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::make_shared<CompiledSet>(root, std::move(files), std::move(globals),
                                       std::unique_ptr<xmlSchema, SchemaFree>(schema), seconds);
}

std::shared_ptr<const SchemaSet> SchemaSet::compile_directory(const fs::path& dir) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".xsd") entries.push_back(e.path());
  }
  if (ec) throw XmlError(dir.string() + ":0: cannot list: " + ec.message());
  std::sort(entries.begin(), entries.end());
  return compile(dir, entries);
}

// ------------------------------------------------------------------------------------------------
// GIS ZhKH package

const GisOperation* GisService::operation_by_request(const std::string& ns,
                                                     const std::string& local) const {
  for (const auto& op : operations)
    if (op.request_ns == ns && op.request_element == local) return &op;
  return nullptr;
}

const GisOperation* GisService::operation(const std::string& name) const {
  for (const auto& op : operations)
    if (op.name == name) return &op;
  return nullptr;
}

namespace {

// base:version on the element's own type: its attributes, not those of nested elements.
void find_version_attr(xmlNodePtr n, xmlNodePtr* found) {
  for (xmlNodePtr c = n->children; c && !*found; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || !c->ns || !xmlStrEqual(c->ns->href, BAD_CAST kXsNs))
      continue;
    const std::string kind = local_of(c);
    if (kind == "element" || kind == "annotation") continue;
    if (kind == "attribute" && has_prop(c, "ref")) {
      auto [ns, local] = resolve_qname(c, prop(c, "ref"));
      if (ns == kGisBaseNs && local == "version") {
        *found = c;
        return;
      }
      continue;
    }
    find_version_attr(c, found);
  }
}

std::string documentation_of(xmlNodePtr element) {
  std::string text;
  for (xmlNodePtr a = element->children; a; a = a->next) {
    if (!is(a, kXsNs, "annotation")) continue;
    for (xmlNodePtr d = a->children; d; d = d->next) {
      if (!is(d, kXsNs, "documentation")) continue;
      xmlChar* t = xmlNodeGetContent(d);
      if (t) text += reinterpret_cast<const char*>(t), xmlFree(t);
    }
  }
  return text;
}

// "… Доступны версии 11.1.0.1, 12.2.0.1, 13.2.3.2 …" → the versions after that phrase.
std::vector<std::string> listed_versions(const std::string& doc) {
  static const std::string kMarker = "Доступн";  // Доступна / Доступны версия/версии
  std::vector<std::string> out;
  auto pos = doc.find(kMarker);
  if (pos == std::string::npos) return out;
  static const std::regex kVersion(R"(\d+\.\d+\.\d+\.\d+)");
  std::string rest = doc.substr(pos);
  // Stop at the end of the sentence that names the versions.
  if (auto stop = rest.find_first_of(";\n"); stop != std::string::npos) rest = rest.substr(0, stop);
  for (std::sregex_iterator it(rest.begin(), rest.end(), kVersion), end; it != end; ++it)
    out.push_back(it->str());
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

GisService read_service(const fs::path& dir, const std::string& name) {
  GisService svc;
  svc.name = name;
  svc.xsd = dir / name / ("hcs-" + name + "-types.xsd");
  fs::path wsdl = dir / name / ("hcs-" + name + "-service-async.wsdl");
  if (!fs::is_regular_file(wsdl)) return svc;
  svc.wsdl = wsdl;
  Document doc = parse_xml_file(wsdl.string(), kXsdLimits);
  xmlNodePtr defs = doc.root();
  if (!is(defs, kWsdlNs, "definitions"))
    throw XmlError(wsdl.string() + ":1: not a wsdl:definitions document");
  std::map<std::string, std::pair<std::string, std::string>> messages;  // message -> element QName
  std::map<std::string, std::string> inputs;  // operation -> input message
  for (xmlNodePtr c = defs->children; c; c = c->next) {
    if (is(c, kWsdlNs, "message")) {
      for (xmlNodePtr part = c->children; part; part = part->next)
        if (is(part, kWsdlNs, "part") && has_prop(part, "element"))
          messages[prop(c, "name")] = resolve_qname(part, prop(part, "element"));
    } else if (is(c, kWsdlNs, "portType")) {
      for (xmlNodePtr op = c->children; op; op = op->next) {
        if (!is(op, kWsdlNs, "operation")) continue;
        for (xmlNodePtr io = op->children; io; io = io->next)
          if (is(io, kWsdlNs, "input"))
            inputs[prop(op, "name")] = resolve_qname(io, prop(io, "message")).second;
      }
    } else if (is(c, kWsdlNs, "binding")) {
      for (xmlNodePtr op = c->children; op; op = op->next) {
        if (!is(op, kWsdlNs, "operation")) continue;
        GisOperation o;
        o.name = prop(op, "name");
        for (xmlNodePtr x = op->children; x; x = x->next) {
          if (is(x, kWsdlSoapNs, "operation")) o.soap_action = prop(x, "soapAction");
          if (!is(x, kWsdlNs, "input")) continue;
          for (xmlNodePtr h = x->children; h; h = h->next) {
            if (!is(h, kWsdlSoapNs, "header")) continue;
            auto msg = messages.find(resolve_qname(h, prop(h, "message")).second);
            if (msg != messages.end()) o.header = msg->second.second;
          }
        }
        if (auto in = inputs.find(o.name); in != inputs.end()) {
          if (auto m = messages.find(in->second); m != messages.end()) {
            o.request_ns = m->second.first;
            o.request_element = m->second.second;
          }
        }
        svc.operations.push_back(std::move(o));
      }
    } else if (is(c, kWsdlNs, "service")) {
      for (xmlNodePtr port = c->children; port; port = port->next)
        for (xmlNodePtr a = port->children; a && svc.endpoint_path.empty(); a = a->next)
          if (is(a, kWsdlSoapNs, "address")) {
            std::string loc = prop(a, "location");
            auto scheme = loc.find("://");
            auto slash = loc.find('/', scheme == std::string::npos ? 0 : scheme + 3);
            svc.endpoint_path = slash == std::string::npos ? "/" : loc.substr(slash);
          }
    }
  }
  return svc;
}

class Package final : public SchemaPackage {
 public:
  Package(fs::path dir, std::string version, std::vector<GisService> services,
          std::shared_ptr<const SchemaSet> set,
          std::map<std::pair<std::string, std::string>, VersionRule> rules,
          std::map<std::string, fs::path> entry_by_ns)
      : dir_(std::move(dir)),
        version_(std::move(version)),
        services_(std::move(services)),
        set_(std::move(set)),
        rules_(std::move(rules)),
        entry_by_ns_(std::move(entry_by_ns)) {}

  const std::string& version() const override { return version_; }
  const fs::path& dir() const override { return dir_; }
  const std::vector<GisService>& services() const override { return services_; }
  const GisService* service_by_name(const std::string& name) const override {
    for (const auto& s : services_)
      if (s.name == name) return &s;
    return nullptr;
  }
  const GisService* service_by_namespace(const std::string& ns) const override {
    for (const auto& s : services_)
      if (s.ns == ns) return &s;
    return nullptr;
  }
  const GisService* service_by_path(const std::string& path) const override {
    for (const auto& s : services_)
      if (!s.endpoint_path.empty() && s.endpoint_path == path) return &s;
    return nullptr;
  }
  const SchemaSet& schemas() const override { return *set_; }

  std::vector<ValidationIssue> validate(const Document& doc) const override {
    return validate_element(doc.root());
  }

  std::vector<ValidationIssue> validate_element(xmlNodePtr element) const override {
    if (auto issue = undeclared(element)) return {*issue};
    auto issues = narrow_set(element).validate_element(element);
    if (element && element->type == XML_ELEMENT_NODE) {
      if (auto v = check_version(element)) issues.push_back(std::move(*v));
    }
    return issues;
  }

  const VersionRule* version_rule(const std::string& ns, const std::string& local) const override {
    auto it = rules_.find({ns, local});
    return it == rules_.end() ? nullptr : &it->second;
  }

  std::optional<ValidationIssue> check_version(xmlNodePtr e) const override {
    if (!e || e->type != XML_ELEMENT_NODE) return std::nullopt;
    const std::string ns = e->ns && e->ns->href ? reinterpret_cast<const char*>(e->ns->href) : "";
    const VersionRule* rule = version_rule(ns, local_of(e));
    if (!rule) return std::nullopt;
    xmlChar* v = xmlGetNsProp(e, BAD_CAST "version", BAD_CAST kGisBaseNs);
    const int line = static_cast<int>(xmlGetLineNo(e));
    if (!v) {
      if (!rule->required) return std::nullopt;
      return ValidationIssue{line, node_path(e) + "/@base:version",
                             "base:version is required on {" + ns + "}" + local_of(e)};
    }
    std::string value = reinterpret_cast<const char*>(v);
    xmlFree(v);
    if (rule->accepted.empty() ||
        std::find(rule->accepted.begin(), rule->accepted.end(), value) != rule->accepted.end()) {
      return std::nullopt;
    }
    std::string expected;
    for (const auto& a : rule->accepted) expected += (expected.empty() ? "" : ", ") + a;
    return ValidationIssue{line, node_path(e) + "/@base:version",
                           "base:version '" + value + "' is not accepted by {" + ns + "}" +
                               local_of(e) + ": expected " +
                               (rule->accepted.size() > 1 ? "one of " : "") + expected +
                               " (package " + version_ + ")"};
  }

 private:
  // The whole package's set answers for what is declared (and names the package in the message).
  std::optional<ValidationIssue> undeclared(xmlNodePtr e) const {
    if (!e || e->type != XML_ELEMENT_NODE) return std::nullopt;
    const std::string ns = e->ns && e->ns->href ? reinterpret_cast<const char*>(e->ns->href) : "";
    if (set_->declares(ns, local_of(e))) return std::nullopt;
    return set_->validate_element(e).front();
  }

  // The set compiled from only the file that declares the element's namespace (and what it
  // imports), compiled on first use. libxml2 starts every validation by allocating a record for
  // each identity constraint (xs:key, xs:unique, xs:keyref) of every schema in the set and scans
  // that list at the end of every element: for the whole package's ~300, mostly in tariff, bills
  // and capital-repair, that scan was a fifth of the GIS emulator's CPU and a tenth of the hub's
  // on an importAccountData. The package has no wildcards, substitution groups or includes, so
  // an element's declaration, types and constraints are the same in its own file's set. A file
  // that does not compile alone (it would not be a valid package) is validated by the whole set.
  const SchemaSet& narrow_set(xmlNodePtr e) const {
    if (!e || e->type != XML_ELEMENT_NODE || !e->ns || !e->ns->href) return *set_;
    const auto entry = entry_by_ns_.find(reinterpret_cast<const char*>(e->ns->href));
    if (entry == entry_by_ns_.end()) return *set_;
    std::lock_guard lock(narrow_mu_);
    auto [it, fresh] = narrow_.try_emplace(entry->first);
    if (fresh) {
      try {
        it->second = SchemaSet::compile(dir_, {entry->second});
      } catch (const std::exception&) {
        it->second = nullptr;
      }
    }
    return it->second ? *it->second : *set_;
  }

  fs::path dir_;
  std::string version_;
  std::vector<GisService> services_;
  std::shared_ptr<const SchemaSet> set_;
  std::map<std::pair<std::string, std::string>, VersionRule> rules_;
  std::map<std::string, fs::path> entry_by_ns_;  // target namespace -> the one file declaring it
  mutable std::mutex narrow_mu_;
  mutable std::map<std::string, std::shared_ptr<const SchemaSet>> narrow_;  // never erased
};

// targetNamespace of each loaded file (from its xs:schema start tag), for files whose namespace
// no other file shares.
std::map<std::string, fs::path> entries_by_namespace(const std::vector<fs::path>& files) {
  static const std::regex kTarget(R"re(<xs:schema\b[^>]*\btargetNamespace="([^"]*)")re");
  std::map<std::string, fs::path> out;
  std::set<std::string> shared;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string head(16384, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    std::smatch m;
    if (!std::regex_search(head, m, kTarget)) continue;
    if (!out.emplace(m[1].str(), f).second) shared.insert(m[1].str());
  }
  for (const auto& ns : shared) out.erase(ns);
  return out;
}

}  // namespace

std::shared_ptr<const SchemaPackage> SchemaPackage::load(const fs::path& dir_in,
                                                         const std::vector<std::string>& wanted) {
  harden_libxml2();
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::absolute(dir_in), ec);
  if (ec || !fs::is_directory(dir))
    throw XmlError(dir_in.string() + ":0: GIS ZhKH schema package does not exist");

  std::vector<std::string> names;
  if (wanted.empty()) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string n = e.path().filename().string();
      if (e.is_directory() && fs::is_regular_file(e.path() / ("hcs-" + n + "-types.xsd")))
        names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    if (names.empty())
      throw XmlError(dir.string() + ":0: no <service>/hcs-<service>-types.xsd in the package");
  } else {
    for (const auto& n : wanted) {
      if (n.empty() || n.find('/') != std::string::npos || n == "." || n == "..") {
        throw XmlError(dir.string() + ":0: '" + n + "' is not a service directory name");
      }
      if (!fs::is_regular_file(dir / n / ("hcs-" + n + "-types.xsd"))) {
        throw XmlError((dir / n).string() + ":0: no hcs-" + n +
                       "-types.xsd: no such service in the package");
      }
      names.push_back(n);
    }
  }

  std::vector<GisService> services;
  std::vector<fs::path> entries;
  for (const auto& n : names) {
    services.push_back(read_service(dir, n));
    entries.push_back(services.back().xsd);
  }
  auto set = SchemaSet::compile(dir, entries);

  // Version rules and the package version from the XSD texts (libxml2 does not expose `fixed` of
  // an attribute use that refers to a global attribute, nor does it enforce it).
  std::map<std::pair<std::string, std::string>, VersionRule> rules;
  std::map<std::string, int> versions;  // xs:schema/@version of the types XSDs
  for (auto& svc : services) {
    Document doc = parse_xml_file(svc.xsd.string(), kXsdLimits);
    xmlNodePtr schema = doc.root();
    svc.ns = prop(schema, "targetNamespace");
    if (has_prop(schema, "version")) ++versions[prop(schema, "version")];
    for (xmlNodePtr c = schema->children; c; c = c->next) {
      if (!is(c, kXsNs, "element") || !has_prop(c, "name")) continue;
      xmlNodePtr attr = nullptr;
      find_version_attr(c, &attr);
      if (!attr) continue;
      VersionRule r;
      r.ns = svc.ns;
      r.element = prop(c, "name");
      r.required = prop(attr, "use") == "required";
      if (has_prop(attr, "fixed")) {
        r.fixed = true;
        r.accepted.push_back(prop(attr, "fixed"));
      } else {
        r.accepted = listed_versions(documentation_of(c));
      }
      rules[{r.ns, r.element}] = std::move(r);
    }
  }
  // The README names the release ("Версия – 16.3.0.0"); each types XSD's own version only
  // moves when that file changes, so without a README the newest of them stands for the release.
  std::string version;
  if (fs::is_regular_file(dir / "README.md")) {
    static const std::regex kReadme(R"(Версия\s*(?:–|—|-)\s*(\d+\.\d+\.\d+\.\d+))");
    std::smatch m;
    std::string readme = read_text(dir / "README.md");
    if (std::regex_search(readme, m, kReadme)) version = m[1].str();
  }
  auto numeric = [](const std::string& v) {
    std::vector<int> out;
    std::stringstream ss(v);
    for (std::string part; std::getline(ss, part, '.');) out.push_back(std::atoi(part.c_str()));
    return out;
  };
  if (version.empty()) {
    for (const auto& [v, n] : versions)
      if (version.empty() || numeric(v) > numeric(version)) version = v;
  }
  if (version.empty()) version = dir.filename().string();
  auto entries_by_ns = entries_by_namespace(set->files());
  return std::make_shared<Package>(dir, std::move(version), std::move(services), std::move(set),
                                   std::move(rules), std::move(entries_by_ns));
}

}  // namespace hub::xml
