#include "history.h"

#include <map>

#include "../util.h"
#include "../xml_util.h"
#include "tariff_zones.h"

namespace hub::adapters::gis_zhkh {

namespace {

std::string taken_at(const std::string& v) {
  if (v.size() == 10) return v + "T00:00:00Z";  // a date only
  const bool zoned =
      v.back() == 'Z' || (v.size() > 19 && (v[v.size() - 6] == '+' || v[v.size() - 6] == '-'));
  return zoned ? v : v + "Z";
}

}  // namespace

BuiltRequest build_export_history(const std::vector<MeterInput>& meters, const std::string& since) {
  BuiltRequest req{"exportMeteringDeviceHistory",
                   "device-metering",
                   "exportMeteringDeviceHistoryRequest",
                   kDeviceMeteringNs,
                   "10.0.1.1",
                   {},
                   {}};
  req.body = std::string("<dm:exportMeteringDeviceHistoryRequest xmlns:dm=\"") + kDeviceMeteringNs +
             "\" xmlns:base=\"" + kBaseNs +
             "\" Id=\"signed-data-container\" base:version=\"10.0.1.1\">";
  for (const auto& m : meters) {
    std::string guid, account, resource;
    try {
      auto doc = parse_xml(m.body, "meter " + m.ref);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      guid = child_text(root, "gisRootGuid");
      account = child_text(root, "account");
      resource = child_text(root, "resource");
    } catch (const std::exception&) {
      continue;
    }
    if (guid.empty() || account.empty()) continue;
    req.body += "<dm:MeteringDeviceRootGUID>" + escaped(guid) + "</dm:MeteringDeviceRootGUID>";
    req.objects.push_back({"", "meter", m.ref, guid + "\x1f" + account + "\x1f" + resource});
  }
  if (!since.empty()) req.body += "<dm:inputDateFrom>" + since + "</dm:inputDateFrom>";
  req.body += "<dm:ExcludeCurrentOrgAsDataSource>true</dm:ExcludeCurrentOrgAsDataSource>";
  req.body += "</dm:exportMeteringDeviceHistoryRequest>";
  return req;
}

Handled handle_export_history(const ResultInput& in) {
  struct Meter {
    std::string id, account, resource;
  };
  std::map<std::string, Meter> by_guid;
  for (const auto& o : in.objects) {
    const auto a = o.data.find('\x1f');
    const auto b = o.data.find('\x1f', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    by_guid[lower(o.data.substr(0, a))] = {o.ref, o.data.substr(a + 1, b - a - 1),
                                           o.data.substr(b + 1)};
  }
  Handled h;
  std::size_t devices = 0;
  for (xmlNodePtr r : children(in.result, "exportMeteringDeviceHistoryResult")) {
    ++devices;
    const auto guid = child_text(r, "MeteringDeviceRootGUID");
    auto it = by_guid.find(lower(guid));
    if (it == by_guid.end()) continue;
    const Meter& m = it->second;
    for (xmlNodePtr kind : elements(r)) {
      const auto kn = local_name(kind);
      if (kn != "OneRateDeviceValue" && kn != "ElectricDeviceValue") continue;
      for (xmlNodePtr v : children(child(kind, "Values"), "CurrentValue")) {
        std::vector<std::pair<std::string, std::string>> zones;
        if (kn == "OneRateDeviceValue") {
          zones.emplace_back("total", child_text(v, "MeteringValue"));
        } else {
          // A T3 value makes it a three-zone meter (T1 peak, T2 night, T3 half-peak).
          const bool three = !child_text(v, "MeteringValueT3").empty();
          for (const auto& z : tariff_zones(three)) {
            if (!z.zone) continue;
            const auto t = child_text(v, (std::string("MeteringValue") + z.tag).c_str());
            if (!t.empty()) zones.emplace_back(z.zone, t);
          }
        }
        if (zones.empty() || zones.front().second.empty()) continue;
        const auto when = taken_at(child_text(v, "DateValue"));
        std::string body = "<c:meterReading xmlns:c=\"urn:zhkh-hub:canonical:1\">";
        element(body, "c:meterId", m.id);
        element(body, "c:account", m.account);
        if (!m.resource.empty()) element(body, "c:resource", m.resource);
        std::string key = "gis_zhkh:" + in.instance + ":reading:" + lower(guid) + ":" + when;
        for (const auto& [zone, value] : zones) {
          body += "<c:value zone=\"" + zone + "\">" + escaped(value) + "</c:value>";
          key += ":" + zone + "=" + value;
        }
        element(body, "c:channel", "gis");
        element(body, "c:takenAt", when);
        if (xmlNodePtr p = child(v, "Period")) {
          const auto y = child_text(p, "Year");
          auto mo = child_text(p, "Month");
          if (mo.size() == 1) mo = "0" + mo;
          if (y.size() == 4 && mo.size() == 2) element(body, "c:period", y + "-" + mo);
        }
        element(body, "c:gisMeterGuid", guid);
        body += "</c:meterReading>";
        h.messages.push_back(make_message("meter.reading", key, body, in.ack_guid));
      }
    }
  }
  h.summary = std::to_string(devices) + " meters exported, " + std::to_string(h.messages.size()) +
              " readings";
  return h;
}

}  // namespace hub::adapters::gis_zhkh
