#pragma once
// XSLT stylesheets from mappings/, compiled once and cached. Transformations run with libxslt's
// security preferences denying file writes, directory creation and network access.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "hub/xml/document.h"

namespace hub::xml {

class Stylesheet;

class StylesheetCache {
 public:
  /// `root` is the mappings/ directory; names are paths relative to it ("demo/to_log.xsl").
  explicit StylesheetCache(std::filesystem::path root);
  ~StylesheetCache();

  /// Compiles on first use; throws XmlError naming the stylesheet (file and line) on failure.
  std::shared_ptr<const Stylesheet> get(const std::string& name);

  /// Applies `name` to `input` with string parameters; returns the result document.
  /// Throws XmlError on a transformation error (xsl:message terminate="yes" included).
  Document transform(const std::string& name, const Document& input,
                     const std::map<std::string, std::string>& params = {});

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Stylesheet>> cache_;
};

}  // namespace hub::xml
