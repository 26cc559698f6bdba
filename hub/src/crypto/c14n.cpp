#include "hub/crypto/c14n.h"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>

#include <algorithm>
#include <cctype>
#include <cstring>
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

// Exclusive XML Canonicalization 1.0 without comments of "apex and its descendants minus the
// excluded subtree", written straight into the output: the same bytes xmlC14NExecute produces for
// that subset (its namespace and attribute rules restated below), without its allocations per
// node (a sorted list for the namespaces and one for the attributes of every element, a copy of
// every text and attribute value), which were most of a request's canonicalization. Whatever the
// documents we sign and verify do not contain (processing instructions, entity references,
// namespace URIs that are relative or need quoting) makes write() return false, and libxml2
// canonicalizes the subset as before.
class ExclusiveWriter {
 public:
  ExclusiveWriter(xmlNodePtr exclude, std::string& out) : exclude_(exclude), out_(out) {}

  bool write(xmlNodePtr apex) { return apex != exclude_ && element(apex); }

 private:
  struct Rendered {
    const xmlChar* prefix;
    const xmlChar* href;
  };

  static bool empty(const xmlChar* s) { return !s || !*s; }
  static bool same(const xmlChar* a, const xmlChar* b) {
    return std::strcmp(a ? reinterpret_cast<const char*>(a) : "",
                       b ? reinterpret_cast<const char*>(b) : "") == 0;
  }
  // libxml2's xmlStrcmp: NULL before anything.
  static int compare(const xmlChar* a, const xmlChar* b) {
    if (a == b) return 0;
    if (!a) return -1;
    if (!b) return 1;
    return std::strcmp(reinterpret_cast<const char*>(a), reinterpret_cast<const char*>(b));
  }
  static bool is_xml_ns(xmlNsPtr ns) {
    return ns && same(ns->prefix, BAD_CAST "xml") && same(ns->href, XML_XML_NAMESPACE);
  }
  // libxml2 refuses a document with a relative namespace URI; a URI with characters that would
  // need escaping in the declaration is left to it too.
  static bool plain_absolute_uri(const xmlChar* href) {
    if (empty(href)) return true;
    const char* s = reinterpret_cast<const char*>(href);
    std::size_t i = 0;
    if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    while (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' || s[i] == '-' ||
           s[i] == '.')
      ++i;
    if (s[i] != ':') return false;
    for (; s[i]; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '&' || c >= 0x7f)
        return false;
    }
    return true;
  }

  // Whether an output ancestor (or this element, for what it pushed already) rendered `prefix`
  // with this URI; an unrendered default namespace counts as the empty one (no xmlns="" at the
  // top). libxml2's xmlExcC14NVisibleNsStackFind.
  bool rendered(const xmlChar* prefix, const xmlChar* href) const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it)
      if (same(prefix, it->prefix)) return same(href, it->href);
    return empty(prefix) && empty(href);
  }

  void qname(xmlNodePtr n) {
    if (n->ns && !empty(n->ns->prefix)) {
      out_ += reinterpret_cast<const char*>(n->ns->prefix);
      out_ += ':';
    }
    out_ += reinterpret_cast<const char*>(n->name);
  }

  void text(const xmlChar* s) { escaped(s, false); }

  bool attribute_value(xmlAttrPtr a) {
    for (xmlNodePtr t = a->children; t; t = t->next) {
      if (t->type != XML_TEXT_NODE) return false;
      escaped(t->content, true);
    }
    return true;
  }

  // Canonical XML's escapes: in text & < > and CR; in attribute values & < " TAB LF CR (not >).
  void escaped(const xmlChar* s, bool attribute) {
    for (const xmlChar* p = s; p && *p; ++p) {
      const char* as = nullptr;
      switch (*p) {
        case '&':
          as = "&amp;";
          break;
        case '<':
          as = "&lt;";
          break;
        case '>':
          if (!attribute) as = "&gt;";
          break;
        case '"':
          if (attribute) as = "&quot;";
          break;
        case '\t':
          if (attribute) as = "&#x9;";
          break;
        case '\n':
          if (attribute) as = "&#xA;";
          break;
        case '\r':
          as = "&#xD;";
          break;
      }
      if (as) {
        out_ += as;
      } else {
        out_ += static_cast<char>(*p);
      }
    }
  }

  bool element(xmlNodePtr e) {
    for (xmlNsPtr d = e->nsDef; d; d = d->next)
      if (!plain_absolute_uri(d->href)) return false;
    const std::size_t mark = stack_.size(), decl_mark = decls_.size(), attr_mark = attrs_.size();
    // The namespaces this element visibly utilizes: its own (or, without one, the default in
    // scope) and its attributes', each declared unless an output ancestor rendered it already.
    bool empty_used = false, has_empty = false;
    xmlNsPtr ns = e->ns;
    if (!ns) {
      ns = xmlSearchNs(e->doc, e, nullptr);
      empty_used = true;
    }
    if (ns && !is_xml_ns(ns)) {
      if (!rendered(ns->prefix, ns->href)) decls_.push_back(ns);
      stack_.push_back({ns->prefix, ns->href});
      has_empty = has_empty || empty(ns->prefix);
    }
    for (xmlAttrPtr a = e->properties; a; a = a->next) {
      attrs_.push_back(a);
      if (a->ns && !is_xml_ns(a->ns)) {
        const bool already = rendered(a->ns->prefix, a->ns->href);
        stack_.push_back({a->ns->prefix, a->ns->href});
        if (!already) decls_.push_back(a->ns);
        has_empty = has_empty || empty(a->ns->prefix);
      } else if (a->ns && empty(a->ns->prefix) && empty(a->ns->href)) {
        empty_used = true;
      }
    }
    out_ += '<';
    qname(e);
    if (empty_used && !has_empty && !rendered(nullptr, nullptr)) out_ += " xmlns=\"\"";
    std::sort(decls_.begin() + static_cast<std::ptrdiff_t>(decl_mark), decls_.end(),
              [](xmlNsPtr a, xmlNsPtr b) { return compare(a->prefix, b->prefix) < 0; });
    for (std::size_t i = decl_mark; i < decls_.size(); ++i) {
      if (!plain_absolute_uri(decls_[i]->href)) return false;
      out_ += " xmlns";
      if (!empty(decls_[i]->prefix)) {
        out_ += ':';
        out_ += reinterpret_cast<const char*>(decls_[i]->prefix);
      }
      out_ += "=\"";
      if (decls_[i]->href) out_ += reinterpret_cast<const char*>(decls_[i]->href);
      out_ += '"';
    }
    // Attributes: those without a namespace first by name, then by namespace URI and name
    // (libxml2's xmlC14NAttrsCompare).
    std::sort(attrs_.begin() + static_cast<std::ptrdiff_t>(attr_mark), attrs_.end(),
              [](xmlAttrPtr a, xmlAttrPtr b) {
                if (a->ns == b->ns) return compare(a->name, b->name) < 0;
                if (!a->ns) return true;
                if (!b->ns) return false;
                if (!a->ns->prefix) return b->ns->prefix != nullptr;
                if (!b->ns->prefix) return false;
                const int c = compare(a->ns->href, b->ns->href);
                return c != 0 ? c < 0 : compare(a->name, b->name) < 0;
              });
    for (std::size_t i = attr_mark; i < attrs_.size(); ++i) {
      xmlAttrPtr a = attrs_[i];
      out_ += ' ';
      if (a->ns && !empty(a->ns->prefix)) {
        out_ += reinterpret_cast<const char*>(a->ns->prefix);
        out_ += ':';
      }
      out_ += reinterpret_cast<const char*>(a->name);
      out_ += "=\"";
      if (!attribute_value(a)) return false;
      out_ += '"';
    }
    decls_.resize(decl_mark);
    attrs_.resize(attr_mark);
    out_ += '>';
    for (xmlNodePtr c = e->children; c; c = c->next) {
      if (c == exclude_) continue;
      switch (c->type) {
        case XML_ELEMENT_NODE:
          if (!element(c)) return false;
          break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          text(c->content);
          break;
        case XML_COMMENT_NODE:
          break;
        default:
          return false;
      }
    }
    out_ += "</";
    qname(e);
    out_ += '>';
    stack_.resize(mark);
    return true;
  }

  xmlNodePtr exclude_;
  std::string& out_;
  std::vector<Rendered> stack_;    // namespaces rendered by the output ancestors, innermost last
  std::vector<xmlNsPtr> decls_;    // per element: the declarations to render (reused)
  std::vector<xmlAttrPtr> attrs_;  // per element: its attributes in canonical order (reused)
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
  if (mode == C14nMode::kExclusive && inclusive_prefixes.empty() &&
      apex->type == XML_ELEMENT_NODE) {
    out.reserve(64 * 1024);
    if (ExclusiveWriter(exclude, out).write(apex)) return out;
    out.clear();
  }
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
