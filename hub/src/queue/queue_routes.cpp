#include "hub/queue/queue_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>

#include "hub/api/admin_services.h"
#include "hub/core/error.h"
#include "hub/core/json_text.h"
#include "hub/queue/envelope_json.h"
#include "hub/xml/document.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/escape.h"

namespace hub::queue {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::size_t kMaxReceipts = 10000;

Object::Ptr obj() {
  return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

bool wants_xml(const api::ApiRequest& r) {
  const auto accept = r.header("accept");
  return accept.find("application/xml") != std::string::npos ||
         accept.find("text/xml") != std::string::npos;
}

bool sends_xml(const api::ApiRequest& r) {
  const auto type = r.header("content-type");
  return type.find("application/xml") != std::string::npos ||
         type.find("text/xml") != std::string::npos;
}

api::ApiResponse xml_response(std::string body, int status = 200) {
  return api::ApiResponse::text(std::move(body), "application/xml; charset=utf-8", status);
}

std::vector<std::string> receipts_from_xml(const std::string& body) {
  xml::Document doc;
  try {
    doc = xml::parse_xml(body, "request body");
  } catch (const XmlError& e) {
    throw api::ApiError(400, e.what());
  }
  auto* root = doc.root();
  const auto is_q = [](xmlNodePtr n, const char* local) {
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           xmlStrEqual(n->ns->href, BAD_CAST kQueueNs) && xmlStrEqual(n->name, BAD_CAST local);
  };
  if (!is_q(root, "ack")) {
    throw api::ApiError(400, "request body:" + std::to_string(root ? xmlGetLineNo(root) : 0) +
                                 ": expected <ack> in namespace " + kQueueNs);
  }
  std::vector<std::string> out;
  for (auto* n = root->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (!is_q(n, "receipt")) {
      throw api::ApiError(400, "request body:" + std::to_string(xmlGetLineNo(n)) + ": " +
                                   xml::node_path(n) + ": expected only <receipt> elements");
    }
    xmlChar* text = xmlNodeGetContent(n);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    xmlFree(text);
  }
  return out;
}

std::vector<std::string> receipts_from_json(const std::string& body,
                                            const std::string& key = "receipts") {
  Object::Ptr d = obj();
  d->set("expected", "{\"" + key + "\": [\"...\", ...]}");
  Poco::Dynamic::Var parsed;
  try {
    parsed = Poco::JSON::Parser().parse(body);
  } catch (const Poco::Exception& e) {
    throw api::ApiError(400, "the body is not valid JSON: " + e.displayText(), d);
  }
  if (parsed.type() != typeid(Object::Ptr)) throw api::ApiError(400, "expected an object", d);
  const auto o = parsed.extract<Object::Ptr>();
  const auto list = o->getArray(key);
  if (!list) throw api::ApiError(400, "key '" + key + "': required, a list of strings", d);
  std::vector<std::string> out;
  out.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto v = list->get(static_cast<unsigned>(i));
    if (!v.isString()) {
      throw api::ApiError(400, "key '" + key + "[" + std::to_string(i) + "]': expected a string",
                          d);
    }
    out.push_back(v.extract<std::string>());
  }
  return out;
}

api::ApiResponse pull(CanonicalQueues& queues, api::ApiRequest& r) {
  const auto& name = r.params[0];
  r.object = "queue:" + name;
  const int max = static_cast<int>(r.q_int("max", 100, 1, 1000));
  const auto wait = std::chrono::seconds(r.q_int("wait", 0, 0, 60));
  // Optional: receipts of the previous batch, acked before this pull in the same round trip.
  std::vector<std::string> ack_first;
  const bool body = r.body.find_first_not_of(" \t\r\n") != std::string::npos;
  if (body)
    ack_first = sends_xml(r) ? receipts_from_xml(r.body) : receipts_from_json(r.body, "ack");
  if (ack_first.size() > kMaxReceipts) {
    throw api::ApiError(400, "at most " + std::to_string(kMaxReceipts) + " receipts per ack");
  }
  const auto result = queues.pull_and_ack(name, ack_first, max, wait, r.who.name);
  const auto& got = result.messages;
  if (wants_xml(r)) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<q:messages xmlns:q=\"";
    out += kQueueNs;
    out += "\" subscription=\"" + xml::escape_xml(name, true) + "\"";
    if (body) out += " acked=\"" + std::to_string(result.acked.acked) + "\"";
    out += ">";
    for (const auto& x : result.acked.rejected) {
      out += "\n<q:rejected>" + xml::escape_xml(x) + "</q:rejected>";
    }
    for (const auto& m : got) {
      out += "\n<q:message receipt=\"" + m.receipt + "\" deliveryCount=\"" +
             std::to_string(m.delivery_count) + "\">";
      out += xml::envelope_to_xml(m.message);
      out += "</q:message>";
    }
    out += "\n</q:messages>\n";
    return xml_response(std::move(out));
  }
  // Written by hand: Poco::JSON would build a Var tree per message, which costs more than the
  // pull itself for a batch of 1000 payments.
  std::string out;
  std::size_t bytes = 32;
  for (const auto& m : got) bytes += m.message.body.size() + 512;
  out.reserve(bytes);
  out += '{';
  if (body) {
    out += "\"acked\":" + std::to_string(result.acked.acked) + ",\"rejected\":[";
    for (std::size_t i = 0; i < result.acked.rejected.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, result.acked.rejected[i]);
    }
    out += "],";
  }
  out += "\"messages\":[";
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (i) out += ',';
    out += "{\"receipt\":";
    append_json_string(out, got[i].receipt);
    out += ",\"delivery_count\":";
    out += std::to_string(got[i].delivery_count);
    out += ",\"message\":";
    append_envelope_json(out, got[i].message);
    out += '}';
  }
  out += "]}\n";
  return api::ApiResponse::text(std::move(out), "application/json; charset=utf-8");
}

