#pragma once
// Writes one canonical body (namespace urn:zhkh-hub:canonical:1, prefix c) as text. Values are
// escaped; characters XML 1.0 does not allow (U+FFFE, U+FFFF) become U+FFFD, so that a body built
// from any decoded line still parses.

#include <string>
#include <string_view>

namespace hub::bank {

inline constexpr const char* kCanonicalNs = "urn:zhkh-hub:canonical:1";

class XmlBuilder {
 public:
  /// Opens <c:root xmlns:c="urn:zhkh-hub:canonical:1">.
  explicit XmlBuilder(std::string_view root);

  void open(std::string_view name);
  void close(std::string_view name);
  void leaf(std::string_view name, std::string_view text);
  /// leaf() when `text` is not empty.
  void leaf_if(std::string_view name, std::string_view text);
  /// Closes the root and returns the document.
  std::string finish();

 private:
  std::string root_;
  std::string out_;
};

/// `s` escaped for XML text and attribute values.
std::string escape_xml_text(std::string_view s);

}  // namespace hub::bank
