#pragma once
// Canonical XML of a subtree, by libxml2.

#include <libxml/tree.h>

#include <string>
#include <vector>

namespace hub::crypto {

enum class C14nMode {
  kInclusive,  ///< Canonical XML 1.0 (REC-xml-c14n-20010315): every in-scope namespace at the apex
  kExclusive,  ///< Exclusive XML Canonicalization 1.0: only visibly used namespaces
};

/// The canonical form, without comments, of the document subset "`apex` and its descendants"
/// minus the subtree at `exclude` (the enveloped-signature transform), as an XML-DSig Reference
/// to "#id" computes it. `inclusive_prefixes` is the exclusive mode's InclusiveNamespaces
/// PrefixList. Throws CryptoError when libxml2 fails.
std::string canonicalize(xmlNodePtr apex, C14nMode mode, xmlNodePtr exclude = nullptr,
                         const std::vector<std::string>& inclusive_prefixes = {});

}  // namespace hub::crypto
