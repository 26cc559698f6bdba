// The GOST profile: XAdES-BES computed here with libxml2 (canonical forms) and OpenSSL EVP with
// the gost engine (digests, signature), since Debian's xmlsec1 is built without GOST.

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "hub/core/uuid.h"
#include "hub/crypto/algorithms.h"
#include "hub/crypto/base64.h"
#include "hub/crypto/c14n.h"
#include "hub/crypto/crypto_error.h"
#include "hub/crypto/gost_engine.h"
#include "hub/xml/document.h"
#include "internal.h"

namespace hub::crypto::detail {

namespace {

class GostSigner : public XmlSigner {
 public:
  explicit GostSigner(std::shared_ptr<const SigningKey> key)
      : key_(std::move(key)),
        wide_(EVP_PKEY_get_base_id(key_->key()) == NID_id_GostR3410_2012_512),
        md_(wide_ ? gost_digest_512() : gost_digest_256()),
        cert_b64_(base64_encode(key_->certificate_der())),
        cert_digest_(base64_encode(digest(md_, key_->certificate_der()))) {}

  void sign_document(xmlDocPtr doc, const std::string& name,
                     const std::string& element_id) const override {
    xmlNodePtr container = signed_container(doc, element_id, name);

    SignatureTemplate t;
    t.signature_id = "xmldsig-" + new_uuid_v7();
    t.signature_method = wide_ ? uri::kGost2012_512Signature : uri::kGost2012_256Signature;
    t.digest_method = wide_ ? uri::kGost2012_512Digest : uri::kGost2012_256Digest;
    t.container_id = element_id;
    // Reference 1: enveloped-signature + exc-c14n of the container; the signature is not there
    // yet, so the enveloped transform removes nothing.
    t.container_digest = base64_encode(digest(md_, canonicalize(container, C14nMode::kExclusive)));
    t.signing_time = signing_time_now();
    t.cert_digest = cert_digest_;
    t.issuer_name = key_->issuer_name();
    t.serial_decimal = key_->serial_decimal();
    t.certificate = cert_b64_;
    xmlNodePtr sig = insert_signature(container, t);

    // Reference 2: SignedProperties without transforms, i.e. Canonical XML 1.0 in place.
    xmlNodePtr props = signed_properties(sig);
    xmlNodePtr signed_info = first_child(sig, uri::kDsigNs, "SignedInfo");
    const auto refs = children(signed_info, uri::kDsigNs, "Reference");
    xmlNodePtr props_digest = first_child(refs.at(1), uri::kDsigNs, "DigestValue");
    const auto pd = base64_encode(digest(md_, canonicalize(props, C14nMode::kInclusive)));
    xmlNodeSetContent(props_digest, reinterpret_cast<const xmlChar*>(pd.c_str()));

    const auto value = base64_encode(sign_bytes(canonicalize(signed_info, C14nMode::kInclusive)));
    xmlNodePtr sv = first_child(sig, uri::kDsigNs, "SignatureValue");
    xmlNodeSetContent(sv, reinterpret_cast<const xmlChar*>(value.c_str()));
  }

  Profile profile() const override { return Profile::kGost2012; }
  const SigningKey& key() const override { return *key_; }

 private:
  // GOST R 34.10-2012 over the GOST R 34.11-2012 hash of `data`. The engine returns s || r, each
  // 32 (or 64) bytes big-endian: the byte order XML-DSig GOST signatures (and GIS) use, so it goes
  // into SignatureValue unchanged. Checked against a real CryptoPro-signed GIS request (the capture
  // in ../shared/formats/gis_zhkh.md §3.2): its SignatureValue verifies with `openssl dgst
  // -engine gost -verify` over the C14N 1.0 SignedInfo as is, and fails reversed or halves swapped.
  std::string sign_bytes(const std::string& data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md_, nullptr, key_->key()) != 1 ||
        EVP_DigestSignUpdate(ctx.get(), data.data(), data.size()) != 1 ||
        EVP_DigestSignFinal(ctx.get(), nullptr, &len) != 1) {
      throw CryptoError("GOST signing failed: " + drain_openssl_errors());
    }
    std::string out(len, '\0');
    if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
      throw CryptoError("GOST signing failed: " + drain_openssl_errors());
    }
    out.resize(len);
    return out;
  }

  std::shared_ptr<const SigningKey> key_;
  bool wide_;  // a 512-bit key: the 2012-512 signature and digest URIs
  const EVP_MD* md_;
  std::string cert_b64_;
  std::string cert_digest_;
};

}  // namespace

std::unique_ptr<XmlSigner> make_gost_signer(std::shared_ptr<const SigningKey> key) {
  return std::make_unique<GostSigner>(std::move(key));
}

}  // namespace hub::crypto::detail
