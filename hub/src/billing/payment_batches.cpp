#include "hub/billing/payment_batches.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hub/core/error.h"
#include "hub/plugin/registry_ref.h"
#include "hub/plugin/whitespace.h"
#include "hub/xml/document.h"

namespace hub::billing {

namespace {

std::string_view name_of(xmlNodePtr n) {
  return reinterpret_cast<const char*>(n->name);
}

bool is_element(xmlNodePtr n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && name_of(n) == name;
}

/// Text read from the tree: the node's own content when it is a single text node (the usual
/// case: no copy), else a copy of all of it (CDATA, several nodes).
class TreeText {
 public:
  explicit TreeText(xmlNodePtr children) {
    if (children && !children->next && children->type == XML_TEXT_NODE) {
      direct_ = children->content;
    } else {
      for (xmlNodePtr c = children; c; c = c->next) {
        xmlChar* v = xmlNodeGetContent(c);
        if (v) owned_ += reinterpret_cast<const char*>(v);
        xmlFree(v);
      }
    }
  }
  std::string_view view() const {
    return direct_ ? std::string_view(reinterpret_cast<const char*>(direct_)) : owned_;
  }

 private:
  const xmlChar* direct_ = nullptr;
  std::string owned_;
};

/// The value of the unqualified attribute `name`, if the element has it.
std::optional<TreeText> attribute(xmlNodePtr n, const char* name) {
  const xmlAttrPtr a = xmlHasNsProp(n, BAD_CAST name, nullptr);
  if (!a) return std::nullopt;
  return TreeText(a->children);
}

/// The text of an element.
TreeText text_of(xmlNodePtr n) {
  return TreeText(n->children);
}

/// @n as a number (0 when it is none: Ingress refuses such a body, the store does not rely on it).
std::int64_t line_number(const std::optional<TreeText>& n) {
  std::int64_t v = 0;
  if (n) std::from_chars(n->view().data(), n->view().data() + n->view().size(), v);
  return v;
}

Envelope item_of(const Envelope& batch, std::string key) {
  Envelope e;
  e.id = batch.id;
  e.type = "payment.received";
  e.source = batch.source;
  e.correlation_id = batch.correlation_id;
  e.occurred_at = batch.occurred_at;
  e.idempotency_key = std::move(key);
  return e;
}

void split_batch(const Envelope& batch, const xml::Document& doc, std::vector<Envelope>& out,
                 std::vector<BillingStore::ParsedBody>& bodies) {
  for (xmlNodePtr p = doc.root()->children; p; p = p->next) {
    if (!is_element(p, "payment")) continue;
    xmlNodePtr payment = nullptr;
    for (xmlNodePtr c = p->children; c && !payment; c = c->next)
      if (c->type == XML_ELEMENT_NODE) payment = c;
    const auto key = attribute(p, "key");
    out.push_back(item_of(batch, key ? std::string(key->view()) : std::string()));
    // A payment element without a paymentReceived is refused as such by the store.
    bodies.push_back({doc, payment ? payment : p});
  }
}

/// Builds paymentReceived elements in one document, in the canonical namespace `ns` (declared
/// once, on the root: copying nodes in from the payment.lines tree would declare it on each).
class PaymentWriter {
 public:
  explicit PaymentWriter(xmlNsPtr ns) : ns_(ns) {}

  xmlNodePtr element(xmlNodePtr parent, const char* name) {
    return xmlNewChild(parent, ns_, BAD_CAST name, nullptr);
  }
  /// A detached element, added once it has children.
  xmlNodePtr detached(const char* name) { return xmlNewNode(ns_, BAD_CAST name); }
  /// A child with `text` as its content (a text node as it is: nothing to escape in a tree).
  xmlNodePtr text(xmlNodePtr parent, const char* name, std::string_view text) {
    xmlNodePtr e = xmlNewChild(parent, ns_, BAD_CAST name, nullptr);
    xmlNodeAddContentLen(e, reinterpret_cast<const xmlChar*>(text.data()),
                         static_cast<int>(text.size()));
    return e;
  }
  void text(xmlNodePtr parent, const char* name, const std::optional<TreeText>& text) {
    if (text) this->text(parent, name, text->view());
  }
  /// A child holding a c:LineName attribute's value as XSD reads it (whiteSpace="replace": each
  /// CR, LF and TAB a space), which is a value paymentReceived's c:Name holds. A copy only when
  /// there is something to replace.
  void line_text(xmlNodePtr parent, const char* name, const std::optional<TreeText>& value) {
    if (!value) return;
    const std::string_view v = value->view();
    if (!plugin::has_whitespace_to_replace(v)) {
      text(parent, name, v);
      return;
    }
    std::string replaced(v);
    plugin::replace_whitespace(replaced);
    text(parent, name, replaced);
  }
  /// `from`'s element children as children of `to`, each with its text (agent, meter).
  void text_children(xmlNodePtr to, xmlNodePtr from) {
    for (xmlNodePtr c = from->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      xmlNodePtr copy = text(to, reinterpret_cast<const char*>(c->name), text_of(c).view());
      for (xmlAttrPtr a = c->properties; a; a = a->next) {
        const std::string v(TreeText(a->children).view());
        xmlNewProp(copy, a->name, BAD_CAST v.c_str());
      }
    }
  }