api::ApiResponse ack(CanonicalQueues& queues, api::ApiRequest& r) {
  const auto& name = r.params[0];
  r.object = "queue:" + name;
  if (!queues.find(name)) throw api::NotFound("no queue subscription named '" + name + "'");
  const bool xml_in = sends_xml(r);
  const auto receipts = xml_in ? receipts_from_xml(r.body) : receipts_from_json(r.body);
  if (receipts.size() > kMaxReceipts) {
    throw api::ApiError(400, "at most " + std::to_string(kMaxReceipts) + " receipts per ack");
  }
  const auto result = queues.ack(name, receipts);
  if (xml_in || wants_xml(r)) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<q:ackResult xmlns:q=\"";
    out += kQueueNs;
    out += "\" acked=\"" + std::to_string(result.acked) + "\">";
    for (const auto& x : result.rejected)
      out += "<q:rejected>" + xml::escape_xml(x) + "</q:rejected>";
    out += "</q:ackResult>\n";
    return xml_response(std::move(out));
  }
  std::string out = "{\"acked\":" + std::to_string(result.acked) + ",\"rejected\":[";
  for (std::size_t i = 0; i < result.rejected.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, result.rejected[i]);
  }
  out += "]}\n";
  return api::ApiResponse::text(std::move(out), "application/json; charset=utf-8");
}

api::ApiResponse list(CanonicalQueues& queues) {
  const auto stats = queues.stats();
  Array::Ptr items = new Array;
  for (const auto& q : stats) {
    const auto* s = queues.find(q.name);
    Object::Ptr o = obj();
    o->set("name", q.name);
    Array::Ptr types = new Array, sources = new Array;
    for (const auto& t : s->types) types->add(t);
    for (const auto& t : s->sources) sources->add(t);
    o->set("types", types);
    o->set("sources", sources);
    o->set("visibility_timeout_s", static_cast<long long>(s->visibility_timeout.count()));
    o->set("depth", q.depth);
    o->set("in_flight", q.in_flight);
    o->set("visible", q.depth - q.in_flight);
    o->set("oldest_unacked_seconds", q.oldest_unacked_seconds);
    items->add(o);
  }
  Object::Ptr out = obj();
  out->set("items", items);
  out->set("count", static_cast<int>(stats.size()));
  return api::ApiResponse::json(out);
}

