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
// of identical compilations; a thread takes one for the duration of an evaluation.
struct XPath::Compiled {
  std::string expr;
  Namespaces ns;
  std::mutex mu;
  std::vector<xmlXPathCompExprPtr> idle;

  ~Compiled() {
    for (auto* c : idle) xmlXPathFreeCompExpr(c);
  }

  xmlXPathCompExprPtr compile_one() const {
    detail::GenericErrorCapture capture;
    xmlXPathContextPtr ctx = xmlXPathNewContext(nullptr);
    if (!ctx) throw XmlError("xpath '" + expr + "': out of memory");
    std::string first_error;
    ctx->userData = &first_error;
    ctx->error = [](void* data, xmlErrorPtr err) {
      auto* out = static_cast<std::string*>(data);
      if (out->empty() && err && err->message) *out = err->message;
    };
    for (const auto& [p, uri] : ns) {
      xmlXPathRegisterNs(ctx, reinterpret_cast<const xmlChar*>(p.c_str()),
                         reinterpret_cast<const xmlChar*>(uri.c_str()));
    }
    xmlXPathCompExprPtr c = xmlXPathCtxtCompile(ctx, reinterpret_cast<const xmlChar*>(expr.c_str()));
    xmlXPathFreeContext(ctx);
    if (!c) {
      std::string why = first_error.empty() ? capture.text() : first_error;
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      throw XmlError("xpath '" + expr + "': " + (why.empty() ? "not a valid XPath 1.0 expression" : why));
    }
    return c;
  }

  xmlXPathCompExprPtr acquire() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        auto* c = idle.back();
        idle.pop_back();
        return c;
      }
    }
    return compile_one();
  }

  void release(xmlXPathCompExprPtr c) {
    std::lock_guard lock(mu);
    idle.push_back(c);
  }
};

namespace {

struct Evaluation {
  xmlXPathContextPtr ctx = nullptr;
  xmlXPathObjectPtr result = nullptr;
  ~Evaluation() {
    if (result) xmlXPathFreeObject(result);
    if (ctx) xmlXPathFreeContext(ctx);
  }
};

}  // namespace

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
  x.compiled_->idle.push_back(x.compiled_->compile_one());  // fail now on a bad expression
  return x;
}

namespace {

template <typename F>
auto evaluate(XPath::Compiled& compiled, const Document& doc, F&& read) {
  if (!doc) throw XmlError("xpath '" + compiled.expr + "': no document");
  xmlXPathCompExprPtr c = compiled.acquire();
  struct Return {
    XPath::Compiled& owner;
    xmlXPathCompExprPtr c;
    ~Return() { owner.release(c); }
  } give_back{compiled, c};

  Evaluation ev;
  ev.ctx = xmlXPathNewContext(doc.get());
  if (!ev.ctx) throw XmlError("xpath '" + compiled.expr + "': out of memory");
  std::string first_error;
  ev.ctx->userData = &first_error;
  ev.ctx->error = [](void* data, xmlErrorPtr err) {
    auto* out = static_cast<std::string*>(data);
    if (out->empty() && err && err->message) *out = err->message;
  };
  for (const auto& [p, uri] : compiled.ns) {
    xmlXPathRegisterNs(ev.ctx, reinterpret_cast<const xmlChar*>(p.c_str()),
                       reinterpret_cast<const xmlChar*>(uri.c_str()));
  }
  ev.ctx->node = xmlDocGetRootElement(doc.get());
  ev.result = xmlXPathCompiledEval(c, ev.ctx);
  if (!ev.result) {
    while (!first_error.empty() && first_error.back() == '\n') first_error.pop_back();
    throw XmlError("xpath '" + compiled.expr + "' on " + doc.name() + ": " +
                   (first_error.empty() ? "evaluation failed" : first_error));
  }
  return read(ev.result);
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
