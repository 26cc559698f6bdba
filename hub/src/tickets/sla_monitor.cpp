#include "hub/tickets/sla_monitor.h"

namespace hub::tickets {

SlaMonitor::SlaMonitor(std::shared_ptr<TicketStore> store, std::chrono::milliseconds interval)
    : store_(std::move(store)), interval_(interval) {}

SlaMonitor::~SlaMonitor() {
  stop();
}

void SlaMonitor::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void SlaMonitor::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SlaMonitor::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    try {
      const int n = store_->record_sla_breaches();
      if (n > 0) log_.warn("sla_breached", {{"tickets", std::to_string(n)}});
    } catch (const std::exception& e) {
      // The database may be away for a while; the next round tries again.
      log_.error("sla_check_failed", {{"error", e.what()}});
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace hub::tickets
