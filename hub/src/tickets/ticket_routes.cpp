#include "hub/tickets/ticket_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "hub/xml/envelope_xml.h"

namespace hub::tickets {
namespace {

using api::ApiError;
using api::ApiRequest;
using api::ApiResponse;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() {
  return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Var opt(const std::string& s) {
  return s.empty() ? Var() : Var(s);
}

Array::Ptr labelled(const TicketModel& m, const std::vector<std::string>& codes, Audience a) {
  Array::Ptr out = new Array;
  for (const auto& c : codes) {
    Object::Ptr o = obj();
    o->set("status", c);
    o->set("label", m.label(c, a));
    out->add(o);
  }
  return out;
}

Object::Ptr ticket_json(const TicketModel& m, const Ticket& t, Audience a, bool full) {
  Object::Ptr o = obj();
  o->set("id", t.id);
  o->set("channel", t.channel);
  o->set("external_id", opt(t.external_id));
  o->set("topic", t.topic);
  const auto* topic = m.topic(t.topic);
  o->set("topic_label", topic ? topic->label : t.topic);
  o->set("topic_text", t.topic_text);
  o->set("status", t.status);
  o->set("status_label", m.label(t.status, a));
  if (a == Audience::kStaff)
    o->set("resident_status_label", m.label(t.status, Audience::kResident));
  o->set("assignee", opt(t.assignee));
  o->set("account", opt(t.account));
  o->set("house", opt(t.house));
  o->set("premise", opt(t.premise));
  o->set("created_at", t.created_at);
  o->set("updated_at", t.updated_at);
  o->set("due_at", opt(t.due_at));
  o->set("overdue", t.overdue);
  o->set("resolved_at", opt(t.resolved_at));
  o->set("sla_breached_at", opt(t.sla_breached_at));
  o->set("sla_paused_at", opt(t.sla_paused_at));
  if (!full) return o;
  o->set("text", t.text);
  o->set("submitted_at", opt(t.submitted_at));
  Object::Ptr applicant = obj();
  applicant->set("name", opt(t.applicant_name));
  applicant->set("phone", opt(t.applicant_phone));
  applicant->set("email", opt(t.applicant_email));
  o->set("applicant", applicant);
  o->set("created_by", t.created_by);
  o->set("message_id", opt(t.message_id));
  o->set("allowed_transitions", labelled(m, m.allowed_from(t.status), a));
  Array::Ptr atts = new Array;
  for (const auto& at : t.attachments) {
    Object::Ptr x = obj();
    x->set("uri", at.uri);
    x->set("name", opt(at.name));
    x->set("media_type", opt(at.media_type));
    x->set("sha256", opt(at.sha256));
    atts->add(x);
  }
  o->set("attachments", atts);
  Array::Ptr events = new Array;
  for (const auto& e : t.events) {
    if (a == Audience::kResident && e.internal) continue;
    Object::Ptr x = obj();
    x->set("id", e.id);
    x->set("kind", e.kind);
    x->set("at", e.at);
    x->set("actor", e.actor);
    if (!e.from_status.empty()) {
      x->set("from", e.from_status);
      x->set("from_label", m.label(e.from_status, a));
    }
    if (!e.to_status.empty()) {
      x->set("to", e.to_status);
      x->set("to_label", m.label(e.to_status, a));
    }
    if (!e.assignee.empty()) x->set("assignee", e.assignee);
    if (!e.body.empty()) x->set("text", e.body);
    if (a == Audience::kStaff) {
      x->set("internal", e.internal);
      if (!e.published_at.empty()) x->set("published_at", e.published_at);
      if (!e.publish_error.empty()) x->set("publish_error", e.publish_error);
    }
    if (!e.message_id.empty()) x->set("message_id", e.message_id);
    events->add(x);
  }
  o->set("events", events);
  return o;
}

Audience audience(const ApiRequest& r) {
  const auto v = r.q("view", "staff");
  if (v == "staff") return Audience::kStaff;
  if (v == "resident") return Audience::kResident;
  Object::Ptr d = obj();
  d->set("parameter", "view");
  d->set("value", v);
  d->set("allowed", "staff, resident");
  throw ApiError(400, "invalid query parameter 'view'", d);
}

long long ticket_id(const ApiRequest& r) {
  const auto& text = r.params.at(0);
  try {
    std::size_t used = 0;
    const long long id = std::stoll(text, &used);
    if (used == text.size() && id > 0) return id;
  } catch (const std::exception&) {
  }
  throw ApiError(404, "no ticket " + text);
}

Object::Ptr body_object(const ApiRequest& r) {
  try {
    auto v = Poco::JSON::Parser().parse(r.body.empty() ? "{}" : r.body);
    if (v.type() == typeid(Object::Ptr)) return v.extract<Object::Ptr>();
  } catch (const std::exception& e) {
    throw ApiError(400, std::string("the body is not JSON: ") + e.what());
  }
  throw ApiError(400, "the body must be a JSON object");
}

std::string str(const Object::Ptr& o, const std::string& key, bool required = false) {
  if (!o->has(key) || o->get(key).isEmpty()) {
    if (required) {
      Object::Ptr d = obj();
      d->set("field", key);
      throw ApiError(400, "'" + key + "' is required", d);
    }
    return "";
  }
  const auto v = o->get(key);
  if (!v.isString()) {
    Object::Ptr d = obj();
    d->set("field", key);
    throw ApiError(400, "'" + key + "' must be a string", d);
  }
  return v.extract<std::string>();
}

ApiResponse show(TicketStore& store, long long id, Audience a, int status = 200) {
  const auto t = store.get(id);
  if (!t) throw ApiError(404, "no ticket " + std::to_string(id));
  return ApiResponse::json(ticket_json(store.model(), *t, a, true), status);
}

/// Store refusals in HTTP terms.
template <typename Fn>
ApiResponse guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const TicketNotFound& e) {
    throw ApiError(404, e.what());
  } catch (const InvalidTicket& e) {
    throw ApiError(400, e.what());
  } catch (const TransitionRefused& e) {
    Object::Ptr d = obj();
    d->set("from", e.from());
    d->set("to", e.to());
    Array::Ptr allowed = new Array;
    for (const auto& s : e.allowed()) allowed->add(s);
    d->set("allowed", allowed);
    throw ApiError(409, e.what(), d);
  }
}

ApiResponse list(TicketStore& store, ApiRequest& r) {
  TicketFilter f;
  f.status = r.q("status");
  f.topic = r.q("topic");
  f.house = r.q("house");
  f.account = r.q("account");
  f.assignee = r.q("assignee");
  f.channel = r.q("channel");
  f.overdue_only = r.q_int("overdue", 0, 0, 1) == 1;
  f.limit = static_cast<int>(r.q_int("limit", 50, 1, 1000));
  f.offset = static_cast<int>(r.q_int("offset", 0, 0, 100000000));
  const auto a = audience(r);
  const auto page = store.list(f);
  Array::Ptr items = new Array;
  for (const auto& t : page.items) items->add(ticket_json(store.model(), t, a, false));
  Object::Ptr o = obj();
  o->set("items", items);
  o->set("total", page.total);
  o->set("limit", f.limit);
  o->set("offset", f.offset);
  return ApiResponse::json(o);
}

ApiResponse create(TicketStore& store, ApiRequest& r) {
  const auto b = body_object(r);
  NewTicket t;
  t.channel = str(b, "channel");
  if (t.channel.empty()) t.channel = "operator";
  t.topic = str(b, "topic");
  t.text = str(b, "text", true);
  t.account = str(b, "account");
  t.house = str(b, "house");
  t.premise = str(b, "premise");
  t.external_id = str(b, "external_id");
  if (const auto s = str(b, "submitted_at"); !s.empty()) {
    try {
      t.submitted_at = xml::parse_timestamp(s);
    } catch (const std::exception&) {
      throw ApiError(400, "'submitted_at' is not an ISO 8601 timestamp: " + s);
    }
  }
  if (b->has("applicant") && !b->get("applicant").isEmpty()) {
    const auto a = b->getObject("applicant");
    if (!a) throw ApiError(400, "'applicant' must be an object {name, phone, email}");
    t.applicant_name = str(a, "name");
    t.applicant_phone = str(a, "phone");
    t.applicant_email = str(a, "email");
  }
  if (b->has("attachments") && !b->get("attachments").isEmpty()) {
    const auto list = b->getArray("attachments");
    if (!list) throw ApiError(400, "'attachments' must be a list of {uri, name, media_type}");
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto a = list->getObject(static_cast<unsigned>(i));
      if (!a) throw ApiError(400, "attachments[" + std::to_string(i) + "] must be an object");
      t.attachments.push_back(
          {str(a, "uri", true), str(a, "name"), str(a, "media_type"), str(a, "sha256")});
    }
  }
  t.actor = r.who.name;
  return guarded([&] {
    const auto res = store.create(t);
    r.object = "ticket:" + std::to_string(res.id);
    return show(store, res.id, Audience::kStaff, res.created ? 201 : 200);
  });
}

