#pragma once
// The dead-letter queue as operators see it (admin API `/api/v1/dead-letters`, CLI `dlq`).
// A dead letter is a delivery that was rejected or ran out of attempts, with its last error.
// Replay puts the delivery back to pending with attempts 0, marks the dead letter replayed, audits
// who did it, and wakes the target's dispatchers, all in one transaction.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hub/store/pool.h"

namespace hub::dispatcher {

struct DeadLetter {
  long long id = 0;
  long long delivery_id = 0;
  std::string message_id;
  std::string message_type;
  std::string route;
  std::string target;
  int attempts = 0;
  std::string last_error;
  std::chrono::system_clock::time_point dead_at{};
  std::optional<std::chrono::system_clock::time_point> replayed_at;
  std::string replayed_by;  ///< empty while not replayed
};

enum class ReplayOutcome { kReplayed, kNotFound, kAlreadyReplayed };
const char* to_string(ReplayOutcome outcome);

class DeadLetters {
 public:
  explicit DeadLetters(store::Pool& pool) : pool_(pool) {}

  /// Newest first. `open_only`: only those not replayed yet.
  std::vector<DeadLetter> list(int limit = 100, int offset = 0, bool open_only = true);
  std::optional<DeadLetter> get(long long id);
  long long count(bool open_only = true);

  /// Puts the delivery back to pending (attempts 0, due now), marks the dead letter replayed by
  /// `actor`, writes hub.audit (action "dlq.replay") and NOTIFYs zhkh_delivery with the target.
  ReplayOutcome replay(long long id, const std::string& actor);

 private:
  store::Pool& pool_;
};

}  // namespace hub::dispatcher
