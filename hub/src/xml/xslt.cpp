#include "hub/xml/xslt.h"

#include <libexslt/exslt.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/variables.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include <cstdarg>
#include <cstdio>
#include <vector>

#include "hub/core/error.h"
#include "internal.h"

namespace hub::xml {

namespace fs = std::filesystem;

namespace {

// The first reading of a file outside the mappings root that the security check refused on this
// thread: libxslt turns a refused document() into an empty node-set and carries on, we fail.
thread_local std::string tl_refused_read;

int check_read(xsltSecurityPrefsPtr, xsltTransformContextPtr ctxt, const char* value) {
  if (value && detail::may_read(value)) return 1;
  if (tl_refused_read.empty()) tl_refused_read = value ? value : "(null)";
  if (ctxt) ctxt->state = XSLT_STATE_STOPPED;
  return 0;
}

int refuse_write(xsltSecurityPrefsPtr, xsltTransformContextPtr ctxt, const char*) {
  if (ctxt) ctxt->state = XSLT_STATE_STOPPED;
  return 0;
}

xsltSecurityPrefsPtr security_prefs() {
  static xsltSecurityPrefsPtr prefs = [] {
    harden_libxml2();
    exsltRegisterAll();
    xsltSecurityPrefsPtr p = xsltNewSecurityPrefs();
    xsltSetSecurityPrefs(p, XSLT_SECPREF_READ_FILE, check_read);
    xsltSetSecurityPrefs(p, XSLT_SECPREF_WRITE_FILE, refuse_write);
    xsltSetSecurityPrefs(p, XSLT_SECPREF_CREATE_DIRECTORY, refuse_write);
    xsltSetSecurityPrefs(p, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid);
    xsltSetSecurityPrefs(p, XSLT_SECPREF_WRITE_NETWORK, refuse_write);
    // Also the default, used while compiling (xsl:import/include have no transform context yet).
    xsltSetDefaultSecurityPrefs(p);
    return p;
  }();
  return prefs;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void collect(void* data, const char* fmt, ...) {
  auto* out = static_cast<std::string*>(data);
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (out->size() < 16384) out->append(buf);
}

}  // namespace

/// One compiled stylesheet; immutable once built, so transforms may share it across threads.
class Stylesheet {
 public:
  Stylesheet(xsltStylesheetPtr s, std::string name) : style_(s), name_(std::move(name)) {}
  ~Stylesheet() { xsltFreeStylesheet(style_); }
  Stylesheet(const Stylesheet&) = delete;
  Stylesheet& operator=(const Stylesheet&) = delete;
  xsltStylesheetPtr get() const { return style_; }
  const std::string& name() const { return name_; }

 private:
  xsltStylesheetPtr style_;
  std::string name_;
};

StylesheetCache::StylesheetCache(fs::path root) {
  std::error_code ec;
  root_ = fs::weakly_canonical(fs::absolute(root), ec);
  if (ec) root_ = std::move(root);
  security_prefs();
}

StylesheetCache::~StylesheetCache() = default;

std::shared_ptr<const Stylesheet> StylesheetCache::get(const std::string& name) {
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(name); it != cache_.end()) return it->second;

  const fs::path path = root_ / name;
  {
    detail::FileAccessScope scope(root_);
    if (fs::path(name).is_absolute() || !detail::may_read(path.string())) {
      throw XmlError(path.string() + ":0: stylesheet must be a relative path under " + root_.string());
    }
  }
  if (!fs::is_regular_file(path)) throw XmlError(path.string() + ":0: no such stylesheet");

  detail::FileAccessScope scope(root_);
  detail::GenericErrorCapture capture;
  tl_refused_read.clear();
  const std::string bytes = detail::read_file(path.string(), 16u << 20);
  xmlDocPtr doc = detail::parse_raw(bytes, path.string(), {}, path.string());
  xsltStylesheetPtr style = xsltParseStylesheetDoc(doc);
  if (!style || style->errors != 0) {
    if (style) {
      xsltFreeStylesheet(style);  // frees doc as well
    } else {
      xmlFreeDoc(doc);
    }
    std::string why = trimmed(capture.text());
    if (!tl_refused_read.empty()) why = "reading " + tl_refused_read + " refused; " + why;
    throw XmlError(path.string() + ": stylesheet does not compile: " + (why.empty() ? "unknown error" : why));
  }
  auto compiled = std::make_shared<const Stylesheet>(style, name);
  cache_.emplace(name, compiled);
  return compiled;
}

Document StylesheetCache::transform(const std::string& name, const Document& input,
                                    const std::map<std::string, std::string>& params) {
  auto sheet = get(name);
  if (!input) throw XmlError(name + ": transform of an empty document");

  detail::FileAccessScope scope(root_);  // document() may read siblings under mappings/
  detail::GenericErrorCapture capture;
  tl_refused_read.clear();

  xsltTransformContextPtr ctxt = xsltNewTransformContext(sheet->get(), input.get());
  if (!ctxt) throw XmlError(name + ": cannot create a transformation context");
  std::string messages;
  xsltSetTransformErrorFunc(ctxt, &messages, collect);
  xsltSetCtxtSecurityPrefs(security_prefs(), ctxt);

  // Parameters are strings, never XPath: quoting them keeps a value like "') or true() or ('"
  // from becoming code.
  std::vector<const char*> argv;
  for (const auto& [k, v] : params) {
    argv.push_back(k.c_str());
    argv.push_back(v.c_str());
  }
  argv.push_back(nullptr);
  if (xsltQuoteUserParams(ctxt, argv.data()) != 0) {
    xsltFreeTransformContext(ctxt);
    throw XmlError(name + ": cannot set parameters: " + trimmed(messages));
  }

  xmlDocPtr out = xsltApplyStylesheetUser(sheet->get(), input.get(), nullptr, nullptr, nullptr, ctxt);
  const bool failed = !out || ctxt->state == XSLT_STATE_ERROR || ctxt->state == XSLT_STATE_STOPPED ||
                      !tl_refused_read.empty();
  xsltFreeTransformContext(ctxt);
  if (failed) {
    if (out) xmlFreeDoc(out);
    std::string why = trimmed(messages.empty() ? capture.text() : messages);
    if (!tl_refused_read.empty()) why = "reading " + tl_refused_read + " refused" + (why.empty() ? "" : "; " + why);
    throw XmlError((root_ / name).string() + ": transform of " + input.name() + " failed: " +
                   (why.empty() ? "stopped" : why));
  }
  return Document(out, input.name() + "|" + name);
}

}  // namespace hub::xml
