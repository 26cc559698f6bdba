#include "hub/plugin_host/xml_services.h"

#include <cstring>
#include <stdexcept>

#include "hub/core/error.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_set.h"

namespace hub::plugin_host {

namespace {

constexpr const char* kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";

std::vector<plugin::XmlIssue> convert(const std::vector<xml::ValidationIssue>& issues) {
  std::vector<plugin::XmlIssue> out;
  out.reserve(issues.size());
  for (const auto& i : issues) out.push_back({i.line, i.xpath, i.message});
  return out;
}

bool is(xmlNodePtr n, const char* ns, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), ns) == 0 &&
         std::strcmp(reinterpret_cast<const char*>(n->name), local) == 0;
}

class Handle : public plugin::SchemaPackageHandle {
 public:
  explicit Handle(std::shared_ptr<const xml::SchemaPackage> package)
      : package_(std::move(package)) {}

  const std::string& version() const override { return package_->version(); }

  std::vector<plugin::XmlIssue> validate(std::string_view text) const override {
    xml::Document doc;
    try {
      doc = xml::parse_xml(text, "document");
    } catch (const XmlError& e) {
      return {{0, "/", e.what()}};
    }
    return convert(package_->validate(doc));
  }

  std::vector<plugin::XmlIssue> validate_soap(std::string_view text) const override {
    xml::Document doc;
    try {
      doc = xml::parse_xml(text, "soap");
    } catch (const XmlError& e) {
      return {{0, "/", e.what()}};
    }
    return validate_soap(doc.get());
  }

  std::vector<plugin::XmlIssue> validate_soap(const xmlDoc* parsed) const override {
    // libxml2's validator takes non-const nodes but only reads them (no default attributes are
    // added without XML_SCHEMA_VAL_VC_I_CREATE).
    xmlNodePtr env = parsed ? xmlDocGetRootElement(const_cast<xmlDoc*>(parsed)) : nullptr;
    if (!is(env, kSoap11Ns, "Envelope")) {
      return {{env ? env->line : 0, "/", "root is not a SOAP 1.1 Envelope"}};
    }
    std::vector<plugin::XmlIssue> out;
    bool body_seen = false;
    for (xmlNodePtr part = env->children; part; part = part->next) {
      if (part->type != XML_ELEMENT_NODE) continue;
      const bool header = is(part, kSoap11Ns, "Header");
      const bool body = is(part, kSoap11Ns, "Body");
      if (!header && !body) continue;
      body_seen = body_seen || body;
      for (xmlNodePtr el = part->children; el; el = el->next) {
        if (el->type != XML_ELEMENT_NODE) continue;
        if (body && is(el, kSoap11Ns, "Fault")) continue;  // the SOAP fault is not the package's
        auto issues = convert(package_->validate_element(el));
        out.insert(out.end(), issues.begin(), issues.end());
      }
    }
    if (!body_seen) out.push_back({env->line, "/", "SOAP Envelope has no Body"});
    return out;
  }

  std::vector<std::string> accepted_versions(const std::string& ns,
                                             const std::string& local) const override {
    const auto* rule = package_->version_rule(ns, local);
    return rule ? rule->accepted : std::vector<std::string>{};
  }

  std::optional<plugin::PackageOperation> operation(const std::string& service,
                                                    const std::string& name) const override {
    const auto* svc = package_->service_by_name(service);
    if (!svc) return std::nullopt;
    const auto* op = svc->operation(name);
    if (!op) return std::nullopt;
    return plugin::PackageOperation{svc->name,      svc->endpoint_path,  op->soap_action,
                                    op->request_ns, op->request_element, op->header};
  }

 private:
  std::shared_ptr<const xml::SchemaPackage> package_;
};

}  // namespace

plugin::SchemaPackagePtr PackageXmlServices::load_schema_package(const std::filesystem::path& dir) {
  std::error_code ec;
  auto key = std::filesystem::weakly_canonical(dir, ec);
  if (ec) key = dir;
  std::lock_guard lock(mu_);
  auto it = packages_.find(key);
  if (it != packages_.end()) return it->second;
  std::shared_ptr<const xml::SchemaPackage> package;
  try {
    package = xml::SchemaPackage::load(key);
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what());
  }
  auto handle = std::make_shared<Handle>(std::move(package));
  packages_.emplace(key, handle);
  return handle;
}

PackageXmlServices& PackageXmlServices::shared() {
  static PackageXmlServices s;
  return s;
}

}  // namespace hub::plugin_host
