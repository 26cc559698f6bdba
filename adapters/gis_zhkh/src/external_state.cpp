#include "external_state.h"

#include "util.h"
#include "xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

// c:Name is one line of at most 255 characters; c:Text up to 1,000,000.
std::string one_line(std::string s, std::size_t max) {
  for (auto& ch : s) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  if (s.size() > max) {
    s.resize(max);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
  }
  return s.empty() ? "-" : s;
}

void error(std::string& out, const std::string& code, const std::string& text) {
  out += "<c:error>";
  element(out, "c:code", one_line(code, 64));
  element(out, "c:text", text.empty() ? code : text);
  out += "</c:error>";
}

}  // namespace

std::string external_state_body(const StateReport& r) {
  std::string out = "<c:externalState xmlns:c=\"urn:zhkh-hub:canonical:1\">";
  element(out, "c:system", "gis_zhkh");
  if (!r.operation.empty()) element(out, "c:operation", r.operation);
  element(out, "c:requestId", r.request_id);
  if (!r.ack_guid.empty()) element(out, "c:externalMessageId", r.ack_guid);
  element(out, "c:state", r.state);
  element(out, "c:checkedAt", format_time(r.checked_at));
  if (!r.error_code.empty()) {
    error(out, r.error_code, r.error_text);
  } else {
    for (const auto& o : r.results) {
      out += "<c:result>";
      element(out, "c:transportGuid", o.transport_guid);
      element(out, "c:objectKind", o.kind);
      if (!o.ref.empty()) element(out, "c:objectRef", one_line(o.ref, 255));
      if (!o.errors.empty()) {
        for (const auto& [code, text] : o.errors) error(out, code, text);
      } else {
        if (!o.external_guid.empty()) element(out, "c:externalGuid", o.external_guid);
        if (!o.unique_number.empty())
          element(out, "c:uniqueNumber", one_line(o.unique_number, 255));
        element(out, "c:updatedAt",
                o.updated_at.empty() ? format_time(r.checked_at) : o.updated_at);
      }
      out += "</c:result>";
    }
  }
  out += "</c:externalState>";
  return out;
}

}  // namespace hub::adapters::gis_zhkh
