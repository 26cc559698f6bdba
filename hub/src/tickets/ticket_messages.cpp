#include "hub/tickets/ticket_messages.h"

#include <libxml/tree.h>

#include <cstring>

#include "hub/core/error.h"
#include "hub/xml/document.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/xpath.h"

namespace hub::tickets {
namespace {

bool is_canonical(xmlNodePtr n, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), xml::kCanonicalNs) == 0 &&
         std::strcmp(reinterpret_cast<const char*>(n->name), local) == 0;
}

std::string content(xmlNodePtr n) {
  xmlChar* v = xmlNodeGetContent(n);
  std::string out = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return out;
}

xmlNodePtr child(xmlNodePtr parent, const char* local) {
  for (auto c = parent ? parent->children : nullptr; c; c = c->next) {
    if (is_canonical(c, local)) return c;
  }
  return nullptr;
}

std::string child_text(xmlNodePtr parent, const char* local) {
  const auto c = child(parent, local);
  return c ? content(c) : std::string();
}

std::string required(xmlNodePtr parent, const char* local, const std::string& name) {
  const auto c = child(parent, local);
  if (!c || content(c).empty()) {
    throw XmlError(name + ": " + xml::node_path(parent) + "/c:" + local + " is required");
  }
  return content(c);
}

xmlNodePtr root_of(const xml::Document& doc, const char* local, const std::string& name) {
  const auto root = doc.root();
  if (!is_canonical(root, local)) {
    throw XmlError(name + ": expected the root element c:" + local + " in " + xml::kCanonicalNs +
                   ", got " + (root ? reinterpret_cast<const char*>(root->name) : "nothing"));
  }
  return root;
}

std::vector<AttachmentRef> attachments(xmlNodePtr parent, const std::string& name) {
  std::vector<AttachmentRef> out;
  for (auto c = parent->children; c; c = c->next) {
    if (!is_canonical(c, "attachment")) continue;
    AttachmentRef a;
    a.uri = required(c, "uri", name);
    a.name = child_text(c, "name");
    a.media_type = child_text(c, "mediaType");
    a.sha256 = child_text(c, "sha256");
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> timestamp(xmlNodePtr parent, const char* local,
                                                               const std::string& name) {
  const auto c = child(parent, local);
  if (!c) return std::nullopt;
  try {
    return xml::parse_timestamp(content(c));
  } catch (const std::exception& e) {
    throw XmlError(name + ": " + xml::node_path(c) + ": not a timestamp: " + content(c));
  }
}

}  // namespace

NewTicket read_ticket_created(const std::string& body, const std::string& name) {
  const auto doc = xml::parse_xml(body, name);
  const auto root = root_of(doc, "ticketCreated", name);
  NewTicket t;
  t.channel = required(root, "channel", name);
  t.topic = required(root, "topic", name);
  t.text = required(root, "text", name);
  t.account = child_text(root, "account");
  t.external_id = child_text(root, "externalId");
  t.house = child_text(root, "houseFiasGuid");
  t.premise = child_text(root, "premiseNumber");
  t.submitted_at = timestamp(root, "submittedAt", name);
  if (const auto a = child(root, "applicant")) {
    t.applicant_name = child_text(a, "name");
    t.applicant_phone = child_text(a, "phone");
    t.applicant_email = child_text(a, "email");
  }
  t.attachments = attachments(root, name);
  return t;
}

TicketUpdate read_ticket_updated(const std::string& body, const std::string& name) {
  const auto doc = xml::parse_xml(body, name);
  const auto root = root_of(doc, "ticketUpdated", name);
  TicketUpdate u;
  u.channel = required(root, "channel", name);
  u.external_id = required(root, "externalId", name);
  u.ticket_id = child_text(root, "ticketId");
  if (const auto s = child(root, "status")) u.change.status = content(s);
  if (const auto c = child(root, "comment")) u.change.comment = content(c);
  if (const auto a = child(root, "assignee")) u.change.assignee = content(a);
  if (const auto i = child(root, "internal")) {
    const auto v = content(i);
    u.change.internal = v == "true" || v == "1";
  }
  u.change.actor = child_text(root, "author");
  u.change.at = timestamp(root, "changedAt", name);
  u.change.attachments = attachments(root, name);
  return u;
}

}  // namespace hub::tickets
