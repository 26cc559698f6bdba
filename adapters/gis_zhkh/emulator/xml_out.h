#pragma once
// Small helpers the emulator's operations share: GIS namespaces and the fixed prefixes every
// response declares, escaping, reading request elements by local name, re-emitting a request
// subtree under those prefixes (the client's own prefixes are not known to the response), and
// GUIDs that encode a kind and a sequence number (so a GUID is looked up without a hash map).

#include <libxml/tree.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub::adapters::gis_zhkh::emulator {

inline constexpr const char* kSoapNs = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr const char* kBaseNs = "http://dom.gosuslugi.ru/schema/integration/base/";
inline constexpr const char* kDsNs = "http://www.w3.org/2000/09/xmldsig#";

/// The prefix the emulator writes for a GIS namespace ("hm" for house-management, …), or
/// nullptr for a namespace it does not know.
const char* prefix_of(std::string_view ns);
/// xmlns declarations for the root of a response body of `service_name`: base, the service's
/// own namespace, the shared lib/ namespaces and ds.
std::string namespace_declarations(std::string_view service_name);
/// "http://dom.gosuslugi.ru/schema/integration/<svc>/" → "hm", "dm", "bills", … (service root).
const char* service_prefix(std::string_view service_name);

std::string escape(std::string_view text);
/// <qname>escape(text)</qname>
void element(std::string& out, std::string_view qname, std::string_view text);

std::string text_of(xmlNodePtr n);  ///< all descendant text, trimmed
std::string local_name(xmlNodePtr n);
std::string ns_of(xmlNodePtr n);
/// Element children (optionally only those with this local name, in any namespace).
std::vector<xmlNodePtr> kids(xmlNodePtr parent, const char* local = nullptr);
xmlNodePtr kid(xmlNodePtr parent, const char* local);
std::string kid_text(xmlNodePtr parent, const char* local);  ///< "" when absent
/// First descendant element (depth-first) with this local name, or nullptr.
xmlNodePtr find(xmlNodePtr root, const char* local);
std::vector<xmlNodePtr> find_all(xmlNodePtr root, const char* local);

/// Re-emits `n` (element with its subtree) under the emulator's prefixes. `rename` may return
/// another qualified name for an element (e.g. account-base:AccountNumber → hm:AccountNumber in
/// an export); an empty string keeps the element's own.
using Rename = std::function<std::string(xmlNodePtr)>;
void copy_element(std::string& out, xmlNodePtr n, const Rename& rename = {});

/// Current time as xs:dateTime with the Moscow offset, as GIS writes it.
std::string now_datetime();
std::string today_date();

/// GUIDs minted by this process: salt (random per run) + kind + sequence number.
class GuidMint {
 public:
  GuidMint();
  std::string make(std::uint16_t kind, std::uint64_t seq) const;
  /// The sequence number when `guid` was made by make(kind, …) of this mint.
  std::optional<std::uint64_t> parse(std::uint16_t kind, std::string_view guid) const;
  /// A random (v4) GUID, for MessageGUIDs of result headers.
  static std::string random();

 private:
  std::uint32_t salt_;
};

/// zlib (results are kept compressed: an import's result is ~100 times the same markup).
std::string deflate(std::string_view data);
std::string inflate(std::string_view data, std::size_t size_hint);

}  // namespace hub::adapters::gis_zhkh::emulator
