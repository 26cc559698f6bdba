#include "hub/exchanges/exchange_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <limits>
#include <memory>

#include "hub/api/admin_services.h"
#include "hub/exchanges/exchange_files.h"
#include "hub/exchanges/exchange_log.h"

namespace hub::exchanges {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() {
  return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Object::Ptr to_json(const ExchangeRow& r, bool with_payload) {
  auto o = obj();
  o->set("id", r.id);
  o->set("at", r.at);
  o->set("adapter", r.adapter);
  o->set("operation", r.operation);
  o->set("direction", r.direction);
  o->set("message_guid", r.message_guid);
  o->set("status", r.status);
  o->set("payload_bytes", r.payload_bytes);
  if (with_payload) o->set("payload", r.payload);
  return o;
}

ExchangeFilter filter_of(const api::ApiRequest& req) {
  ExchangeFilter f;
  f.since = req.q("since");
  f.until = req.q("until");
  f.adapter = req.q("adapter");
  f.operation = req.q("operation");
  f.status = req.q("status");
  f.direction = req.q("direction");
  f.message_guid = req.q("message_guid");
  return f;
}

api::ApiError bad(const BadFilter& e) {
  Poco::JSON::Object::Ptr d = obj();
  d->set("parameter", e.parameter());
  return api::ApiError(400, e.what(), d);
}

std::int64_t id_param(const api::ApiRequest& req) {
  try {
    std::size_t used = 0;
    const long long id = std::stoll(req.params.at(0), &used);
    if (used == req.params[0].size() && id > 0) return id;
  } catch (const std::exception&) {
  }
  throw api::ApiError(400, "exchange id must be a positive integer");
}

api::ApiResponse raw(const std::optional<ExchangeRow>& row, const std::string& what,
                     std::int64_t id) {
  if (!row)
    throw api::ApiError(404, "exchange " + std::to_string(id) + " has no " + what + " logged");
  const bool xml = exchange_file_name(*row).ends_with(".xml");
  return api::ApiResponse::text(
      row->payload, xml ? "application/xml; charset=utf-8" : "text/plain; charset=utf-8");
}

}  // namespace

std::vector<api::ApiRoute> exchange_routes(store::Pool& pool) {
  auto log = std::make_shared<ExchangeLog>(pool);
  std::vector<api::ApiRoute> out;

  api::ApiRoute list;
  list.method = "GET";
  list.pattern = {"exchanges"};
  list.name = "exchanges.list";
  list.role = api::Role::kViewer;
  list.handler = [log](api::ApiRequest& req) {
    const auto limit = static_cast<std::size_t>(req.q_int("limit", 100, 1, 1000));
    const auto offset = static_cast<std::size_t>(req.q_int("offset", 0, 0, 100000000));
    Array::Ptr items = new Array;
    try {
      for (const auto& r : log->list(filter_of(req), limit, offset)) items->add(to_json(r, false));
    } catch (const BadFilter& e) {
      throw bad(e);
    }
    auto o = obj();
    o->set("items", items);
    o->set("limit", limit);
    o->set("offset", offset);
    return api::ApiResponse::json(o);
  };
  out.push_back(std::move(list));

  // Before {id}: routes match in the order they were added.
  api::ApiRoute page;
  page.method = "GET";
  page.pattern = {"exchanges", "export"};
  page.name = "exchanges.export";
  page.role = api::Role::kViewer;
  page.handler = [log](api::ApiRequest& req) {
    const auto after = req.q_int("after_id", 0, 0, std::numeric_limits<long long>::max());
    const auto max_rows = static_cast<std::size_t>(req.q_int("max_rows", 500, 1, 5000));
    const auto max_bytes = static_cast<std::size_t>(req.q_int("max_bytes", 8 << 20, 1, 64 << 20));
    Array::Ptr items = new Array;
    ScanPage p;
    try {
      p = log->scan(filter_of(req), after, max_rows, max_bytes,
                    [&](const ExchangeRow& r) { items->add(to_json(r, true)); });
    } catch (const BadFilter& e) {
      throw bad(e);
    }
    auto o = obj();
    o->set("items", items);
    o->set("next_after_id", p.last_id);
    o->set("more", p.more);
    return api::ApiResponse::json(o);
  };
  out.push_back(std::move(page));

  api::ApiRoute show;
  show.method = "GET";
  show.pattern = {"exchanges", "*"};
  show.name = "exchanges.show";
  show.role = api::Role::kViewer;
  show.handler = [log](api::ApiRequest& req) {
    const auto id = id_param(req);
    const auto pair = log->pair(id);
    const auto& row = pair.request && pair.request->id == id ? pair.request : pair.response;
    if (!row) throw api::NotFound("no exchange " + std::to_string(id));
    auto o = to_json(*row, false);
    o->set("file", exchange_file_name(*row));
    o->set("request_id",
           pair.request ? Poco::Dynamic::Var(pair.request->id) : Poco::Dynamic::Var());
    o->set("response_id",
           pair.response ? Poco::Dynamic::Var(pair.response->id) : Poco::Dynamic::Var());
    if (pair.request && pair.request->id != id) o->set("request", to_json(*pair.request, false));
    if (pair.response && pair.response->id != id)
      o->set("response", to_json(*pair.response, false));
    return api::ApiResponse::json(o);
  };
  out.push_back(std::move(show));

  for (const char* part : {"request.xml", "response.xml"}) {
    api::ApiRoute r;
    r.method = "GET";
    r.pattern = {"exchanges", "*", part};
    const bool request = std::string(part) == "request.xml";
    r.name = request ? "exchanges.request" : "exchanges.response";
    r.role = api::Role::kViewer;
    r.handler = [log, request](api::ApiRequest& req) {
      const auto id = id_param(req);
      const auto pair = log->pair(id);
      if (!pair.request && !pair.response) throw api::NotFound("no exchange " + std::to_string(id));
      return request ? raw(pair.request, "request", id) : raw(pair.response, "response", id);
    };
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hub::exchanges
