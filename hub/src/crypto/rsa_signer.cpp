// The RSA profile: the same XAdES-shaped template as the GOST one, signed by xmlsec1 with its
// OpenSSL backend (RSA-SHA256, SHA-256 digests), for environments without GOST.

#include <openssl/evp.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include <mutex>

#include "hub/core/uuid.h"
#include "hub/crypto/algorithms.h"
#include "hub/crypto/base64.h"
#include "hub/crypto/crypto_error.h"
#include "hub/xml/document.h"
#include "internal.h"

namespace hub::crypto::detail {

namespace {

void init_xmlsec() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    if (xmlSecInit() < 0) {
      error = "xmlSecInit failed";
    } else if (xmlSecCheckVersion() != 1) {
      error = "the xmlsec library version does not match its headers";
    } else if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0) {
      error = "xmlsec's OpenSSL backend did not initialise: " + drain_openssl_errors();
    }
  });
  if (!error.empty()) throw CryptoError(error);
}

struct KeyFree {
  void operator()(xmlSecKeyPtr k) const { xmlSecKeyDestroy(k); }
};
struct CtxFree {
  void operator()(xmlSecDSigCtxPtr c) const { xmlSecDSigCtxDestroy(c); }
};

// Same-document references "#id" resolve through libxml2's ID table, which has no entries
// without a DTD: register the Id attributes the signature points at.
void register_id(xmlNodePtr element) {
  xmlAttrPtr attr = xmlHasNsProp(element, reinterpret_cast<const xmlChar*>("Id"), nullptr);
  if (!attr) return;
  xmlChar* value = xmlNodeListGetString(element->doc, attr->children, 1);
  if (value && !xmlGetID(element->doc, value)) xmlAddID(nullptr, element->doc, value, attr);
  xmlFree(value);
}

class RsaSigner : public XmlSigner {
 public:
  explicit RsaSigner(std::shared_ptr<const SigningKey> key)
      : key_(std::move(key)),
        cert_digest_(base64_encode(digest(EVP_sha256(), key_->certificate_der()))) {
    init_xmlsec();
    if (EVP_PKEY_up_ref(key_->key()) != 1) throw CryptoError("cannot reference the RSA key");
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(key_->key());
    if (!data) {
      EVP_PKEY_free(key_->key());
      throw CryptoError("xmlsec refused the RSA key: " + drain_openssl_errors());
    }
    xmlsec_key_.reset(xmlSecKeyCreate());
    if (!xmlsec_key_ || xmlSecKeySetValue(xmlsec_key_.get(), data) < 0) {
      xmlSecKeyDataDestroy(data);
      throw CryptoError("xmlsec could not create a key");
    }
    const auto& der = key_->certificate_der();
    if (xmlSecOpenSSLAppKeyCertLoadMemory(
            xmlsec_key_.get(), reinterpret_cast<const xmlSecByte*>(der.data()),
            static_cast<xmlSecSize>(der.size()), xmlSecKeyDataFormatDer) < 0) {
      throw CryptoError("xmlsec could not attach the certificate: " + drain_openssl_errors());
    }
  }

  void sign_document(xmlDocPtr doc, const std::string& name,
                     const std::string& element_id) const override {
    xmlNodePtr container = signed_container(doc, element_id, name);

    SignatureTemplate t;
    t.signature_id = "xmldsig-" + new_uuid_v7();
    t.signature_method = uri::kRsaSha256Signature;
    t.digest_method = uri::kSha256Digest;
    t.container_id = element_id;
    t.signing_time = signing_time_now();
    t.cert_digest = cert_digest_;
    t.issuer_name = key_->issuer_name();
    t.serial_decimal = key_->serial_decimal();
    xmlNodePtr sig = insert_signature(container, t);
    register_id(container);
    register_id(signed_properties(sig));

    std::unique_ptr<xmlSecDSigCtx, CtxFree> ctx(xmlSecDSigCtxCreate(nullptr));
    if (!ctx) throw CryptoError("xmlsec could not create a signature context");
    ctx->signKey = xmlSecKeyDuplicate(xmlsec_key_.get());  // the context owns and frees its copy
    if (!ctx->signKey) throw CryptoError("xmlsec could not copy the key");
    if (xmlSecDSigCtxSign(ctx.get(), sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
      throw CryptoError(name + ": xmlsec RSA-SHA256 signing failed: " + drain_openssl_errors());
    }
  }

  Profile profile() const override { return Profile::kRsa; }
  const SigningKey& key() const override { return *key_; }

 private:
  std::shared_ptr<const SigningKey> key_;
  std::string cert_digest_;
  std::unique_ptr<xmlSecKey, KeyFree> xmlsec_key_;
};

}  // namespace

std::unique_ptr<XmlSigner> make_rsa_signer(std::shared_ptr<const SigningKey> key) {
  return std::make_unique<RsaSigner>(std::move(key));
}

}  // namespace hub::crypto::detail
