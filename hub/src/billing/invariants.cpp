#include "hub/billing/invariants.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdlib>

namespace hub::billing {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string get(const Record& r, const std::string& k) {
  auto it = r.find(k);
  return it == r.end() ? std::string() : it->second;
}

long long kopecks(const std::string& s) {
  return s.empty() ? 0 : std::atoll(s.c_str());
}

long long item_kopecks(const Object::Ptr& o, const std::string& k) {
  return o && o->has(k) ? kopecks(o->getValue<std::string>(k)) : 0;
}

Array::Ptr array(const Record& r, const std::string& k) {
  const auto text = get(r, k);
  if (text.empty()) return new Array;
  return Poco::JSON::Parser().parse(text).extract<Array::Ptr>();
}

long long sum_of(const Array::Ptr& a, const std::string& k) {
  long long s = 0;
  if (a)
    for (std::size_t i = 0; i < a->size(); ++i) s += item_kopecks(a->getObject(i), k);
  return s;
}

std::string n(long long v) {
  return std::to_string(v);
}

// Dates are ISO (YYYY-MM-DD): text order is time order. Empty = absent.
void dates_in_order(const Record& r, const std::string& root, const std::string& earlier,
                    const std::string& earlier_el, const std::string& later,
                    const std::string& later_el, bool strict, std::vector<MappingIssue>& out) {
  const auto a = get(r, earlier), b = get(r, later);
  if (a.empty() || b.empty()) return;
  if (strict ? !(a < b) : b < a)
    out.push_back(
        {root + "/c:" + later_el,
         later_el + " " + b + " is " + (strict ? "not after " : "before ") + earlier_el + " " + a});
}

void not_larger(const Record& r, const std::string& root, const std::string& part,
                const std::string& part_el, const std::string& total, const std::string& total_el,
                std::vector<MappingIssue>& out) {
  const auto a = get(r, part), b = get(r, total);
  if (a.empty() || b.empty()) return;
  if (std::strtod(a.c_str(), nullptr) > std::strtod(b.c_str(), nullptr))
    out.push_back({root + "/c:" + part_el, part_el + " " + a + " exceeds " + total_el + " " + b});
}

}  // namespace

std::vector<MappingIssue> check_invariants(const std::string& type, const Record& r) {
  std::vector<MappingIssue> out;
  if (type == "payment.received" || type == "payment.unidentified") {
    const std::string root = type == "payment.received"
                                 ? "/c:paymentReceived"
                                 : "/c:paymentUnidentified/c:paymentReceived";
    const auto services = array(r, "services");
    if (services->size() > 0) {
      const long long split = sum_of(services, "amountKopecks");
      const long long amount = kopecks(get(r, "amount_kopecks"));
      if (split != amount)
        out.push_back({root + "/c:services", "the services add up to " + n(split) +
                                                 " kopecks, amountKopecks is " + n(amount)});
    }
  } else if (type == "charge.issued") {
    const auto services = array(r, "services");
    long long total = 0;
    for (std::size_t i = 0; i < services->size(); ++i) {
      const auto s = services->getObject(i);
      const long long want = item_kopecks(s, "chargedKopecks") +
                             sum_of(s->getArray("recalculation"), "amountKopecks") -
                             sum_of(s->getArray("benefit"), "amountKopecks");
      const long long got = item_kopecks(s, "totalKopecks");
      if (got != want)
        out.push_back({"/c:chargeIssued/c:services/c:service[" + n(i + 1) + "]/c:totalKopecks",
                       "totalKopecks " + n(got) +
                           " is not charged + recalculations - benefits = " + n(want)});
      total += got;
    }
    total += kopecks(get(r, "penalty_kopecks"));
    if (kopecks(get(r, "total_kopecks")) != total)
      out.push_back({"/c:chargeIssued/c:totalKopecks",
                     "totalKopecks " + get(r, "total_kopecks") +
                         " is not the services' totals + penaltyKopecks = " + n(total)});
  } else if (type == "payment_document.issued") {
    const auto services = array(r, "services");
    long long total = 0;
    for (std::size_t i = 0; i < services->size(); ++i) {
      const auto s = services->getObject(i);
      const long long want = item_kopecks(s, "chargedKopecks") +
                             item_kopecks(s, "recalculationKopecks") -
                             item_kopecks(s, "benefitKopecks");
      const long long got = item_kopecks(s, "totalKopecks");
      if (got != want)
        out.push_back(
            {"/c:paymentDocumentIssued/c:services/c:service[" + n(i + 1) + "]/c:totalKopecks",
             "totalKopecks " + n(got) + " is not charged + recalculation - benefit = " + n(want)});
      total += got;
    }
    long long due = total + kopecks(get(r, "penalty_kopecks")) + kopecks(get(r, "debt_kopecks")) -
                    kopecks(get(r, "advance_kopecks")) - kopecks(get(r, "paid_kopecks"));
    if (due < 0) due = 0;
    if (kopecks(get(r, "total_due_kopecks")) != due)
      out.push_back({"/c:paymentDocumentIssued/c:totalDueKopecks",
                     "totalDueKopecks " + get(r, "total_due_kopecks") +
                         " is not max(0, services + penalty + debt - advance - paid) = " + n(due)});
  } else if (type == "house.upsert") {
    not_larger(r, "/c:houseUpsert", "residential_area", "residentialArea", "total_area",
               "totalArea", out);
    dates_in_order(r, "/c:houseUpsert", "managed_from", "managedFrom", "managed_to", "managedTo",
                   false, out);
  } else if (type == "premise.upsert") {
    not_larger(r, "/c:premiseUpsert", "living_area", "livingArea", "total_area", "totalArea", out);
  } else if (type == "account.upsert") {
    dates_in_order(r, "/c:accountUpsert", "opened_on", "openedOn", "closed_on", "closedOn", false,
                   out);
    const auto els = get(r, "els"), izhku = get(r, "izhku");
    if (!els.empty() && !izhku.empty() && izhku.rfind(els, 0) != 0)
      out.push_back(
          {"/c:accountUpsert/c:izhku", "izhku " + izhku + " does not start with els " + els});
  } else if (type == "meter.upsert") {
    const std::string root = "/c:meterUpsert";
    dates_in_order(r, root, "installed_on", "installedOn", "commissioned_on", "commissionedOn",
                   false, out);
    dates_in_order(r, root, "last_verified_on", "lastVerifiedOn", "next_verification_on",
                   "nextVerificationOn", true, out);
    for (const auto& [col, el] :
         std::vector<std::pair<std::string, std::string>>{{"installed_on", "installedOn"},
                                                          {"commissioned_on", "commissionedOn"},
                                                          {"last_verified_on", "lastVerifiedOn"},
                                                          {"sealed_on", "sealedOn"}})
      dates_in_order(r, root, col, el, "archived_on", "archivedOn", false, out);
  }
  return out;
}

}  // namespace hub::billing
