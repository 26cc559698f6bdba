// exportOrgRegistry (organizations-registry-common), exportNsiItem / exportNsiPagingItem
// (nsi-common) and exportHouseData (house-management): read-only registries whose content the
// control API seeds (organisations, houses, appeals) or the emulator generates (NSI dictionaries);
// exportAppeal (appeals).

#include <algorithm>

#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {
namespace {

constexpr std::size_t kNsiPage = 1000;

OpResult export_orgs(OpContext& c) {
  Store& s = c.store;
  std::string out;
  std::set<std::size_t> found;
  for (xmlNodePtr sc : kids(c.request, "SearchCriteria")) {
    const std::string ogrn =
        kid_text(sc, "OGRN").empty() ? kid_text(sc, "OGRNIP") : kid_text(sc, "OGRN");
    const std::string kpp = kid_text(sc, "KPP");
    const std::string version = kid_text(sc, "orgVersionGUID"),
                      root = kid_text(sc, "orgRootEntityGUID"), ppa = kid_text(sc, "orgPPAGUID");
    for (std::size_t i = 0; i < s.orgs.size(); ++i) {
      const OrgRec& o = s.orgs[i];
      const bool match = (!ogrn.empty() && o.ogrn == ogrn && (kpp.empty() || o.kpp == kpp)) ||
                         (!version.empty() && o.version_guid == version) ||
                         (!root.empty() && o.root_guid == root) ||
                         (!ppa.empty() && o.ppa_guid == ppa);
      if (match) found.insert(i);
    }
  }
  if (found.empty()) return {kNoObjects, kNoObjectsText, {}};
  for (std::size_t i : found) {
    const OrgRec& o = s.orgs[i];
    out += "<orgc:exportOrgRegistryResult>";
    element(out, "orb:orgRootEntityGUID", o.root_guid);
    out += "<orgc:OrgVersion>";
    element(out, "orb:orgVersionGUID", o.version_guid);
    element(out, "orgc:lastEditingDate", today_date());
    element(out, "orgc:IsActual", "true");
    const bool entrepreneur = o.ogrn.size() == 15;
    out += entrepreneur ? "<orgc:Entrp>" : "<orgc:Legal>";
    if (entrepreneur) {
      // EntpsType: the entrepreneur's name and OGRNIP.
      element(out, "orb:Surname", o.name);
      element(out, "orb:FirstName", o.short_name);
      element(out, "ob:OGRNIP", o.ogrn);
    } else {
      element(out, "orb:ShortName", o.short_name);
      element(out, "orb:FullName", o.name);
      element(out, "ob:OGRN", o.ogrn);
      if (!o.inn.empty()) element(out, "ob:INN", o.inn);
      if (!o.kpp.empty()) element(out, "ob:KPP", o.kpp);
    }
    out += entrepreneur ? "</orgc:Entrp>" : "</orgc:Legal>";
    out += "</orgc:OrgVersion>";
    element(out, "base:orgPPAGUID", o.ppa_guid);
    for (const auto& role : o.roles) {
      out += "<orgc:organizationRoles>";
      element(out, "nb:Code", role);
      element(out, "nb:GUID", s.mint.make(kNsi, 20 * 100000 + std::stoul(role)));
      out += "</orgc:organizationRoles>";
    }
    out += "</orgc:exportOrgRegistryResult>";
  }
  return {{}, {}, out};
}

struct NsiDictionary {
  std::vector<std::pair<std::string, std::string>> elements;  // code, value
};

// Built-in content for the dictionaries an account/meter exchange needs; any other registry
// number gets 10 generated elements (or as many as the control API seeded).
NsiDictionary dictionary(Store& s, int registry) {
  NsiDictionary d;
  if (registry == 2) {
    d.elements = {{"1", "Холодная вода"},         {"2", "Горячая вода"},
                  {"3", "Электрическая энергия"}, {"4", "Газ"},
                  {"5", "Тепловая энергия"},      {"6", "Бытовой газ в баллонах"},
                  {"7", "Твердое топливо"},       {"8", "Сточные воды"}};
  } else if (registry == 27) {
    d.elements = {{"1", "Индивидуальный"},
                  {"2", "Коллективный (общедомовой)"},
                  {"3", "Общий (квартирный)"},
                  {"4", "Комнатный"}};
  } else {
    auto it = s.nsi_sizes.find(registry);
    const std::size_t n = it == s.nsi_sizes.end() ? 10 : it->second;
    for (std::size_t i = 1; i <= n; ++i)
      d.elements.emplace_back(std::to_string(i), "Элемент " + std::to_string(i) + " справочника " +
                                                     std::to_string(registry));
  }
  return d;
}

std::string nsi_elements(Store& s, int registry, const NsiDictionary& d, std::size_t from,
                         std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to; ++i) {
    out += "<nb:NsiElement>";
    element(out, "nb:Code", d.elements[i].first);
    element(out, "nb:GUID",
            s.mint.make(kNsi, static_cast<std::uint64_t>(registry) * 100000 + i + 1));
    element(out, "nb:Modified", "2026-01-01T00:00:00+03:00");
    element(out, "nb:IsActual", "true");
    out +=
        "<nb:NsiElementField xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:type=\"nb:NsiElementStringFieldType\">";
    element(out, "nb:Name", "Значение");
    element(out, "nb:Value", d.elements[i].second);
    out += "</nb:NsiElementField></nb:NsiElement>";
  }
  return out;
}

