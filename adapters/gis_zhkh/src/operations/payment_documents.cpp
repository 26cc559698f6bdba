#include "payment_documents.h"

#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

#include "../util.h"
#include "../xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

constexpr const char* kBillsNs = "http://dom.gosuslugi.ru/schema/integration/bills/";
constexpr const char* kBillsBaseNs = "http://dom.gosuslugi.ru/schema/integration/bills-base/";
constexpr const char* kPaymentsBaseNs = "http://dom.gosuslugi.ru/schema/integration/payments-base/";
constexpr const char* kNsiBaseNs = "http://dom.gosuslugi.ru/schema/integration/nsi-base/";
constexpr const char* kRoot = "/c:paymentDocumentIssued";

std::string request_open(const char* element, const char* version) {
  return std::string("<bills:") + element + " xmlns:bills=\"" + kBillsNs + "\" xmlns:bb=\"" +
         kBillsBaseNs + "\" xmlns:pmb=\"" + kPaymentsBaseNs + "\" xmlns:nsi=\"" + kNsiBaseNs +
         "\" xmlns:ab=\"" + kAccountBaseNs + "\" xmlns:base=\"" + kBaseNs +
         "\" Id=\"signed-data-container\" base:version=\"" + version + "\">";
}

void bills(std::string& out, const char* tag, const std::string& v) {
  out += std::string("<bills:") + tag + ">";
  append_escaped(out, v);
  out += std::string("</bills:") + tag + ">";
}

// An integer number of kopecks as GIS rubles (decimal, 2 fraction digits, at most 13 digits).
std::string rubles(const std::string& kopecks, const std::string& xpath) {
  const bool negative = !kopecks.empty() && kopecks[0] == '-';
  std::string digits = negative ? kopecks.substr(1) : kopecks;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(xpath + ": '" + kopecks + "' is not a number of kopecks");
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.size() > 13)
    throw std::invalid_argument(xpath + ": " + kopecks + " kopecks is over GIS's 13 digits");
  while (digits.size() < 3) digits.insert(digits.begin(), '0');
  const bool zero = digits.find_first_not_of('0') == std::string::npos;
  return std::string(negative && !zero ? "-" : "") + digits.substr(0, digits.size() - 2) + "." +
         digits.substr(digits.size() - 2);
}

long long kopecks_of(const std::string& v) {
  return v.empty() ? 0 : std::stoll(v);
}

// A tariff in kopecks (up to 6 fraction digits) as a GIS Rate in rubles (6 fraction, 14 total).
std::string rate(const std::string& tariff, const std::string& xpath) {
  const auto dot = tariff.find('.');
  std::string whole = tariff.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : tariff.substr(dot + 1);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (fraction.size() > 4)
    throw std::invalid_argument(xpath + ": " + tariff +
                                " has more than the 4 kopeck fraction digits GIS Rate keeps");
  const auto r = rubles(whole, xpath);
  if (r.size() - 3 > 8) throw std::invalid_argument(xpath + ": " + tariff + " is over GIS Rate");
  return r + fraction;
}

std::string nsi_ref(const PdService& s) {
  return "<nsi:Code>" + escaped(s.nsi_code) + "</nsi:Code><nsi:GUID>" + escaped(s.nsi_guid) +
         "</nsi:GUID>";
}

struct Mapped {
  std::string markup;  // PaymentDocument children before TransportGUID
  std::string period;
  std::string bik, account;  // requisites
};

