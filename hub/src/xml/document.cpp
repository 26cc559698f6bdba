#include "hub/xml/document.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlschemas.h>
#include <libxslt/xsltutils.h>

#include <climits>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "hub/core/error.h"
#include "internal.h"

namespace hub::xml {
namespace detail {
namespace {

thread_local std::string tl_allowed_root;
thread_local std::string* tl_generic_capture = nullptr;

void generic_error(void*, const char* fmt, ...) {
  if (!tl_generic_capture) return;  // quiet: libxml2's default would write to stderr
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (tl_generic_capture->size() < 16384) tl_generic_capture->append(buf);
}

// The process-wide loader every libxml2 external load goes through (DTDs, entities, xs:include,
// xsl:import, document()). Refuses everything unless this thread opened a FileAccessScope and the
// target is a local file under its root.
xmlParserInputPtr refusing_loader(const char* url, const char* id, xmlParserCtxtPtr ctxt) {
  if (url && may_read(url)) return xmlNoNetExternalEntityLoader(url, id, ctxt);
  if (tl_generic_capture) {
    tl_generic_capture->append("external resource refused: ");
    tl_generic_capture->append(url ? url : (id ? id : "(unnamed)"));
    tl_generic_capture->append("\n");
  }
  return nullptr;
}

}  // namespace

FileAccessScope::FileAccessScope(const std::filesystem::path& root) : previous_(tl_allowed_root) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(root), ec);
  tl_allowed_root = ec ? std::string() : canonical.string();
}

FileAccessScope::~FileAccessScope() { tl_allowed_root = previous_; }

const std::string& allowed_root() { return tl_allowed_root; }

bool may_read(std::string_view path_or_url) {
  if (tl_allowed_root.empty()) return false;
  std::string path(path_or_url);
  if (path.rfind("file://", 0) == 0) {
    path.erase(0, 7);
    if (path.rfind("localhost/", 0) == 0) path.erase(0, 9);
  } else if (path.rfind("file:", 0) == 0) {
    path.erase(0, 5);
  } else if (path.find("://") != std::string::npos) {
    return false;  // any other scheme is network
  }
  if (path.empty() || path.find('%') != std::string::npos) return false;  // no escaped tricks
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
  if (ec) return false;
  const std::string s = p.string();
  return s.size() > tl_allowed_root.size() && s.compare(0, tl_allowed_root.size(), tl_allowed_root) == 0 &&
         s[tl_allowed_root.size()] == '/';
}

GenericErrorCapture::GenericErrorCapture() : previous_(tl_generic_capture) {
  harden_libxml2();
  xmlSetGenericErrorFunc(nullptr, generic_error);  // per-thread in libxml2: make sure of this one
  tl_generic_capture = &buffer_;
}

GenericErrorCapture::~GenericErrorCapture() { tl_generic_capture = previous_; }

std::string GenericErrorCapture::text() const { return buffer_; }

namespace {

struct ParseState {
  const ParseLimits* limits = nullptr;
  const std::string* name = nullptr;
  bool build_tree = true;  // false: only checked (streamed through a schema validator)
  std::string root_ns, root_local;
  int depth = 0;
  std::string refusal;  // set when we stopped the parser on purpose
  std::string first_error;
  int errors = 0;
};

ParseState* state_of(void* ctx) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  return static_cast<ParseState*>(ctxt->_private);
}

void refuse(xmlParserCtxtPtr ctxt, ParseState* st, const std::string& why) {
  if (st->refusal.empty()) st->refusal = *st->name + ":" + std::to_string(xmlSAX2GetLineNumber(ctxt)) + ": " + why;
  xmlStopParser(ctxt);
}

void on_internal_subset(void* ctx, const xmlChar* name, const xmlChar* external_id,
                        const xmlChar* system_id) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  if (external_id || system_id) {
    refuse(ctxt, state_of(ctx),
           std::string("DOCTYPE with an external identifier refused (") +
               reinterpret_cast<const char*>(system_id ? system_id : external_id) + ")");
    return;
  }
  xmlSAX2InternalSubset(ctx, name, external_id, system_id);
}

