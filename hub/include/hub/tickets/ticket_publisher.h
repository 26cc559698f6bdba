#pragma once
// Tells the channels what staff did: every status change, comment, assignment or attachment made
// in the hub (API, CLI; not those that came in as ticket.updated, and not what a ticket arrived
// with) is published as a ticket.updated message through Ingress, so routes carry it to GIS ZhKH,
// the portal or the app. tickets.ticket_event is the outbox: an event is marked published after
// Ingress took it; the idempotency key "ticket_store:event:<id>" makes a second submit after a
// crash harmless. A body Ingress refuses is marked with the reason and not retried.
//
// The messages carry source "ticket_store"; the ticket_store sink skips them, so a route sending
// ticket.updated to ticket_store does not apply the hub's own changes twice.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "hub/core/envelope.h"
#include "hub/core/log.h"
#include "hub/plugin/context.h"
#include "hub/store/pool.h"

namespace hub::tickets {

inline constexpr const char* kTicketStoreSource = "ticket_store";

class TicketPublisher {
 public:
  /// `emitter` is Ingress (or anything with its contract); `interval` bounds how late a change
  /// is published when nobody calls wake().
  TicketPublisher(store::Pool& pool, plugin::Emitter& emitter,
                  std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~TicketPublisher();
  TicketPublisher(const TicketPublisher&) = delete;
  TicketPublisher& operator=(const TicketPublisher&) = delete;

  /// Publishes up to `max` pending events, oldest first; returns how many were submitted.
  /// Throws on database errors (the background loop logs them and tries again).
  int publish_pending(int max = 100);

  void start();
  /// Publishes soon (after a change was committed).
  void wake();
  void stop();

 private:
  void run();

  store::Pool& pool_;
  plugin::Emitter& emitter_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
  Log log_{"tickets.publisher"};
};

/// The ticket.updated body for one event (XML-escaped, single-line fields flattened).
std::string ticket_updated_xml(const std::string& channel, const std::string& external_id,
                               long long ticket_id, const std::string& kind,
                               const std::string& to_status, const std::string& assignee,
                               const std::string& text, bool internal, const std::string& author,
                               const std::string& changed_at, const std::string& attachment_uri,
                               const std::string& attachment_name);

}  // namespace hub::tickets
