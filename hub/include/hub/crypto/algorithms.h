#pragma once
// Algorithm identifiers of the signatures the hub writes and reads, and digests by identifier.

#include <openssl/types.h>

#include <string>
#include <string_view>

namespace hub::crypto::uri {

inline constexpr const char* kDsigNs = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr const char* kXadesNs = "http://uri.etsi.org/01903/v1.3.2#";
inline constexpr const char* kSignedPropertiesType = "http://uri.etsi.org/01903#SignedProperties";

inline constexpr const char* kC14n = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
inline constexpr const char* kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr const char* kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// GOST R 34.10-2012 (256) with GOST R 34.11-2012 (256), the URIs GIS ZhKH clients use.
inline constexpr const char* kGost2012_256Signature =
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256";
inline constexpr const char* kGost2012_256Digest =
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256";
inline constexpr const char* kGost2012_512Signature =
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512";
inline constexpr const char* kGost2012_512Digest =
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512";

/// GOST R 34.11-94: some GIS clients put it on the SignedProperties reference even with 2012 keys
/// (a quirk seen in real requests); accepted when verifying, never written.
inline constexpr const char* kGost94DigestLegacy =
    "http://www.w3.org/2001/04/xmldsig-more#gostr3411";

inline constexpr const char* kRsaSha256Signature =
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
inline constexpr const char* kSha256Digest = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr const char* kSha1Digest = "http://www.w3.org/2000/09/xmldsig#sha1";

}  // namespace hub::crypto::uri

namespace hub::crypto {

/// The digest a DigestMethod URI names (GOST ones load the gost engine), or nullptr when the hub
/// does not support it.
const EVP_MD* digest_for_uri(std::string_view uri);

/// One-shot digest of `data`; throws CryptoError on an OpenSSL failure.
std::string digest(const EVP_MD* md, std::string_view data);

}  // namespace hub::crypto
