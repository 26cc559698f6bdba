// importMeteringDeviceData (house-management), importMeteringDeviceValues and
// exportMeteringDeviceHistory (device-metering).

#include <algorithm>
#include <cctype>

#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {
namespace {

constexpr std::size_t kHistoryBlock = 1000;  // devices per exportMeteringDeviceHistory page

std::string lower_guid(std::string g) {
  for (auto& ch : g) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return g;
}

// What GIS checks of where a device is placed: every AccountGUID is an account it has, every
// PremiseGUID a premise it knows. Returns the error description, or "" when all are known.
std::string unknown_place(Store& s, xmlNodePtr data) {
  xmlNodePtr basic = kid(data, "BasicChatacteristicts");
  for (xmlNodePtr a : find_all(basic, "AccountGUID")) {
    if (!s.account(text_of(a)))
      return "Лицевой счет с идентификатором " + text_of(a) + " не найден";
  }
  for (xmlNodePtr p : find_all(basic, "PremiseGUID")) {
    if (!s.premises.count(lower_guid(text_of(p))))
      return "Помещение с идентификатором " + text_of(p) +
             " не найдено в реестре объектов "
             "жилищного фонда";
  }
  return {};
}

void read_characteristics(Store& s, xmlNodePtr data, const std::string& request_house,
                          MeterRec& m) {
  xmlNodePtr basic = kid(data, "BasicChatacteristicts");  // sic, as in the XSD
  m.number = kid_text(basic, "MeteringDeviceNumber");
  m.house = request_house;
  if (m.house.empty()) m.house = text_of(find(kid(basic, "CollectiveDevice"), "FIASHouseGuid"));
  if (m.house.empty()) {
    for (xmlNodePtr a : find_all(basic, "AccountGUID")) {
      if (AccountRec* acc = s.account(text_of(a)); acc && acc->house) {
        m.house = s.house_name(acc->house);
        break;
      }
    }
  }
  if (m.house.empty()) {
    for (xmlNodePtr p : find_all(basic, "PremiseGUID")) {
      if (auto it = s.premises.find(lower_guid(text_of(p))); it != s.premises.end()) {
        m.house = it->second;
        break;
      }
    }
  }
  m.kind = kid(data, "MunicipalResourceEnergy") ? "Electric" : "OneRate";
  if (xmlNodePtr r = find(data, "MunicipalResource")) {
    m.resource_code = kid_text(r, "Code");
    m.resource_guid = kid_text(r, "GUID");
  }
  if (m.resource_code.empty()) {
    m.resource_code = m.kind == "Electric" ? "3" : "1";  // NSI 2: 1 cold water, 3 electricity
    m.resource_guid = s.mint.make(kNsi, 2000 + std::stoul(m.resource_code));
  }
}

OpResult import_meters(OpContext& c) {
  Store& s = c.store;
  const std::string house = kid_text(c.request, "FIASHouseGuid");
  std::string results;
  for (xmlNodePtr d : kids(c.request, "MeteringDevice")) {
    const std::string transport = kid_text(d, "TransportGUID");
    if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
      results += common_error("hm:CommonResult", transport, err->second.code, err->second.text);
      continue;
    }
    std::uint64_t root = 0;
    xmlNodePtr data = kid(d, "DeviceDataToCreate");
    if (!data) data = kid(kid(d, "DeviceDataToUpdate"), "UpdateBeforeDevicesValues");
    if (data) {
      if (const auto why = unknown_place(s, data); !why.empty()) {
        results += common_error("hm:CommonResult", transport, kNotFound, why);
        continue;
      }
    }
    if (xmlNodePtr create = kid(d, "DeviceDataToCreate")) {
      MeterRec m;
      read_characteristics(s, create, house, m);
      m.version = s.meter_versions++;
      root = s.meters.size();
      s.meters.push_back(std::move(m));
      if (!s.meters.back().house.empty() && !s.houses.count(s.meters.back().house))
        s.houses[s.meters.back().house] = "";
    } else {
      xmlNodePtr update = kid(d, "DeviceDataToUpdate");
      const std::string version = kid_text(update, "MeteringDeviceVersionGUID");
      MeterRec* m = s.meter_by_version(version);
      if (!m) {
        results += common_error("hm:CommonResult", transport, kNotFound,
                                "Прибор учета с идентификатором версии " + version + " не найден");
        continue;
      }
      if (xmlNodePtr full = kid(update, "UpdateBeforeDevicesValues"))
        read_characteristics(s, full, house, *m);
      if (kid(update, "ArchiveDevice") || kid(update, "ReplaceDevice")) m->archived = true;
      m->version = s.meter_versions++;
      root = static_cast<std::uint64_t>(m - s.meters.data());
    }
    const MeterRec& m = s.meters[root];
    std::string extra = "<hm:importMeteringDevice>";
    element(extra, "hm:MeteringDeviceGUID", s.meter_root_guid(root));
    extra += "</hm:importMeteringDevice>";
    results += common_result("hm:CommonResult", s.mint.make(kMeterVersion, m.version), transport,
                             "ПУ-" + std::to_string(root + 1), extra);
  }
  return {{}, {}, "<hm:ImportResult base:version=\"10.0.1.1\">" + results + "</hm:ImportResult>"};
}

