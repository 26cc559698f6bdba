#include "hub/imports/import_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "hub/queue/envelope_json.h"

namespace hub::imports {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Poco::Dynamic::Var parsed_or_text(const std::string& text) {
  if (!text.empty() && text.front() == '{') {
    try {
      return Poco::JSON::Parser().parse(text);
    } catch (const std::exception&) {
    }
  }
  return text;
}

Object::Ptr status_json(const ImportStatus& s) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("id", s.id);
  o->set("source", s.source);
  o->set("parser", s.parser);
  o->set("file", s.file_name);
  o->set("status", s.status);
  if (s.duplicate) o->set("duplicate", true);
  o->set("bytes_total", s.bytes_total);
  o->set("bytes_read", s.bytes_read);
  o->set("lines", s.position);
  o->set("accepted", s.accepted);
  o->set("duplicates", s.duplicates);
  o->set("errors", s.errors);
  o->set("seconds", s.seconds);
  if (!s.last_error.empty()) o->set("last_error", s.last_error);
  if (!s.created_at.empty()) o->set("created_at", s.created_at);
  if (!s.updated_at.empty()) o->set("updated_at", s.updated_at);
  if (!s.report.empty()) o->set("report", parsed_or_text(s.report));
  return o;
}

Array::Ptr errors_json(const std::vector<plugin::InputError>& errors) {
  Array::Ptr a = new Array;
  for (const auto& e : errors) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("line", e.line);
    o->set("field", e.field);
    o->set("reason", e.reason);
    a->add(o);
  }
  return a;
}

/// The dry run's answer; messages are written as envelope JSON text (the queue API's form).
std::string dry_run_json(const DryRunResult& r) {
  Object::Ptr head = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  head->set("dry_run", true);
  head->set("file", r.file_name);
  head->set("parser", r.parser);
  head->set("sha256", r.sha256);
  head->set("accepted", r.accepted);
  head->set("already_imported", r.already_imported);
  head->set("messages_total", r.messages_total);
  head->set("truncated", r.messages_total > r.messages.size());
  head->set("error_count", r.error_count);
  head->set("errors", errors_json(r.errors));
  head->set("fatal", errors_json(r.fatal));
  head->set("summary", parsed_or_text(r.summary));
  head->set("seconds", r.seconds);
  std::ostringstream h;
  head->stringify(h);
  std::string out = h.str();
  out.pop_back();  // the closing brace: the messages array follows
  out += ",\"messages\":[";
  for (std::size_t i = 0; i < r.messages.size(); ++i) {
    if (i) out += ',';
    queue::append_envelope_json(out, r.messages[i]);
  }
  out += "]}";
  return out;
}

}  // namespace

std::vector<api::ApiRoute> import_routes(ImportService& service) {
  using api::ApiRequest;
  using api::ApiResponse;
  using api::Role;
  std::vector<api::ApiRoute> routes;

  api::ApiRoute upload{
      "POST", {"imports"}, "import.create", Role::kOperator, [&service](ApiRequest& r) {
        const auto parser = r.q("parser");
        if (parser.empty()) throw api::ApiError(400, "query parameter 'parser' is required");
        auto file_name = r.q("file_name", "upload");
        if (file_name.find('/') != std::string::npos) {
          file_name = file_name.substr(file_name.rfind('/') + 1);
        }
        r.object = file_name;
        if (!r.body_stream) throw api::ApiError(400, "send the file as the request body");
        if (r.q("dry_run") == "1" || r.q("dry_run") == "true") {
          const auto limit = static_cast<std::size_t>(r.q_int(
              "limit", static_cast<long long>(service.options().dry_run_limit), 0, 1'000'000));
          return ApiResponse::text(
              dry_run_json(service.dry_run(parser, file_name, *r.body_stream, limit)),
              "application/json; charset=utf-8");
        }
        const auto s = service.submit(parser, file_name, *r.body_stream);
        return ApiResponse::json(status_json(s), s.duplicate ? 200 : 202);
      }};
  upload.stream_body = true;
  routes.push_back(std::move(upload));

  routes.push_back({"GET", {"imports"}, "imports.list", Role::kViewer, [&service](ApiRequest& r) {
                      const auto limit = r.q_int("limit", 50, 1, 1000);
                      const auto offset = r.q_int("offset", 0, 0, 1'000'000'000);
                      Array::Ptr items = new Array;
                      for (const auto& s : service.list(limit, offset)) items->add(status_json(s));
                      Object::Ptr o = new Object;
                      o->set("items", items);
                      return ApiResponse::json(o);
                    }});
  routes.push_back(
      {"GET", {"imports", "parsers"}, "imports.parsers", Role::kViewer, [&service](ApiRequest&) {
         Array::Ptr items = new Array;
         for (const auto& n : service.parser_names()) items->add(n);
         Object::Ptr o = new Object;
         o->set("items", items);
         return ApiResponse::json(o);
       }});
  routes.push_back(
      {"GET", {"imports", "*"}, "imports.show", Role::kViewer, [&service](ApiRequest& r) {
         const auto s = service.find(r.params.at(0));
         if (!s) throw api::ApiError(404, "no import " + r.params.at(0));
         return ApiResponse::json(status_json(*s));
       }});
  return routes;
}

}  // namespace hub::imports
