#pragma once
// The built-in delivery target `ticket_store`: applies ticket.created and ticket.updated messages
// to the TicketStore. Results, never throws:
//   delivered — created (or found: the same appeal again), changed, a redelivered update, or
//               the store's own change published for the channels (source ticket_store);
//   rejected  — another message type, a body the readers refuse, a transition the model refuses
//               (the reason names what is allowed), invalid content;
//   retry     — the ticket of an update is not there yet (its ticket.created may still be on its
//               way), or the database is unavailable.

#include <memory>
#include <string>

#include "hub/core/log.h"
#include "hub/dispatcher/sink.h"
#include "hub/tickets/ticket_store.h"

namespace hub::tickets {

using dispatcher::DeliveryResult;

class TicketSink : public dispatcher::Sink {
 public:
  explicit TicketSink(std::shared_ptr<TicketStore> store, std::string name = "ticket_store");
  DeliveryResult deliver(const Envelope& message) override;

 private:
  DeliveryResult created(const Envelope& message);
  DeliveryResult updated(const Envelope& message);

  std::shared_ptr<TicketStore> store_;
  std::string name_;
  Log log_;
};

}  // namespace hub::tickets
