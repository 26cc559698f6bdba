#include "hub/exchanges/gis_report_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <memory>

#include "hub/exchanges/exchange_log.h"
#include "hub/exchanges/gis_reports.h"

namespace hub::exchanges {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() {
  return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

api::ApiError bad(const BadFilter& e, const std::vector<std::string>& allowed) {
  Object::Ptr d = obj();
  d->set("parameter", e.parameter());
  if (e.parameter() == "kind") {
    Array::Ptr a = new Array;
    for (const auto& k : allowed) a->add(k);
    d->set("allowed", a);
  }
  return api::ApiError(400, e.what(), d);
}

}  // namespace

std::vector<api::ApiRoute> gis_report_routes(store::Pool& pool) {
  auto reports = std::make_shared<GisReports>(pool);
  std::vector<api::ApiRoute> out;

  api::ApiRoute errors;
  errors.method = "GET";
  errors.pattern = {"gis", "reports", "errors"};
  errors.name = "gis.reports.errors";
  errors.role = api::Role::kViewer;
  errors.handler = [reports](api::ApiRequest& req) {
    ErrorQuery q;
    q.kind = req.q("kind");
    q.since = req.q("since");
    const auto open = req.q("open");
    if (open != "" && open != "0" && open != "1" && open != "true" && open != "false")
      throw api::ApiError(400, "invalid query parameter 'open': expected 1 or 0");
    q.open_only = open == "1" || open == "true";
    q.limit = static_cast<std::size_t>(req.q_int("limit", 100, 1, 1000));
    q.offset = static_cast<std::size_t>(req.q_int("offset", 0, 0, 100000000));
    ErrorReport r;
    try {
      r = reports->errors(q);
    } catch (const BadFilter& e) {
      throw bad(e, gis_error_kinds());
    }
    Array::Ptr by_code = new Array;
    for (const auto& c : r.by_code) {
      auto o = obj();
      o->set("kind", c.kind);
      o->set("code", c.code);
      o->set("count", c.count);
      by_code->add(o);
    }
    Array::Ptr items = new Array;
    for (const auto& e : r.items) {
      auto o = obj();
      o->set("kind", e.kind);
      o->set("ref", e.ref);
      o->set("code", e.code);
      o->set("text", e.text);
      o->set("operation", e.operation);
      o->set("message_guid", e.message_guid);
      o->set("at", e.at);
      o->set("source", e.source);
      o->set("resolved", e.resolved);
      items->add(o);
    }
    auto o = obj();
    o->set("total", r.total);
    o->set("by_code", by_code);
    o->set("items", items);
    o->set("limit", q.limit);
    o->set("offset", q.offset);
    return api::ApiResponse::json(o);
  };
  out.push_back(std::move(errors));

  api::ApiRoute placement;
  placement.method = "GET";
  placement.pattern = {"gis", "reports", "placement"};
  placement.name = "gis.reports.placement";
  placement.role = api::Role::kViewer;
  placement.handler = [reports](api::ApiRequest& req) {
    PlacementQuery q;
    q.kind = req.q("kind");
    q.limit = static_cast<std::size_t>(req.q_int("limit", 100, 1, 1000));
    q.offset = static_cast<std::size_t>(req.q_int("offset", 0, 0, 100000000));
    PlacementReport r;
    try {
      r = reports->placement(q);
    } catch (const BadFilter& e) {
      throw bad(e, gis_placement_kinds());
    }
    Array::Ptr counts = new Array;
    for (const auto& c : r.counts) {
      auto o = obj();
      o->set("kind", c.kind);
      o->set("total", c.total);
      o->set("without_gis_guid", c.without_gis_guid);
      o->set("with_error", c.with_error);
      counts->add(o);
    }
    Array::Ptr items = new Array;
    for (const auto& u : r.items) {
      auto o = obj();
      o->set("kind", u.kind);
      o->set("id", u.id);
      o->set("ref", u.ref);
      o->set("error_code", u.error_code);
      o->set("error_text", u.error_text);
      o->set("updated_at", u.updated_at);
      items->add(o);
    }
    auto o = obj();
    o->set("counts", counts);
    o->set("items", items);
    o->set("limit", q.limit);
    o->set("offset", q.offset);
    return api::ApiResponse::json(o);
  };
  out.push_back(std::move(placement));
  return out;
}

}  // namespace hub::exchanges
