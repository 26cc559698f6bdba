#pragma once
// The OpenSSL 3 `gost` engine (Debian package libengine-gost-openssl), loaded once per process
// without any system configuration change.
//
// Loading order: ENGINE_by_id("gost") (OpenSSL looks in its built-in list, then loads gost.so from
// $OPENSSL_ENGINES or the compiled-in engines directory), then, if that fails, the `dynamic` engine
// with SO_PATH = $ZHKH_GOST_ENGINE or <engines dir>/gost.so. The engine is initialised and set as
// the default for the algorithms it implements (GOST R 34.10-2012 keys, GOST R 34.11-2012
// digests), exactly like `openssl ... -engine gost` does, so PEM/PKCS#12 decoding of GOST keys and
// EVP signing find it. No OPENSSL_CONF file is needed or read for this.

#include <openssl/types.h>

#include <string>

namespace hub::crypto {

/// The initialised engine; throws CryptoError (saying which package to install) when it cannot be
/// loaded. Thread-safe; the first call loads, later calls return the same engine.
ENGINE* gost_engine();

/// True when gost_engine() would succeed.
bool gost_engine_available();

/// GOST R 34.11-2012 with a 256-bit (or 512-bit) result, from the engine.
const EVP_MD* gost_digest_256();
const EVP_MD* gost_digest_512();

}  // namespace hub::crypto
