#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "parsers.h"
#include "util.h"

namespace hub::plugins::file_inbox {

namespace {

using plugin::InputError;

struct ParseState {
  bool doctype = false;
  int doctype_line = 0;
};

// Any DOCTYPE is refused: canonical documents have no DTD, and refusing it up front rules out
// entity expansion and external entities whatever the libxml2 defaults are.
void refuse_doctype(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  auto* state = static_cast<ParseState*>(ctxt->_private);
  if (!state->doctype) {
    state->doctype = true;
    state->doctype_line = xmlSAX2GetLineNumber(ctx);
  }
  xmlStopParser(ctxt);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

using DocPtr = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

// Parses `bytes`; on failure fills `err` with the line and reason and returns null.
DocPtr parse_hardened(const std::string& bytes, const std::string& name, InputError& err) {
  DocPtr doc(nullptr, &xmlFreeDoc);
  std::unique_ptr<xmlParserCtxt, decltype(&xmlFreeParserCtxt)> ctxt(xmlNewParserCtxt(),
                                                                    &xmlFreeParserCtxt);
  if (!ctxt) {
    err = {0, "", "cannot allocate an XML parser"};
    return doc;
  }
  ParseState state;
  ctxt->_private = &state;
  ctxt->sax->internalSubset = refuse_doctype;
  ctxt->sax->externalSubset = refuse_doctype;
  doc.reset(xmlCtxtReadMemory(
      ctxt.get(), bytes.data(), static_cast<int>(bytes.size()), name.c_str(), nullptr,
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA));
  if (state.doctype) {
    doc.reset();
    err = {state.doctype_line, "", "DOCTYPE is not allowed (DTDs and entities are refused)"};
    return doc;
  }
  if (!doc || !ctxt->wellFormed) {
    doc.reset();
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    err.line = e ? e->line : 0;
    err.field.clear();
    err.reason = e && e->message ? "malformed XML: " + trim(e->message) : "malformed XML";
    return doc;
  }
  return doc;
}

bool is(xmlNodePtr n, const char* ns, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST local);
}

std::string attr(xmlNodePtr n, const char* name) {
  xmlChar* v = xmlGetProp(n, BAD_CAST name);
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::string text_of(xmlNodePtr n) {
  xmlChar* v = xmlNodeGetContent(n);
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

// The element as a standalone document fragment, with every namespace it uses declared on it.
std::string serialize_element(xmlNodePtr node) {
  DocPtr tmp(xmlNewDoc(BAD_CAST "1.0"), &xmlFreeDoc);
  xmlNodePtr copy = xmlDocCopyNode(node, tmp.get(), 1);
  if (!copy) throw std::runtime_error("cannot copy the body element");
  xmlDocSetRootElement(tmp.get(), copy);
  xmlReconciliateNs(tmp.get(), copy);
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), &xmlBufferFree);
  xmlNodeDump(buf.get(), tmp.get(), copy, 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<std::size_t>(xmlBufferLength(buf.get())));
}

xmlNodePtr first_element(xmlNodePtr parent) {
  for (xmlNodePtr c = parent ? parent->children : nullptr; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return c;
  }
  return nullptr;
}

int line_of(xmlNodePtr n) {
  return n ? static_cast<int>(xmlGetLineNo(n)) : 0;
}

// Reads one e:envelope; on a problem fills `err` and returns false.
bool read_envelope(xmlNodePtr env, const std::string& path, plugin::Envelope& out,
                   InputError& err) {
  out.id = attr(env, "id");
  out.type = attr(env, "type");
  out.source = attr(env, "source");
  out.correlation_id = attr(env, "correlationId");
  out.causation_id = attr(env, "causationId");
  out.idempotency_key = attr(env, "idempotencyKey");
  const auto version = attr(env, "schemaVersion");
  if (!version.empty()) {
    try {
      out.schema_version = std::stoi(version);
    } catch (const std::exception&) {
      err = {line_of(env), path + "/@schemaVersion", "not an integer: '" + version + "'"};
      return false;
    }
  }
  const auto occurred = attr(env, "occurredAt");
  if (!occurred.empty()) {
    auto t = parse_iso8601(occurred);
    if (!t) {
      err = {line_of(env), path + "/@occurredAt", "not an ISO-8601 time: '" + occurred + "'"};
      return false;
    }
    out.occurred_at = *t;
  }
  if (out.type.empty()) {
    err = {line_of(env), path + "/@type", "envelope has no type"};
    return false;
  }
  xmlNodePtr body = nullptr;
  for (xmlNodePtr c = env->children; c; c = c->next) {
    if (is(c, kEnvelopeNs, "header")) {
      out.headers[attr(c, "name")] = text_of(c);
    } else if (is(c, kEnvelopeNs, "body")) {
      body = c;
    }
  }
  xmlNodePtr element = first_element(body);
  if (!element) {
    err = {line_of(body ? body : env), path + "/e:body",
           "envelope has no body element (e:body with one canonical element)"};
    return false;
  }
  out.body = serialize_element(element);
  return true;
}

}  // namespace

plugin::ParseOutcome CanonicalXmlParser::parse(const std::filesystem::path& file,
                                               const plugin::ParsedFile& info,
                                               plugin::ParseSink& sink) {
  plugin::ParseOutcome outcome;
  auto refuse = [&](InputError e) {
    outcome.accepted = false;
    outcome.summary = "refused: " + e.reason;
    outcome.fatal.push_back(std::move(e));
    return outcome;
  };
  std::string bytes;
  try {
    bytes = read_file(file, max_bytes_);
  } catch (const std::exception& e) {
    return refuse({0, "", e.what()});
  }
  InputError err;
  DocPtr doc = parse_hardened(bytes, info.file_name, err);
  if (!doc) return refuse(err);

  const std::string source = info.source.empty() ? std::string("file") : info.source;
  const std::string base_key = source + ":" + info.fingerprint;
  xmlNodePtr root = xmlDocGetRootElement(doc.get());
  if (!root) return refuse({0, "", "document has no root element"});

  std::vector<std::pair<xmlNodePtr, std::string>> envelopes;  // node, XPath for errors
  if (is(root, kEnvelopeNs, "envelope")) {
    envelopes.push_back({root, "/e:envelope"});
  } else if (is(root, kEnvelopeNs, "batch")) {
    int n = 0;
    for (xmlNodePtr c = root->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      ++n;
      if (!is(c, kEnvelopeNs, "envelope")) {
        return refuse({line_of(c), "/e:batch/*[" + std::to_string(n) + "]",
                       "only e:envelope elements may appear in an e:batch"});
      }
      envelopes.push_back({c, "/e:batch/e:envelope[" + std::to_string(n) + "]"});
    }
    if (envelopes.empty()) return refuse({line_of(root), "/e:batch", "the batch is empty"});
  }

  // Everything is read and checked before anything is handed over: a file is taken whole or
  // refused whole.
  std::vector<plugin::Envelope> messages;
  if (envelopes.empty()) {
    const std::string ns =
        root->ns && root->ns->href ? reinterpret_cast<const char*>(root->ns->href) : "";
    const std::string local = reinterpret_cast<const char*>(root->name);
    std::string type = type_for_root_ ? type_for_root_(ns, local) : std::string();
    if (type.empty()) type = default_type_;
    if (type.empty()) {
      return refuse({line_of(root), "/" + local,
                     "the root element {" + ns + "}" + local +
                         " is not an envelope nor the root of a known message type, and no "
                         "message_type is configured"});
    }
    plugin::Envelope e;
    e.type = type;
    e.idempotency_key = base_key;
    e.body = serialize_element(root);
    e.headers["file_name"] = info.file_name;
    messages.push_back(std::move(e));
  } else {
    const bool many = envelopes.size() > 1 || is(root, kEnvelopeNs, "batch");
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
      plugin::Envelope e;
      if (!read_envelope(envelopes[i].first, envelopes[i].second, e, err)) return refuse(err);
      if (e.idempotency_key.empty()) {
        e.idempotency_key = many ? base_key + ":" + std::to_string(i + 1) : base_key;
      }
      if (!e.headers.count("file_name")) e.headers["file_name"] = info.file_name;
      messages.push_back(std::move(e));
    }
  }

  std::size_t handed = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto position = static_cast<std::int64_t>(i + 1);
    if (position <= info.resume_after) continue;
    std::vector<plugin::Envelope> one;
    one.push_back(std::move(messages[i]));
    sink.emit(std::move(one), position);
    ++handed;
  }
  outcome.summary =
      std::to_string(messages.size()) + " message(s), " + std::to_string(handed) + " handed over";
  return outcome;
}

}  // namespace hub::plugins::file_inbox