// libxml2 calls this after every DOCTYPE; only one naming an external subset matters, and
// on_internal_subset has refused those already. Never load anything here.
void on_external_subset(void* ctx, const xmlChar*, const xmlChar* external_id, const xmlChar* system_id) {
  if (external_id || system_id) {
    refuse(static_cast<xmlParserCtxtPtr>(ctx), state_of(ctx), "external DTD subset refused");
  }
}

void on_entity_decl(void* ctx, const xmlChar* name, int type, const xmlChar*, const xmlChar* system_id,
                    xmlChar*) {
  const bool parameter = type == XML_INTERNAL_PARAMETER_ENTITY || type == XML_EXTERNAL_PARAMETER_ENTITY;
  std::string why = std::string(parameter ? "parameter entity" : "entity") + " declaration '" +
                    reinterpret_cast<const char*>(name) + "' refused";
  if (system_id) why += std::string(" (system id ") + reinterpret_cast<const char*>(system_id) + ")";
  refuse(static_cast<xmlParserCtxtPtr>(ctx), state_of(ctx), why);
}

void on_unparsed_entity_decl(void* ctx, const xmlChar* name, const xmlChar*, const xmlChar*,
                             const xmlChar*) {
  refuse(static_cast<xmlParserCtxtPtr>(ctx), state_of(ctx),
         std::string("unparsed entity declaration '") + reinterpret_cast<const char*>(name) + "' refused");
}

xmlEntityPtr on_get_parameter_entity(void* ctx, const xmlChar* name) {
  refuse(static_cast<xmlParserCtxtPtr>(ctx), state_of(ctx),
         std::string("parameter entity reference '%") + reinterpret_cast<const char*>(name) + ";' refused");
  return nullptr;
}

void on_start_element(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
                      int nb_namespaces, const xmlChar** namespaces, int nb_attributes, int nb_defaulted,
                      const xmlChar** attributes) {
  auto* st = state_of(ctx);
  if (++st->depth > st->limits->max_depth) {
    refuse(static_cast<xmlParserCtxtPtr>(ctx), st,
           "element nesting deeper than " + std::to_string(st->limits->max_depth));
    return;
  }
  if (st->depth == 1) {
    st->root_ns = uri ? reinterpret_cast<const char*>(uri) : "";
    st->root_local = reinterpret_cast<const char*>(localname);
  }
  if (!st->build_tree) return;
  xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                        attributes);
}

void on_end_element(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  auto* st = state_of(ctx);
  --st->depth;
  if (st->build_tree) xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

void on_error(void* ctx, xmlErrorPtr err) {
  auto* st = state_of(ctx);
  if (!st || !err || err->level < XML_ERR_ERROR) return;
  if (st->errors++ == 0) {
    std::string msg = err->message ? err->message : "malformed XML";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    st->first_error = *st->name + ":" + std::to_string(err->line) + ": " + msg;
  }
}

struct CtxtFree {
  void operator()(xmlParserCtxtPtr c) const {
    if (c->myDoc) {
      xmlFreeDoc(c->myDoc);
      c->myDoc = nullptr;
    }
    xmlFreeParserCtxt(c);
  }
};

}  // namespace

