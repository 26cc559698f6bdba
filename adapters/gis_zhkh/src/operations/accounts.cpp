#include "accounts.h"

#include <map>
#include <stdexcept>

#include "../util.h"
#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

const char* kind_element(const std::string& kind) {
  if (kind == "uo") return "isUOAccount";
  if (kind == "rso") return "isRSOAccount";
  if (kind == "cr") return "isCRAccount";
  if (kind == "rc") return "isRCAccount";
  if (kind == "tko") return "isTKOAccount";
  return nullptr;
}

// GIS areas allow 4 fraction digits, shares 2: trim (canonical Quantity allows 6).
std::string decimals(std::string v, std::size_t max_fraction) {
  const auto dot = v.find('.');
  if (dot != std::string::npos && v.size() - dot - 1 > max_fraction)
    v.resize(dot + 1 + max_fraction);
  if (!v.empty() && v.back() == '.') v.pop_back();
  return v;
}

void hm(std::string& out, const char* tag, const std::string& value) {
  out += "<hm:";
  out += tag;
  out += '>';
  append_escaped(out, value);
  out += "</hm:";
  out += tag;
  out += '>';
}

void map_account(std::string& out, xmlNodePtr a, const std::string& default_kind,
                 const std::string& transport) {
  const auto kind_text = child_text(a, "kind");
  const auto kind = kind_text.empty() ? default_kind : kind_text;
  const char* kind_el = kind_element(kind);
  if (!kind_el)
    throw std::invalid_argument("/c:accountUpsert/c:kind: unknown account kind '" + kind + "'");
  out += "<hm:Account>";
  hm(out, kind_el, "true");
  const auto residents = child_text(a, "residents");
  if (!residents.empty()) {
    if (residents.size() > 4) {
      throw std::invalid_argument("/c:accountUpsert/c:residents: " + residents +
                                  " is over GIS LivingPersonsNumber's 9999");
    }
    hm(out, "LivingPersonsNumber", residents);
  }
  const auto area = child_text(a, "area");
  if (!area.empty()) hm(out, "TotalSquare", decimals(area, 4));
  const auto living = child_text(a, "livingArea");
  if (!living.empty()) hm(out, "ResidentialSquare", decimals(living, 4));
  xmlNodePtr premise = child(a, "premise");
  out += "<hm:Accommodation>";
  const auto room = child_text(premise, "gisLivingRoomGuid");
  const auto premises = child_text(premise, "gisPremisesGuid");
  if (!room.empty()) {
    hm(out, "LivingRoomGUID", room);
  } else if (!premises.empty()) {
    hm(out, "PremisesGUID", premises);
  } else {
    hm(out, "FIASHouseGuid", child_text(a, "houseFiasGuid"));
  }
  const auto share = child_text(a, "sharePercent");
  if (!share.empty()) hm(out, "SharePercent", decimals(share, 2));
  out += "</hm:Accommodation>";
  out += "<hm:PayerInfo>";
  xmlNodePtr payer = child(a, "payer");
  if (child_text(payer, "renter") == "true") hm(out, "IsRenter", "true");
  if (xmlNodePtr person = child(payer, "person")) {
    out += "<hm:Ind>";
    out += "<ind:Surname>" + escaped(child_text(person, "lastName")) + "</ind:Surname>";
    out += "<ind:FirstName>" + escaped(child_text(person, "firstName")) + "</ind:FirstName>";
    const auto middle = child_text(person, "middleName");
    if (!middle.empty()) out += "<ind:Patronymic>" + escaped(middle) + "</ind:Patronymic>";
    const auto birth = child_text(person, "birthDate");
    if (!birth.empty()) hm(out, "DateOfBirth", birth);
    const auto snils = child_text(person, "snils");
    if (!snils.empty()) out += "<ind:SNILS>" + escaped(snils) + "</ind:SNILS>";
    out += "</hm:Ind>";
  }
  out += "</hm:PayerInfo>";
  out += "<base:TransportGUID>" + transport + "</base:TransportGUID>";
  out += "<ab:AccountNumber>" + escaped(child_text(a, "account")) + "</ab:AccountNumber>";
  const auto guid = child_text(a, "gisAccountGuid");
  if (!guid.empty()) hm(out, "AccountGUID", guid);
  out += "</hm:Account>";
}

std::string request_open(const char* element) {
  return std::string("<hm:") + element + " xmlns:hm=\"" + kHouseNs + "\" xmlns:base=\"" + kBaseNs +
         "\" xmlns:ab=\"" + kAccountBaseNs + "\" xmlns:ind=\"" + kIndividualNs +
         "\" Id=\"signed-data-container\" base:version=\"10.0.1.1\">";
}

