#pragma once
// The ticket store (schema `tickets`): tickets from every channel, their status under the
// organisation's TicketModel, SLA deadlines, assignment, attachments (references) and the full
// event history. Every change is one transaction that locks the ticket row, so concurrent
// operators and the ticket_store sink never lose an event or skip a transition check.
//
// Idempotency: a ticket is one per (channel, external id) and one per source message id; a
// change carrying a message id (ticket.updated) is applied once even when redelivered.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/core/error.h"
#include "hub/store/pool.h"
#include "hub/tickets/ticket_model.h"

namespace hub::tickets {

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct AttachmentRef {
  std::string uri;  ///< where the file is (channel URL, file store, GIS attachment GUID)
  std::string name;
  std::string media_type;
  std::string sha256;
};

struct NewTicket {
  std::string channel;      ///< required: gis, email, portal, mobile, phone, operator, ...
  std::string external_id;  ///< the channel's id; empty = none (then every create is new)
  std::string topic;        ///< as the channel names it; resolved to a topic code by the model
  std::string text;         ///< required
  std::string account;
  std::string house;
  std::string premise;  ///< flat number in the house
  std::string applicant_name, applicant_phone, applicant_email;
  std::optional<std::chrono::system_clock::time_point> submitted_at;
  std::vector<AttachmentRef> attachments;
  std::string message_id;  ///< the ticket.created message, if any (UUID)
  std::string actor;       ///< who created it: token name or source adapter instance
};

struct CreateResult {
  long long id = 0;
  bool created = false;  ///< false: the same ticket existed (same channel id or message)
};

struct TicketEvent {
  long long id = 0;
  std::string kind;  ///< created, status_changed, comment, assigned, attachment_added, sla_breached
  std::string from_status, to_status, assignee, body;
  bool internal = false;
  std::string actor;
  std::string message_id;
  std::string at;             ///< ISO 8601 UTC
  std::string published_at;   ///< a staff change sent to the channels as ticket.updated
  std::string publish_error;  ///< Ingress refused that ticket.updated
};

struct Ticket {
  long long id = 0;
  std::string channel, external_id, message_id;
  std::string topic, topic_text, text;
  std::string account, house, premise;
  std::string applicant_name, applicant_phone, applicant_email;
  std::string status, assignee;
  std::string submitted_at, created_at, updated_at, due_at, resolved_at, sla_breached_at;  ///< ISO
  std::string created_by;
  std::string sla_paused_at;        ///< ISO; set while a pauses_sla status holds the SLA clock
  bool overdue = false;             ///< past due_at and not resolved, at the store's clock
  std::vector<TicketEvent> events;  ///< filled by get(), oldest first
  std::vector<AttachmentRef> attachments;
};

struct TicketFilter {
  // Default member initializers let tests name only the filters they set ({.house = "A"}).
  std::string status{}, topic{}, house{}, account{}, assignee{}, channel{};  ///< empty = any
  bool overdue_only = false;
  int limit = 50;
  int offset = 0;
};

struct TicketPage {
  std::vector<Ticket> items;  ///< newest first, without events
  long long total = 0;        ///< matching tickets, ignoring limit/offset
};

/// A change to an existing ticket; what is set is applied in this order: status (with comment as
/// the transition's comment), assignee, comment (when no status change), attachments.
struct TicketChange {
  std::optional<std::string> status;
  std::optional<std::string> assignee;
  std::optional<std::string> comment;
  bool internal = false;  ///< the comment is staff-only
  std::vector<AttachmentRef> attachments;
  std::string actor;
  std::string message_id;  ///< set: applied at most once per message id
  /// true: a status equal to the current one is refused (TransitionRefused); false: channels may
  /// re-send a status, which is then no change.
  bool must_move = false;
  /// When it happened at its source (ticket.updated changedAt); default: the store's clock.
  std::optional<std::chrono::system_clock::time_point> at;
};

struct ChangeResult {
  bool applied = false;    ///< false: nothing to do, or this message was applied before
  bool duplicate = false;  ///< the message id had been applied already
  std::vector<long long> event_ids;
};

/// No ticket with that id (or channel id).
class TicketNotFound : public Error {
 public:
  using Error::Error;
};

/// The model does not allow the transition; names what it allows.
class TransitionRefused : public Error {
 public:
  TransitionRefused(std::string from, std::string to, std::vector<std::string> allowed,
                    const std::string& why)
      : Error(why), from_(std::move(from)), to_(std::move(to)), allowed_(std::move(allowed)) {}
  const std::string& from() const { return from_; }
  const std::string& to() const { return to_; }
  const std::vector<std::string>& allowed() const { return allowed_; }

 private:
  std::string from_, to_;
  std::vector<std::string> allowed_;
};

/// Input the store refuses (missing text, empty assignee, unknown status code...).
class InvalidTicket : public Error {
 public:
  using Error::Error;
};

class TicketStore {
 public:
  /// `clock` decides "now" for deadlines, overdue and event times (tests move it).
  TicketStore(store::Pool& pool, std::shared_ptr<const TicketModel> model, Clock clock = {});

  const TicketModel& model() const { return *model_; }

  /// Creates a ticket in the initial status with its topic resolved, SLA deadline and assignee
  /// from the rules; or returns the existing one for the same (channel, external id) or message.
  /// An account that billing identifies (AccountIdentifier, by ЛС) gives the house and premise
  /// when the channel did not name them.
  /// Throws InvalidTicket for a missing text or a channel that is not a canonical c:Channel.
  CreateResult create(const NewTicket& ticket);

  /// The ticket with events and attachments; nullopt when there is none.
  std::optional<Ticket> get(long long id);
  std::optional<long long> find_by_channel_id(const std::string& channel,
                                              const std::string& external_id);
  TicketPage list(const TicketFilter& filter);

  /// Applies `change` to ticket `id` in one transaction. Throws TicketNotFound, TransitionRefused
  /// (the ticket is left unchanged), InvalidTicket.
  ChangeResult change(long long id, const TicketChange& change);

  ChangeResult transition(long long id, const std::string& to, const std::string& comment,
                          const std::string& actor);
  ChangeResult comment(long long id, const std::string& text, bool internal,
                       const std::string& actor);
  ChangeResult assign(long long id, const std::string& assignee, const std::string& actor);

  /// Records an sla_breached event, once, for every open ticket past its deadline; returns how
  /// many were recorded.
  int record_sla_breaches();

  /// Called after a staff change (one without a message id) was committed, e.g.
  /// TicketPublisher::wake. Set before use; must not throw.
  void set_on_change(std::function<void()> fn) { on_change_ = std::move(fn); }

 private:
  std::chrono::system_clock::time_point now() const;
  /// Fills house and premise from billing when the account identifies exactly one.
  void identify_account(NewTicket& ticket);

  store::Pool& pool_;
  std::shared_ptr<const TicketModel> model_;
  Clock clock_;
  std::function<void()> on_change_;
};

}  // namespace hub::tickets
