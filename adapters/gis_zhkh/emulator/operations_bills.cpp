// importPaymentDocumentData / exportPaymentDocumentData (bills).

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "operations.h"

namespace hub::adapters::gis_zhkh::emulator {
namespace {

// An ИПД-shaped PaymentDocumentID (18 characters, bills-base) that also fits the canonical
// c:IpdId: 2 digits, 2 letters, 6 digits, -NN-, the period as YYMM.
std::string payment_document_id(std::uint64_t seq, int year, int month) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "99PD%06llu-%02llu-%02d%02d",
                static_cast<unsigned long long>(seq % 1000000),
                static_cast<unsigned long long>(seq / 1000000 % 100), year % 100, month % 100);
  return buf;
}

// The totals a document keeps for its export, in the export type's order.
constexpr const char* kTotals[] = {"TotalPayableByChargeInfo",
                                   "DebtPreviousPeriods",
                                   "AdvanceBllingPeriod",
                                   "TotalPayableByPD",
                                   "TotalByPenaltiesAndCourtCosts",
                                   "TotalPayableByPDWithDebtAndAdvance",
                                   "PaidCash"};

// The ChargeInfo blocks of an imported document in the export's shape: ServiceType, Rate,
// TotalPayable and AccountingPeriodTotal are common to ServicePDImportType and ServicePDType.
std::string export_charges(xmlNodePtr doc) {
  std::string out;
  for (xmlNodePtr ci : kids(doc, "ChargeInfo")) {
    for (xmlNodePtr block : kids(ci)) {
      const std::string name = local_name(block);
      if (name != "HousingService" && name != "MunicipalService" && name != "AdditionalService")
        continue;
      xmlNodePtr type = kid(block, "ServiceType");
      out += "<bills:ChargeInfo><bills:" + name + "><bills:ServiceType>";
      element(out, "nb:Code", kid_text(type, "Code"));
      element(out, "nb:GUID", kid_text(type, "GUID"));
      out += "</bills:ServiceType>";
      for (const char* f : {"Rate", "TotalPayable", "AccountingPeriodTotal"}) {
        const std::string v = kid_text(block, f);
        if (!v.empty()) element(out, std::string("bills:") + f, v);
      }
      out += "</bills:" + name + "></bills:ChargeInfo>";
    }
  }
  return out;
}

OpResult import_documents(OpContext& c) {
  Store& s = c.store;
  std::string results;
  const int month = std::atoi(kid_text(c.request, "Month").c_str());
  const int year = std::atoi(kid_text(c.request, "Year").c_str());
  std::map<std::string, std::string> info_guids;  // PaymentInformation TransportGUID → GUID
  for (xmlNodePtr info : kids(c.request, "PaymentInformation")) {
    const std::string transport = kid_text(info, "TransportGUID");
    if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
      results += common_error("bills:ImportResult", transport, err->second.code, err->second.text);
      continue;
    }
    const std::string guid = s.mint.make(kPaymentInfo, s.payment_infos++);
    info_guids[transport] = guid;
    results += common_result("bills:ImportResult", guid, transport, {});
  }
  for (xmlNodePtr doc : kids(c.request, "PaymentDocument")) {
    const std::string transport = kid_text(doc, "TransportGUID");
    if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
      results += common_error("bills:ImportResult", transport, err->second.code, err->second.text);
      continue;
    }
    const std::string account = kid_text(doc, "AccountGuid");
    if (!s.account(account)) {
      results += common_error("bills:ImportResult", transport, kNotFound,
                              "Лицевой счет с идентификатором " + account + " не найден");
      continue;
    }
    std::string info_key = kid_text(doc, "PaymentInformationKey");
    if (info_key.empty())
      info_key = kid_text(kid(doc, "DetailsPaymentInformation"), "PaymentInformationKey");
    const std::string id = kid_text(doc, "PaymentDocumentID");
    std::uint64_t seq = s.payment_docs.size();
    std::string new_id;
    if (!id.empty()) {
      auto it = s.payment_doc_by_id.find(id);
      if (it == s.payment_doc_by_id.end()) {
        results += common_error("bills:ImportResult", transport, kNotFound,
                                "Платежный документ " + id + " не найден");
        continue;
      }
      seq = it->second;
    } else {
      s.payment_docs.emplace_back();
      new_id = payment_document_id(seq, year, month);
      s.payment_doc_by_id[new_id] = seq;
    }
    PaymentDocRec& rec = s.payment_docs[seq];
    rec.account_guid = account;
    rec.number = kid_text(doc, "PaymentDocumentNumber");
    if (!new_id.empty()) rec.id = new_id;
    rec.month = month;
    rec.year = year;
    rec.total = kid_text(doc, "TotalPayableByPD");
    rec.payment_info_guid = info_guids.count(info_key) ? info_guids[info_key] : std::string();
    rec.withdrawn = kid(doc, "Withdraw") != nullptr;
    rec.charges = export_charges(doc);
    rec.totals.clear();
    for (const char* t : kTotals) {
      const std::string v = kid_text(doc, t);
      if (!v.empty()) rec.totals[t] = v;
    }
    results +=
        common_result("bills:ImportResult", s.mint.make(kPaymentDoc, seq), transport, rec.id);
  }
  for (xmlNodePtr w : kids(c.request, "WithdrawPaymentDocument")) {
    const std::string transport = kid_text(w, "TransportGUID");
    const std::string id = kid_text(w, "PaymentDocumentID");
    if (auto err = s.object_errors.find(transport); err != s.object_errors.end()) {
      results += common_error("bills:ImportResult", transport, err->second.code, err->second.text);
      continue;
    }
    auto it = s.payment_doc_by_id.find(id);
    if (it == s.payment_doc_by_id.end()) {
      results += common_error("bills:ImportResult", transport, kNotFound,
                              "Платежный документ " + id + " не найден");
      continue;
    }
    PaymentDocRec& rec = s.payment_docs[it->second];
    if (rec.withdrawn) {
      results += common_error("bills:ImportResult", transport, "SRV008070",
                              "Платежный документ " + id + " уже отозван");
      continue;
    }
    rec.withdrawn = true;
    results +=
        common_result("bills:ImportResult", s.mint.make(kPaymentDoc, it->second), transport, id);
  }
  return {{}, {}, results};
}

