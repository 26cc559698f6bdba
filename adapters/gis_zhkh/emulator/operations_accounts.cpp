// importAccountData / exportAccountData (house-management).

#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {
namespace {

constexpr const char* kIndividualNs =
    "http://dom.gosuslugi.ru/schema/integration/individual-registry-base/";

// The import's individual-registry-base:ID (and its children) is hm:ID in the export type.
std::string export_name(xmlNodePtr n) {
  auto is_ind_id = [](xmlNodePtr x) {
    return x && local_name(x) == "ID" && ns_of(x) == kIndividualNs && x->parent &&
           local_name(x->parent) == "Ind";
  };
  if (is_ind_id(n)) return "hm:ID";
  if (n->parent && n->parent->type == XML_ELEMENT_NODE && is_ind_id(n->parent))
    return "hm:" + local_name(n);
  return {};
}

// The AccountType part of an imported Account (everything before TransportGUID), re-emitted
// under the response prefixes, with CreationDate filled in when the import had none.
std::string account_body(xmlNodePtr account, const std::string& created) {
  std::string out;
  bool first = true, has_created = kid(account, "CreationDate") != nullptr;
  for (xmlNodePtr c : kids(account)) {
    const std::string name = local_name(c);
    if (name == "TransportGUID") break;
    copy_element(out, c, export_name);
    if (first && !has_created) element(out, "hm:CreationDate", created);
    first = false;
  }
  return out;
}

std::string first_house(xmlNodePtr account) {
  for (xmlNodePtr acc : kids(account, "Accommodation")) {
    std::string h = kid_text(acc, "FIASHouseGuid");
    if (!h.empty()) return h;
  }
  return {};
}

OpResult import_accounts(OpContext& c) {
  Store& s = c.store;
  std::string results;
  for (xmlNodePtr account : kids(c.request, "Account")) {
    const std::string transport = kid_text(account, "TransportGUID");
    if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
      results += common_error("hm:CommonResult", transport, err->second.code, err->second.text);
      continue;
    }
    const std::string guid = kid_text(account, "AccountGUID");
    std::uint64_t seq = 0;
    if (!guid.empty()) {
      AccountRec* rec = s.account(guid);
      if (!rec) {
        results += common_error("hm:CommonResult", transport, kNotFound,
                                "Лицевой счет с идентификатором " + guid + " не найден", guid);
        continue;
      }
      seq = *s.mint.parse(kAccount, guid);
      // CreationDate stays what the first import set, unless the update sends one.
      const std::string_view old_body = rec->body();
      const auto b = old_body.find("<hm:CreationDate>"), e = old_body.find("</hm:CreationDate>");
      const std::string created = b != std::string::npos && e != std::string::npos
                                      ? std::string(old_body.substr(b + 17, e - b - 17))
                                      : now_datetime();
      // Reasons stay as stored unless the update sends them.
      std::string reasons(rec->reasons());
      if (xmlNodePtr r = kid(account, "AccountReasons")) {
        reasons.clear();
        copy_element(reasons, r);
      }
      s.set_account_text(*rec, account_body(account, created), reasons,
                         kid_text(account, "AccountNumber"));
    } else {
      std::string reasons;
      if (xmlNodePtr r = kid(account, "AccountReasons")) copy_element(reasons, r);
      AccountRec rec;
      const std::string house = first_house(account);
      rec.house = s.house_id(house);
      if (!house.empty() && !s.houses.count(house)) s.houses[house] = "";
      seq = s.add_account(rec, account_body(account, now_datetime()), reasons,
                          kid_text(account, "AccountNumber"));
    }
    std::string extra = "<hm:ImportAccount>";
    element(extra, "ab:UnifiedAccountNumber", Store::unified_account_number(seq));
    element(extra, "ab:ServiceID", Store::service_id(seq));
    extra += "</hm:ImportAccount>";
    results += common_result("hm:CommonResult", s.account_guid(seq), transport,
                             Store::unified_account_number(seq), extra);
  }
  return {{}, {}, "<hm:ImportResult base:version=\"10.0.1.1\">" + results + "</hm:ImportResult>"};
}

std::optional<std::uint64_t> seq_of_els(const std::string& els) {
  // The inverse of Store::unified_account_number: "99", two base-36 digits, six decimal ones.
  if (els.size() < 10 || els.compare(0, 2, "99") != 0) return std::nullopt;
  std::uint64_t millions = 0, rest = 0;
  for (std::size_t i = 2; i < 4; ++i) {
    const char ch = els[i];
    const int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'Z' ? ch - 'A' + 10 : -1;
    if (d < 0) return std::nullopt;
    millions = millions * 36 + static_cast<std::uint64_t>(d);
  }
  for (std::size_t i = 4; i < 10; ++i) {
    if (els[i] < '0' || els[i] > '9') return std::nullopt;
    rest = rest * 10 + static_cast<std::uint64_t>(els[i] - '0');
  }
  return millions * 1000000 + rest;
}

OpResult export_accounts(OpContext& c) {
  Store& s = c.store;
  std::vector<std::uint64_t> seqs;
  auto add = [&](std::optional<std::uint64_t> seq) {
    if (seq && *seq >= s.accounts_base && *seq < s.accounts_base + s.accounts.size())
      seqs.push_back(*seq);
  };
  for (xmlNodePtr n : kids(c.request)) {
    const std::string name = local_name(n), value = text_of(n);
    if (name == "FIASHouseGuid") {
      if (auto h = s.house_ids.find(value); h != s.house_ids.end())
        for (auto seq : s.accounts_of_house[h->second]) add(seq);
    } else if (name == "AccountGUID") {
      add(s.mint.parse(kAccount, value));
    } else if (name == "UnifiedAccountNumber") {
      add(seq_of_els(value));
    } else if (name == "ServiceID") {
      add(seq_of_els(value.substr(0, 10)));
    }
  }
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  if (seqs.empty()) return {kNoObjects, kNoObjectsText, {}};
  std::string out;
  for (auto seq : seqs) {
    const AccountRec& a = s.accounts[seq - s.accounts_base];
    out += "<hm:exportAccountResult>";
    out += a.body();
    out += a.reasons();
    if (!a.number().empty()) element(out, "hm:AccountNumber", a.number());
    element(out, "hm:AccountGUID", s.account_guid(seq));
    element(out, "ab:UnifiedAccountNumber", Store::unified_account_number(seq));
    element(out, "ab:ServiceID", Store::service_id(seq));
    out += "</hm:exportAccountResult>";
  }
  return {{}, {}, out};
}

}  // namespace

void register_account_operations(std::map<std::string, Handler>& out) {
  out["importAccountData"] = import_accounts;
  out["exportAccountData"] = export_accounts;
}

}  // namespace hub::adapters::gis_zhkh::emulator
