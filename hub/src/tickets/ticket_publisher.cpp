#include "hub/tickets/ticket_publisher.h"

#include <pqxx/pqxx>

#include "hub/plugin/whitespace.h"
#include "hub/xml/envelope_xml.h"
#include "hub/xml/escape.h"
#include "hub/xml/xpath.h"

namespace hub::tickets {
namespace {

/// c:Name is one line of at most 255 characters: operators type whatever they like.
std::string one_line(const std::string& s) {
  std::string flat = s;
  plugin::replace_whitespace(flat);
  const auto b = flat.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  flat = flat.substr(b, flat.find_last_not_of(' ') - b + 1);
  std::size_t chars = 0, i = 0;
  for (; i < flat.size(); ++i) {
    if ((static_cast<unsigned char>(flat[i]) & 0xC0) != 0x80 && ++chars > 255) break;
  }
  return flat.substr(0, i);
}

void element(std::string& out, const char* name, const std::string& value) {
  if (value.empty()) return;
  out += "<c:";
  out += name;
  out += '>';
  out += xml::escape_xml(value);
  out += "</c:";
  out += name;
  out += '>';
}

}  // namespace

std::string ticket_updated_xml(const std::string& channel, const std::string& external_id,
                               long long ticket_id, const std::string& kind,
                               const std::string& to_status, const std::string& assignee,
                               const std::string& text, bool internal, const std::string& author,
                               const std::string& changed_at, const std::string& attachment_uri,
                               const std::string& attachment_name) {
  std::string x = std::string("<c:ticketUpdated xmlns:c=\"") + xml::kCanonicalNs + "\">";
  element(x, "channel", channel);
  element(x, "externalId", one_line(external_id.empty() ? std::to_string(ticket_id) : external_id));
  element(x, "ticketId", std::to_string(ticket_id));
  if (kind == "status_changed") element(x, "status", to_status);
  if (kind == "status_changed" || kind == "comment") {
    element(x, "comment", text);
    if (!text.empty()) element(x, "internal", internal ? "true" : "false");
  }
  if (kind == "assigned") element(x, "assignee", one_line(assignee));
  element(x, "author", one_line(author));
  element(x, "changedAt", changed_at);
  if (kind == "attachment_added" && !attachment_uri.empty()) {
    x += "<c:attachment>";
    element(x, "uri", attachment_uri);
    element(x, "name", one_line(attachment_name));
    x += "</c:attachment>";
  }
  x += "</c:ticketUpdated>";
  return x;
}

TicketPublisher::TicketPublisher(store::Pool& pool, plugin::Emitter& emitter,
                                 std::chrono::milliseconds interval)
    : pool_(pool), emitter_(emitter), interval_(interval) {}

TicketPublisher::~TicketPublisher() {
  stop();
}

int TicketPublisher::publish_pending(int max) {
  auto lease = pool_.lease(std::chrono::seconds(10));
  pqxx::work tx(lease.conn());
  // Locked while submitting: another node's publisher skips these rows instead of racing.
  const auto rows = tx.exec_params(
      "SELECT e.id, e.kind, coalesce(e.to_status, ''), coalesce(e.assignee, ''), "
      "coalesce(e.body, ''), e.internal, e.actor, "
      "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), t.id, t.channel, "
      "coalesce(t.external_id, ''), coalesce(t.message_id::text, ''), coalesce(a.uri, ''), "
      "coalesce(a.name, '') "
      "FROM tickets.ticket_event e JOIN tickets.ticket t ON t.id = e.ticket_id "
      "LEFT JOIN tickets.attachment a ON a.event_id = e.id "
      "WHERE e.published_at IS NULL AND e.message_id IS NULL AND e.actor <> 'rule' "
      "AND e.kind IN ('status_changed', 'comment', 'assigned', 'attachment_added') "
      "ORDER BY e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED",
      max);
  int published = 0;
  for (const auto& r : rows) {
    const auto event_id = r[0].as<long long>();
    const auto ticket_id = r[8].as<long long>();
    Envelope e;
    e.type = "ticket.updated";
    e.source = kTicketStoreSource;
    e.occurred_at = xml::parse_timestamp(r[7].as<std::string>());
    e.correlation_id = r[11].as<std::string>();  // the flow the ticket came in with, if any
    e.idempotency_key = "ticket_store:event:" + std::to_string(event_id);
    e.headers["ticket"] = std::to_string(ticket_id);
    e.body = ticket_updated_xml(r[9].as<std::string>(), r[10].as<std::string>(), ticket_id,
                                r[1].as<std::string>(), r[2].as<std::string>(),
                                r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<bool>(),
                                r[6].as<std::string>(), r[7].as<std::string>(),
                                r[12].as<std::string>(), r[13].as<std::string>());
    try {
      emitter_.emit({e}, std::nullopt);
      tx.exec_params("UPDATE tickets.ticket_event SET published_at = now() WHERE id = $1",
                     event_id);
      ++published;
    } catch (const plugin::RejectedInput& ex) {
      // The body will never pass: keep the reason on the event instead of retrying forever.
      tx.exec_params(
          "UPDATE tickets.ticket_event SET published_at = now(), publish_error = $2 WHERE id = $1",
          event_id, std::string(ex.what()));
      log_.error("ticket_update_refused",
                 {{"ticket_event", std::to_string(event_id)}, {"error", ex.what()}});
    }
  }
  tx.commit();
  return published;
}

void TicketPublisher::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void TicketPublisher::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void TicketPublisher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TicketPublisher::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    try {
      while (publish_pending() == 100) {
      }
    } catch (const std::exception& e) {
      // Database or Ingress away: the events stay pending for the next round.
      log_.error("ticket_publish_failed", {{"error", e.what()}});
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_ || woken_; });
  }
}

}  // namespace hub::tickets