Mapped map_document(xmlNodePtr d, const PaymentDocumentInput& in, const PdServices& table,
                    const Recipient& payee) {
  Mapped m;
  m.period = child_text(d, "period");
  if (in.account_guid.empty()) {
    throw std::invalid_argument(std::string(kRoot) + "/c:account: account " +
                                child_text(d, "account") +
                                " has no AccountGUID in the store (place it in GIS first)");
  }
  xmlNodePtr p = child(d, "payee");
  m.bik = p ? child_text(p, "bankBik") : payee.bank_bik;
  m.account = p ? child_text(p, "settlementAccount") : payee.account;
  if (m.bik.empty() || m.account.size() != 20) {
    throw std::invalid_argument(std::string(kRoot) +
                                "/c:payee: no payee requisites (bankBik, settlementAccount) and "
                                "no bank_bik / bank_account configured");
  }
  std::string& out = m.markup;
  out += "<ab:AccountGuid>" + escaped(in.account_guid) + "</ab:AccountGuid>";
  out += "<bb:PaymentDocumentNumber>" + escaped(child_text(d, "documentNumber")) +
         "</bb:PaymentDocumentNumber>";
  long long sum = 0;
  int i = 0;
  for (xmlNodePtr s : children(child(d, "services"), "service")) {
    const std::string at =
        std::string(kRoot) + "/c:services/c:service[" + std::to_string(++i) + "]";
    const auto code = child_text(s, "code");
    auto it = table.find(code);
    if (it == table.end() || it->second.block == "penalty") {
      throw std::invalid_argument(at + "/c:code: service '" + code +
                                  "' has no GIS NSI entry in pd_services");
    }
    const auto tariff = child_text(s, "tariffKopecks");
    if (tariff.empty())
      throw std::invalid_argument(at + "/c:tariffKopecks: GIS needs the Rate of every service");
    const auto total = child_text(s, "totalKopecks");
    const std::string& block = it->second.block;
    out += "<bills:ChargeInfo><bills:" + block + "><bills:ServiceType>" + nsi_ref(it->second) +
           "</bills:ServiceType>";
    bills(out, "Rate", rate(tariff, at + "/c:tariffKopecks"));
    bills(out, "TotalPayable", rubles(total, at + "/c:totalKopecks"));
    bills(out, "AccountingPeriodTotal",
          rubles(child_text(s, "chargedKopecks"), at + "/c:chargedKopecks"));
    const auto recalculation = child_text(s, "recalculationKopecks");
    const auto benefit = child_text(s, "benefitKopecks");
    if (!recalculation.empty() || !benefit.empty()) {
      out += "<bills:ServiceCharge>";
      if (!recalculation.empty())
        bills(out, "MoneyRecalculation", rubles(recalculation, at + "/c:recalculationKopecks"));
      if (!benefit.empty()) bills(out, "MoneyDiscount", rubles(benefit, at + "/c:benefitKopecks"));
      out += "</bills:ServiceCharge>";
    }
    const auto volume = child_text(s, "volume");
    if (block == "MunicipalService" && !volume.empty()) {
      out += "<bills:Consumption><bills:Volume type=\"I\">" + escaped(volume) +
             "</bills:Volume></bills:Consumption>";
    }
    out += "</bills:" + block + "></bills:ChargeInfo>";
    sum += kopecks_of(total);
  }
  const auto penalty = child_text(d, "penaltyKopecks");
  const long long penalty_k = kopecks_of(penalty);
  if (penalty_k > 0) {
    auto it = table.find("penalty");
    if (it == table.end()) {
      throw std::invalid_argument(std::string(kRoot) +
                                  "/c:penaltyKopecks: GIS needs the NSI 329 entry 'penalty' in "
                                  "pd_services for penalties");
    }
    out += "<bills:PenaltiesAndCourtCosts><bills:ServiceType>" + nsi_ref(it->second) +
           "</bills:ServiceType>";
    bills(out, "Cause", "Пени за несвоевременную и (или) неполную оплату");
    bills(out, "TotalPayable", rubles(penalty, std::string(kRoot) + "/c:penaltyKopecks"));
    out += "</bills:PenaltiesAndCourtCosts>";
  }
  bills(out, "Expose", "true");
  bills(out, "TotalPayableByChargeInfo",
        rubles(std::to_string(sum), std::string(kRoot) + "/c:services"));
  const auto debt = child_text(d, "debtKopecks");
  const auto advance = child_text(d, "advanceKopecks");
  if (!debt.empty())
    bills(out, "DebtPreviousPeriods", rubles(debt, std::string(kRoot) + "/c:debtKopecks"));
  if (!advance.empty())
    bills(out, "AdvanceBllingPeriod", rubles(advance, std::string(kRoot) + "/c:advanceKopecks"));
  bills(out, "TotalPayableByPDWithDebtAndAdvance",
        rubles(child_text(d, "totalDueKopecks"), std::string(kRoot) + "/c:totalDueKopecks"));
  if (penalty_k > 0)
    bills(out, "TotalByPenaltiesAndCourtCosts",
          rubles(penalty, std::string(kRoot) + "/c:penaltyKopecks"));
  bills(out, "TotalPayableByPD",
        rubles(std::to_string(sum + penalty_k), std::string(kRoot) + "/c:services"));
  const auto paid = child_text(d, "paidKopecks");
  if (!paid.empty()) bills(out, "PaidCash", rubles(paid, std::string(kRoot) + "/c:paidKopecks"));
  return m;
}