OpResult export_documents(OpContext& c) {
  Store& s = c.store;
  std::vector<std::uint64_t> seqs;
  for (xmlNodePtr n : kids(c.request, "PaymentDocumentID")) {
    if (auto it = s.payment_doc_by_id.find(text_of(n)); it != s.payment_doc_by_id.end())
      seqs.push_back(it->second);
  }
  if (kid(c.request, "Year")) {
    const int year = std::atoi(kid_text(c.request, "Year").c_str());
    const int month = std::atoi(kid_text(c.request, "Month").c_str());
    std::vector<std::string> accounts, numbers;
    for (xmlNodePtr n : kids(c.request, "AccountGUID")) accounts.push_back(text_of(n));
    for (const char* key : {"UnifiedAccountNumber", "ServiceID"}) {
      for (xmlNodePtr n : kids(c.request, key)) {
        // ЕЛС / ЖКУ id → the account they were derived from.
        for (std::uint64_t i = 0; i < s.accounts.size(); ++i) {
          const std::uint64_t seq = s.accounts_base + i;
          if (Store::unified_account_number(seq) == text_of(n).substr(0, 10))
            accounts.push_back(s.account_guid(seq));
        }
      }
    }
    for (const char* key : {"PaymentDocumentNumber", "AccountNumber"})
      for (xmlNodePtr n : kids(c.request, key)) numbers.push_back(text_of(n));
    const std::string house = kid_text(c.request, "FIASHouseGuid");
    for (std::uint64_t i = 0; i < s.payment_docs.size(); ++i) {
      const PaymentDocRec& d = s.payment_docs[i];
      if (d.year != year || d.month != month) continue;
      bool match = std::find(accounts.begin(), accounts.end(), d.account_guid) != accounts.end();
      if (!house.empty() && !match) {
        const AccountRec* a = s.account(d.account_guid);
        match = a && s.house_name(a->house) == house &&
                (std::find(numbers.begin(), numbers.end(), d.number) != numbers.end() ||
                 std::find(numbers.begin(), numbers.end(), a->number()) != numbers.end());
      }
      if (match) seqs.push_back(i);
    }
  }
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  if (seqs.empty()) return {kNoObjects, kNoObjectsText, {}};
  std::string out;
  for (auto seq : seqs) {
    const PaymentDocRec& d = s.payment_docs[seq];
    out += "<bills:exportPaymentDocResult><bills:PaymentDocument>";
    element(out, "ab:AccountGuid", d.account_guid);
    if (!d.number.empty()) element(out, "bb:PaymentDocumentNumber", d.number);
    out += d.charges;
    element(out, d.withdrawn ? "bills:Withdraw" : "bills:Expose", "true");
    for (const char* t : kTotals) {
      auto it = d.totals.find(t);
      if (it != d.totals.end()) {
        element(out, std::string("bills:") + t, it->second);
      } else if (std::string_view(t) == "TotalPayableByPD" && !d.total.empty()) {
        element(out, "bills:TotalPayableByPD", d.total);
      }
    }
    element(out, "base:Month", std::to_string(d.month));
    element(out, "base:Year", std::to_string(d.year));
    element(out, "bb:PaymentDocumentID", d.id);
    out += "<bills:PaymentInformation>";
    if (!d.payment_info_guid.empty())
      element(out, "bills:PaymentInformationGuid", d.payment_info_guid);
    out += "</bills:PaymentInformation></bills:PaymentDocument></bills:exportPaymentDocResult>";
  }
  return {{}, {}, out};
}

}  // namespace

void register_bills_operations(std::map<std::string, Handler>& out) {
  out["importPaymentDocumentData"] = import_documents;
  out["exportPaymentDocumentData"] = export_documents;
}

}  // namespace hub::adapters::gis_zhkh::emulator
