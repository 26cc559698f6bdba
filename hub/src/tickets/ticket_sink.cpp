#include "hub/tickets/ticket_sink.h"

#include <pqxx/except>

#include "hub/tickets/ticket_messages.h"
#include "hub/tickets/ticket_publisher.h"

namespace hub::tickets {

TicketSink::TicketSink(std::shared_ptr<TicketStore> store, std::string name)
    : store_(std::move(store)), name_(std::move(name)), log_("sink." + name_) {}

DeliveryResult TicketSink::deliver(const Envelope& message) {
  CorrelationScope scope(message.correlation_id);
  try {
    if (message.type == "ticket.created") return created(message);
    if (message.type == "ticket.updated") return updated(message);
    return DeliveryResult::rejected(name_ + " takes ticket.created and ticket.updated, not '" +
                                    message.type + "'");
  } catch (const XmlError& e) {
    return DeliveryResult::rejected(e.what());
  } catch (const TransitionRefused& e) {
    return DeliveryResult::rejected(e.what());
  } catch (const InvalidTicket& e) {
    return DeliveryResult::rejected(std::string("message ") + message.id + ": " + e.what());
  } catch (const pqxx::data_exception& e) {
    // Content PostgreSQL refuses (a malformed message id, an impossible date): not transient.
    return DeliveryResult::rejected(std::string("message ") + message.id + ": " + e.what());
  } catch (const std::exception& e) {
    // Broken connections, pool timeouts, serialization failures: the dispatcher retries.
    return DeliveryResult::retry(e.what());
  }
}

DeliveryResult TicketSink::created(const Envelope& message) {
  auto t = read_ticket_created(message.body, "message " + message.id);
  t.message_id = message.id;
  t.actor = message.source;
  const auto r = store_->create(t);
  log_.info(r.created ? "ticket_created" : "ticket_exists", {{"ticket", std::to_string(r.id)},
                                                             {"message", message.id},
                                                             {"channel", t.channel},
                                                             {"external_id", t.external_id}});
  return DeliveryResult::delivered();
}

DeliveryResult TicketSink::updated(const Envelope& message) {
  // The store's own changes, published for the channels (TicketPublisher): already applied.
  if (message.source == kTicketStoreSource) return DeliveryResult::delivered();
  auto u = read_ticket_updated(message.body, "message " + message.id);
  const auto& c = u.change;
  if (!c.status && !c.comment && !c.assignee && c.attachments.empty()) {
    return DeliveryResult::rejected("message " + message.id +
                                    ": ticket.updated carries no status, comment, assignee or "
                                    "attachment");
  }
  // The store's own id when the producer knows it, else the channel's id.
  std::optional<long long> id;
  if (!u.ticket_id.empty() && u.ticket_id.find_first_not_of("0123456789") == std::string::npos &&
      u.ticket_id.size() < 19) {
    const auto t = store_->get(std::stoll(u.ticket_id));
    if (t && t->channel == u.channel) id = t->id;
  }
  if (!id) id = store_->find_by_channel_id(u.channel, u.external_id);
  if (!id) {
    return DeliveryResult::retry("no ticket yet for " + u.channel + ":" + u.external_id +
                                 " (its ticket.created may not have been applied)");
  }
  u.change.message_id = message.id;
  if (u.change.actor.empty()) u.change.actor = message.source;
  const auto r = store_->change(*id, u.change);
  log_.info(r.duplicate ? "ticket_update_seen" : "ticket_updated",
            {{"ticket", std::to_string(*id)},
             {"message", message.id},
             {"events", std::to_string(r.event_ids.size())}});
  return DeliveryResult::delivered();
}

}  // namespace hub::tickets