std::string year_of(const std::string& period) {
  return period.substr(0, 4);
}
std::string month_of(const std::string& period) {
  return std::to_string(std::stoi(period.substr(5, 2)));
}

}  // namespace

PdServices parse_pd_services(const std::vector<std::string>& entries) {
  static const std::map<std::string, std::string> kBlocks = {{"housing", "HousingService"},
                                                             {"municipal", "MunicipalService"},
                                                             {"additional", "AdditionalService"},
                                                             {"penalty", "penalty"}};
  PdServices out;
  for (const auto& e : entries) {
    const auto eq = e.find('=');
    const auto c1 = e.find(':', eq == std::string::npos ? 0 : eq);
    const auto c2 = c1 == std::string::npos ? c1 : e.find(':', c1 + 1);
    if (eq == std::string::npos || eq == 0 || c1 == std::string::npos || c2 == std::string::npos ||
        c2 == c1 + 1 || c2 + 1 >= e.size()) {
      throw std::invalid_argument(
          "pd_services: '" + e +
          "' is not code=housing|municipal|additional|penalty:nsi_code:guid");
    }
    const auto kind = e.substr(eq + 1, c1 - eq - 1);
    auto block = kBlocks.find(kind);
    if (block == kBlocks.end()) {
      throw std::invalid_argument("pd_services: '" + e + "': kind '" + kind +
                                  "' is not housing, municipal, additional or penalty");
    }
    if ((kind == "penalty") != (e.substr(0, eq) == "penalty")) {
      throw std::invalid_argument("pd_services: '" + e +
                                  "': kind penalty is the entry 'penalty=penalty:<code>:<guid>'");
    }
    const auto guid = e.substr(c2 + 1);
    if (guid.size() != 36)
      throw std::invalid_argument("pd_services: '" + e + "': '" + guid + "' is not a GUID");
    if (!out.emplace(e.substr(0, eq), PdService{block->second, e.substr(c1 + 1, c2 - c1 - 1), guid})
             .second)
      throw std::invalid_argument("pd_services: service '" + e.substr(0, eq) + "' listed twice");
  }
  return out;
}