namespace {

using ParserContext = std::unique_ptr<xmlParserCtxt, CtxtFree>;

/// A parser context over `bytes` with our refusals installed around libxml2's SAX2 handlers (or,
/// when `st.build_tree` is false, instead of the tree-building ones): the refusals happen while
/// parsing, before any entity could be expanded or any nesting could grow the tree.
ParserContext hardened_context(std::string_view bytes, const std::string& name, const ParseLimits& limits,
                               ParseState& st) {
  harden_libxml2();
  if (bytes.size() > limits.max_bytes || bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw XmlError(name + ":0: document of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                   std::to_string(limits.max_bytes));
  }
  if (bytes.empty()) throw XmlError(name + ":0: empty document");

  ParserContext ctxt(xmlCreateMemoryParserCtxt(bytes.data(), static_cast<int>(bytes.size())));
  if (!ctxt) throw XmlError(name + ":0: cannot create an XML parser");
  st.limits = &limits;
  st.name = &name;
  ctxt->_private = &st;

  xmlSAXHandlerPtr sax = ctxt->sax;  // owned by this context only
  sax->internalSubset = on_internal_subset;
  sax->externalSubset = on_external_subset;
  sax->entityDecl = on_entity_decl;
  sax->unparsedEntityDecl = on_unparsed_entity_decl;
  sax->getParameterEntity = on_get_parameter_entity;
  sax->startElementNs = on_start_element;
  sax->endElementNs = on_end_element;
  sax->serror = on_error;
  sax->initialized = XML_SAX2_MAGIC;
  if (!st.build_tree) {
    // Nothing of the content is kept. The structured error handler goes too: libxml2 gives it
    // ctxt->userData, which a schema validator plugged in front of these handlers replaces with
    // its own context, not one on_error can read; a failed check is looked at again by a parse
    // that builds the tree, which names the problem.
    sax->characters = nullptr;
    sax->ignorableWhitespace = nullptr;
    sax->cdataBlock = nullptr;
    sax->comment = nullptr;
    sax->processingInstruction = nullptr;
    sax->reference = nullptr;
    sax->serror = nullptr;
  }

  // No NOENT (no substitution), no DTDLOAD/DTDATTR/DTDVALID, no HUGE (keeps libxml2's own limits).
  xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  ctxt->loadsubset = 0;
  ctxt->validate = 0;
  ctxt->replaceEntities = 0;
  return ctxt;
}

}  // namespace

xmlDocPtr parse_raw(std::string_view bytes, const std::string& name, const ParseLimits& limits,
                    const std::string& url) {
  ParseState st;
  auto ctxt = hardened_context(bytes, name, limits, st);
  if (!url.empty() && ctxt->input) {
    if (ctxt->input->filename) xmlFree(const_cast<char*>(ctxt->input->filename));
    ctxt->input->filename = reinterpret_cast<char*>(xmlStrdup(reinterpret_cast<const xmlChar*>(url.c_str())));
  }

  xmlParseDocument(ctxt.get());

  if (!st.refusal.empty()) throw XmlError(st.refusal);
  if (!ctxt->wellFormed || !ctxt->myDoc) {
    if (!st.first_error.empty()) {
      std::string more = st.errors > 1 ? " (and " + std::to_string(st.errors - 1) + " more)" : "";
      throw XmlError(st.first_error + more);
    }
    throw XmlError(name + ":" + std::to_string(ctxt->input ? ctxt->input->line : 0) + ": malformed XML");
  }
  if (!xmlDocGetRootElement(ctxt->myDoc)) throw XmlError(name + ":0: no root element");
  xmlDocPtr doc = ctxt->myDoc;
  ctxt->myDoc = nullptr;
  return doc;
}

bool stream_validates(std::string_view bytes, const ParseLimits& limits, xmlSchemaValidCtxtPtr v,
                      std::string& root_ns, std::string& root_local) {
  static const std::string kName = "stream";
  ParseState st;
  st.build_tree = false;
  ParserContext ctxt;
  try {
    ctxt = hardened_context(bytes, kName, limits, st);
  } catch (const XmlError&) {
    return false;
  }
  xmlSchemaSAXPlugPtr plug = xmlSchemaSAXPlug(v, &ctxt->sax, &ctxt->userData);
  if (!plug) return false;
  xmlParseDocument(ctxt.get());
  xmlSchemaSAXUnplug(plug);
  root_ns = st.root_ns;
  root_local = st.root_local;
  return st.refusal.empty() && ctxt->wellFormed && !st.root_local.empty();
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw XmlError(path + ":0: cannot read: " + ec.message());
  if (size > max_bytes) {
    throw XmlError(path + ":0: file of " + std::to_string(size) + " bytes exceeds the limit of " +
                   std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw XmlError(path + ":0: cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace detail

void harden_libxml2() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(detail::refusing_loader);
    // Generic error handlers: libxml2 keeps them per thread (the ThrDef value seeds new threads);
    // libxslt keeps one process-wide. All of them only write into a thread's capture buffer.
    xmlThrDefSetGenericErrorFunc(nullptr, detail::generic_error);
    xmlSetGenericErrorFunc(nullptr, detail::generic_error);
    xsltSetGenericErrorFunc(nullptr, detail::generic_error);
    xmlThrDefSetStructuredErrorFunc(nullptr, nullptr);
  });
}

Document parse_xml(std::string_view bytes, const std::string& name, const ParseLimits& limits) {
  return Document(detail::parse_raw(bytes, name, limits), name);
}

Document parse_xml_file(const std::string& path, const ParseLimits& limits) {
  std::string bytes = detail::read_file(path, limits.max_bytes);
  return Document(detail::parse_raw(bytes, path, limits), path);
}

std::string Document::to_string() const {
  if (!doc_) return {};
  xmlBufferPtr buf = xmlBufferCreate();
  if (!buf) throw XmlError(name_ + ": out of memory serializing");
  xmlSaveCtxtPtr save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL);
  if (!save) {
    xmlBufferFree(buf);
    throw XmlError(name_ + ": cannot serialize");
  }
  xmlSaveDoc(save, doc_.get());
  xmlSaveClose(save);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)), xmlBufferLength(buf));
  xmlBufferFree(buf);
  while (!out.empty() && out.back() == '\n') out.pop_back();  // the saver ends each top-level node with one
  return out;
}

