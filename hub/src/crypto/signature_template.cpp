#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include <chrono>
#include <cstring>
#include <ctime>

#include "hub/crypto/algorithms.h"
#include "hub/crypto/crypto_error.h"
#include "hub/xml/document.h"
#include "hub/xml/escape.h"
#include "internal.h"

namespace hub::crypto::detail {

namespace {

bool is(xmlNodePtr n, const char* ns, const char* local) {
  return n->type == XML_ELEMENT_NODE && n->ns &&
         !std::strcmp(reinterpret_cast<const char*>(n->ns->href), ns) &&
         !std::strcmp(reinterpret_cast<const char*>(n->name), local);
}

std::string own_id(xmlNodePtr n) {
  for (const char* a : {"Id", "ID"}) {
    if (xmlAttrPtr attr = xmlHasNsProp(n, reinterpret_cast<const xmlChar*>(a), nullptr)) {
      xmlChar* v = xmlNodeListGetString(n->doc, attr->children, 1);
      std::string s = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      return s;
    }
  }
  return {};
}

/// Calls `visit` for `root` and every element under it, in document order. Iterative: documents
/// of thousands of objects must not recurse deeply.
template <typename Visit>
void for_each_element(xmlNodePtr root, Visit&& visit) {
  for (xmlNodePtr n = root; n;) {
    if (n->type == XML_ELEMENT_NODE) visit(n);
    if (n->type == XML_ELEMENT_NODE && n->children) {
      n = n->children;
      continue;
    }
    while (n && n != root && !n->next) n = n->parent;
    if (!n || n == root) break;
    n = n->next;
  }
}

}  // namespace

std::vector<xmlNodePtr> elements_with_id(xmlNodePtr root, std::string_view id) {
  std::vector<xmlNodePtr> out;
  for_each_element(root, [&](xmlNodePtr n) {
    if (n->properties && own_id(n) == id) out.push_back(n);
  });
  return out;
}

DocumentIndex index_document(xmlNodePtr root) {
  DocumentIndex index;
  for_each_element(root, [&](xmlNodePtr n) {
    if (is(n, uri::kDsigNs, "Signature")) index.signatures.push_back(n);
    if (n->properties) {
      std::string id = own_id(n);
      if (!id.empty() || xmlHasNsProp(n, BAD_CAST "Id", nullptr) ||
          xmlHasNsProp(n, BAD_CAST "ID", nullptr))
        index.by_id.emplace(std::move(id), n);
    }
  });
  return index;
}

std::vector<xmlNodePtr> DocumentIndex::with_id(const std::string& id) const {
  std::vector<xmlNodePtr> out;
  const auto [from, to] = by_id.equal_range(id);
  for (auto it = from; it != to; ++it) out.push_back(it->second);
  return out;
}

xmlNodePtr first_child(xmlNodePtr parent, const char* ns, const char* local) {
  for (xmlNodePtr c = parent ? parent->children : nullptr; c; c = c->next) {
    if (is(c, ns, local)) return c;
  }
  return nullptr;
}

std::vector<xmlNodePtr> children(xmlNodePtr parent, const char* ns, const char* local) {
  std::vector<xmlNodePtr> out;
  for (xmlNodePtr c = parent ? parent->children : nullptr; c; c = c->next) {
    if (is(c, ns, local)) out.push_back(c);
  }
  return out;
}

std::vector<xmlNodePtr> descendants(xmlNodePtr root, const char* ns, const char* local) {
  std::vector<xmlNodePtr> out;
  for (xmlNodePtr n = root; n;) {
    if (is(n, ns, local)) out.push_back(n);
    if (n->type == XML_ELEMENT_NODE && n->children) {
      n = n->children;
      continue;
    }
    while (n && n != root && !n->next) n = n->parent;
    if (!n || n == root) break;
    n = n->next;
  }
  return out;
}

std::string text_of(xmlNodePtr node) {
  if (!node) return {};
  xmlChar* v = xmlNodeGetContent(node);
  std::string s = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

std::string attribute(xmlNodePtr node, const char* name) {
  if (!node) return {};
  xmlChar* v = xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name));
  std::string s = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

xmlNodePtr signed_container(xmlDocPtr doc, const std::string& id, const std::string& name) {
  const auto found = elements_with_id(xmlDocGetRootElement(doc), id);
  if (found.empty()) throw CryptoError(name + ": no element with Id=\"" + id + "\" to sign");
  if (found.size() > 1) {
    throw CryptoError(name + ": " + std::to_string(found.size()) + " elements with Id=\"" + id +
                      "\" (" + xml::node_path(found[0]) + ", " + xml::node_path(found[1]) +
                      "); the reference would be ambiguous");
  }
  if (first_child(found[0], uri::kDsigNs, "Signature")) {
    throw CryptoError(name + ": " + xml::node_path(found[0]) +
                      " is already signed (has a ds:Signature)");
  }
  return found[0];
}

xmlNodePtr insert_signature(xmlNodePtr container, const SignatureTemplate& t) {
  const auto attr = [](const std::string& s) { return xml::escape_xml(s, true); };
  const std::string& id = t.signature_id;
  std::string x;
  x.reserve(4096);
  x += "<ds:Signature xmlns:ds=\"";
  x += uri::kDsigNs;
  x += "\" Id=\"" + attr(id) + "\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"";
  x += uri::kC14n;
  x += "\"/><ds:SignatureMethod Algorithm=\"" + t.signature_method + "\"/>";
  x += "<ds:Reference Id=\"" + attr(id) + "-ref0\" URI=\"#" + attr(t.container_id) +
       "\"><ds:Transforms>";
  x += std::string("<ds:Transform Algorithm=\"") + uri::kEnveloped + "\"/>";
  x += std::string("<ds:Transform Algorithm=\"") + uri::kExcC14n + "\"/></ds:Transforms>";
  x += "<ds:DigestMethod Algorithm=\"" + t.digest_method + "\"/><ds:DigestValue>" +
       t.container_digest + "</ds:DigestValue></ds:Reference>";
  x += std::string("<ds:Reference Type=\"") + uri::kSignedPropertiesType + "\" URI=\"#" + attr(id) +
       "-signedprops\"><ds:DigestMethod Algorithm=\"" + t.digest_method +
       "\"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>";
  x += "<ds:SignatureValue Id=\"" + attr(id) + "-sigvalue\"></ds:SignatureValue>";
  x += "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + t.certificate +
       "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>";
  x += std::string("<ds:Object><xades:QualifyingProperties xmlns:xades=\"") + uri::kXadesNs +
       "\" Target=\"#" + attr(id) + "\"><xades:SignedProperties Id=\"" + attr(id) +
       "-signedprops\"><xades:SignedSignatureProperties><xades:SigningTime>" + t.signing_time +
       "</xades:SigningTime><xades:SigningCertificate><xades:Cert><xades:CertDigest>"
       "<ds:DigestMethod Algorithm=\"" +
       t.digest_method + "\"/><ds:DigestValue>" + t.cert_digest +
       "</ds:DigestValue></xades:CertDigest><xades:IssuerSerial><ds:X509IssuerName>" +
       xml::escape_xml(t.issuer_name) + "</ds:X509IssuerName><ds:X509SerialNumber>" +
       t.serial_decimal +
       "</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert></xades:SigningCertificate>"
       "</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties>"
       "</ds:Object></ds:Signature>";

  const auto tmpl = xml::parse_xml(x, "signature template");
  xmlNodePtr sig = xmlDocCopyNode(tmpl.root(), container->doc, 1);
  if (!sig) throw CryptoError("out of memory building the signature");
  if (container->children) {
    xmlAddPrevSibling(container->children, sig);
  } else {
    xmlAddChild(container, sig);
  }
  return sig;
}

xmlNodePtr signed_properties(xmlNodePtr signature) {
  const auto found = descendants(signature, uri::kXadesNs, "SignedProperties");
  return found.empty() ? nullptr : found.front();
}

std::string signing_time_now() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const long off = tm.tm_gmtoff / 60;
  char tail[32];
  std::snprintf(tail, sizeof tail, ".%03d%c%02ld:%02ld", static_cast<int>(ms), off < 0 ? '-' : '+',
                (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
  return std::string(buf) + tail;
}

std::string serialize(xmlDocPtr doc, const std::string& name) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (!mem) throw CryptoError(name + ": cannot serialize the signed document");
  std::string out(reinterpret_cast<const char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  return out;
}

std::optional<std::string> splice_signature(xmlDocPtr doc, std::string_view text,
                                            const std::string& element_id) {
  // The signed element (the signer made sure there is one) is near the top of an envelope: the
  // walk stops there instead of visiting the whole document. Its first element child is the new
  // ds:Signature.
  xmlNodePtr container = nullptr;
  for (xmlNodePtr n = xmlDocGetRootElement(doc); n && !container;) {
    if (n->type == XML_ELEMENT_NODE && n->properties && own_id(n) == element_id) container = n;
    if (n->type == XML_ELEMENT_NODE && n->children) {
      n = n->children;
      continue;
    }
    while (n && !n->next) n = n->parent;
    if (n) n = n->next;
  }
  if (!container) return std::nullopt;
  xmlNodePtr sig = xmlFirstElementChild(container);
  if (!sig || !is(sig, uri::kDsigNs, "Signature")) return std::nullopt;
  const std::string id = attribute(container, "Id");
  if (id != element_id || text.find("<?xml") == 0) return std::nullopt;
  // The value occurs once in the whole text, as the container's Id="…".
  const auto at = text.find(id);
  if (at == std::string_view::npos || text.find(id, at + 1) != std::string_view::npos || at < 4 ||
      (text.substr(at - 4, 4) != "Id=\"" && text.substr(at - 4, 4) != "Id='"))
    return std::nullopt;
  const char quote = text[at - 1];
  if (at + id.size() >= text.size() || text[at + id.size()] != quote) return std::nullopt;
  // Its start tag: back to '<' and the container's name; on to '>' outside quoted values.
  const auto open = text.rfind('<', at);
  const std::string qname =
      (container->ns && container->ns->prefix
           ? std::string(reinterpret_cast<const char*>(container->ns->prefix)) + ":"
           : std::string()) +
      reinterpret_cast<const char*>(container->name);
  if (open == std::string_view::npos || text.substr(open + 1, qname.size()) != qname ||
      text.substr(open, at - open).find('>') != std::string_view::npos)
    return std::nullopt;
  std::size_t end = at + id.size() + 1;
  for (char in = 0; end < text.size(); ++end) {
    const char c = text[end];
    if (in) {
      if (c == in) in = 0;
    } else if (c == '"' || c == '\'') {
      in = c;
    } else if (c == '>') {
      break;
    }
  }
  if (end >= text.size() || text[end - 1] == '/') return std::nullopt;

  xmlBufferPtr buf = xmlBufferCreate();
  if (!buf) return std::nullopt;
  xmlSaveCtxtPtr save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL);
  if (!save) {
    xmlBufferFree(buf);
    return std::nullopt;
  }
  xmlSaveTree(save, sig);
  xmlSaveClose(save);
  const std::string_view sig_text(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                                  static_cast<std::size_t>(xmlBufferLength(buf)));
  static constexpr std::string_view kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string out;
  out.reserve(kDecl.size() + text.size() + sig_text.size());
  out += kDecl;
  out += text.substr(0, end + 1);
  out += sig_text;
  out += text.substr(end + 1);
  xmlBufferFree(buf);
  return out;
}

}  // namespace hub::crypto::detail
