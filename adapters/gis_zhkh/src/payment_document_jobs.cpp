#include "payment_document_jobs.h"

#include <map>
#include <set>

#include "hub/plugin/billing_export.h"
#include "hub/plugin/exchange_state.h"
#include "placement_pass.h"
#include "util.h"
#include "xml_util.h"

namespace hub::adapters::gis_zhkh {

namespace {

// account number → AccountGUID for those of `numbers` the store has ("" for one not placed yet).
std::map<std::string, std::string> account_guids(plugin::BillingExport& store,
                                                 const std::set<std::string>& numbers) {
  std::map<std::string, std::string> out;
  if (numbers.empty()) return out;
  for (const auto& o :
       store.find("account.upsert", std::vector<std::string>(numbers.begin(), numbers.end()))) {
    out[o.ref] = o.external_id;
  }
  return out;
}

std::string summary(std::size_t objects, const char* what, std::size_t requests,
                    std::size_t skipped, const std::vector<std::string>& failures) {
  std::string msg = std::to_string(objects) + " " + what + " in " + std::to_string(requests) +
                    " requests" +
                    (skipped ? ", " + std::to_string(skipped) + " already in flight" : "");
  if (!failures.empty()) {
    msg += "; " + std::to_string(failures.size()) + " refused, first: " + failures.front();
  }
  return msg;
}

}  // namespace

std::vector<std::pair<std::string, PaymentDocumentInput>> PaymentDocumentJobs::with_accounts(
    std::vector<plugin::ExportedObject>& page) {
  std::vector<std::pair<std::string, PaymentDocumentInput>> out;
  std::vector<std::string> accounts;
  std::set<std::string> numbers;
  for (auto& o : page) {
    std::string period, account;
    try {
      auto doc = parse_xml(o.body, "payment document " + o.ref);
      xmlNodePtr root = xmlDocGetRootElement(doc.get());
      period = child_text(root, "period");
      account = child_text(root, "account");
    } catch (const std::exception&) {
      // The builder refuses it with the parse error.
    }
    numbers.insert(account);
    accounts.push_back(account);
    out.push_back({period, {o.ref, std::move(o.body), {}}});
  }
  const auto guids = account_guids(ctx_.billing_export(), numbers);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto it = guids.find(accounts[i]);
    if (it == guids.end()) continue;  // no such account: the builder refuses the document
    out[i].second.account_guid = it->second;
    out[i].second.account_unplaced = it->second.empty();
  }
  return out;
}

plugin::JobResult PaymentDocumentJobs::place() {
  PlacementTally tally;
  std::map<std::string, std::vector<PaymentDocumentInput>> by_period;
  auto flush = [&](std::vector<PaymentDocumentInput>& chunk) {
    if (chunk.empty()) return;
    std::vector<Refused> refused;
    auto req = build_import_payment_documents(chunk, services_, payee_, refused);
    chunk.clear();
    tally.refused(refused, "document");
    if (req.objects.empty()) return;
    tally.submitted(req, engine_.submit("payment_documents:" + new_guid(), req, false, false));
  };
  for_each_unplaced_page(ctx_, "payment_document.issued", "payment_document",
                         kImportPaymentDocumentLimit, tally,
                         [&](std::vector<plugin::ExportedObject>& fresh) {
                           for (auto& [period, in] : with_accounts(fresh)) {
                             // Its account goes first (import_accounts); until GIS has placed
                             // it the document waits, which is no error of the document's.
                             if (in.account_unplaced) {
                               tally.waiting(1);
                               continue;
                             }
                             auto& chunk = by_period[period];
                             chunk.push_back(std::move(in));
                             if (chunk.size() >= kImportPaymentDocumentLimit) flush(chunk);
                           }
                         });
  for (auto& [period, chunk] : by_period) flush(chunk);
  return tally.result("payment documents queued");
}

plugin::JobResult PaymentDocumentJobs::sync() {
  auto& store = ctx_.billing_export();
  std::int64_t after = 0;
  std::size_t requests = 0, documents = 0;
  std::vector<std::string> failures;
  std::map<std::string, std::vector<PaymentDocumentInput>> by_period;
  auto flush = [&](const std::string& period, std::vector<PaymentDocumentInput>& chunk) {
    if (chunk.empty()) return;
    auto req = build_export_payment_documents(period, chunk);
    chunk.clear();
    if (req.objects.empty()) return;
    const auto out = engine_.submit("sync_payment_documents:" + new_guid(), req, false, false);
    ++requests;
    documents += req.objects.size();
    if (out.kind == SendOutcome::Kind::kRejected) failures.push_back(out.reason);
  };
  for (;;) {
    auto page = store.page({"payment_document.issued", plugin::ExportFilter::kWithExternalId, after,
                            kExportPaymentDocumentLimit});
    if (page.empty()) break;
    after = page.back().id;
    for (auto& [period, in] : with_accounts(page)) {
      if (period.size() != 7 || in.account_guid.empty()) continue;  // nothing to ask GIS by
      auto& chunk = by_period[period];
      chunk.push_back(std::move(in));
      if (chunk.size() >= kExportPaymentDocumentLimit) flush(period, chunk);
    }
  }
  for (auto& [period, chunk] : by_period) flush(period, chunk);
  const auto msg = summary(documents, "payment documents asked for", requests, 0, failures);
  return failures.empty() ? plugin::JobResult::success(msg) : plugin::JobResult::failure(msg);
}

Prepared PaymentDocumentJobs::prepare_document(const plugin::Envelope& message) {
  std::vector<plugin::ExportedObject> one(1);
  one[0].ref = message.id;
  one[0].body = message.body;
  std::string number;
  try {
    auto doc = parse_xml(message.body, "message " + message.id);
    xmlNodePtr root = xmlDocGetRootElement(doc.get());
    number = child_text(root, "documentNumber");
    one[0].ref = number;
    if (child_text(root, "account").empty()) throw std::invalid_argument("no c:account");
  } catch (const std::exception& e) {
    return {std::nullopt, plugin::DeliveryResult::rejected(e.what())};
  }
  auto in = with_accounts(one);
  if (in.front().second.account_guid.empty()) {
    return {std::nullopt,
            plugin::DeliveryResult::retry("/c:paymentDocumentIssued/c:account: the account has no "
                                          "AccountGUID in the store yet")};
  }
  std::vector<Refused> refused;
  auto req = build_import_payment_documents({in.front().second}, services_, payee_, refused);
  if (req.objects.empty()) {
    return {std::nullopt, plugin::DeliveryResult::rejected(
                              refused.empty() ? "nothing to send" : refused.front().reason)};
  }
  return {std::move(req), plugin::DeliveryResult::delivered()};
}

Prepared PaymentDocumentJobs::prepare_cancellation(const plugin::Envelope& message) {
  std::vector<Refused> refused;
  auto req = build_import_cancellations({{message.id, message.body}}, refused);
  if (req.objects.empty()) {
    return {std::nullopt, plugin::DeliveryResult::rejected(
                              refused.empty() ? "nothing to send" : refused.front().reason)};
  }
  return {std::move(req), plugin::DeliveryResult::delivered()};
}

}  // namespace hub::adapters::gis_zhkh
