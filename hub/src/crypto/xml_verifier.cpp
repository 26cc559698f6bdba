#include "hub/crypto/xml_verifier.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "hub/crypto/algorithms.h"
#include "hub/crypto/base64.h"
#include "hub/crypto/c14n.h"
#include "hub/crypto/crypto_error.h"
#include "hub/crypto/gost_engine.h"
#include "hub/crypto/signing_key.h"
#include "hub/xml/document.h"
#include "internal.h"

namespace hub::crypto {

namespace {

using detail::attribute;
using detail::children;
using detail::first_child;
using detail::text_of;

constexpr const char* kExcC14nNs = "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr const char* kRsaSha1Signature = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

/// A failed check; caught per signature and turned into the result's error.
struct Failure {
  std::string what;
};

std::vector<std::string> prefix_list(xmlNodePtr method) {
  std::vector<std::string> out;
  if (xmlNodePtr inc = first_child(method, kExcC14nNs, "InclusiveNamespaces")) {
    std::istringstream in(attribute(inc, "PrefixList"));
    for (std::string p; in >> p;) out.push_back(p);
  }
  return out;
}

struct X509Free {
  void operator()(X509* c) const { X509_free(c); }
};

void verify_one(xmlNodePtr sig, const detail::DocumentIndex& index, VerificationResult& result) {
  xmlNodePtr signed_info = first_child(sig, uri::kDsigNs, "SignedInfo");
  if (!signed_info) throw Failure{"no ds:SignedInfo"};

  xmlNodePtr cm = first_child(signed_info, uri::kDsigNs, "CanonicalizationMethod");
  const std::string cm_uri = attribute(cm, "Algorithm");
  C14nMode si_mode;
  if (cm_uri == uri::kC14n) {
    si_mode = C14nMode::kInclusive;
  } else if (cm_uri == uri::kExcC14n) {
    si_mode = C14nMode::kExclusive;
  } else {
    throw Failure{"unsupported CanonicalizationMethod '" + cm_uri + "'"};
  }

  const std::string sm_uri =
      attribute(first_child(signed_info, uri::kDsigNs, "SignatureMethod"), "Algorithm");
  const EVP_MD* sig_md = nullptr;
  int key_type = 0;
  if (sm_uri == uri::kGost2012_256Signature) {
    if (!gost_engine_available()) {
      throw Failure{"SignatureMethod '" + sm_uri +
                    "' needs the OpenSSL gost engine, which is not available"};
    }
    sig_md = gost_digest_256();
    key_type = NID_id_GostR3410_2012_256;
  } else if (sm_uri == uri::kGost2012_512Signature) {
    if (!gost_engine_available()) {
      throw Failure{"SignatureMethod '" + sm_uri +
                    "' needs the OpenSSL gost engine, which is not available"};
    }
    sig_md = gost_digest_512();
    key_type = NID_id_GostR3410_2012_512;
  } else if (sm_uri == uri::kRsaSha256Signature) {
    sig_md = EVP_sha256();
    key_type = EVP_PKEY_RSA;
  } else if (sm_uri == kRsaSha1Signature) {
    sig_md = EVP_sha1();
    key_type = EVP_PKEY_RSA;
  } else {
    throw Failure{"unsupported SignatureMethod '" + sm_uri + "'"};
  }
  result.signature_method = sm_uri;

  const auto refs = children(signed_info, uri::kDsigNs, "Reference");
  if (refs.empty()) throw Failure{"ds:SignedInfo has no ds:Reference"};
  xmlNodePtr root = xmlDocGetRootElement(sig->doc);
  std::vector<xmlNodePtr> covered;
  for (std::size_t k = 0; k < refs.size(); ++k) {
    const std::string ref_uri = attribute(refs[k], "URI");
    const std::string label = "Reference " + std::to_string(k + 1) + " (URI '" + ref_uri + "')";
    xmlNodePtr target = nullptr;
    if (ref_uri.empty()) {
      target = root;
    } else if (ref_uri[0] == '#') {
      const auto found = index.with_id(ref_uri.substr(1));
      if (found.empty()) throw Failure{label + ": no element with Id '" + ref_uri.substr(1) + "'"};
      if (found.size() > 1) {
        throw Failure{label + ": " + std::to_string(found.size()) + " elements with Id '" +
                      ref_uri.substr(1) + "' (ambiguous)"};
      }
      target = found[0];
    } else {
      throw Failure{label + ": only same-document references are supported"};
    }

    C14nMode mode = C14nMode::kInclusive;  // a node set without a c14n transform is C14N 1.0
    std::vector<std::string> prefixes;
    xmlNodePtr exclude = nullptr;
    for (xmlNodePtr tr :
         children(first_child(refs[k], uri::kDsigNs, "Transforms"), uri::kDsigNs, "Transform")) {
      const std::string alg = attribute(tr, "Algorithm");
      if (alg == uri::kEnveloped) {
        bool inside = false;
        for (xmlNodePtr p = sig->parent; p; p = p->parent) inside = inside || p == target;
        if (!inside)
          throw Failure{
              label +
              ": enveloped-signature, but the signature is not inside the referenced element"};
        exclude = sig;
      } else if (alg == uri::kExcC14n) {
        mode = C14nMode::kExclusive;
        prefixes = prefix_list(tr);
      } else if (alg == uri::kC14n) {
        mode = C14nMode::kInclusive;
      } else {
        throw Failure{label + ": unsupported Transform '" + alg + "'"};
      }
    }
    const std::string dm_uri =
        attribute(first_child(refs[k], uri::kDsigNs, "DigestMethod"), "Algorithm");
    const EVP_MD* md = digest_for_uri(dm_uri);
    if (!md) throw Failure{label + ": unsupported DigestMethod '" + dm_uri + "'"};
    const auto expected = base64_decode(text_of(first_child(refs[k], uri::kDsigNs, "DigestValue")));
    if (!expected || expected->empty())
      throw Failure{label + ": DigestValue is missing or not base64"};
    if (digest(md, canonicalize(target, mode, exclude, prefixes)) != *expected) {
      throw Failure{label + ": digest mismatch (the referenced content was changed after signing)"};
    }
    covered.push_back(target);
  }

  const auto cert_b64 = text_of(
      first_child(first_child(first_child(sig, uri::kDsigNs, "KeyInfo"), uri::kDsigNs, "X509Data"),
                  uri::kDsigNs, "X509Certificate"));
  const auto cert_der = base64_decode(cert_b64);
  if (cert_b64.empty() || !cert_der) throw Failure{"no ds:KeyInfo/ds:X509Data/ds:X509Certificate"};
  const auto* p = reinterpret_cast<const unsigned char*>(cert_der->data());
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(cert_der->size())));
  if (!cert) throw Failure{"X509Certificate is not a certificate: " + drain_openssl_errors()};
  result.signer_subject = subject_of(cert.get());
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  if (!pub) throw Failure{"cannot read the certificate's public key: " + drain_openssl_errors()};
  if (EVP_PKEY_get_base_id(pub) != key_type) {
    throw Failure{"the certificate's key (" + std::string(OBJ_nid2sn(EVP_PKEY_get_base_id(pub))) +
                  ") does not match SignatureMethod '" + sm_uri + "'"};
  }

