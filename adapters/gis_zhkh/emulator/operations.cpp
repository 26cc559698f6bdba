#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {

const std::map<std::string, Handler>& handlers() {
  static const std::map<std::string, Handler> all = [] {
    std::map<std::string, Handler> m;
    register_account_operations(m);
    register_metering_operations(m);
    register_bills_operations(m);
    register_payment_operations(m);
    register_registry_operations(m);
    return m;
  }();
  return all;
}

std::string object_error(Store& store, const std::string& transport_guid) {
  auto it = store.object_errors.find(transport_guid);
  if (it == store.object_errors.end()) return {};
  std::string out = "<base:Error>";
  element(out, "base:ErrorCode", it->second.code);
  element(out, "base:Description", it->second.text);
  return out + "</base:Error>";
}

std::string common_result(const std::string& qname, const std::string& guid,
                          const std::string& transport, const std::string& unique_number,
                          const std::string& extra) {
  std::string out = "<" + qname + ">";
  if (!guid.empty()) element(out, "base:GUID", guid);
  element(out, "base:TransportGUID", transport);
  if (!unique_number.empty()) element(out, "base:UniqueNumber", unique_number);
  element(out, "base:UpdateDate", now_datetime());
  out += extra;
  return out + "</" + qname + ">";
}

std::string common_error(const std::string& qname, const std::string& transport,
                         const std::string& code, const std::string& text,
                         const std::string& guid) {
  std::string out = "<" + qname + ">";
  if (!guid.empty()) element(out, "base:GUID", guid);
  element(out, "base:TransportGUID", transport);
  out += "<base:Error>";
  element(out, "base:ErrorCode", code);
  element(out, "base:Description", text);
  out += "</base:Error>";
  return out + "</" + qname + ">";
}

}  // namespace hub::adapters::gis_zhkh::emulator
