#pragma once
// Verification of the XML signatures XmlSigner writes (and GIS ZhKH returns): every ds:Signature
// in the document, with the certificate it carries.

#include <libxml/tree.h>

#include <string>
#include <string_view>
#include <vector>

namespace hub::crypto {

struct VerificationResult {
  bool ok = false;
  /// Why not, naming the signature, the reference (index and URI) or the algorithm URI; empty
  /// when ok.
  std::string error;
  std::size_t signatures = 0;           ///< ds:Signature elements checked
  std::string signature_method;         ///< of the last signature checked
  std::string signer_subject;           ///< certificate subject, RFC 2253
  std::string signing_time;             ///< xades:SigningTime, when present
  std::vector<std::string> references;  ///< URIs whose digests matched
  explicit operator bool() const { return ok; }
};

/// Checks, for every ds:Signature: the algorithms are supported (C14N 1.0 / exc-c14n, GOST R
/// 34.10-2012-256/512 or RSA-SHA256, GOST R 34.11-2012 / SHA-256 / SHA-1 digests); each Reference
/// "#id" resolves to exactly one element with that Id and its digest matches after its
/// transforms (enveloped-signature requires the signature inside that element); the
/// SignatureValue verifies over the canonical SignedInfo with the key of KeyInfo's
/// X509Certificate; XAdES CertDigest and IssuerSerial (when present) match that certificate.
/// The certificate's chain is not checked (no trust store here). Never throws: malformed XML
/// and "no ds:Signature" are results too.
VerificationResult verify_xml_signature(std::string_view xml_document,
                                        const std::string& name = "document");

/// The same on a document the caller has parsed already (e.g. after validating it).
VerificationResult verify_xml_signature(xmlDocPtr doc, const std::string& name = "document");

}  // namespace hub::crypto