  const auto value = base64_decode(text_of(first_child(sig, uri::kDsigNs, "SignatureValue")));
  if (!value || value->empty()) throw Failure{"SignatureValue is missing or not base64"};
  const std::string canonical = canonicalize(signed_info, si_mode, nullptr, prefix_list(cm));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, sig_md, nullptr, pub) != 1) {
    throw Failure{"cannot set up verification: " + drain_openssl_errors()};
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(value->data()), value->size(),
      reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size());
  drain_openssl_errors();
  if (rc != 1) {
    throw Failure{"SignatureValue does not verify with the key of the certificate '" +
                  result.signer_subject +
                  "' (ds:SignedInfo was changed, or signed by another key)"};
  }

  // XAdES-BES: the signed properties must be signed and name this certificate.
  if (xmlNodePtr props = detail::signed_properties(sig)) {
    if (std::find(covered.begin(), covered.end(), props) == covered.end()) {
      throw Failure{"xades:SignedProperties is not covered by any ds:Reference"};
    }
    const auto xades = uri::kXadesNs;
    xmlNodePtr ssp = first_child(props, xades, "SignedSignatureProperties");
    result.signing_time = text_of(first_child(ssp, xades, "SigningTime"));
    xmlNodePtr cert_node =
        first_child(first_child(ssp, xades, "SigningCertificate"), xades, "Cert");
    if (cert_node) {
      xmlNodePtr cd = first_child(cert_node, xades, "CertDigest");
      const std::string cd_uri =
          attribute(first_child(cd, uri::kDsigNs, "DigestMethod"), "Algorithm");
      const EVP_MD* cd_md = digest_for_uri(cd_uri);
      if (!cd_md) throw Failure{"xades:CertDigest: unsupported DigestMethod '" + cd_uri + "'"};
      const auto cd_value = base64_decode(text_of(first_child(cd, uri::kDsigNs, "DigestValue")));
      if (!cd_value || digest(cd_md, *cert_der) != *cd_value) {
        throw Failure{"xades:CertDigest does not match the certificate in ds:KeyInfo"};
      }
      const std::string serial = text_of(first_child(first_child(cert_node, xades, "IssuerSerial"),
                                                     uri::kDsigNs, "X509SerialNumber"));
      if (!serial.empty() && serial != serial_decimal_of(cert.get())) {
        throw Failure{"xades:IssuerSerial X509SerialNumber " + serial +
                      " is not the certificate's (" + serial_decimal_of(cert.get()) + ")"};
      }
    }
  }
  for (xmlNodePtr r : refs) result.references.push_back(attribute(r, "URI"));
}

}  // namespace

VerificationResult verify_xml_signature(xmlDocPtr doc, const std::string& name) {
  VerificationResult result;
  try {
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : nullptr;
    const auto index = root ? detail::index_document(root) : detail::DocumentIndex{};
    const auto& sigs = index.signatures;
    if (sigs.empty()) {
      result.error = name + ": no ds:Signature";
      return result;
    }
    for (std::size_t i = 0; i < sigs.size(); ++i) {
      try {
        verify_one(sigs[i], index, result);
        ++result.signatures;
      } catch (const Failure& f) {
        const auto id = attribute(sigs[i], "Id");
        result.error = name + ": signature " + std::to_string(i + 1) +
                       (id.empty() ? "" : " (Id '" + id + "')") + " at " + xml::node_path(sigs[i]) +
                       ": " + f.what;
        return result;
      }
    }
    result.ok = true;
  } catch (const std::exception& e) {
    result.error = name + ": " + e.what();
  }
  return result;
}

VerificationResult verify_xml_signature(std::string_view xml_document, const std::string& name) {
  try {
    auto doc = xml::parse_xml(xml_document, name);
    return verify_xml_signature(doc.get(), name);
  } catch (const std::exception& e) {
    VerificationResult result;
    result.error = e.what();  // parse errors name the document and line already
    return result;
  }
}

}  // namespace hub::crypto
