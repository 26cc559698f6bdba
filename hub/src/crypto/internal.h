#pragma once
// Private plumbing shared by the crypto area's sources: DOM look-ups, the signature template
// both profiles write, and the per-profile signer constructors.

#include <libxml/tree.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/crypto/signing_key.h"
#include "hub/crypto/xml_signer.h"

namespace hub::crypto::detail {

/// Elements under (and including) `root` whose attribute Id (or ID) equals `id`.
std::vector<xmlNodePtr> elements_with_id(xmlNodePtr root, std::string_view id);
/// What the verifier looks up, from one walk over the tree (each look-up walked it again): the
/// ds:Signature elements and the elements with an Id (or ID) attribute, in document order.
struct DocumentIndex {
  std::vector<xmlNodePtr> signatures;
  std::multimap<std::string, xmlNodePtr> by_id;
  std::vector<xmlNodePtr> with_id(const std::string& id) const;
};
DocumentIndex index_document(xmlNodePtr root);

/// Element children / descendants in namespace `ns` named `local`.
xmlNodePtr first_child(xmlNodePtr parent, const char* ns, const char* local);
std::vector<xmlNodePtr> children(xmlNodePtr parent, const char* ns, const char* local);
std::vector<xmlNodePtr> descendants(xmlNodePtr root, const char* ns, const char* local);
std::string text_of(xmlNodePtr node);
std::string attribute(xmlNodePtr node, const char* name);

/// The one element Id=`id` of `doc`; throws CryptoError (none, several, already signed).
xmlNodePtr signed_container(xmlDocPtr doc, const std::string& id, const std::string& name);

/// What goes into the XAdES-BES signature template (values already base64 where binary).
struct SignatureTemplate {
  std::string signature_id;      ///< "xmldsig-<uuid>"
  std::string signature_method;  ///< URI
  std::string digest_method;     ///< URI, for both references and CertDigest
  std::string container_id;      ///< the signed element's Id
  std::string container_digest;  ///< empty: filled later (xmlsec)
  std::string signing_time;
  std::string cert_digest;
  std::string issuer_name;
  std::string serial_decimal;
  std::string certificate;  ///< empty: xmlsec writes it from the key
};

/// Inserts the ds:Signature built from `t` as the first child of `container` and returns it.
xmlNodePtr insert_signature(xmlNodePtr container, const SignatureTemplate& t);

/// The SignedProperties element and the DigestValue of its Reference inside `signature`.
xmlNodePtr signed_properties(xmlNodePtr signature);

/// Now, as local time with its UTC offset and milliseconds: 2022-07-20T09:07:12.178+03:00.
std::string signing_time_now();

/// The document as UTF-8 with an XML declaration, unchanged otherwise.
std::string serialize(xmlDocPtr doc, const std::string& name);

/// serialize() of a document just signed, from `parsed_from`, the text it was parsed from: the
/// text of the ds:Signature that is the first element child of the element Id=`element_id` goes
/// in right after that element's start tag, found in the text by its Id, with an XML declaration
/// in front.
/// Serializing a 100-account request again cost more than its parse. nullopt when the place is
/// not certain (the Id written otherwise, its value found twice in the text, an empty-element
/// tag): the caller serializes the tree instead.
std::optional<std::string> splice_signature(xmlDocPtr doc, std::string_view parsed_from,
                                            const std::string& element_id = kSignedDataContainerId);

std::unique_ptr<XmlSigner> make_gost_signer(std::shared_ptr<const SigningKey> key);
std::unique_ptr<XmlSigner> make_rsa_signer(std::shared_ptr<const SigningKey> key);

}  // namespace hub::crypto::detail
