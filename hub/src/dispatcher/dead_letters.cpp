#include "hub/dispatcher/dead_letters.h"

#include "hub/core/json_text.h"
#include "hub/core/log.h"
#include "hub/dispatcher/dispatcher.h"
#include "hub/metrics/registry.h"

namespace hub::dispatcher {

namespace {

constexpr const char* kSelect =
    "SELECT dl.id, dl.delivery_id, dl.message_id::text, m.type, d.route, dl.target, dl.attempts,"
    " dl.last_error, (extract(epoch FROM dl.dead_at) * 1000000)::bigint,"
    " (extract(epoch FROM dl.replayed_at) * 1000000)::bigint, coalesce(dl.replayed_by, '')"
    " FROM hub.dead_letter dl"
    " JOIN hub.message m ON m.id = dl.message_id"
    " JOIN hub.delivery d ON d.id = dl.delivery_id";

std::chrono::system_clock::time_point from_micros(long long us) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(us)));
}

DeadLetter read_row(const pqxx::row& r) {
  DeadLetter d;
  d.id = r[0].as<long long>();
  d.delivery_id = r[1].as<long long>();
  d.message_id = r[2].c_str();
  d.message_type = r[3].c_str();
  d.route = r[4].c_str();
  d.target = r[5].c_str();
  d.attempts = r[6].as<int>();
  d.last_error = r[7].c_str();
  d.dead_at = from_micros(r[8].as<long long>());
  if (!r[9].is_null()) d.replayed_at = from_micros(r[9].as<long long>());
  d.replayed_by = r[10].c_str();
  return d;
}

}  // namespace

const char* to_string(ReplayOutcome outcome) {
  switch (outcome) {
    case ReplayOutcome::kReplayed: return "replayed";
    case ReplayOutcome::kNotFound: return "not_found";
    case ReplayOutcome::kAlreadyReplayed: return "already_replayed";
  }
  return "?";
}

std::vector<DeadLetter> DeadLetters::list(int limit, int offset, bool open_only) {
  auto lease = pool_.lease();
  pqxx::nontransaction tx(lease.conn());
  const auto r = tx.exec_params(std::string(kSelect) +
                                    (open_only ? " WHERE dl.replayed_at IS NULL" : "") +
                                    " ORDER BY dl.id DESC LIMIT $1 OFFSET $2",
                                limit < 0 ? 0 : limit, offset < 0 ? 0 : offset);
  std::vector<DeadLetter> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(read_row(row));
  return out;
}

std::optional<DeadLetter> DeadLetters::get(long long id) {
  auto lease = pool_.lease();
  pqxx::nontransaction tx(lease.conn());
  const auto r = tx.exec_params(std::string(kSelect) + " WHERE dl.id = $1", id);
  if (r.empty()) return std::nullopt;
  return read_row(r[0]);
}

long long DeadLetters::count(bool open_only) {
  auto lease = pool_.lease();
  pqxx::nontransaction tx(lease.conn());
  return tx
      .exec1(std::string("SELECT count(*) FROM hub.dead_letter") +
             (open_only ? " WHERE replayed_at IS NULL" : ""))[0]
      .as<long long>();
}

ReplayOutcome DeadLetters::replay(long long id, const std::string& actor) {
  auto lease = pool_.lease();
  pqxx::work tx(lease.conn());
  // Row lock on the dead letter: two operators replaying at once replay it once.
  const auto dl = tx.exec_params(
      "SELECT delivery_id, target, replayed_at IS NOT NULL, message_id::text"
      " FROM hub.dead_letter WHERE id = $1 FOR UPDATE",
      id);
  if (dl.empty()) return ReplayOutcome::kNotFound;
  if (dl[0][2].as<bool>()) return ReplayOutcome::kAlreadyReplayed;
  const auto delivery_id = dl[0][0].as<long long>();
  const std::string target = dl[0][1].c_str();
  const std::string message_id = dl[0][3].c_str();
  tx.exec_params(
      "UPDATE hub.dead_letter SET replayed_at = now(), replayed_by = $2 WHERE id = $1", id, actor);
  tx.exec_params(
      "UPDATE hub.delivery SET state = 'pending', attempts = 0, next_attempt_at = now(),"
      " lease_owner = NULL, lease_until = NULL, delivered_at = NULL WHERE id = $1",
      delivery_id);
  tx.exec_params(
      "INSERT INTO hub.audit (actor, action, object, details) VALUES ($1, 'dlq.replay', $2,"
      " $3::jsonb)",
      actor, "dead_letter:" + std::to_string(id),
      json_object({{"delivery_id", std::to_string(delivery_id)},
                   {"message_id", message_id},
                   {"target", target}}));
  tx.exec_params("SELECT pg_notify($1, $2)", std::string(kDeliveryChannel), target);
  tx.commit();
  metrics::Registry::global().add("zhkh_dead_letters_replayed_total", {{"target", target}});
  Log("dispatcher").info("dead_letter_replayed", {{"id", std::to_string(id)},
                                                  {"delivery_id", std::to_string(delivery_id)},
                                                  {"target", target},
                                                  {"actor", actor}});
  return ReplayOutcome::kReplayed;
}

}  // namespace hub::dispatcher