ApiResponse transition(TicketStore& store, ApiRequest& r) {
  const auto id = ticket_id(r);
  r.object = "ticket:" + std::to_string(id);
  const auto b = body_object(r);
  const auto to = str(b, "to", true);
  const auto comment = str(b, "comment");
  return guarded([&] {
    store.transition(id, to, comment, r.who.name);
    return show(store, id, Audience::kStaff);
  });
}

ApiResponse add_comment(TicketStore& store, ApiRequest& r) {
  const auto id = ticket_id(r);
  r.object = "ticket:" + std::to_string(id);
  const auto b = body_object(r);
  const auto text = str(b, "text", true);
  bool internal = false;
  if (b->has("internal") && !b->get("internal").isEmpty()) {
    const auto v = b->get("internal");
    if (v.type() != typeid(bool)) throw ApiError(400, "'internal' must be true or false");
    internal = v.extract<bool>();
  }
  return guarded([&] {
    store.comment(id, text, internal, r.who.name);
    return show(store, id, Audience::kStaff, 201);
  });
}

ApiResponse assign(TicketStore& store, ApiRequest& r) {
  const auto id = ticket_id(r);
  r.object = "ticket:" + std::to_string(id);
  const auto b = body_object(r);
  const auto who = str(b, "assignee", true);
  return guarded([&] {
    store.assign(id, who, r.who.name);
    return show(store, id, Audience::kStaff);
  });
}

