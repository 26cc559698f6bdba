#include "hub/crypto/algorithms.h"

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <memory>

#include "hub/crypto/crypto_error.h"
#include "hub/crypto/gost_engine.h"

namespace hub::crypto {

const EVP_MD* digest_for_uri(std::string_view u) {
  if (u == uri::kGost2012_256Digest) return gost_engine_available() ? gost_digest_256() : nullptr;
  if (u == uri::kGost2012_512Digest) return gost_engine_available() ? gost_digest_512() : nullptr;
  if (u == uri::kGost94DigestLegacy) {
    if (!gost_engine_available()) return nullptr;
    return EVP_get_digestbynid(NID_id_GostR3411_94);
  }
  if (u == uri::kSha256Digest) return EVP_sha256();
  if (u == uri::kSha1Digest) return EVP_sha1();
  if (u == "http://www.w3.org/2001/04/xmlenc#sha512") return EVP_sha512();
  return nullptr;
}

std::string digest(const EVP_MD* md, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || !EVP_DigestInit_ex(ctx.get(), md, nullptr) ||
      !EVP_DigestUpdate(ctx.get(), data.data(), data.size()) ||
      !EVP_DigestFinal_ex(ctx.get(), out, &len)) {
    throw CryptoError("digest failed: " + drain_openssl_errors());
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace hub::crypto
