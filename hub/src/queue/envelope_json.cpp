#include "hub/queue/envelope_json.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <set>

#include "hub/api/api_route.h"
#include "hub/core/json_text.h"
#include "hub/xml/envelope_xml.h"

namespace hub::queue {

namespace {

void field(std::string& out, const char* name, const std::string& value, bool first = false) {
  if (!first) out += ',';
  out += '"';
  out += name;
  out += "\":";
  append_json_string(out, value);
}

Poco::JSON::Object::Ptr detail(const std::string& key, const std::string& expected) {
  Poco::JSON::Object::Ptr d = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  d->set("key", key);
  d->set("expected", expected);
  return d;
}

[[noreturn]] void refuse(const std::string& key, const std::string& why,
                         const std::string& expected) {
  throw api::ApiError(400, "envelope key '" + key + "': " + why, detail(key, expected));
}

std::string text_of(const Poco::JSON::Object& o, const std::string& key, bool required) {
  if (!o.has(key)) {
    if (required) refuse(key, "required", "a string");
    return {};
  }
  const auto v = o.get(key);
  if (v.isEmpty()) {
    if (required) refuse(key, "required", "a string");
    return {};
  }
  if (!v.isString()) refuse(key, "expected a string", "a string");
  return v.extract<std::string>();
}

}  // namespace

void append_envelope_json(std::string& out, const Envelope& e) {
  out += '{';
  field(out, "id", e.id, true);
  field(out, "type", e.type);
  out += ",\"schema_version\":";
  out += std::to_string(e.schema_version);
  field(out, "source", e.source);
  field(out, "occurred_at", xml::format_timestamp(e.occurred_at));
  field(out, "correlation_id", e.correlation_id);
  field(out, "causation_id", e.causation_id);
  field(out, "idempotency_key", e.idempotency_key);
  out += ",\"headers\":";
  out += json_object(e.headers);
  field(out, "body", e.body);
  out += '}';
}

Envelope envelope_from_json(const std::string& text) {
  Poco::JSON::Object::Ptr o;
  try {
    auto v = Poco::JSON::Parser().parse(text);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
      throw api::ApiError(400, "the body must be one JSON object (an envelope)",
                          detail("", "a JSON object"));
    }
    o = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    throw api::ApiError(400, "the body is not valid JSON: " + e.displayText(),
                        detail("", "a JSON envelope, or XML with Content-Type: application/xml"));
  }
  static const std::set<std::string> kKnown = {"id",
                                               "type",
                                               "schema_version",
                                               "source",
                                               "occurred_at",
                                               "correlation_id",
                                               "causation_id",
                                               "idempotency_key",
                                               "headers",
                                               "body"};
  for (const auto& [k, _] : *o) {
    if (!kKnown.count(k)) refuse(k, "unknown key", "one of the envelope keys");
  }
  Envelope e;
  e.id = text_of(*o, "id", false);
  e.type = text_of(*o, "type", true);
  e.source = text_of(*o, "source", false);
  e.correlation_id = text_of(*o, "correlation_id", false);
  e.causation_id = text_of(*o, "causation_id", false);
  e.idempotency_key = text_of(*o, "idempotency_key", true);
  e.body = text_of(*o, "body", true);
  if (o->has("schema_version") && !o->get("schema_version").isEmpty()) {
    const auto v = o->get("schema_version");
    if (!v.isInteger()) refuse("schema_version", "expected an integer", "an integer >= 1");
    const auto n = v.convert<long long>();
    if (n < 1 || n > 1000000) refuse("schema_version", "out of range", "an integer >= 1");
    e.schema_version = static_cast<int>(n);
  }
  if (const auto at = text_of(*o, "occurred_at", false); !at.empty()) {
    try {
      e.occurred_at = xml::parse_timestamp(at);
    } catch (const std::exception& ex) {
      refuse("occurred_at", ex.what(), "ISO 8601 with a zone, e.g. 2026-11-20T10:00:00Z");
    }
  }
  if (o->has("headers") && !o->get("headers").isEmpty()) {
    const auto h = o->getObject("headers");
    if (!h) refuse("headers", "expected an object of strings", "{\"name\": \"value\"}");
    for (const auto& [k, v] : *h) {
      if (!v.isString()) {
        refuse("headers." + k, "expected a string", "{\"name\": \"value\"}");
      }
      e.headers[k] = v.extract<std::string>();
    }
  }
  return e;
}

}  // namespace hub::queue
