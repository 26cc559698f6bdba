#pragma once
// What a sink answers for one delivery. The hub owns retry, backoff, circuit breaking and dead
// letters; a sink never sleeps and retries on its own.

#include <string>

namespace hub::plugin {

struct DeliveryResult {
  enum class Kind { kDelivered, kRetry, kRejected };

  Kind kind = Kind::kDelivered;
  std::string reason;  ///< why a retry or a rejection; shown in the dead-letter record

  static DeliveryResult delivered() { return {Kind::kDelivered, {}}; }
  /// Transient failure (network, 5xx, peer busy): try again later with backoff.
  static DeliveryResult retry(std::string why) { return {Kind::kRetry, std::move(why)}; }
  /// Permanent failure (peer refused the content): dead-letter at once.
  static DeliveryResult rejected(std::string why) { return {Kind::kRejected, std::move(why)}; }
};

}  // namespace hub::plugin
