#pragma once
// The crypto area's exception, and the OpenSSL error queue as text for its messages.

#include <string>

#include "hub/core/error.h"

namespace hub::crypto {

/// A key, certificate, engine or signing problem; the message names the file or the step.
class CryptoError : public Error {
 public:
  using Error::Error;
};

/// Drains this thread's OpenSSL error queue into "reason; reason" (empty when the queue is empty),
/// so that an error from one call never leaks into the message of the next.
std::string drain_openssl_errors();

}  // namespace hub::crypto
