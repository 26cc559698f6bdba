#pragma once
// Per-target circuit breaker. Closed: claims run normally and consecutive failures are counted.
// After `failure_threshold` consecutive failures it opens: no claims for `open_for`. Then it is
// half-open: exactly one worker may claim a single-row probe batch; a success closes it, a failure
// opens it again for another `open_for`. Thread-safe; the clock is a parameter so tests need no
// sleeps.

#include <chrono>
#include <mutex>

namespace hub::dispatcher {

enum class BreakerState { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
const char* to_string(BreakerState state);

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;

  /// What a worker may do now.
  enum class Permit { kNormal, kProbe, kDenied };

  CircuitBreaker(int failure_threshold, std::chrono::milliseconds open_for);

  /// Asks to claim. kProbe: the caller is the one half-open probe and must end it with
  /// on_success(), on_failure() or end_probe() (nothing was claimed).
  Permit acquire(Clock::time_point now = Clock::now());
  void on_success(Clock::time_point now = Clock::now());
  void on_failure(Clock::time_point now = Clock::now());
  /// The probe claimed nothing: another worker may probe.
  void end_probe();

  BreakerState state(Clock::time_point now = Clock::now()) const;
  /// How long until an open breaker lets a probe through; zero when not open.
  std::chrono::milliseconds remaining_open(Clock::time_point now = Clock::now()) const;
  /// Times it went from closed or half-open to open.
  long long opened_count() const;

 private:
  BreakerState state_locked(Clock::time_point now) const;

  const int threshold_;
  const std::chrono::milliseconds open_for_;
  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;
  int consecutive_failures_ = 0;
  Clock::time_point opened_at_{};
  bool probe_in_flight_ = false;
  long long opened_count_ = 0;
};

}  // namespace hub::dispatcher
