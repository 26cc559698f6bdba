#pragma once
// Records SLA breaches (an sla_breached event, once per ticket) every `interval` on its own
// thread, so the history shows when a deadline passed even if nobody looked at the ticket. Safe
// with several nodes: the breach is marked with a conditional UPDATE, so only one node records it.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "hub/core/log.h"
#include "hub/tickets/ticket_store.h"

namespace hub::tickets {

class SlaMonitor {
 public:
  SlaMonitor(std::shared_ptr<TicketStore> store, std::chrono::milliseconds interval);
  ~SlaMonitor();
  SlaMonitor(const SlaMonitor&) = delete;
  SlaMonitor& operator=(const SlaMonitor&) = delete;

  void start();
  /// Wakes and joins the thread; idempotent.
  void stop();

 private:
  void run();

  std::shared_ptr<TicketStore> store_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  Log log_{"tickets.sla"};
};

}  // namespace hub::tickets