namespace {

std::string qualified(xmlNodePtr n) {
  std::string local = reinterpret_cast<const char*>(n->name);
  if (!n->ns || !n->ns->href) return local;
  const auto* href = reinterpret_cast<const char*>(n->ns->href);
  if (std::string_view(href) == "urn:zhkh-hub:canonical:1") return "c:" + local;
  if (std::string_view(href) == "urn:zhkh-hub:envelope:1") return "e:" + local;
  if (n->ns->prefix) return std::string(reinterpret_cast<const char*>(n->ns->prefix)) + ":" + local;
  return "*[local-name()='" + local + "']";
}

bool same_name(xmlNodePtr a, xmlNodePtr b) {
  if (a->type != b->type || !xmlStrEqual(a->name, b->name)) return false;
  const xmlChar* ha = a->ns ? a->ns->href : nullptr;
  const xmlChar* hb = b->ns ? b->ns->href : nullptr;
  return xmlStrEqual(ha, hb) || (!ha && !hb);
}

}  // namespace

std::string node_path(xmlNodePtr node) {
  std::string path;
  for (xmlNodePtr n = node; n && n->type != XML_DOCUMENT_NODE; n = n->parent) {
    std::string step;
    if (n->type == XML_ELEMENT_NODE) {
      step = qualified(n);
      int index = 1, count = 1;
      for (xmlNodePtr s = n->prev; s; s = s->prev)
        if (same_name(s, n)) ++index, ++count;
      for (xmlNodePtr s = n->next; s; s = s->next)
        if (same_name(s, n)) ++count;
      if (count > 1) step += "[" + std::to_string(index) + "]";
    } else if (n->type == XML_ATTRIBUTE_NODE) {
      step = "@" + qualified(n);
    } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      step = "text()";
    } else if (n->type == XML_COMMENT_NODE) {
      step = "comment()";
    } else {
      continue;
    }
    path = "/" + step + path;
  }
  return path.empty() ? "/" : path;
}

}  // namespace hub::xml
