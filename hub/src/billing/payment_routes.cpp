#include "hub/billing/payment_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace hub::billing {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() {
  return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

void set_if(Object::Ptr& o, const std::string& k, const std::string& v) {
  if (!v.empty()) o->set(k, v);
}

Object::Ptr to_json(const UnidentifiedPayment& p) {
  auto o = obj();
  o->set("id", p.id);
  auto agent = obj();
  agent->set("code", p.agent_code);
  set_if(agent, "name", p.agent_name);
  o->set("agent", agent);
  set_if(o, "registry_ref", p.registry_ref);
  set_if(o, "transaction_id", p.transaction_id);
  o->set("paid_on", p.paid_on);
  o->set("period", p.period);
  o->set("amount_kopecks", p.amount_kopecks);
  auto payer = obj();
  set_if(payer, "account", p.payer_account);
  set_if(payer, "els", p.payer_els);
  set_if(payer, "ipd", p.payer_ipd);
  set_if(payer, "izhku", p.payer_izhku);
  set_if(payer, "name", p.payer_name);
  set_if(payer, "address", p.payer_address);
  o->set("payer", payer);
  o->set("reason", p.reason);
  o->set("reason_text", p.reason_text);
  Poco::JSON::Parser parser;
  o->set("candidates", parser.parse(p.candidates_json.empty() ? "[]" : p.candidates_json));
  o->set("received_at", p.received_at);
  return o;
}

int status_of(ResolveError::Kind k) {
  switch (k) {
    case ResolveError::Kind::kNotFound:
      return 404;
    case ResolveError::Kind::kConflict:
      return 409;
    case ResolveError::Kind::kBadRequest:
      break;
  }
  return 400;
}

}  // namespace

std::vector<api::ApiRoute> payment_routes(UnidentifiedPayments& payments) {
  std::vector<api::ApiRoute> out;
  api::ApiRoute list;
  list.method = "GET";
  list.pattern = {"payments", "unidentified"};
  list.name = "payments.unidentified";
  list.role = api::Role::kViewer;
  list.handler = [&payments](api::ApiRequest& req) {
    const int limit = static_cast<int>(req.q_int("limit", 100, 1, 1000));
    const int offset = static_cast<int>(req.q_int("offset", 0, 0, 100000000));
    Array::Ptr items = new Array;
    for (const auto& p : payments.list(limit, offset)) items->add(to_json(p));
    auto o = obj();
    o->set("items", items);
    o->set("limit", limit);
    o->set("offset", offset);
    return api::ApiResponse::json(o);
  };
  out.push_back(std::move(list));

  api::ApiRoute resolve;
  resolve.method = "POST";
  resolve.pattern = {"payments", "unidentified", "*", "resolve"};
  resolve.name = "payments.resolve";
  resolve.role = api::Role::kOperator;
  resolve.handler = [&payments](api::ApiRequest& req) {
    long long id = 0;
    try {
      std::size_t used = 0;
      id = std::stoll(req.params.at(0), &used);
      if (used != req.params[0].size() || id <= 0) throw std::invalid_argument("id");
    } catch (const std::exception&) {
      throw api::ApiError(400, "payment id must be a positive integer");
    }
    std::string account;
    try {
      Poco::JSON::Parser parser;
      auto body = parser.parse(req.body).extract<Object::Ptr>();
      account = body ? body->optValue<std::string>("account", "") : "";
    } catch (const std::exception&) {
      throw api::ApiError(400, "body must be JSON {\"account\": \"<account number>\"}");
    }
    if (account.empty()) throw api::ApiError(400, "body must name the \"account\"");
    req.object = "payment " + req.params[0];
    try {
      const auto r = payments.resolve(id, account, req.who.name);
      auto o = obj();
      o->set("payment_id", r.payment_id);
      o->set("account", r.account);
      o->set("message_id", r.message_id);
      o->set("idempotency_key", r.idempotency_key);
      o->set("duplicate", r.duplicate);
      return api::ApiResponse::json(o);
    } catch (const ResolveError& e) {
      throw api::ApiError(status_of(e.kind()), e.what());
    }
  };
  out.push_back(std::move(resolve));
  return out;
}

}  // namespace hub::billing
