#pragma once
// Canonical message types and their XSDs, compiled once and shared read-only by every thread.
//
// schemas/canonical/types.yaml maps each message type to its root element (in the canonical
// namespace); all canonical XSDs are compiled together as one schema set.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hub/xml/document.h"

namespace hub::xml {

struct ValidationIssue {
  int line = 0;
  std::string xpath;  ///< where, e.g. /c:paymentReceived/c:amount
  std::string message;
};

struct MessageType {
  std::string type;          ///< "payment.received"
  std::string root_ns;       ///< namespace URI of the root element
  std::string root_element;  ///< local name, e.g. "paymentReceived"
  std::string description;
};

class SchemaRegistry {
 public:
  /// Loads types.yaml and compiles every XSD it names from `dir` (schemas/canonical/).
  /// Throws ConfigError / XmlError naming the file on any problem.
  static std::shared_ptr<const SchemaRegistry> load(const std::filesystem::path& dir);
  virtual ~SchemaRegistry() = default;

  virtual bool knows(const std::string& type) const = 0;
  virtual const MessageType* find(const std::string& type) const = 0;
  /// The message type whose root element this is, or nullptr.
  virtual const MessageType* find_by_root(const std::string& ns,
                                          const std::string& local) const = 0;
  virtual std::vector<MessageType> types() const = 0;

  /// Validates `doc` as a body of `type`: the root element must match and the schema must hold.
  /// Thread-safe. Empty result = valid.
  virtual std::vector<ValidationIssue> validate(const std::string& type,
                                                const Document& doc) const = 0;

  /// True when `body` parses (hardened, as parse_xml()) and is valid as a body of `type`, checked
  /// as it is read, without building a tree: for callers that need no tree when it is valid and,
  /// when it is not, parse it (parse_xml() + validate()) to learn why. Thread-safe.
  virtual bool conforms(const std::string& type, std::string_view body) const;

  /// Validates a whole e:envelope document against envelope.xsd (`envelope:` in types.yaml); a
  /// canonical body inside is checked as well when its root element is known. Thread-safe.
  /// Without an envelope schema in types.yaml the result is one issue saying so.
  virtual std::vector<ValidationIssue> validate_envelope(const Document& doc) const = 0;

  /// Parses (hardened) and validates; throws ValidationError "<type> <doc name>:<line> <xpath>:
  /// <message>" naming the first problem (and how many more).
  void validate_or_throw(const std::string& type, const Document& doc) const;
};

}  // namespace hub::xml
