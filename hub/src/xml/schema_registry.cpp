#include "hub/xml/schema_registry.h"

#include <libxml/xmlschemas.h>
#include <yaml-cpp/yaml.h>

#include <mutex>

#include "hub/core/error.h"
#include "hub/xml/xpath.h"
#include "internal.h"
#include "validation_contexts.h"

namespace hub::xml {
namespace {

namespace fs = std::filesystem;

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string xml_attr_escape(const std::string& s) {
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

struct SchemaFree {
  void operator()(xmlSchemaPtr s) const { xmlSchemaFree(s); }
};

class Registry final : public SchemaRegistry {
 public:
  Registry(std::map<std::string, MessageType> types, std::unique_ptr<xmlSchema, SchemaFree> schema,
           bool has_envelope)
      : types_(std::move(types)), schema_(std::move(schema)), has_envelope_(has_envelope) {
    for (const auto& [name, t] : types_) by_root_[{t.root_ns, t.root_element}] = &t;
  }

  bool knows(const std::string& type) const override { return types_.count(type) != 0; }

  const MessageType* find(const std::string& type) const override {
    auto it = types_.find(type);
    return it == types_.end() ? nullptr : &it->second;
  }

  const MessageType* find_by_root(const std::string& ns, const std::string& local) const override {
    auto it = by_root_.find({ns, local});
    return it == by_root_.end() ? nullptr : it->second;
  }

  std::vector<MessageType> types() const override {
    std::vector<MessageType> out;
    for (const auto& [name, t] : types_) out.push_back(t);
    return out;
  }

  std::vector<ValidationIssue> validate(const std::string& type,
                                        const Document& doc) const override {
    const MessageType* t = find(type);
    if (!t) return {{0, "/", "unknown message type '" + type + "'"}};
    return check(doc, t->root_ns, t->root_element, type);
  }

  bool conforms(const std::string& type, std::string_view body) const override {
    const MessageType* t = find(type);
    if (!t) return false;
    xmlSchemaValidCtxtPtr v = contexts_.acquire(schema_.get(), "schema registry");
    int errors = 0;
    xmlSchemaSetValidStructuredErrors(
        v,
        [](void* data, xmlErrorPtr err) {
          if (err && err->level >= XML_ERR_ERROR) ++*static_cast<int*>(data);
        },
        &errors);
    std::string root_ns, root_local;
    const bool read = detail::stream_validates(body, ParseLimits{}, v, root_ns, root_local);
    xmlSchemaSetValidStructuredErrors(v, nullptr, nullptr);
    contexts_.release(v);
    return read && errors == 0 && root_ns == t->root_ns && root_local == t->root_element;
  }

  std::vector<ValidationIssue> validate_envelope(const Document& doc) const override {
    if (!has_envelope_) return {{0, "/", "no envelope schema in this registry"}};
    return check(doc, kEnvelopeNs, "envelope", "envelope");
  }

 private:
  std::vector<ValidationIssue> check(const Document& doc, const std::string& ns,
                                     const std::string& local, const std::string& what) const {
    xmlNodePtr root = doc.root();
    if (!root) return {{0, "/", "no document"}};
    const std::string root_ns =
        root->ns && root->ns->href ? reinterpret_cast<const char*>(root->ns->href) : "";
    const std::string root_local = reinterpret_cast<const char*>(root->name);
    if (root_ns != ns || root_local != local) {
      return {{static_cast<int>(xmlGetLineNo(root)), node_path(root),
               "root element {" + root_ns + "}" + root_local + " is not {" + ns + "}" + local +
                   " of " + what}};
    }

    xmlSchemaValidCtxtPtr v = contexts_.acquire(schema_.get(), "schema registry");
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
    int rc = xmlSchemaValidateDoc(v, doc.get());
    xmlSchemaSetValidStructuredErrors(v, nullptr, nullptr);
    contexts_.release(v);
    if (rc != 0 && issues.empty())
      issues.push_back({0, "/", "schema validation failed (code " + std::to_string(rc) + ")"});
    return issues;
  }

  std::map<std::string, MessageType> types_;
  std::map<std::pair<std::string, std::string>, const MessageType*> by_root_;
  std::unique_ptr<xmlSchema, SchemaFree> schema_;
  bool has_envelope_;
  mutable ValidationContexts contexts_;  // after schema_: freed before it
};

std::string scalar(const YAML::Node& n, const std::string& file, const std::string& key,
                   bool required = true) {
  if (!n) {
    if (required) throw ConfigError(file, 0, key, "missing");
    return {};
  }
  if (!n.IsScalar()) throw ConfigError(file, n.Mark().line + 1, key, "must be a string");
  return n.as<std::string>();
}

// Only plain names of files beside types.yaml: the compiled set never reaches outside `dir`.
void check_local_name(const std::string& name, const std::string& file, int line,
                      const std::string& key) {
  if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
      name.find(':') != std::string::npos || name == "." || name == "..") {
    throw ConfigError(file, line, key,
                      "'" + name + "' must be a file name in the schema directory");
  }
}

}  // namespace

std::shared_ptr<const SchemaRegistry> SchemaRegistry::load(const fs::path& dir_in) {
  harden_libxml2();
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::absolute(dir_in), ec);
  const std::string file = (dir / "types.yaml").string();
  if (ec || !fs::is_regular_file(dir / "types.yaml"))
    throw ConfigError(file, 0, "", "no such file");

  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.line + 1, "", e.msg);
  }
  if (!root.IsMap())
    throw ConfigError(file, 1, "", "expected a mapping with 'namespace' and 'types'");
  const std::string ns = scalar(root["namespace"], file, "namespace");
  if (ns != kCanonicalNs) {
    throw ConfigError(file, root["namespace"].Mark().line + 1, "namespace",
                      "expected " + std::string(kCanonicalNs) + ", got " + ns);
  }
  const std::string envelope_xsd = scalar(root["envelope"], file, "envelope", false);
  if (!envelope_xsd.empty())
    check_local_name(envelope_xsd, file, root["envelope"].Mark().line + 1, "envelope");

  YAML::Node types = root["types"];
  if (!types || !types.IsMap() || types.size() == 0) {
    throw ConfigError(file, types ? types.Mark().line + 1 : 0, "types",
                      "expected a non-empty mapping");
  }
  std::map<std::string, MessageType> parsed;
  std::vector<std::string> xsds;
  std::map<std::pair<std::string, std::string>, std::string> roots;
  for (const auto& kv : types) {
    const std::string name = kv.first.as<std::string>();
    const int line = kv.first.Mark().line + 1;
    const YAML::Node& t = kv.second;
    if (!t.IsMap())
      throw ConfigError(file, line, name, "expected a mapping with xsd, root, description");
    for (const auto& field : t) {
      const auto k = field.first.as<std::string>();
      if (k != "xsd" && k != "root" && k != "description") {
        throw ConfigError(file, field.first.Mark().line + 1, name + "." + k, "unknown key");
      }
    }
    MessageType m;
    m.type = name;
    m.root_ns = ns;
    m.root_element = scalar(t["root"], file, name + ".root");
    m.description = scalar(t["description"], file, name + ".description", false);
    const std::string xsd = scalar(t["xsd"], file, name + ".xsd");
    check_local_name(xsd, file, t["xsd"].Mark().line + 1, name + ".xsd");
    if (!fs::is_regular_file(dir / xsd)) {
      throw ConfigError(file, t["xsd"].Mark().line + 1, name + ".xsd",
                        "no such file " + (dir / xsd).string());
    }
    auto [it, fresh] = roots.emplace(std::pair{ns, m.root_element}, name);
    if (!fresh)
      throw ConfigError(file, line, name,
                        "root '" + m.root_element + "' already used by " + it->second);
    if (std::find(xsds.begin(), xsds.end(), xsd) == xsds.end()) xsds.push_back(xsd);
    parsed.emplace(name, std::move(m));
  }

  // One in-memory hub schema including every body XSD (same target namespace) and importing the
  // envelope: libxml2 compiles the whole set once and the result is shared by all threads.
  std::string hub_xsd =
      "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"" +
      xml_attr_escape(ns) + "\" elementFormDefault=\"qualified\">\n";
  if (!envelope_xsd.empty()) {
    hub_xsd += "<xs:import namespace=\"" + std::string(kEnvelopeNs) + "\" schemaLocation=\"" +
               xml_attr_escape(envelope_xsd) + "\"/>\n";
  }
  for (const auto& x : xsds)
    hub_xsd += "<xs:include schemaLocation=\"" + xml_attr_escape(x) + "\"/>\n";
  hub_xsd += "</xs:schema>\n";

  const std::string hub_name = (dir / "types.yaml#schema-set").string();
  detail::FileAccessScope scope(dir);
  detail::GenericErrorCapture capture;
  Document hub_doc(detail::parse_raw(hub_xsd, hub_name, {}, (dir / "_schema_set.xsd").string()),
                   hub_name);

  std::vector<std::string> errors;
  xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewDocParserCtxt(hub_doc.get());
  if (!pctxt) throw XmlError(hub_name + ": cannot create a schema parser");
  xmlSchemaSetParserStructuredErrors(
      pctxt,
      [](void* data, xmlErrorPtr err) {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (!err || err->level < XML_ERR_ERROR) return;
        out->push_back(std::string(err->file ? err->file : "?") + ":" + std::to_string(err->line) +
                       ": " + trimmed(err->message));
      },
      &errors);
  xmlSchemaPtr schema = xmlSchemaParse(pctxt);
  xmlSchemaFreeParserCtxt(pctxt);
  if (!schema || !errors.empty()) {
    if (schema) xmlSchemaFree(schema);
    std::string msg = errors.empty() ? hub_name + ": schema set does not compile" : errors.front();
    if (errors.size() > 1) msg += " (and " + std::to_string(errors.size() - 1) + " more)";
    std::string extra = capture.text();
    if (!extra.empty()) msg += "; " + trimmed(extra.c_str());
    throw XmlError(msg);
  }
  return std::make_shared<Registry>(
      std::move(parsed), std::unique_ptr<xmlSchema, SchemaFree>(schema), !envelope_xsd.empty());
}

bool SchemaRegistry::conforms(const std::string& type, std::string_view body) const {
  try {
    return validate(type, parse_xml(body, type)).empty();
  } catch (const XmlError&) {
    return false;
  }
}

void SchemaRegistry::validate_or_throw(const std::string& type, const Document& doc) const {
  auto issues = validate(type, doc);
  if (issues.empty()) return;
  const auto& first = issues.front();
  std::string msg = type + " " + doc.name() + ":" + std::to_string(first.line) + " " + first.xpath +
                    ": " + first.message;
  if (issues.size() > 1) msg += " (and " + std::to_string(issues.size() - 1) + " more)";
  throw ValidationError(msg);
}

}  // namespace hub::xml