// Sets c:<name> of the canonical account body to `value`, in schema order (after the last of
// `after` present); returns whether the body changed.
bool set_canonical(xmlNodePtr root, const char* name, const std::string& value,
                   const std::vector<const char*>& after) {
  if (value.empty()) return false;
  if (xmlNodePtr existing = child(root, name)) {
    if (text(existing) == value) return false;
    xmlNodeSetContent(existing, nullptr);
    xmlNodeAddContent(existing, reinterpret_cast<const xmlChar*>(value.c_str()));
    return true;
  }
  xmlNodePtr anchor = nullptr;
  for (const char* a : after) {
    if (xmlNodePtr n = child(root, a)) anchor = n;
  }
  xmlNodePtr node =
      xmlNewDocNode(root->doc, root->ns, reinterpret_cast<const xmlChar*>(name), nullptr);
  xmlNodeAddContent(node, reinterpret_cast<const xmlChar*>(value.c_str()));
  if (anchor) {
    xmlAddNextSibling(anchor, node);
  } else if (root->children) {
    xmlAddPrevSibling(xmlFirstElementChild(root), node);
  } else {
    xmlAddChild(root, node);
  }
  return true;
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

BuiltRequest build_import_accounts(const std::vector<AccountInput>& accounts,
                                   const std::string& default_kind, std::vector<Refused>& refused) {
  BuiltRequest req{"importAccountData",
                   "house-management",
                   "importAccountRequest",
                   kHouseNs,
                   "10.0.1.1",
                   {},
                   {}};
  req.body.reserve(accounts.size() * 900 + 400);
  req.body = request_open("importAccountRequest");
  std::vector<std::string_view> bodies;
  bodies.reserve(accounts.size());
  for (const auto& in : accounts) bodies.push_back(in.body);
  const XmlBatch batch(bodies, "accounts");
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const auto& in = accounts[i];
    std::string one;
    const auto transport = new_guid();
    try {
      XmlDoc alone;
      xmlNodePtr root = batch.root(i);
      if (!root) {
        alone = parse_xml(in.body, "account " + in.ref);
        root = xmlDocGetRootElement(alone.get());
      }
      if (local_name(root) != "accountUpsert") {
        throw std::invalid_argument("/" + local_name(root) + ": not an account.upsert body");
      }
      map_account(one, root, default_kind, transport);
    } catch (const std::exception& e) {
      refused.push_back({in.ref, e.what()});
      continue;
    }
    req.body += one;
    req.objects.push_back({transport, "account", in.ref, {}});
  }
  req.body += "</hm:importAccountRequest>";
  return req;
}

BuiltRequest build_export_accounts(const std::vector<AccountInput>& accounts) {
  BuiltRequest req{"exportAccountData",
                   "house-management",
                   "exportAccountRequest",
                   kHouseNs,
                   "10.0.1.1",
                   {},
                   {}};
  req.body = request_open("exportAccountRequest");
  for (const auto& in : accounts) {
    std::string guid;
    try {
      auto doc = parse_xml(in.body, "account " + in.ref);
      guid = child_text(xmlDocGetRootElement(doc.get()), "gisAccountGuid");
    } catch (const std::exception&) {
      continue;
    }
    if (guid.empty()) continue;
    req.body += "<hm:AccountGUID>" + guid + "</hm:AccountGUID>";
    req.objects.push_back({"", "account", in.ref, in.body});
  }
  req.body += "</hm:exportAccountRequest>";
  return req;
}

Handled handle_export_accounts(const ResultInput& in) {
  Handled h;
  std::map<std::string, const ObjectLine*> by_guid;
  for (const auto& o : in.objects) {
    try {
      auto doc = parse_xml(o.data, "account " + o.ref);
      by_guid[lower(child_text(xmlDocGetRootElement(doc.get()), "gisAccountGuid"))] = &o;
    } catch (const std::exception&) {
    }
  }
  std::size_t seen = 0, changed = 0;
  for (xmlNodePtr r : children(in.result, "exportAccountResult")) {
    ++seen;
    const auto guid = child_text(r, "AccountGUID");
    auto it = by_guid.find(lower(guid));
    if (it == by_guid.end()) continue;
    auto doc = parse_xml(it->second->data, "account " + it->second->ref);
    xmlNodePtr root = xmlDocGetRootElement(doc.get());
    const auto els = child_text(r, "UnifiedAccountNumber");
    const auto izhku = child_text(r, "ServiceID");
    bool diff = set_canonical(root, "els", els, {"account"});
    diff = set_canonical(root, "gisAccountGuid", guid,
                         {"account", "els", "houseFiasGuid", "premise", "area", "residents",
                          "openedOn", "closedOn"}) ||
           diff;
    diff = set_canonical(root, "izhku", izhku,
                         {"account", "els", "houseFiasGuid", "premise", "area", "residents",
                          "openedOn", "closedOn", "gisAccountGuid"}) ||
           diff;
    if (!diff) continue;
    ++changed;
    h.messages.push_back(make_message("account.upsert",
                                      "gis_zhkh:" + in.instance + ":account:" + it->second->ref +
                                          ":" + guid + ":" + els + ":" + izhku,
                                      serialize(root), in.ack_guid));
  }
  h.summary = std::to_string(seen) + " exported, " + std::to_string(changed) + " updated";
  return h;
}

}  // namespace hub::adapters::gis_zhkh
