#pragma once
// XML signing for adapters (GIS ZhKH requests): Context::signers() gives the hub's factory.
// The hub loads each key once and shares it; signers are thread-safe.

#include <memory>
#include <string>
#include <string_view>

struct _xmlDoc;  // libxml2's xmlDoc

namespace hub::plugin {

/// Which key, and which signature profile.
struct SignerOptions {
  /// "gost2012": XAdES-BES, GOST R 34.10/34.11-2012 (256; a 512-bit key gets the -512 URIs);
  /// "rsa": RSA-SHA256 in the same shape; empty: by the key's type.
  std::string profile;
  std::string key_file;       ///< PEM private key, or PKCS#12 bundle with key (and certificate)
  std::string cert_file;      ///< PEM/DER certificate; may be empty for a PKCS#12 bundle
  std::string password;       ///< for an encrypted key / PKCS#12; or:
  std::string password_file;  ///< first line of this file
};

class Signer {
 public:
  virtual ~Signer() = default;
  /// Returns the document with an enveloped ds:Signature inserted as the first child of the
  /// element Id="signed-data-container". Sign the document as it is sent (the whole SOAP
  /// envelope): the canonical form includes the namespaces in scope. Throws std::runtime_error
  /// with the reason (malformed XML, no such element, already signed, crypto failure).
  virtual std::string sign(std::string_view xml) = 0;
  /// sign() on a document the caller has parsed already (e.g. to validate it first): inserts the
  /// signature into `doc` in place and returns the signed document's text. `parsed_from`, when
  /// given, must be the text `doc` was parsed from: the signature's text is then inserted into it
  /// (after the signed element's start tag) instead of the whole tree being serialized again.
  /// Same errors as sign().
  virtual std::string sign_document(_xmlDoc* doc, std::string_view parsed_from = {}) = 0;
  virtual std::string profile() const = 0;  ///< "gost2012" or "rsa"
};

/// The outcome of checking every signature in a document.
struct SignatureCheck {
  bool ok = false;
  std::string error;  ///< names the reference or algorithm that failed
  std::string signer_subject;
};

class SignerFactory {
 public:
  virtual ~SignerFactory() = default;
  /// Throws std::runtime_error naming the file when the key or certificate cannot be loaded.
  virtual std::shared_ptr<Signer> open(const SignerOptions& options) = 0;
  /// Verifies every ds:Signature in `xml` with the certificate it carries (e.g. GIS responses).
  virtual SignatureCheck verify(std::string_view xml) const = 0;
};

}  // namespace hub::plugin