BuiltRequest build_import_payment_documents(const std::vector<PaymentDocumentInput>& docs,
                                            const PdServices& services, const Recipient& payee,
                                            std::vector<Refused>& refused) {
  BuiltRequest req{"importPaymentDocumentData",
                   "bills",
                   "importPaymentDocumentRequest",
                   kBillsNs,
                   "11.2.0.16",
                   {},
                   {}};
  std::string period, documents, infos;
  std::map<std::pair<std::string, std::string>, std::string> info_keys;  // (BIK, account) → key
  for (const auto& in : docs) {
    const auto transport = new_guid();
    Mapped m;
    std::string ipd;
    try {
      auto doc = parse_xml(in.body, "payment document " + in.ref);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      if (local_name(root) != "paymentDocumentIssued")
        throw std::invalid_argument("/" + local_name(root) +
                                    ": not a payment_document.issued body");
      m = map_document(root, in, services, payee);
      if (m.period.size() != 7)
        throw std::invalid_argument(std::string(kRoot) + "/c:period: missing");
      if (!period.empty() && m.period != period) {
        throw std::invalid_argument(std::string(kRoot) + "/c:period: " + m.period +
                                    " in a request for " + period);
      }
      ipd = child_text(root, "ipd");
    } catch (const std::exception& e) {
      refused.push_back({in.ref, e.what()});
      continue;
    }
    period = m.period;
    auto [it, fresh] = info_keys.emplace(std::make_pair(m.bik, m.account), std::string());
    if (fresh) {
      it->second = new_guid();
      infos += "<bills:PaymentInformation><pmb:BankBIK>" + escaped(m.bik) +
               "</pmb:BankBIK><pmb:operatingAccountNumber>" + escaped(m.account) +
               "</pmb:operatingAccountNumber><base:TransportGUID>" + it->second +
               "</base:TransportGUID></bills:PaymentInformation>";
    }
    documents += "<bills:PaymentDocument>" + m.markup + "<base:TransportGUID>" + transport +
                 "</base:TransportGUID>";
    if (!ipd.empty())
      documents += "<bb:PaymentDocumentID>" + escaped(ipd) + "</bb:PaymentDocumentID>";
    documents += "<bills:PaymentInformationKey>" + it->second +
                 "</bills:PaymentInformationKey></bills:PaymentDocument>";
    req.objects.push_back({transport, "payment_document", in.ref, {}});
  }
  if (req.objects.empty()) return req;
  req.body = request_open("importPaymentDocumentRequest", "11.2.0.16");
  req.body += "<base:Month>" + month_of(period) + "</base:Month><base:Year>" + year_of(period) +
              "</base:Year>" + infos + documents + "</bills:importPaymentDocumentRequest>";
  return req;
}

BuiltRequest build_export_payment_documents(const std::string& period,
                                            const std::vector<PaymentDocumentInput>& docs) {
  BuiltRequest req{"exportPaymentDocumentData",
                   "bills",
                   "exportPaymentDocumentRequest",
                   kBillsNs,
                   "13.1.0.1",
                   {},
                   {}};
  req.body = request_open("exportPaymentDocumentRequest", "13.1.0.1");
  req.body += "<base:Year>" + year_of(period) + "</base:Year><base:Month>" + month_of(period) +
              "</base:Month>";
  std::set<std::string> accounts;
  for (const auto& d : docs) {
    if (d.account_guid.empty()) continue;
    if (accounts.insert(lower(d.account_guid)).second)
      req.body += "<bills:AccountGUID>" + escaped(d.account_guid) + "</bills:AccountGUID>";
    // No TransportGUID in an export: one of ours correlates the external.state result.
    req.objects.push_back({new_guid(), "payment_document", d.ref, d.account_guid});
  }
  req.body += "</bills:exportPaymentDocumentRequest>";
  return req;
}

Handled handle_export_payment_documents(const ResultInput& in) {
  Handled h;
  std::map<std::pair<std::string, std::string>, const ObjectLine*> wanted;  // (guid, number)
  for (const auto& o : in.objects) wanted[{lower(o.data), o.ref}] = &o;
  std::size_t seen = 0, matched = 0;
  std::string lines;
  for (xmlNodePtr r : children(in.result, "exportPaymentDocResult")) {
    xmlNodePtr d = child(r, "PaymentDocument");
    if (!d) continue;
    ++seen;
    const auto number = child_text(d, "PaymentDocumentNumber");
    const auto id = child_text(d, "PaymentDocumentID");
    const bool withdrawn = child_text(d, "Withdraw") == "true";
    lines += "\n" + number + " -> " + id + " total " + child_text(d, "TotalPayableByPD") +
             (withdrawn ? " (withdrawn)" : "");
    auto it = wanted.find({lower(child_text(d, "AccountGuid")), number});
    if (it == wanted.end()) continue;
    ++matched;
    ObjectResult o;
    o.transport_guid = it->second->transport_guid;
    o.kind = "payment_document";
    o.ref = number;
    if (withdrawn) {
      o.errors.emplace_back("WITHDRAWN", "GIS shows payment document " + id + " withdrawn");
    } else {
      o.unique_number = id;
    }
    wanted.erase(it);
    h.results.push_back(std::move(o));
  }
  h.summary = std::to_string(seen) + " exported, " + std::to_string(matched) + " ours, " +
              std::to_string(wanted.size()) + " not in GIS" + lines;
  return h;
}

}  // namespace hub::adapters::gis_zhkh