OpResult export_nsi(OpContext& c, bool paged) {
  Store& s = c.store;
  const int registry = std::atoi(kid_text(c.request, "RegistryNumber").c_str());
  const NsiDictionary d = dictionary(s, registry);
  if (d.elements.empty())
    return {"INT016041", "Справочник " + std::to_string(registry) + " не содержит элементов", {}};
  std::size_t from = 0, to = d.elements.size();
  const std::size_t pages = (d.elements.size() + kNsiPage - 1) / kNsiPage;
  std::size_t page = 1;
  if (paged) {
    page = static_cast<std::size_t>(std::max(1, std::atoi(kid_text(c.request, "Page").c_str())));
    if (page > pages) return {kNoObjects, kNoObjectsText, {}};
    from = (page - 1) * kNsiPage;
    to = std::min(d.elements.size(), from + kNsiPage);
  }
  const char* wrapper = paged ? "nsic:NsiPagingItem" : "nsic:NsiItem";
  std::string out = std::string("<") + wrapper + ">";
  element(out, "nb:NsiItemRegistryNumber", std::to_string(registry));
  element(out, "nb:Created", "2026-01-01T00:00:00+03:00");
  out += nsi_elements(s, registry, d, from, to);
  if (paged) {
    element(out, "nsic:TotalItemsCount", std::to_string(d.elements.size()));
    element(out, "nsic:TotalPages", std::to_string(pages));
    element(out, "nsic:CurrentPage", std::to_string(page));
  }
  return {{}, {}, out + "</" + wrapper + ">"};
}

OpResult export_house(OpContext& c) {
  Store& s = c.store;
  const std::string fias = kid_text(c.request, "FIASHouseGuid");
  auto it = s.houses.find(fias);
  if (it == s.houses.end()) return {kNoObjects, kNoObjectsText, {}};
  if (it->second.empty()) it->second = s.mint.make(kHouse, s.houses.size());
  std::string out = "<hm:exportHouseResult>";
  element(out, "hm:HouseUniqueNumber", "Д-" + it->second.substr(24));
  element(out, "hm:ModificationDate", now_datetime());
  element(out, "hm:HouseGUID", it->second);
  out += "<hm:ApartmentHouse><hm:BasicCharacteristicts>";
  element(out, "hm:FIASHouseGuid", fias);
  out += "</hm:BasicCharacteristicts></hm:ApartmentHouse></hm:exportHouseResult>";
  return {{}, {}, out};
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// exportAppeal: appeals residents filed in GIS (seeded by the control API).
OpResult export_appeals(OpContext& c) {
  Store& s = c.store;
  std::vector<std::string> guids, numbers, houses;
  for (xmlNodePtr n : kids(c.request, "AppealGUID")) guids.push_back(text_of(n));
  for (xmlNodePtr n : kids(c.request, "AppealNumber")) numbers.push_back(text_of(n));
  for (xmlNodePtr n : kids(c.request, "FIASHouseGuid")) houses.push_back(text_of(n));
  const std::string from = kid_text(c.request, "StartDate"), to = kid_text(c.request, "EndDate");
  std::vector<std::string> statuses;
  if (xmlNodePtr st = kid(c.request, "StatusOfAppeal")) {
    for (xmlNodePtr n : kids(st)) {
      const std::string name = local_name(n);
      statuses.push_back(name == "NotSent" ? "" : name == "Sent" ? "Send" : name);
    }
  }
  auto in = [](const std::vector<std::string>& v, const std::string& x) {
    return v.empty() || std::find(v.begin(), v.end(), x) != v.end();
  };
  std::string out;
  for (const AppealRec& a : s.appeals) {
    const std::string date = a.created.substr(0, 10);
    if (!in(guids, a.guid) || !in(numbers, a.number) || !in(houses, a.fias_house) ||
        !in(statuses, a.status))
      continue;
    if ((!from.empty() && date < from) || (!to.empty() && date > to)) continue;
    out += "<ap:ExportAppealResult>";
    element(out, "ap:AppealGUID", a.guid);
    out += "<ap:ApplicantInfo><ap:Person>";
    auto name = words(a.author);
    element(out, "ap:Surname", name.size() > 0 ? name[0] : "Заявитель");
    element(out, "ap:FirstName", name.size() > 1 ? name[1] : "-");
    if (name.size() > 2) element(out, "ap:Patronymic", name[2]);
    out += "</ap:Person></ap:ApplicantInfo>";
    element(out, "ap:AppealNumber", a.number);
    element(out, "ap:AppealCreateDate", date);
    element(out, "ap:AnotherTopic", "Прочее");
    if (!a.fias_house.empty()) element(out, "ap:FIASHouseGuid", a.fias_house);
    out += "<ap:OKTMO>";
    element(out, "base:code", "45000000");
    out += "</ap:OKTMO>";
    element(out, "ap:AppealText", a.text);
    element(out, "ap:AppealStatus", a.status);
    out += "</ap:ExportAppealResult>";
  }
  if (out.empty()) return {kNoObjects, kNoObjectsText, {}};
  return {{}, {}, out};
}

}  // namespace

void register_registry_operations(std::map<std::string, Handler>& out) {
  out["exportOrgRegistry"] = export_orgs;
  out["exportNsiItem"] = [](OpContext& c) { return export_nsi(c, false); };
  out["exportNsiPagingItem"] = [](OpContext& c) { return export_nsi(c, true); };
  out["exportHouseData"] = export_house;
  out["exportAppeal"] = export_appeals;
}

}  // namespace hub::adapters::gis_zhkh::emulator
