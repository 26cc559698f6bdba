#include "hub/crypto/c14n.h"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>

#include "hub/crypto/crypto_error.h"

namespace hub::crypto {

namespace {

struct Subset {
  xmlNodePtr apex;
  xmlNodePtr exclude;
};

// libxml2 asks for every node, attribute and namespace node; `parent` is the owning element for
// attributes and namespace nodes (whose xmlNs has no parent pointer).
int is_visible(void* data, xmlNodePtr node, xmlNodePtr parent) {
  const auto* s = static_cast<const Subset*>(data);
  xmlNodePtr n = node;
  if (!n || n->type == XML_NAMESPACE_DECL || n->type == XML_ATTRIBUTE_NODE) n = parent;
  for (; n; n = n->parent) {
    if (n == s->exclude) return 0;
    if (n == s->apex) return 1;
  }
  return 0;
}

int append(void* ctx, const char* buf, int len) {
  static_cast<std::string*>(ctx)->append(buf, static_cast<std::size_t>(len));
  return len;
}

}  // namespace

std::string canonicalize(xmlNodePtr apex, C14nMode mode, xmlNodePtr exclude,
                         const std::vector<std::string>& inclusive_prefixes) {
  if (!apex || !apex->doc) throw CryptoError("canonicalization: no element");
  std::string out;
  xmlOutputBufferPtr buf = xmlOutputBufferCreateIO(append, nullptr, &out, nullptr);
  if (!buf) throw CryptoError("canonicalization: out of memory");
  std::vector<xmlChar*> prefixes;
  for (const auto& p : inclusive_prefixes) {
    prefixes.push_back(const_cast<xmlChar*>(reinterpret_cast<const xmlChar*>(p.c_str())));
  }
  prefixes.push_back(nullptr);
  Subset subset{apex, exclude};
  const int rc = xmlC14NExecute(
      apex->doc, is_visible, &subset,
      mode == C14nMode::kExclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0,
      mode == C14nMode::kExclusive && inclusive_prefixes.size() ? prefixes.data() : nullptr, 0,
      buf);
  xmlOutputBufferClose(buf);
  if (rc < 0)
    throw CryptoError("canonicalization of <" +
                      std::string(reinterpret_cast<const char*>(apex->name)) + "> failed");
  return out;
}

}  // namespace hub::crypto
