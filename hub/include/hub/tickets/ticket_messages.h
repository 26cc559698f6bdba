#pragma once
// Canonical ticket bodies (schemas/canonical/ticket_created.xsd, ticket_updated.xsd) read into
// the store's terms. Parsing goes through hub/xml (hardened); the body was validated against its
// XSD at ingress, so these readers only check what the store itself relies on and name the
// element (XPath) when something it needs is missing.
//
//   ticketCreated: channel, topic, text, account?, externalId?, houseFiasGuid?, premiseNumber?,
//                  submittedAt?,
//                  applicant{name?, phone?, email?}?, attachment{uri, name?, mediaType?, sha256?}*
//   ticketUpdated: channel, externalId, ticketId?, status?, comment?, internal?, assignee?,
//                  author?, changedAt?, attachment*

#include <optional>
#include <string>

#include "hub/tickets/ticket_store.h"

namespace hub::tickets {

/// A ticket.updated body: which ticket (the channel's id) and what changed.
struct TicketUpdate {
  std::string channel;
  std::string external_id;
  std::string ticket_id;  ///< the store's id when the producer knows it (may be foreign text)
  TicketChange change;    ///< actor = author when given
};

/// Reads a ticketCreated body; throws XmlError naming `name` and the element.
NewTicket read_ticket_created(const std::string& body, const std::string& name);

/// Reads a ticketUpdated body; throws XmlError naming `name` and the element.
TicketUpdate read_ticket_updated(const std::string& body, const std::string& name);

}  // namespace hub::tickets
