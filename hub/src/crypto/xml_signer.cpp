#include "hub/crypto/xml_signer.h"

#include "hub/crypto/crypto_error.h"
#include "hub/xml/document.h"
#include "internal.h"

namespace hub::crypto {

std::unique_ptr<XmlSigner> XmlSigner::open(const SigningKeyOptions& options) {
  return open(SigningKey::load(options));
}

std::string XmlSigner::sign(std::string_view xml_document, const std::string& name,
                            const std::string& element_id) const {
  auto doc = xml::parse_xml(xml_document, name);
  sign_document(doc.get(), name, element_id);
  return detail::serialize(doc.get(), name);
}

std::unique_ptr<XmlSigner> XmlSigner::open(std::shared_ptr<const SigningKey> key) {
  if (!key) throw CryptoError("no signing key");
  return key->profile() == Profile::kGost2012 ? detail::make_gost_signer(std::move(key))
                                              : detail::make_rsa_signer(std::move(key));
}

}  // namespace hub::crypto
