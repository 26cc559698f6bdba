#pragma once
// Enveloped signatures of the element Id="signed-data-container" (GIS ZhKH requests).
//
// The signature is a ds:Signature inserted as the first child of that element:
//   SignedInfo (Canonical XML 1.0), SignatureMethod of the profile,
//   Reference URI="#signed-data-container" (enveloped-signature, exc-c14n) and
//   Reference URI="#<sig>-signedprops" Type="http://uri.etsi.org/01903#SignedProperties",
//   SignatureValue, KeyInfo/X509Data/X509Certificate, and
//   Object/xades:QualifyingProperties/xades:SignedProperties (SigningTime, SigningCertificate with
//   CertDigest and IssuerSerial).
// GOST: GOST R 34.10-2012 (256) over GOST R 34.11-2012 (256), computed with OpenSSL EVP and the
// gost engine (a 512-bit key gets the ...-512 URIs and digests throughout); SignatureValue is the
// 64 bytes OpenSSL produces (s || r, big-endian, as RFC 4491 and the XML-DSig GOST profile carry
// it; CryptoPro CSP's raw little-endian form is its reverse). RSA: the same template, signed by
// xmlsec1 (RSA-SHA256, SHA-256 digests).
//
// Canonical XML 1.0 includes the namespaces in scope, so a signature stays valid only inside the
// same ancestors: sign the document that is sent (e.g. the whole SOAP envelope), not a fragment
// that is wrapped afterwards.

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

#include "hub/crypto/signing_key.h"

namespace hub::crypto {

/// The Id of the element GIS ZhKH requests sign.
inline constexpr const char* kSignedDataContainerId = "signed-data-container";

class XmlSigner {
 public:
  virtual ~XmlSigner() = default;

  /// Loads the key once (see SigningKey::load) and returns a signer for its profile. Throws
  /// CryptoError.
  static std::unique_ptr<XmlSigner> open(const SigningKeyOptions& options);
  /// A signer over an already loaded key.
  static std::unique_ptr<XmlSigner> open(std::shared_ptr<const SigningKey> key);

  /// Returns `xml_document` (UTF-8) with the signature inserted into the element whose Id is
  /// `element_id`. Thread-safe: concurrent calls share the key and nothing else. Throws XmlError
  /// (malformed input, naming `name`) or CryptoError (no such element, two of them, already
  /// signed, signing failed).
  std::string sign(std::string_view xml_document, const std::string& name = "document",
                   const std::string& element_id = kSignedDataContainerId) const;

  /// sign() on a document the caller has parsed already (e.g. to validate it first): inserts the
  /// signature in place. Serialize it with xmlDocDumpMemory / xmlSaveDoc without reformatting
  /// (formatting would change the signed content). Same errors as sign().
  virtual void sign_document(xmlDocPtr doc, const std::string& name = "document",
                             const std::string& element_id = kSignedDataContainerId) const = 0;

  virtual Profile profile() const = 0;
  virtual const SigningKey& key() const = 0;
};

}  // namespace hub::crypto
