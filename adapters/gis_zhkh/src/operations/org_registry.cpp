#include "org_registry.h"

#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

constexpr const char* kOrgCommonNs =
    "http://dom.gosuslugi.ru/schema/integration/organizations-registry-common/";
constexpr const char* kOrgBaseNs = "http://dom.gosuslugi.ru/schema/integration/organizations-base/";

// The first descendant element named `local`, depth first.
xmlNodePtr find(xmlNodePtr node, const char* local) {
  for (xmlNodePtr c : elements(node)) {
    if (local_name(c) == local) return c;
    if (xmlNodePtr d = find(c, local)) return d;
  }
  return nullptr;
}

}  // namespace

BuiltRequest build_export_org_registry(const std::vector<std::string>& ogrns,
                                       std::vector<Refused>& refused) {
  BuiltRequest req{"exportOrgRegistry",
                   "organizations-registry-common",
                   "exportOrgRegistryRequest",
                   kOrgCommonNs,
                   "10.0.2.1",
                   {},
                   {}};
  req.body = std::string("<orc:exportOrgRegistryRequest xmlns:orc=\"") + kOrgCommonNs +
             "\" xmlns:ob=\"" + kOrgBaseNs + "\" xmlns:base=\"" + kBaseNs +
             "\" Id=\"signed-data-container\" base:version=\"10.0.2.1\">";
  for (const auto& ogrn : ogrns) {
    const bool digits = !ogrn.empty() && ogrn.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || (ogrn.size() != 13 && ogrn.size() != 15)) {
      refused.push_back(
          {ogrn, "org_ogrn: '" + ogrn + "' is neither an OGRN (13 digits) nor an OGRNIP (15)"});
      continue;
    }
    const char* tag = ogrn.size() == 13 ? "ob:OGRN" : "ob:OGRNIP";
    req.body += std::string("<orc:SearchCriteria><") + tag + ">" + ogrn + "</" + tag +
                "></orc:SearchCriteria>";
    req.objects.push_back({"", "organisation", ogrn, {}});
  }
  req.body += "</orc:exportOrgRegistryRequest>";
  return req;
}

Handled handle_export_org_registry(const ResultInput& in) {
  Handled h;
  std::string found;
  for (xmlNodePtr r : children(in.result, "exportOrgRegistryResult")) {
    xmlNodePtr ogrn = find(r, "OGRN");
    if (!ogrn) ogrn = find(r, "OGRNIP");
    const auto ppa = child_text(r, "orgPPAGUID");
    found += (found.empty() ? "" : "; ") + std::string("OGRN ") + text(ogrn) + " -> orgPPAGUID " +
             (ppa.empty() ? "(not registered)" : ppa) + ", orgRootEntityGUID " +
             child_text(r, "orgRootEntityGUID");
  }
  h.summary = found.empty() ? "no organisation found" : found;
  return h;
}

}  // namespace hub::adapters::gis_zhkh
