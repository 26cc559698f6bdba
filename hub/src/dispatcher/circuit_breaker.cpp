#include "hub/dispatcher/circuit_breaker.h"

namespace hub::dispatcher {

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "?";
}

CircuitBreaker::CircuitBreaker(int failure_threshold, std::chrono::milliseconds open_for)
    : threshold_(failure_threshold < 1 ? 1 : failure_threshold), open_for_(open_for) {}

// Open turns into half-open by the passing of time alone, so the state is computed on read.
BreakerState CircuitBreaker::state_locked(Clock::time_point now) const {
  if (state_ == BreakerState::kOpen && now - opened_at_ >= open_for_) return BreakerState::kHalfOpen;
  return state_;
}

CircuitBreaker::Permit CircuitBreaker::acquire(Clock::time_point now) {
  std::lock_guard lock(mu_);
  switch (state_locked(now)) {
    case BreakerState::kClosed: return Permit::kNormal;
    case BreakerState::kOpen: return Permit::kDenied;
    case BreakerState::kHalfOpen:
      state_ = BreakerState::kHalfOpen;
      if (probe_in_flight_) return Permit::kDenied;
      probe_in_flight_ = true;
      return Permit::kProbe;
  }
  return Permit::kDenied;
}

void CircuitBreaker::on_success(Clock::time_point) {
  std::lock_guard lock(mu_);
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
  state_ = BreakerState::kClosed;
}

void CircuitBreaker::on_failure(Clock::time_point now) {
  std::lock_guard lock(mu_);
  const auto s = state_locked(now);
  if (s == BreakerState::kHalfOpen) {
    // The probe failed (or a batch claimed before the breaker opened finished late): another
    // full cool-down.
    state_ = BreakerState::kOpen;
    opened_at_ = now;
    probe_in_flight_ = false;
    ++opened_count_;
    return;
  }
  if (s == BreakerState::kOpen) return;  // late results of batches claimed before it opened
  if (++consecutive_failures_ >= threshold_) {
    state_ = BreakerState::kOpen;
    opened_at_ = now;
    consecutive_failures_ = 0;
    ++opened_count_;
  }
}

void CircuitBreaker::end_probe() {
  std::lock_guard lock(mu_);
  probe_in_flight_ = false;
}

BreakerState CircuitBreaker::state(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  return state_locked(now);
}

std::chrono::milliseconds CircuitBreaker::remaining_open(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  if (state_locked(now) != BreakerState::kOpen) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(open_for_ - (now - opened_at_)) +
         std::chrono::milliseconds(1);
}

long long CircuitBreaker::opened_count() const {
  std::lock_guard lock(mu_);
  return opened_count_;
}

}  // namespace hub::dispatcher
