#include "hub/billing/unidentified_payments.h"

#include <pqxx/pqxx>

#include "hub/billing/type_specs.h"
#include "hub/metrics/registry.h"

namespace hub::billing {
namespace {

std::string text(const pqxx::field& f) {
  return f.is_null() ? std::string() : f.as<std::string>();
}

}  // namespace

std::vector<UnidentifiedPayment> UnidentifiedPayments::list(int limit, int offset) {
  auto lease = store_.pool().lease();
  pqxx::read_transaction tx(lease.conn());
  const auto r = tx.exec_params(
      "SELECT id, agent_code, agent_name, registry_ref, transaction_id, paid_on::text, period,"
      "       amount_kopecks, payer_account, payer_els, payer_ipd, payer_izhku, payer_name,"
      "       payer_address, unidentified_reason, reason_text, coalesce(candidates, '[]')::text,"
      "       (to_json(created_at AT TIME ZONE 'UTC')#>>'{}') || 'Z'"
      "  FROM billing.payment WHERE status = 'unidentified' ORDER BY created_at, id"
      "  LIMIT $1 OFFSET $2",
      limit, offset);
  std::vector<UnidentifiedPayment> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    UnidentifiedPayment p;
    p.id = row[0].as<long long>();
    p.agent_code = text(row[1]);
    p.agent_name = text(row[2]);
    p.registry_ref = text(row[3]);
    p.transaction_id = text(row[4]);
    p.paid_on = text(row[5]);
    p.period = text(row[6]);
    p.amount_kopecks = row[7].as<long long>();
    p.payer_account = text(row[8]);
    p.payer_els = text(row[9]);
    p.payer_ipd = text(row[10]);
    p.payer_izhku = text(row[11]);
    p.payer_name = text(row[12]);
    p.payer_address = text(row[13]);
    p.reason = text(row[14]);
    p.reason_text = text(row[15]);
    p.candidates_json = text(row[16]);
    p.received_at = text(row[17]);
    out.push_back(std::move(p));
  }
  return out;
}

Resolution UnidentifiedPayments::resolve(long long id, const std::string& account,
                                         const std::string& actor) {
  if (account.empty()) throw ResolveError(ResolveError::Kind::kBadRequest, "no account given");
  auto lease = store_.pool().lease();
  pqxx::work tx(lease.conn());
  // The row lock makes two operators resolving the same payment take turns: the second one sees
  // it resolved and gets a conflict.
  const auto p = tx.exec_params(
      "SELECT status, source_key, message_id::text, nkey FROM billing.payment WHERE id = $1 "
      "FOR UPDATE",
      id);
  if (p.empty())
    throw ResolveError(ResolveError::Kind::kNotFound, "no payment " + std::to_string(id));
  const auto status = p[0][0].as<std::string>();
  if (status != "unidentified")
    throw ResolveError(ResolveError::Kind::kConflict,
                       "payment " + std::to_string(id) + " is " + status + ", not unidentified");
  const auto a =
      tx.exec_params("SELECT id, number FROM billing.account WHERE number = $1", account);
  if (a.empty())
    throw ResolveError(ResolveError::Kind::kBadRequest, "no account with number '" + account + "'");
  const auto account_id = a[0][0].as<long long>();

  auto record = store_.load_record(tx, "payment.received", id);
  if (!record)
    throw ResolveError(ResolveError::Kind::kNotFound, "no payment " + std::to_string(id));
  // The payer is now the account the operator chose; everything else is the payment as received.
  for (const char* k : {"payer_els", "payer_ipd", "payer_izhku"}) record->erase(k);
  (*record)["payer_account"] = account;
  const TypeSpec* spec = find_type_spec("payment.received");

  Envelope e;
  e.type = "payment.received";
  e.source = "billing_store";
  e.occurred_at = std::chrono::system_clock::now();
  const std::string original =
      p[0][1].is_null() ? "payment:" + p[0][3].as<std::string>() : p[0][1].as<std::string>();
  e.idempotency_key = "resolve:" + original;
  if (!p[0][2].is_null()) {
    e.causation_id = p[0][2].as<std::string>();
    e.correlation_id = e.causation_id;
  }
  e.headers["billing.payment_id"] = std::to_string(id);
  e.headers["billing.resolved_by"] = actor;
  e.body = write_body(spec->root, spec->fields, *record);

  // Emit first, then mark: a failure between the two leaves the payment unidentified, and the
  // retry emits the same key again, which Ingress journals once.
  const auto emitted = emitter_.emit({e});
  tx.exec_params(
      "UPDATE billing.payment SET status = 'resolved', account_id = $2, ident_method = 'operator',"
      "       ident_score = 1, resolved_by = $3, resolved_at = now() WHERE id = $1",
      id, account_id, actor);
  tx.commit();
  metrics::Registry::global().add("zhkh_billing_payments_resolved_total");

  Resolution out;
  out.payment_id = id;
  out.account = account;
  out.idempotency_key = e.idempotency_key;
  out.duplicate = emitted.accepted == 0;
  if (!emitted.ids.empty()) out.message_id = emitted.ids[0];
  return out;
}

}  // namespace hub::billing
