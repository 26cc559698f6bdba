#include "readings.h"

#include <stdexcept>

#include "../util.h"
#include "../xml_util.h"
#include "tariff_zones.h"

namespace hub::adapters::gis_zhkh {

namespace {

constexpr const char* kMeteringBaseNs =
    "http://dom.gosuslugi.ru/schema/integration/metering-device-base/";
constexpr const char* kNsiBaseNs = "http://dom.gosuslugi.ru/schema/integration/nsi-base/";

std::string metering_value(const std::string& v, const std::string& xpath) {
  std::string out = v;
  const auto dot = out.find('.');
  if (dot != std::string::npos && out.size() - dot - 1 > 7) out.resize(dot + 8);
  const auto int_digits = dot == std::string::npos ? out.size() : dot;
  if (int_digits == 0 || int_digits > 15 ||
      out.find_first_not_of("0123456789.") != std::string::npos)
    throw std::invalid_argument(xpath + ": '" + v +
                                "' is not a GIS MeteringValue (\\d{1,15}(.\\d{1,7})?)");
  return out;
}

void map_reading(std::string& out, xmlNodePtr r, const std::map<std::string, NsiRef>& resources,
                 const std::string& transport) {
  const auto guid = child_text(r, "gisMeterGuid");
  if (guid.empty())
    throw std::invalid_argument("/c:meterReading/c:gisMeterGuid: the meter has no GIS GUID yet");
  std::map<std::string, std::string> zones;
  for (xmlNodePtr v : children(r, "value")) zones[attribute(v, "zone")] = text(v);
  if (zones.empty()) throw std::invalid_argument("/c:meterReading/c:value: no value");
  const auto taken = child_text(r, "takenAt");
  if (taken.size() < 10) throw std::invalid_argument("/c:meterReading/c:takenAt: missing");
  const auto date = taken.substr(0, 10);
  const auto period = child_text(r, "period");
  std::string tail = "<dm:DateValue>" + date + "</dm:DateValue><base:TransportGUID>" + transport +
                     "</base:TransportGUID>";
  if (period.size() == 7) {
    tail += "<dm:Period><base:Year>" + period.substr(0, 4) + "</base:Year><base:Month>" +
            std::to_string(std::stoi(period.substr(5, 2))) + "</base:Month></dm:Period>";
  }
  out += "<dm:MeteringDevicesValues><dm:MeteringDeviceRootGUID>" + escaped(guid) +
         "</dm:MeteringDeviceRootGUID>";
  const bool one_rate = zones.size() == 1 && zones.count("total");
  if (one_rate) {
    const auto resource = child_text(r, "resource");
    auto it = resources.find(resource);
    if (it == resources.end()) {
      throw std::invalid_argument("/c:meterReading/c:resource: no NSI 2 reference for '" +
                                  resource + "' (config key nsi_resources)");
    }
    out += "<dm:OneRateDeviceValue><dm:CurrentValue><mdb:MunicipalResource><nsi:Code>" +
           escaped(it->second.code) + "</nsi:Code><nsi:GUID>" + escaped(it->second.guid) +
           "</nsi:GUID></mdb:MunicipalResource><mdb:MeteringValue>" +
           metering_value(zones["total"], "/c:meterReading/c:value") + "</mdb:MeteringValue>" +
           tail + "</dm:CurrentValue></dm:OneRateDeviceValue>";
  } else {
    const bool three = is_three_zone(zones.count("peak"), zones.count("half_peak"));
    const auto table = tariff_zones(three);
    if (!three && !zones.count("day") && zones.count("total")) zones["day"] = zones["total"];
    if (!zones.count(table[0].zone)) {
      throw std::invalid_argument(std::string("/c:meterReading/c:value: an electric reading needs "
                                              "zone ") +
                                  table[0].zone + " (GIS T1)");
    }
    out += "<dm:ElectricDeviceValue><dm:CurrentValue>";
    for (const auto& z : table) {
      if (!z.zone || !zones.count(z.zone)) continue;
      out += std::string("<mdb:MeteringValue") + z.tag + ">" +
             metering_value(zones[z.zone],
                            "/c:meterReading/c:value[@zone='" + std::string(z.zone) + "']") +
             "</mdb:MeteringValue" + z.tag + ">";
    }
    out += tail + "</dm:CurrentValue></dm:ElectricDeviceValue>";
  }
  out += "</dm:MeteringDevicesValues>";
}

}  // namespace

std::map<std::string, NsiRef> parse_nsi_resources(const std::vector<std::string>& entries) {
  std::map<std::string, NsiRef> out;
  for (const auto& e : entries) {
    const auto eq = e.find('=');
    const auto colon = e.find(':', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || colon == std::string::npos || eq == 0 || colon == eq + 1 ||
        colon + 1 == e.size()) {
      throw std::invalid_argument("nsi_resources: '" + e + "' is not resource=code:guid");
    }
    out[e.substr(0, eq)] = {e.substr(eq + 1, colon - eq - 1), e.substr(colon + 1)};
  }
  return out;
}

BuiltRequest build_import_readings(const std::vector<ReadingInput>& readings,
                                   const std::map<std::string, NsiRef>& resources,
                                   std::vector<Refused>& refused) {
  BuiltRequest req{"importMeteringDeviceValues",
                   "device-metering",
                   "importMeteringDeviceValuesRequest",
                   kDeviceMeteringNs,
                   "10.0.1.1",
                   {},
                   {}};
  req.body = std::string("<dm:importMeteringDeviceValuesRequest xmlns:dm=\"") + kDeviceMeteringNs +
             "\" xmlns:base=\"" + kBaseNs + "\" xmlns:mdb=\"" + kMeteringBaseNs +
             "\" xmlns:nsi=\"" + kNsiBaseNs +
             "\" Id=\"signed-data-container\" base:version=\"10.0.1.1\">";
  for (const auto& in : readings) {
    std::string one;
    const auto transport = new_guid();
    try {
      auto doc = parse_xml(in.body, "reading " + in.ref);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      if (local_name(root) != "meterReading")
        throw std::invalid_argument("/" + local_name(root) + ": not a meter.reading body");
      map_reading(one, root, resources, transport);
    } catch (const std::exception& e) {
      refused.push_back({in.ref, e.what()});
      continue;
    }
    req.body += one;
    req.objects.push_back({transport, "meter_reading", in.ref, {}});
  }
  req.body += "</dm:importMeteringDeviceValuesRequest>";
  return req;
}

}  // namespace hub::adapters::gis_zhkh
