#include "store.h"

#include <cstdio>

namespace hub::adapters::gis_zhkh::emulator {

AccountRec* Store::account(const std::string& guid) {
  auto seq = mint.parse(kAccount, guid);
  if (!seq || *seq < accounts_base || *seq >= accounts_base + accounts.size()) return nullptr;
  AccountRec& a = accounts[*seq - accounts_base];
  return &a;
}

std::uint64_t Store::add_account(AccountRec rec, std::string_view body, std::string_view reasons,
                                 std::string_view number) {
  const std::uint64_t seq = accounts_base + accounts.size();
  if (rec.house) accounts_of_house[rec.house].push_back(seq);
  rec.text = {};
  set_account_text(rec, body, reasons, number);
  accounts.push_back(rec);
  while (accounts.size() > max_accounts) {
    // The oldest go first; their house index entries are skipped on export (seq < base).
    account_text.release(accounts.front().text);
    accounts.pop_front();
    ++accounts_base;
  }
  return seq;
}

void Store::set_account_text(AccountRec& rec, std::string_view body, std::string_view reasons,
                             std::string_view number) {
  const TextArena::Ref old = rec.text;
  rec.text = account_text.put({body, reasons, number});
  rec.reasons_at = static_cast<std::uint32_t>(body.size());
  rec.number_at = static_cast<std::uint32_t>(body.size() + reasons.size());
  account_text.release(old);  // after the put: `body` may point into it
}

namespace {
std::string base36(std::uint64_t v, std::size_t width) {
  static const char* digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string s(width, '0');
  for (std::size_t i = width; i-- > 0 && v;) {
    s[i] = digits[v % 36];
    v /= 36;
  }
  return s;
}
}  // namespace

// ЕЛС as GIS writes it: two digits, two letters or digits, six digits (34АА011432). The
// emulator's are 99 (no real region), the sequence's millions in base 36, then its last six
// digits: unique up to 1,296,000,000 accounts and read back by seq_of_els().
std::string Store::unified_account_number(std::uint64_t seq) {
  char tail[8];
  std::snprintf(tail, sizeof tail, "%06u", static_cast<unsigned>(seq % 1000000));
  return "99" + base36(seq / 1000000, 2) + tail;
}
std::string Store::service_id(std::uint64_t seq) {
  return unified_account_number(seq) + "-01";
}

std::uint32_t Store::house_id(const std::string& fias) {
  if (fias.empty()) return 0;
  auto [it, fresh] = house_ids.emplace(fias, static_cast<std::uint32_t>(house_names.size()));
  if (fresh) {
    house_names.push_back(fias);
    accounts_of_house.emplace_back();
  }
  return it->second;
}

MeterRec* Store::meter_by_root(const std::string& guid) {
  auto seq = mint.parse(kMeterRoot, guid);
  if (!seq || *seq >= meters.size()) return nullptr;
  return &meters[*seq];
}

MeterRec* Store::meter_by_version(const std::string& guid) {
  auto seq = mint.parse(kMeterVersion, guid);
  if (!seq) return nullptr;
  for (auto& m : meters)
    if (m.version == *seq) return &m;
  return nullptr;
}

std::optional<Fault> Store::take_fault(const std::string& kind, const std::string& operation) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->kind != kind) continue;
    if (it->operation.empty() ? operation == "getState" : it->operation != operation) continue;
    Fault f = *it;
    if (it->remaining > 0 && --it->remaining == 0) faults.erase(it);
    return f;
  }
  return std::nullopt;
}

bool Store::has_fault(const std::string& kind, const std::string& operation) const {
  for (const auto& f : faults)
    if (f.kind == kind &&
        (f.operation.empty() ? operation != "getState" : f.operation == operation))
      return true;
  return false;
}

void Store::remember(Message m, std::string_view deflated_result) {
  by_requester[{m.requester_guid, m.sender}] = m.guid;
  message_order.push_back(m.guid);
  std::string guid = m.guid;
  m.result = deflated_result.empty() ? TextArena::Ref{} : message_text.put({deflated_result});
  const TextArena::Ref result = m.result;
  if (!messages.emplace(std::move(guid), std::move(m)).second) message_text.release(result);
  while (messages.size() > max_messages && !message_order.empty()) {
    auto it = messages.find(message_order.front());
    if (it != messages.end()) {
      by_requester.erase({it->second.requester_guid, it->second.sender});
      message_text.release(it->second.result);
      messages.erase(it);
    }
    message_order.pop_front();
  }
}

void Store::reset() {
  accounts.clear();
  accounts_base = 0;
  account_text.clear();
  house_names.assign(1, "");
  house_ids.clear();
  accounts_of_house.assign(1, {});
  meters.clear();
  meter_versions = 0;
  payment_docs.clear();
  payment_doc_by_id.clear();
  payment_infos = 0;
  notifications.clear();
  notification_seq = cancellation_seq = reading_seq = 0;
  orgs.clear();
  houses.clear();
  premises.clear();
  appeals.clear();
  nsi_sizes.clear();
  messages.clear();
  message_text.clear();
  message_order.clear();
  by_requester.clear();
  object_errors.clear();
  requests = acks = get_states = soap_faults = duplicates = 0;
}

}  // namespace hub::adapters::gis_zhkh::emulator
