#include "hub/xml/xpath.h"

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <mutex>
#include <vector>

#include "hub/core/error.h"
#include "internal.h"

namespace hub::xml {

// libxml2 caches function lookups inside a compiled expression while evaluating it, so one
// xmlXPathCompExpr is not safe to evaluate from two threads at once. Each XPath keeps a small pool
// of identical compilations, each with its own evaluation context (creating a context registers
// every XPath function in a fresh hash table: too slow per message); a thread takes one slot for
// the duration of an evaluation.
struct XPath::Compiled {
  struct Slot {
    xmlXPathCompExprPtr comp = nullptr;
    xmlXPathContextPtr ctx = nullptr;
  };
  std::string expr;
  Namespaces ns;
  std::mutex mu;
  std::vector<Slot> idle;

  ~Compiled() {
    for (auto& s : idle) {
      xmlXPathFreeCompExpr(s.comp);
      xmlXPathFreeContext(s.ctx);
    }
  }

  static void on_error(void* data, xmlErrorPtr err) {
    auto* out = static_cast<std::string*>(data);
    if (out && out->empty() && err && err->message) *out = err->message;
  }

  Slot make_slot() const {
    detail::GenericErrorCapture capture;
    Slot slot;
    slot.ctx = xmlXPathNewContext(nullptr);
    if (!slot.ctx) throw XmlError("xpath '" + expr + "': out of memory");
    std::string first_error;
    slot.ctx->userData = &first_error;
    slot.ctx->error = on_error;
    for (const auto& [p, uri] : ns) {
      xmlXPathRegisterNs(slot.ctx, reinterpret_cast<const xmlChar*>(p.c_str()),
                         reinterpret_cast<const xmlChar*>(uri.c_str()));
    }
    slot.comp = xmlXPathCtxtCompile(slot.ctx, reinterpret_cast<const xmlChar*>(expr.c_str()));
    slot.ctx->userData = nullptr;
    if (!slot.comp) {
      xmlXPathFreeContext(slot.ctx);
      std::string why = first_error.empty() ? capture.text() : first_error;
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      throw XmlError("xpath '" + expr + "': " + (why.empty() ? "not a valid XPath 1.0 expression" : why));
    }
    return slot;
  }

  Slot acquire() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        Slot s = idle.back();
        idle.pop_back();
        return s;
      }
    }
    return make_slot();
  }

  void release(Slot s) {
    s.ctx->doc = nullptr;  // never keep a pointer into a document that may be freed
    s.ctx->node = nullptr;
    s.ctx->userData = nullptr;
    std::lock_guard lock(mu);
    idle.push_back(s);
  }
};

XPath XPath::compile(const std::string& expr, const Namespaces& ns) {
  harden_libxml2();
  XPath x;
  x.expr_ = expr;
  x.ns_ = ns;
  x.ns_.emplace("c", kCanonicalNs);
  x.ns_.emplace("e", kEnvelopeNs);
  if (x.ns_.at("c") != kCanonicalNs) {
    throw XmlError("xpath '" + expr + "': prefix 'c' is reserved for " + std::string(kCanonicalNs));
  }
  x.compiled_ = std::make_shared<Compiled>();
  x.compiled_->expr = expr;
  x.compiled_->ns = x.ns_;
  x.compiled_->idle.push_back(x.compiled_->make_slot());  // fail now on a bad expression
  // libxml2 resolves prefixes, functions and variables only when evaluating: one evaluation
  // against an empty document turns "undefined prefix" into a load-time error, not a runtime one.
  static const Document probe = parse_xml("<probe/>", "(xpath check)");
  try {
    x.string_value(probe);
  } catch (const XmlError& e) {
    throw XmlError(e.what());
  }
  return x;
}

namespace {

template <typename F>
auto evaluate(XPath::Compiled& compiled, const Document& doc, F&& read) {
  if (!doc) throw XmlError("xpath '" + compiled.expr + "': no document");
  struct Lease {
    XPath::Compiled& owner;
    XPath::Compiled::Slot slot;
    xmlXPathObjectPtr result = nullptr;
    ~Lease() {
      if (result) xmlXPathFreeObject(result);
      owner.release(slot);
    }
  } lease{compiled, compiled.acquire()};

  std::string first_error;
  xmlXPathContextPtr ctx = lease.slot.ctx;
  ctx->doc = doc.get();
  ctx->node = xmlDocGetRootElement(doc.get());
  ctx->userData = &first_error;
  lease.result = xmlXPathCompiledEval(lease.slot.comp, ctx);
  if (!lease.result) {
    while (!first_error.empty() && first_error.back() == '\n') first_error.pop_back();
    throw XmlError("xpath '" + compiled.expr + "' on " + doc.name() + ": " +
                   (first_error.empty() ? "evaluation failed" : first_error));
  }
  return read(lease.result);
}

}  // namespace

bool XPath::matches(const Document& doc) const {
  return evaluate(*compiled_, doc, [](xmlXPathObjectPtr r) { return xmlXPathCastToBoolean(r) != 0; });
}

std::string XPath::string_value(const Document& doc) const {
  return evaluate(*compiled_, doc, [](xmlXPathObjectPtr r) {
    xmlChar* s = xmlXPathCastToString(r);
    std::string out = s ? reinterpret_cast<const char*>(s) : "";
    xmlFree(s);
    return out;
  });
}

}  // namespace hub::xml
