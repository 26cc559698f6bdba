#pragma once
// Private plumbing shared by the xml area's sources: the thread-local file-access scope consulted
// by the process-wide external entity loader, and raw hardened parsing for callers (libxslt) that
// must take ownership of the xmlDoc.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "hub/xml/document.h"

namespace hub::xml::detail {

/// While alive, the external entity loader (and libxslt's read check) on this thread may open
/// local files under `root` — used to compile our own XSDs and stylesheets, whose
/// xs:include/xsl:import must load siblings. Outside a scope every external load is refused.
class FileAccessScope {
 public:
  explicit FileAccessScope(const std::filesystem::path& root);
  ~FileAccessScope();
  FileAccessScope(const FileAccessScope&) = delete;
  FileAccessScope& operator=(const FileAccessScope&) = delete;

 private:
  std::string previous_;
};

/// The root allowed on this thread, or empty.
const std::string& allowed_root();
/// True when `path_or_url` (a plain path or file: URL) names a file under allowed_root().
bool may_read(std::string_view path_or_url);

/// Collects libxml2/libxslt generic (printf-style) error text on this thread while alive.
class GenericErrorCapture {
 public:
  GenericErrorCapture();
  ~GenericErrorCapture();
  std::string text() const;

 private:
  std::string* previous_;
  std::string buffer_;
};

/// parse_xml() without the Document wrapper: the caller owns the result.
xmlDocPtr parse_raw(std::string_view bytes, const std::string& name, const ParseLimits& limits,
                    const std::string& url = {});

/// Parses `bytes` with the same refusals as parse_raw(), building no tree, through the schema
/// validation context `v`: true when the document is well formed and nothing was refused; the
/// schema's verdict comes through `v`'s error handler. Gives the root element's namespace and
/// local name (the schema accepts any of its global elements there). Why it failed is for a
/// parse that builds the tree to say.
bool stream_validates(std::string_view bytes, const ParseLimits& limits, xmlSchemaValidCtxtPtr v,
                      std::string& root_ns, std::string& root_local);

/// Reads a whole file, refusing it when larger than `max_bytes`.
std::string read_file(const std::string& path, std::size_t max_bytes);

}  // namespace hub::xml::detail