// The value part of an imported CurrentValue/ControlValue: MunicipalResource + MeteringValue
// or MeteringValueT1..T3 (metering-device-base), without DateValue / TransportGUID / Period.
std::string value_markup(xmlNodePtr v) {
  std::string out;
  for (xmlNodePtr c : kids(v)) {
    const std::string n = local_name(c);
    if (n == "MunicipalResource" || n.rfind("MeteringValue", 0) == 0) copy_element(out, c);
  }
  return out;
}

OpResult import_values(OpContext& c) {
  Store& s = c.store;
  std::string results;
  for (xmlNodePtr item : kids(c.request, "MeteringDevicesValues")) {
    MeterRec* m = nullptr;
    std::string id = kid_text(item, "MeteringDeviceRootGUID");
    if (!id.empty()) {
      m = s.meter_by_root(id);
    } else {
      id = kid_text(item, "MeteringDeviceVersionGUID");
      m = s.meter_by_version(id);
    }
    for (const char* kind : {"OneRateDeviceValue", "ElectricDeviceValue", "VolumeDeviceValue"}) {
      xmlNodePtr block = kid(item, kind);
      if (!block) continue;
      for (xmlNodePtr v : kids(block)) {
        const std::string transport = kid_text(v, "TransportGUID");
        if (transport.empty()) continue;
        if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
          results += common_error("dm:ImportResult", transport, err->second.code, err->second.text);
          continue;
        }
        if (!m) {
          results += common_error("dm:ImportResult", transport, kNotFound,
                                  "Прибор учета " + id + " не найден");
          continue;
        }
        if (m->archived) {
          results += common_error("dm:ImportResult", transport, "SRV009001",
                                  "Прибор учета " + id + " находится в архиве");
          continue;
        }
        if (std::string(kind) == "VolumeDeviceValue") {
          results += common_error("dm:ImportResult", transport, "EMULATOR",
                                  "VolumeDeviceValue is not emulated (OneRate and Electric are)");
          continue;
        }
        ReadingRec r;
        r.kind = std::string(kind) == "ElectricDeviceValue" ? "Electric" : "OneRate";
        r.value_xml = value_markup(v);
        r.date = kid_text(v, "DateValue");
        if (r.date.empty()) r.date = kid_text(v, "EndDateValue");
        r.source = "ИС";
        r.org = c.sender;
        r.entered = now_datetime();
        r.guid = s.mint.make(kReading, s.reading_seq++);
        if (local_name(v) == "CurrentValue") m->readings.push_back(r);
        results += common_result("dm:ImportResult", r.guid, transport, {});
      }
    }
  }
  if (results.empty())
    return {"INT002000", "Нет показаний для импорта (ни одного TransportGUID)", {}};
  return {{}, {}, results};
}

// Which values an export leaves out (excludeISValues and the Exclude…AsDataSource flags).
struct Exclusions {
  bool is = false, person = false, current_org = false, other_org = false;
  std::string sender;
  bool skip(const ReadingRec& r) const {
    if (is && r.source == "ИС") return true;
    if (person && r.org.empty()) return true;  // seeded: entered by a resident
    if (current_org && !r.org.empty() && r.org == sender) return true;
    if (other_org && !r.org.empty() && r.org != sender) return true;
    return false;
  }
};

