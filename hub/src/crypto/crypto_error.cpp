#include "hub/crypto/crypto_error.h"

#include <openssl/err.h>

namespace hub::crypto {

std::string drain_openssl_errors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace hub::crypto
