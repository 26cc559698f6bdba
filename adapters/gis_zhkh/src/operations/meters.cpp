#include "meters.h"

#include <set>
#include <stdexcept>

#include "../util.h"
#include "../xml_util.h"
#include "hub/plugin/billing_export.h"
#include "tariff_zones.h"

namespace hub::adapters::gis_zhkh {

namespace {

constexpr const char* kMeteringBaseNs =
    "http://dom.gosuslugi.ru/schema/integration/metering-device-base/";
constexpr const char* kNsiBaseNs = "http://dom.gosuslugi.ru/schema/integration/nsi-base/";
constexpr const char* kVersion = "11.1.0.8";

// The resources a meter can measure in GIS (NSI 2 "Вид коммунального ресурса"); meters.h has
// the table with its value blocks.
struct ResourceRow {
  const char* resource;
  const char* nsi2_code;
  bool energy;  // MunicipalResourceEnergy (T1..T3) rather than MunicipalResourceNotEnergy
};
constexpr ResourceRow kResources[] = {
    {"cold_water", "1", false}, {"hot_water", "2", false}, {"electricity", "3", true},
    {"gas", "4", false},        {"heat", "5", false},
};

// Canonical unit → OKEI code of the GIS Unit enumeration.
constexpr std::pair<const char*, const char*> kUnits[] = {
    {"l", "112"},   {"m3", "113"}, {"Gcal", "233"}, {"kWh", "245"},
    {"MWh", "246"}, {"J", "271"},  {"GJ", "A056"},  {"MJ", "A058"},
};

const ResourceRow* find_resource(const std::string& r) {
  for (const auto& row : kResources)
    if (r == row.resource) return &row;
  return nullptr;
}

std::string trimmed(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

void hm(std::string& out, const char* tag, const std::string& value) {
  element(out, std::string("hm:") + tag, value);
}

// A canonical reading value as GIS MeteringValueType (\d{1,15}(\.\d{1,7})?).
std::string metering_value(const std::string& v, const std::string& xpath) {
  std::string out = v;
  const auto dot = out.find('.');
  if (dot != std::string::npos && out.size() - dot - 1 > 7) out.resize(dot + 8);
  if (!out.empty() && out.back() == '.') out.pop_back();
  const auto int_digits = out.find('.') == std::string::npos ? out.size() : out.find('.');
  if (int_digits == 0 || int_digits > 15 ||
      out.find_first_not_of("0123456789.") != std::string::npos)
    throw std::invalid_argument(xpath + ": '" + v +
                                "' is not a GIS MeteringValue (\\d{1,15}(.\\d{1,7})?)");
  return out;
}

std::string ratio(std::string v) {
  const auto dot = v.find('.');
  if (dot != std::string::npos && v.size() - dot - 1 > 4) v.resize(dot + 5);
  if (!v.empty() && v.back() == '.') v.pop_back();
  return v;
}

// A GIS id the meter needs that the store does not have yet (its account or premise is not placed,
// its version not back): the meter can go once it is there.
struct MissingGisId : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Meter {
  std::string kind, resource, serial, model, unit, house, premise, installed, commissioned,
      verified, sealed, remote, ratio, root, version, archived;
  int zones = 1;
  std::vector<std::string> accounts;
  std::map<std::string, std::string> initial;  // zone → value
};

Meter read_meter(xmlNodePtr m, const MeterPlaces& places) {
  Meter out;
  out.kind = child_text(m, "kind");
  out.resource = child_text(m, "resource");
  out.serial = child_text(m, "serialNumber");
  out.model = child_text(m, "model");
  out.unit = child_text(m, "unit");
  out.house = child_text(m, "houseFiasGuid");
  out.premise = trimmed(child_text(m, "premiseNumber"));
  out.installed = child_text(m, "installedOn");
  out.commissioned = child_text(m, "commissionedOn");
  out.verified = child_text(m, "lastVerifiedOn");
  out.sealed = child_text(m, "sealedOn");
  out.remote = child_text(m, "remote");
  out.ratio = child_text(m, "transformationRatio");
  out.root = child_text(m, "gisRootGuid");
  out.version = child_text(m, "gisVersionGuid");
  if (out.root.empty()) {
    auto it = places.meters.find(child_text(m, "meterId"));
    if (it != places.meters.end() && !it->second.root_guid.empty()) {
      out.root = it->second.root_guid;
      out.version = it->second.version_guid;
    }
  }
  out.archived = child_text(m, "archivedOn");
  const auto z = child_text(m, "tariffZones");
  out.zones = z.empty() ? 1 : std::stoi(z);
  for (xmlNodePtr a : children(m, "account")) out.accounts.push_back(text(a));
  for (xmlNodePtr v : children(m, "initialValue")) out.initial[attribute(v, "zone")] = text(v);
  return out;
}

std::string premises_guid(const Meter& m, const MeterPlaces& places, std::string* residential) {
  auto it = places.premises.find({lower(m.house), m.premise});
  if (it != places.premises.end() && !it->second.guid.empty()) {
    *residential = it->second.residential;
    return it->second.guid;
  }
  for (const auto& a : m.accounts) {
    auto ai = places.accounts.find(a);
    if (ai != places.accounts.end() && !ai->second.premises_guid.empty()) {
      *residential = ai->second.residential;
      return ai->second.premises_guid;
    }
  }
  return {};
}

// AccountGUID of every account, refusing the first one GIS does not know yet.
std::string account_guids(const Meter& m, const MeterPlaces& places) {
  if (m.accounts.empty()) {
    throw std::invalid_argument("/c:meterUpsert/c:account: a " + m.kind +
                                " meter needs the accounts it serves");
  }
  std::string out;
  std::set<std::string> seen;  // GIS refuses a repeated AccountGUID (xs:unique)
  for (std::size_t i = 0; i < m.accounts.size(); ++i) {
    auto it = places.accounts.find(m.accounts[i]);
    const std::string at = "/c:meterUpsert/c:account[" + std::to_string(i + 1) + "]: account ";
    if (it == places.accounts.end()) {
      throw MissingGisId(at + m.accounts[i] +
                         " is not in the store (the meter waits for its account.upsert and "
                         "placement)");
    }
    if (it->second.guid.empty()) {
      throw MissingGisId(at + m.accounts[i] +
                         " has no GIS AccountGUID yet (place the account first)");
    }
    if (seen.insert(lower(it->second.guid)).second) hm(out, "AccountGUID", it->second.guid);
  }
  return out;
}

std::string device_place(const Meter& m, const MeterPlaces& places) {
  std::string out;
  auto premise_device = [&](const char* element_name) {
    if (m.premise.empty()) {
      throw std::invalid_argument("/c:meterUpsert/c:premiseNumber: a " + m.kind +
                                  " meter needs its premise");
    }
    std::string residential;
    const auto guid = premises_guid(m, places, &residential);
    if (guid.empty()) {
      const std::string at =
          "/c:meterUpsert/c:premiseNumber: premise " + m.premise + " of house " + m.house;
      // Known to the store (as a premise, or through an account of the meter's) but not placed,
      // or not known at all: the operator's next step differs.
      const bool known = places.premises.count({lower(m.house), m.premise}) != 0;
      throw MissingGisId(known ? at + " has no GIS PremisesGUID in the store yet (place the "
                                      "house and its premises first)"
                               : at + " is not in the store (the meter waits for its "
                                      "premise.upsert and placement)");
    }
    const char* el = element_name;
    if (std::string(el) == "ResidentialPremiseDevice" && residential == "false")
      el = "NonResidentialPremiseDevice";
    out += std::string("<hm:") + el + ">";
    hm(out, "PremiseGUID", guid);
    out += account_guids(m, places);
    out += std::string("</hm:") + el + ">";
  };
  if (m.kind == "collective") {
    out += "<hm:CollectiveDevice>";
    hm(out, "FIASHouseGuid", m.house);
    out += "</hm:CollectiveDevice>";
  } else if (m.kind == "individual" && m.premise.empty()) {
    out += "<hm:ApartmentHouseDevice>";
    hm(out, "FIASHouseGuid", m.house);
    out += account_guids(m, places);
    out += "</hm:ApartmentHouseDevice>";
  } else if (m.kind == "individual") {
    premise_device("ResidentialPremiseDevice");
  } else if (m.kind == "common_apartment") {
    premise_device("CollectiveApartmentDevice");
  } else if (m.kind == "room") {
    out += "<hm:LivingRoomDevice>";
    for (const auto& a : m.accounts) {
      auto it = places.accounts.find(a);
      if (it != places.accounts.end() && !it->second.room_guid.empty()) {
        hm(out, "LivingRoomGUID", it->second.room_guid);
        break;
      }
    }
    out += account_guids(m, places);
    out += "</hm:LivingRoomDevice>";
  } else {
    throw std::invalid_argument("/c:meterUpsert/c:kind: unknown meter kind '" + m.kind + "'");
  }
  return out;
}

std::string unit_code(const std::string& unit) {
  if (unit.empty()) return {};
  for (const auto& [name, code] : kUnits)
    if (unit == name) return code;
  throw std::invalid_argument("/c:meterUpsert/c:unit: '" + unit +
                              "' has no OKEI code GIS accepts (l, m3, Gcal, kWh, MWh, J, GJ, MJ)");
}

std::string value_block(const Meter& m, const std::map<std::string, NsiRef>& resources) {
  const ResourceRow* row = find_resource(m.resource);
  if (!row) {
    throw std::invalid_argument("/c:meterUpsert/c:resource: '" + m.resource +
                                "' is no GIS municipal resource (NSI 2)");
  }
  auto initial = [&](const char* zone, const std::string& fallback) {
    auto it = m.initial.find(zone);
    if (it == m.initial.end()) return fallback;
    return metering_value(it->second,
                          "/c:meterUpsert/c:initialValue[@zone='" + std::string(zone) + "']");
  };
  std::string out;
  if (row->energy) {
    const auto unit = unit_code(m.unit);
    if (!unit.empty() && unit != "245") {
      throw std::invalid_argument(
          "/c:meterUpsert/c:unit: GIS reads electricity meters in kWh "
          "only, not '" +
          m.unit + "'");
    }
    out += "<hm:MunicipalResourceEnergy>";
    const auto table = tariff_zones(m.zones >= 3);
    element(out, "mdb:MeteringValueT1",
            m.zones >= 3 ? initial(table[0].zone, "0") : initial("day", initial("total", "0")));
    if (m.zones >= 2) element(out, "mdb:MeteringValueT2", initial(table[1].zone, "0"));
    if (m.zones >= 3) element(out, "mdb:MeteringValueT3", initial(table[2].zone, "0"));
    if (!m.ratio.empty()) hm(out, "TransformationRatio", ratio(m.ratio));
    if (!unit.empty()) hm(out, "Unit", unit);
    out += "</hm:MunicipalResourceEnergy>";
    return out;
  }
  if (m.zones != 1) {
    throw std::invalid_argument(
        "/c:meterUpsert/c:tariffZones: only electricity meters have more "
        "than one tariff zone in GIS");
  }
  auto ref = resources.find(m.resource);
  if (ref == resources.end()) {
    throw std::invalid_argument("/c:meterUpsert/c:resource: no NSI 2 reference for '" + m.resource +
                                "' (config key nsi_resources, e.g. " + m.resource + "=" +
                                row->nsi2_code + ":<guid>)");
  }
  out += "<hm:MunicipalResourceNotEnergy><mdb:MunicipalResource>";
  element(out, "nsi:Code", ref->second.code);
  element(out, "nsi:GUID", ref->second.guid);
  out += "</mdb:MunicipalResource>";
  element(out, "mdb:MeteringValue", initial("total", "0"));
  const auto unit = unit_code(m.unit);
  if (!unit.empty()) hm(out, "Unit", unit);
  out += "</hm:MunicipalResourceNotEnergy>";
  return out;
}

void map_meter(std::string& out, xmlNodePtr root, const MeterPlaces& places,
               const std::map<std::string, NsiRef>& resources, const std::string& transport) {
  const Meter m = read_meter(root, places);
  if (!m.archived.empty()) {
    throw std::invalid_argument(
        "/c:meterUpsert/c:archivedOn: archiving a meter in GIS needs the "
        "NSI 21 reason, which the canonical model lacks");
  }
  if (!m.root.empty() && m.version.empty()) {
    throw MissingGisId(
        "/c:meterUpsert/c:gisVersionGuid: the meter is placed in GIS "
        "(gisRootGuid) and an update needs its version GUID");
  }
  if (m.serial.size() > 50) {
    throw std::invalid_argument("/c:meterUpsert/c:serialNumber: '" + m.serial +
                                "' is over GIS MeteringDeviceNumber's 50 characters");
  }
  if (m.model.size() > 100) {
    throw std::invalid_argument(
        "/c:meterUpsert/c:model: over GIS MeteringDeviceModel's 100 "
        "characters");
  }
  if (m.kind == "collective" && m.verified.empty()) {
    throw std::invalid_argument(
        "/c:meterUpsert/c:lastVerifiedOn: GIS needs the last "
        "verification date of a collective (house) meter");
  }
  std::string basic = "<hm:BasicChatacteristicts>";  // sic, as in the XSD
  hm(basic, "MeteringDeviceNumber", m.serial);
  if (!m.model.empty()) {
    hm(basic, "MeteringDeviceStamp", m.model);
    hm(basic, "MeteringDeviceModel", m.model);
  }
  if (!m.installed.empty()) hm(basic, "InstallationDate", m.installed);
  const auto commissioned = m.commissioned.empty() ? m.installed : m.commissioned;
  if (!commissioned.empty()) hm(basic, "CommissioningDate", commissioned);
  const bool remote = m.remote == "true" || m.remote == "1";
  hm(basic, "RemoteMeteringMode", remote ? "true" : "false");
  if (remote) hm(basic, "RemoteMeteringInfo", "АСКУЭ");
  if (!m.verified.empty()) hm(basic, "FirstVerificationDate", m.verified);
  if (!m.sealed.empty()) hm(basic, "FactorySealDate", m.sealed);
  hm(basic, "TemperatureSensor", "false");
  hm(basic, "PressureSensor", "false");
  basic += device_place(m, places);
  basic += "</hm:BasicChatacteristicts>";
  const auto full = basic + "<hm:NotLinkedWithMetering>true</hm:NotLinkedWithMetering>" +
                    value_block(m, resources);
  out += "<hm:MeteringDevice><base:TransportGUID>" + transport + "</base:TransportGUID>";
  if (m.version.empty()) {
    out += "<hm:DeviceDataToCreate>" + full + "</hm:DeviceDataToCreate>";
  } else {
    out += "<hm:DeviceDataToUpdate>";
    hm(out, "MeteringDeviceVersionGUID", m.version);
    out += "<hm:UpdateBeforeDevicesValues>" + full +
           "</hm:UpdateBeforeDevicesValues></hm:DeviceDataToUpdate>";
  }
  out += "</hm:MeteringDevice>";
}

// The meterUpsert children before the GIS ids, in schema order (meter_upsert.xsd).
constexpr const char* kBeforeGisIds[] = {"meterId",
                                         "serialNumber",
                                         "kind",
                                         "resource",
                                         "service",
                                         "model",
                                         "unit",
                                         "digitCapacity",
                                         "fractionDigits",
                                         "tariffZones",
                                         "transformationRatio",
                                         "houseFiasGuid",
                                         "premiseNumber",
                                         "account",
                                         "installedOn",
                                         "commissionedOn",
                                         "lastVerifiedOn",
                                         "nextVerificationOn",
                                         "verificationIntervalYears",
                                         "sealedOn",
                                         "initialValue",
                                         "remote",
                                         "gisRootGuid",
                                         "gisVersionGuid"};

// Sets c:<name> (gisRootGuid / gisVersionGuid / gisNumber) of a canonical meter body in schema
// order: after the last element that precedes it.
void set_canonical(xmlNodePtr root, const char* name, const std::string& value) {
  if (value.empty()) return;
  if (xmlNodePtr existing = child(root, name)) {
    xmlNodeSetContent(existing, nullptr);
    xmlNodeAddContent(existing, reinterpret_cast<const xmlChar*>(value.c_str()));
    return;
  }
  std::set<std::string> before;
  for (const char* b : kBeforeGisIds) {
    if (std::string(b) == name) break;
    before.insert(b);
  }
  xmlNodePtr anchor = nullptr;
  for (xmlNodePtr e : elements(root))
    if (before.count(local_name(e))) anchor = e;
  xmlNodePtr node =
      xmlNewDocNode(root->doc, root->ns, reinterpret_cast<const xmlChar*>(name), nullptr);
  xmlNodeAddContent(node, reinterpret_cast<const xmlChar*>(value.c_str()));
  if (anchor) {
    xmlAddNextSibling(anchor, node);
  } else {
    xmlAddChild(root, node);
  }
}

std::string serialize(xmlNodePtr root) {
  xmlBufferPtr buf = xmlBufferCreate();
  xmlNodeDump(buf, root->doc, root, 0, 0);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                  static_cast<std::size_t>(xmlBufferLength(buf)));
  xmlBufferFree(buf);
  return out;
}

}  // namespace

MeterPlaces lookup_places(plugin::BillingExport& store, const std::vector<MeterInput>& meters) {
  std::set<std::string> accounts, premises;
  for (const auto& m : meters) {
    try {
      auto doc = parse_xml(m.body, "meter " + m.ref);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      for (xmlNodePtr a : children(root, "account")) accounts.insert(text(a));
      const auto p = trimmed(child_text(root, "premiseNumber"));
      if (!p.empty()) premises.insert(p);
    } catch (const std::exception&) {
      // the builder refuses it with the reason
    }
  }
  MeterPlaces out;
  std::set<std::string> ids;
  for (const auto& m : meters) ids.insert(m.ref);
  auto each = [&](const char* type, const std::set<std::string>& refs, auto&& take) {
    if (refs.empty()) return;
    for (const auto& o : store.find(type, {refs.begin(), refs.end()})) {
      try {
        auto doc = parse_xml(o.body, std::string(type) + " " + o.ref);
        take(o, xmlDocGetRootElement(doc.get()));
      } catch (const std::exception&) {
        // an unreadable stored body names nothing; the meter is refused for the missing GUID
      }
    }
  };
  each("account.upsert", accounts, [&](const plugin::ExportedObject& o, xmlNodePtr root) {
    xmlNodePtr premise = child(root, "premise");
    out.accounts[o.ref] = {o.external_id, child_text(premise, "gisPremisesGuid"),
                           child_text(premise, "gisLivingRoomGuid"),
                           child_text(premise, "residential")};
  });
  each("premise.upsert", premises, [&](const plugin::ExportedObject& o, xmlNodePtr root) {
    out.premises[{lower(child_text(root, "houseFiasGuid")), trimmed(child_text(root, "number"))}] =
        {o.external_id, child_text(root, "residential")};
  });
  each("meter.upsert", ids, [&](const plugin::ExportedObject& o, xmlNodePtr root) {
    out.meters[o.ref] = {child_text(root, "gisRootGuid"), child_text(root, "gisVersionGuid")};
  });
  return out;
}

BuiltRequest build_import_meters(const std::vector<MeterInput>& meters, const MeterPlaces& places,
                                 const std::map<std::string, NsiRef>& resources,
                                 std::vector<Refused>& refused, std::vector<Refused>* waiting) {
  BuiltRequest req{"importMeteringDeviceData",
                   "house-management",
                   "importMeteringDeviceDataRequest",
                   kHouseNs,
                   kVersion,
                   {},
                   {}};
  req.body = std::string("<hm:importMeteringDeviceDataRequest xmlns:hm=\"") + kHouseNs +
             "\" xmlns:base=\"" + kBaseNs + "\" xmlns:mdb=\"" + kMeteringBaseNs +
             "\" xmlns:nsi=\"" + kNsiBaseNs + "\" Id=\"signed-data-container\" base:version=\"" +
             kVersion + "\">";
  for (const auto& in : meters) {
    std::string one;
    const auto transport = new_guid();
    try {
      auto doc = parse_xml(in.body, "meter " + in.ref);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      if (local_name(root) != "meterUpsert")
        throw std::invalid_argument("/" + local_name(root) + ": not a meter.upsert body");
      map_meter(one, root, places, resources, transport);
    } catch (const MissingGisId& e) {
      (waiting ? *waiting : refused).push_back({in.ref, e.what()});
      continue;
    } catch (const std::exception& e) {
      refused.push_back({in.ref, e.what()});
      continue;
    }
    req.body += one;
    req.objects.push_back({transport, "meter", in.ref, in.body});
  }
  req.body += "</hm:importMeteringDeviceDataRequest>";
  return req;
}

Handled handle_import_meters(const ResultInput& in) {
  Handled h = import_results(in);
  std::map<std::string, std::pair<std::string, std::string>> ids;  // transport → version, number
  for (xmlNodePtr ir : children(in.result, "ImportResult")) {
    for (xmlNodePtr cr : children(ir, "CommonResult")) {
      if (!child(cr, "Error"))
        ids[lower(child_text(cr, "TransportGUID"))] = {child_text(cr, "GUID"),
                                                       child_text(cr, "UniqueNumber")};
    }
  }
  std::map<std::string, const ObjectLine*> lines;
  for (const auto& o : in.objects) lines[lower(o.transport_guid)] = &o;
  for (const auto& r : h.results) {
    if (!r.errors.empty() || r.external_guid.empty()) continue;
    auto line = lines.find(lower(r.transport_guid));
    auto id = ids.find(lower(r.transport_guid));
    if (line == lines.end() || id == ids.end() || line->second->data.empty()) continue;
    try {
      auto doc = parse_xml(line->second->data, "meter " + r.ref);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      set_canonical(root, "gisRootGuid", r.external_guid);
      set_canonical(root, "gisVersionGuid", id->second.first);
      set_canonical(root, "gisNumber", id->second.second);
      h.messages.push_back(make_message(
          "meter.upsert",
          "gis_zhkh:" + in.instance + ":meter:" + r.ref + ":" + lower(id->second.first),
          serialize(root), in.ack_guid));
    } catch (const std::exception&) {
      // external.state still carries the root GUID; only the version is not kept
    }
  }
  return h;
}

}  // namespace hub::adapters::gis_zhkh