std::string history_row(Store& s, std::uint64_t seq, const Exclusions& ex) {
  const MeterRec& m = s.meters[seq];
  std::string out = "<dm:exportMeteringDeviceHistoryResult>";
  element(out, "dm:MeteringDeviceRootGUID", s.meter_root_guid(seq));
  if (!m.house.empty()) element(out, "dm:FIASHouseGuid", m.house);
  const std::string block =
      m.kind == "Electric" ? "dm:ElectricDeviceValue" : "dm:OneRateDeviceValue";
  out += "<" + block + "><dm:Values>";
  for (const auto& r : m.readings) {
    if (ex.skip(r)) continue;
    if (r.kind != m.kind) continue;
    out += "<dm:CurrentValue>" + r.value_xml;
    element(out, "mdb:ReadingsSource", r.source);
    if (!r.org.empty()) element(out, "mdb:orgPPAGUID", r.org);
    element(out, "mdb:EnterIntoSystem", r.entered);
    element(out, "dm:DateValue", r.date.size() == 10 ? r.date + "T00:00:00+03:00" : r.date);
    out += "</dm:CurrentValue>";
  }
  return out + "</dm:Values></" + block + "></dm:exportMeteringDeviceHistoryResult>";
}

OpResult export_history(OpContext& c) {
  Store& s = c.store;
  std::vector<std::string> houses, roots, resources;
  for (xmlNodePtr n : kids(c.request, "FIASHouseGuid")) houses.push_back(text_of(n));
  for (xmlNodePtr n : kids(c.request, "MeteringDeviceRootGUID")) roots.push_back(text_of(n));
  for (xmlNodePtr n : kids(c.request, "MunicipalResource"))
    resources.push_back(kid_text(n, "Code"));
  const bool archived = kid_text(c.request, "SerchArchived") == "true";
  Exclusions ex;
  ex.is = kid_text(c.request, "excludeISValues") == "true";
  ex.person = kid_text(c.request, "ExcludePersonAsDataSource") == "true";
  ex.current_org = kid_text(c.request, "ExcludeCurrentOrgAsDataSource") == "true";
  ex.other_org = kid_text(c.request, "ExcludeOtherOrgAsDataSource") == "true";
  ex.sender = c.sender;
  std::uint64_t start = 0;
  if (auto after = kid_text(c.request, "ExportMeteringDeviceRootGUID"); !after.empty()) {
    auto seq = s.mint.parse(kMeterRoot, after);
    if (!seq) return {kNotFound, "ExportMeteringDeviceRootGUID " + after + " не найден", {}};
    start = *seq;
  }
  std::vector<std::uint64_t> selected;
  for (std::uint64_t i = start; i < s.meters.size(); ++i) {
    const MeterRec& m = s.meters[i];
    if (m.archived && !archived) continue;
    if (!houses.empty() && std::find(houses.begin(), houses.end(), m.house) == houses.end())
      continue;
    if (!roots.empty() &&
        std::find(roots.begin(), roots.end(), s.meter_root_guid(i)) == roots.end())
      continue;
    if (!resources.empty() &&
        std::find(resources.begin(), resources.end(), m.resource_code) == resources.end())
      continue;
    selected.push_back(i);
    if (selected.size() > kHistoryBlock) break;
  }
  if (selected.empty()) return {kNoObjects, kNoObjectsText, {}};
  std::string out;
  const std::size_t n = std::min(selected.size(), kHistoryBlock);
  for (std::size_t i = 0; i < n; ++i) out += history_row(s, selected[i], ex);
  out += "<dm:PagedOutput>";
  if (selected.size() > kHistoryBlock) {
    element(out, "dm:ExportMeteringDeviceRootGUID", s.meter_root_guid(selected[kHistoryBlock]));
  } else {
    element(out, "dm:LastPage", "true");
  }
  out += "</dm:PagedOutput>";
  return {{}, {}, out};
}

}  // namespace

void register_metering_operations(std::map<std::string, Handler>& out) {
  out["importMeteringDeviceData"] = import_meters;
  out["importMeteringDeviceValues"] = import_values;
  out["exportMeteringDeviceHistory"] = export_history;
}

}  // namespace hub::adapters::gis_zhkh::emulator