 private:
  xmlNsPtr ns_;
};

void split_lines(const Envelope& batch, const xml::Document& lines, std::vector<Envelope>& out,
                 std::vector<BillingStore::ParsedBody>& bodies) {
  xmlNodePtr agent = nullptr;
  std::string registry;
  for (xmlNodePtr c = lines.root()->children; c; c = c->next) {
    if (is_element(c, "agent")) agent = c;
    if (is_element(c, "registryRef")) registry = text_of(c).view();
  }
  xml::Document doc(xmlNewDoc(BAD_CAST "1.0"), lines.name());
  xmlNodePtr root = xmlNewDocNode(doc.get(), nullptr, BAD_CAST "paymentLines", nullptr);
  xmlDocSetRootElement(doc.get(), root);
  const xmlNsPtr ns =
      xmlNewNs(root, lines.root()->ns ? lines.root()->ns->href : nullptr, BAD_CAST "c");
  xmlSetNs(root, ns);
  PaymentWriter w(ns);

  for (xmlNodePtr line = lines.root()->children; line; line = line->next) {
    if (!is_element(line, "line")) continue;
    const auto n = attribute(line, "n");
    xmlNodePtr holder = w.element(root, "line");
    if (n) xmlNewProp(holder, BAD_CAST "n", BAD_CAST std::string(n->view()).c_str());
    // In paymentReceived's order (payment_lines.xsd says which part comes from where).
    xmlNodePtr p = w.element(holder, "paymentReceived");
    if (agent) w.text_children(w.element(p, "agent"), agent);
    w.text(p, "registryRef", plugin::registry_line_ref(registry, line_number(n)));
    w.line_text(p, "transactionId", attribute(line, "tx"));
    w.text(p, "paidAt", attribute(line, "paidAt"));
    xmlNodePtr services = nullptr, readings = nullptr;
    for (xmlNodePtr c = line->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      if (is_element(c, "service")) {
        if (!services) services = w.detached("services");
        xmlNodePtr s = w.element(services, "service");
        w.text(s, "code", attribute(c, "code"));
        w.text(s, "amountKopecks", attribute(c, "amount"));
        w.line_text(s, "name", attribute(c, "name"));
      } else if (is_element(c, "meter")) {
        if (!readings) readings = w.detached("readings");
        w.text_children(w.element(readings, "meter"), c);
      } else {
        // The payer's identifier: account, els, ipd or izhku.
        w.text(p, reinterpret_cast<const char*>(c->name), text_of(c).view());
      }
    }
    w.text(p, "period", attribute(line, "period"));
    w.text(p, "amountKopecks", attribute(line, "amount"));
    w.text(p, "commissionKopecks", attribute(line, "commission"));
    if (services) xmlAddChild(p, services);
    if (readings) xmlAddChild(p, readings);
    const auto name = attribute(line, "payerName");
    const auto address = attribute(line, "payerAddress");
    const auto phone = attribute(line, "payerPhone");
    if (name || address || phone) {
      xmlNodePtr payer = w.element(p, "payer");
      w.line_text(payer, "name", name);
      w.line_text(payer, "address", address);
      w.text(payer, "phone", phone);
    }
    const auto key = attribute(line, "key");
    out.push_back(item_of(batch, key ? std::string(key->view()) : std::string()));
    bodies.push_back({doc, p});
  }
}

}  // namespace

bool is_payment_batch(const std::string& type) {
  return type == kPaymentBatch || type == kPaymentLines;
}

void split_payment_batch(const Envelope& batch, std::vector<Envelope>& out,
                         std::vector<BillingStore::ParsedBody>& bodies) {
  const bool lines = batch.type == kPaymentLines;
  const char* root_name = lines ? "paymentLines" : "paymentBatch";
  const auto doc = xml::parse_xml(batch.body, batch.id.empty() ? batch.idempotency_key : batch.id);
  const xmlNodePtr root = doc.root();
  if (!root || name_of(root) != root_name) {
    throw XmlError(std::string("/: the root element of ") + batch.type + " is c:" + root_name);
  }
  if (lines)
    split_lines(batch, doc, out, bodies);
  else
    split_batch(batch, doc, out, bodies);
}

}  // namespace hub::billing