ApiResponse model_json(const TicketModel& m) {
  Object::Ptr o = obj();
  o->set("organisation", opt(m.organisation()));
  o->set("file", m.file());
  o->set("initial", m.initial_status());
  Array::Ptr statuses = new Array;
  for (const auto& s : m.statuses()) {
    Object::Ptr x = obj();
    x->set("status", s.code);
    x->set("staff", s.staff_label);
    x->set("resident", s.resident_label);
    x->set("terminal", s.terminal);
    x->set("resolved", s.resolved);
    Array::Ptr next = new Array;
    for (const auto& n : m.allowed_from(s.code)) next->add(n);
    x->set("next", next);
    statuses->add(x);
  }
  o->set("statuses", statuses);
  Array::Ptr topics = new Array;
  for (const auto& t : m.topics()) {
    Object::Ptr x = obj();
    x->set("topic", t.code);
    x->set("label", t.label);
    x->set("sla", m.sla_for(t.code).text.empty() ? Var() : Var(m.sla_for(t.code).text));
    topics->add(x);
  }
  o->set("topics", topics);
  return ApiResponse::json(o);
}

}  // namespace

std::vector<api::ApiRoute> ticket_routes(std::shared_ptr<TicketStore> store) {
  using api::Role;
  auto s = store;
  return {
      {"GET",
       {"tickets"},
       "tickets.list",
       Role::kViewer,
       [s](ApiRequest& r) { return list(*s, r); }},
      {"POST",
       {"tickets"},
       "ticket.create",
       Role::kOperator,
       [s](ApiRequest& r) { return create(*s, r); }},
      {"GET",
       {"tickets", "*"},
       "tickets.show",
       Role::kViewer,
       [s](ApiRequest& r) { return show(*s, ticket_id(r), audience(r)); }},
      {"POST",
       {"tickets", "*", "transition"},
       "ticket.transition",
       Role::kOperator,
       [s](ApiRequest& r) { return transition(*s, r); }},
      {"POST",
       {"tickets", "*", "comments"},
       "ticket.comment",
       Role::kOperator,
       [s](ApiRequest& r) { return add_comment(*s, r); }},
      {"POST",
       {"tickets", "*", "assign"},
       "ticket.assign",
       Role::kOperator,
       [s](ApiRequest& r) { return assign(*s, r); }},
      {"GET",
       {"ticket-model"},
       "tickets.model",
       Role::kViewer,
       [s](ApiRequest&) { return model_json(s->model()); }},
  };
}

}  // namespace hub::tickets
