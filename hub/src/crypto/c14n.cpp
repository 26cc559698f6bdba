#include "hub/crypto/c14n.h"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>

#include <unordered_set>

#include "hub/crypto/crypto_error.h"

namespace hub::crypto {

namespace {

// The subset "apex and its descendants, minus the subtree at exclude", decided in O(1) per node:
// libxml2 asks for every node, attribute and namespace node it meets, and walking up to the root
// for each (as this did) cost more than the canonical output itself on a 100-account request.
struct Subset {
  std::vector<xmlNodePtr> ancestors;         // apex's ancestors: a handful, asked about rarely
  std::unordered_set<const void*> excluded;  // every node of the excluded subtree (a signature)
};

void collect(xmlNodePtr n, std::unordered_set<const void*>& out) {
  for (; n; n = n->next) {
    out.insert(n);
    if (n->type == XML_ELEMENT_NODE) collect(n->children, out);
  }
}

// `parent` is the owning element for attributes and namespace nodes (whose xmlNs has no parent
// pointer). Only nodes of the apex's subtree and the apex's ancestors get here (see
// ScopedTraversalRoot), so "not an ancestor, not excluded" is "inside the subset".
int is_visible(void* data, xmlNodePtr node, xmlNodePtr parent) {
  const auto* s = static_cast<const Subset*>(data);
  xmlNodePtr n = node;
  if (!n || n->type == XML_NAMESPACE_DECL || n->type == XML_ATTRIBUTE_NODE) n = parent;
  if (!n) return 0;
  for (xmlNodePtr a : s->ancestors)
    if (a == n) return 0;
  return s->excluded.empty() || !s->excluded.count(n) ? 1 : 0;
}

// xmlC14NExecute always walks the whole document from its first child, however small the subset
// (and in inclusive mode checks every ancestor's namespaces for every element on the way): for a
// SignedInfo of twenty nodes it walked all the thousands of a request's envelope. For the call,
// the apex is made the document's only child, so the walk covers just its subtree. Its parent
// pointers stay, so the namespaces (and, in C14N 1.0, xml:* attributes) in scope from its
// ancestors are found as before and the output is the same. The document must not be read by
// another thread meanwhile (canonicalize() callers own the tree they sign or verify).
class ScopedTraversalRoot {
 public:
  explicit ScopedTraversalRoot(xmlNodePtr apex)
      : doc_(apex->doc),
        apex_(apex),
        children_(doc_->children),
        last_(doc_->last),
        prev_(apex->prev),
        next_(apex->next) {
    doc_->children = doc_->last = apex;
    apex->prev = apex->next = nullptr;
  }
  ~ScopedTraversalRoot() {
    apex_->prev = prev_;
    apex_->next = next_;
    doc_->children = children_;
    doc_->last = last_;
  }
  ScopedTraversalRoot(const ScopedTraversalRoot&) = delete;
  ScopedTraversalRoot& operator=(const ScopedTraversalRoot&) = delete;

 private:
  xmlDocPtr doc_;
  xmlNodePtr apex_, children_, last_, prev_, next_;
};

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
  Subset subset;
  for (xmlNodePtr a = apex->parent; a && a->type != XML_DOCUMENT_NODE; a = a->parent)
    subset.ancestors.push_back(a);
  if (exclude) {
    subset.excluded.insert(exclude);
    if (exclude->type == XML_ELEMENT_NODE) collect(exclude->children, subset.excluded);
  }
  int rc;
  {
    ScopedTraversalRoot root(apex);
    rc = xmlC14NExecute(
        apex->doc, is_visible, &subset,
        mode == C14nMode::kExclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0,
        mode == C14nMode::kExclusive && inclusive_prefixes.size() ? prefixes.data() : nullptr, 0,
        buf);
  }
  xmlOutputBufferClose(buf);
  if (rc < 0)
    throw CryptoError("canonicalization of <" +
                      std::string(reinterpret_cast<const char*>(apex->name)) + "> failed");
  return out;
}

}  // namespace hub::crypto
