#include "hub/crypto/xml_signer.h"

#include "hub/crypto/crypto_error.h"
#include "internal.h"

namespace hub::crypto {

std::unique_ptr<XmlSigner> XmlSigner::open(const SigningKeyOptions& options) {
  return open(SigningKey::load(options));
}

std::unique_ptr<XmlSigner> XmlSigner::open(std::shared_ptr<const SigningKey> key) {
  if (!key) throw CryptoError("no signing key");
  return key->profile() == Profile::kGost2012 ? detail::make_gost_signer(std::move(key))
                                              : detail::make_rsa_signer(std::move(key));
}

}  // namespace hub::crypto
