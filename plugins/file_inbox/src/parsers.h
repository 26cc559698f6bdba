#pragma once
// The file inbox's built-in parsers.
//
// canonical_xml: the file is one XML document, parsed with libxml2 hardened (no network, no
// entity substitution, any DOCTYPE refused). An envelope root (urn:zhkh-hub:envelope:1) gives the
// message's fields; an `e:batch` root holds several envelopes; any other root is the body of one
// message whose type the root element names (through the hub's schema registry) or, failing
// that, the configured message_type. Idempotency key "<source>:<sha256>" (":<n>" per message of a
// batch) unless the envelope carries its own. A malformed document refuses the whole file with
// the line of the first error.
//
// file_received: any file becomes one `file.received` message (name, size, SHA-256, source; the
// text when it is small valid UTF-8).

#include <cstdint>
#include <functional>
#include <string>

#include "hub/plugin/file_parser.h"

namespace hub::plugins::file_inbox {

inline constexpr const char* kEnvelopeNs = "urn:zhkh-hub:envelope:1";
inline constexpr const char* kCanonicalNs = "urn:zhkh-hub:canonical:1";

/// Maps a root element {ns}local to a message type; "" = unknown.
using TypeForRoot = std::function<std::string(const std::string& ns, const std::string& local)>;

class CanonicalXmlParser : public plugin::FileParser {
 public:
  /// A document that is not an envelope gets the type its root element maps to through
  /// `type_for_root`, else `default_type`; when both are empty the file is refused.
  CanonicalXmlParser(std::string default_type, TypeForRoot type_for_root,
                     std::uintmax_t max_bytes = 64u << 20)
      : default_type_(std::move(default_type)),
        type_for_root_(std::move(type_for_root)),
        max_bytes_(max_bytes) {}
  plugin::ParseOutcome parse(const std::filesystem::path& file, const plugin::ParsedFile& info,
                             plugin::ParseSink& sink) override;

 private:
  std::string default_type_;
  TypeForRoot type_for_root_;
  std::uintmax_t max_bytes_;
};

class FileReceivedParser : public plugin::FileParser {
 public:
  /// Files up to `max_text_bytes` that are valid UTF-8 carry their text in the message.
  explicit FileReceivedParser(std::uintmax_t max_text_bytes = 64u << 10)
      : max_text_bytes_(max_text_bytes) {}
  plugin::ParseOutcome parse(const std::filesystem::path& file, const plugin::ParsedFile& info,
                             plugin::ParseSink& sink) override;

 private:
  std::uintmax_t max_text_bytes_;
};

}  // namespace hub::plugins::file_inbox