Envelope envelope_of(const api::ApiRequest& r) {
  if (!sends_xml(r)) return envelope_from_json(r.body);
  try {
    return xml::envelope_from_xml(xml::parse_xml(r.body, "request body"));
  } catch (const XmlError& e) {
    throw api::ApiError(400, e.what());
  }
}

std::string journalled_id(store::Pool& pool, const std::string& idempotency_key) {
  auto lease = pool.lease(std::chrono::seconds(5));
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params("SELECT id::text FROM hub.message WHERE idempotency_key = $1",
                                idempotency_key);
  return r.empty() ? std::string() : r[0][0].c_str();
}

api::ApiResponse submit(plugin::Emitter& ingress, store::Pool& pool, api::ApiRequest& r) {
  if (r.body.empty()) {
    throw api::ApiError(400,
                        "empty body: send one envelope (JSON, or XML with Content-Type: "
                        "application/xml)");
  }
  Envelope e = envelope_of(r);
  r.object = "message:" + e.idempotency_key;
  // The source is who sent it: a billing engine's token cannot pose as a bank adapter.
  if (e.source.empty()) {
    e.source = r.who.name;
  } else if (e.source != r.who.name && r.who.role < api::Role::kAdmin) {
    Object::Ptr d = obj();
    d->set("source", e.source);
    d->set("token", r.who.name);
    throw api::ApiError(
        403, "token '" + r.who.name + "' may only submit messages as source '" + r.who.name + "'",
        d);
  }
  const auto key = e.idempotency_key;
  plugin::EmitResult result;
  try {
    std::vector<Envelope> batch;
    batch.push_back(std::move(e));
    result = ingress.emit(std::move(batch), std::nullopt);
  } catch (const plugin::RejectedInput& err) {
    Object::Ptr d = obj();
    d->set("idempotency_key", key);
    throw api::ApiError(400, err.what(), d);
  }
  Object::Ptr out = obj();
  if (!result.ids.empty()) {
    out->set("id", result.ids.front());
    out->set("duplicate", false);
  } else {
    out->set("id", journalled_id(pool, key));
    out->set("duplicate", true);
  }
  const int status = result.ids.empty() ? 200 : 201;
  if (wants_xml(r)) {
    return xml_response("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<q:submitted xmlns:q=\"" +
                            std::string(kQueueNs) + "\" id=\"" + out->getValue<std::string>("id") +
                            "\" duplicate=\"" + (result.ids.empty() ? "true" : "false") + "\"/>\n",
                        status);
  }
  return api::ApiResponse::json(out, status);
}

}  // namespace

std::vector<api::ApiRoute> queue_routes(CanonicalQueues& queues, plugin::Emitter& ingress,
                                        store::Pool& pool) {
  std::vector<api::ApiRoute> routes;
  api::ApiRoute pull_route;
  pull_route.method = "POST";
  pull_route.pattern = {"queues", "*", "pull"};
  pull_route.name = "queue.pull";
  pull_route.role = api::Role::kOperator;
  pull_route.audit = false;
  pull_route.handler = [&queues](api::ApiRequest& r) { return pull(queues, r); };
  routes.push_back(std::move(pull_route));

  api::ApiRoute ack_route;
  ack_route.method = "POST";
  ack_route.pattern = {"queues", "*", "ack"};
  ack_route.name = "queue.ack";
  ack_route.role = api::Role::kOperator;
  ack_route.audit = false;
  ack_route.handler = [&queues](api::ApiRequest& r) { return ack(queues, r); };
  routes.push_back(std::move(ack_route));

  api::ApiRoute list_route;
  list_route.method = "GET";
  list_route.pattern = {"queues"};
  list_route.name = "queues.list";
  list_route.role = api::Role::kViewer;
  list_route.handler = [&queues](api::ApiRequest&) { return list(queues); };
  routes.push_back(std::move(list_route));

  api::ApiRoute submit_route;
  submit_route.method = "POST";
  submit_route.pattern = {"messages"};
  submit_route.name = "message.submit";
  submit_route.role = api::Role::kOperator;
  submit_route.audit = false;
  submit_route.handler = [&ingress, &pool](api::ApiRequest& r) { return submit(ingress, pool, r); };
  routes.push_back(std::move(submit_route));
  return routes;
}

}  // namespace hub::queue
