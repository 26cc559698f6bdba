// The ENGINE API is deprecated in OpenSSL 3, but the gost engine is what Debian ships for GOST
// (there is no GOST provider package); its use stays in this file.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "hub/crypto/gost_engine.h"

#include <openssl/engine.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "hub/crypto/crypto_error.h"

namespace hub::crypto {

namespace {

struct LoadState {
  ENGINE* engine = nullptr;
  std::string error;
};

ENGINE* try_dynamic(const std::string& so_path, std::string& why) {
  ENGINE* e = ENGINE_by_id("dynamic");
  if (!e) {
    why += "; no 'dynamic' engine: " + drain_openssl_errors();
    return nullptr;
  }
  if (!ENGINE_ctrl_cmd_string(e, "SO_PATH", so_path.c_str(), 0) ||
      !ENGINE_ctrl_cmd_string(e, "ID", "gost", 0) ||
      !ENGINE_ctrl_cmd_string(e, "LOAD", nullptr, 0)) {
    why += "; dynamic load of " + so_path + " failed: " + drain_openssl_errors();
    ENGINE_free(e);
    return nullptr;
  }
  return e;
}

LoadState load() {
  LoadState st;
  std::string why;
  ENGINE* e = ENGINE_by_id("gost");
  if (!e) {
    why = "ENGINE_by_id(\"gost\"): " + drain_openssl_errors();
    std::string so;
    if (const char* p = std::getenv("ZHKH_GOST_ENGINE"); p && *p) {
      so = p;
    } else if (const char* dir = std::getenv("OPENSSL_ENGINES"); dir && *dir) {
      so = std::string(dir) + "/gost.so";
    } else {
      so = std::string(OpenSSL_version(OPENSSL_ENGINES_DIR));
      // "ENGINESDIR: \"/usr/lib/x86_64-linux-gnu/engines-3\""
      const auto q1 = so.find('"');
      const auto q2 = so.rfind('"');
      so = (q1 != std::string::npos && q2 > q1) ? so.substr(q1 + 1, q2 - q1 - 1) + "/gost.so"
                                                : "/usr/lib/x86_64-linux-gnu/engines-3/gost.so";
    }
    e = try_dynamic(so, why);
  }
  if (!e) {
    st.error =
        "the OpenSSL 'gost' engine is not available (install the Debian package "
        "libengine-gost-openssl, or set ZHKH_GOST_ENGINE to its gost.so): " +
        why;
    return st;
  }
  if (!ENGINE_init(e)) {
    st.error = "the OpenSSL 'gost' engine did not initialise: " + drain_openssl_errors();
    ENGINE_free(e);
    return st;
  }
  // As `openssl -engine gost` does: the engine becomes the default for what it implements (GOST
  // key types, their ASN.1 decoders, digests, ciphers); other algorithms stay with OpenSSL.
  if (!ENGINE_set_default(e, ENGINE_METHOD_ALL & ~ENGINE_METHOD_RAND)) {
    st.error = "the OpenSSL 'gost' engine could not be registered: " + drain_openssl_errors();
    ENGINE_finish(e);
    ENGINE_free(e);
    return st;
  }
  ENGINE_free(e);  // the functional reference from ENGINE_init keeps it loaded for the process
  st.engine = e;
  drain_openssl_errors();
  return st;
}

const LoadState& state() {
  static const LoadState s = load();
  return s;
}

}  // namespace

ENGINE* gost_engine() {
  const auto& s = state();
  if (!s.engine) throw CryptoError(s.error);
  return s.engine;
}

bool gost_engine_available() {
  return state().engine != nullptr;
}

const EVP_MD* gost_digest_256() {
  gost_engine();
  static const EVP_MD* md = EVP_get_digestbynid(NID_id_GostR3411_2012_256);
  if (!md) throw CryptoError("GOST R 34.11-2012 (256) is not available from the gost engine");
  return md;
}

const EVP_MD* gost_digest_512() {
  gost_engine();
  static const EVP_MD* md = EVP_get_digestbynid(NID_id_GostR3411_2012_512);
  if (!md) throw CryptoError("GOST R 34.11-2012 (512) is not available from the gost engine");
  return md;
}

}  // namespace hub::crypto
