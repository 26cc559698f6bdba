#pragma once
// Declarative mapping between a canonical body (XML in urn:zhkh-hub:canonical:1) and the flat
// columns of one billing table. One Field tree per message type mirrors its XSD in schema order:
// a scalar element or attribute becomes one column, a non-repeated group flattens its children
// into the same row, and a repeated element becomes one JSON array column (items keep their
// lexical values as strings, so nothing is rounded). The same tree reads a body and writes it back,
// which is what makes store ↔ message lossless.
//
// Reading refuses any element or attribute the tree does not know, naming its XPath: storing such
// a body would silently drop data, so the message goes to the dead letters until the mapping
// catches up with the XSD.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/xml/document.h"

namespace hub::billing {

/// How a value is normalised when read and which SQL type holds it.
enum class FieldKind { kText, kInt, kDecimal, kBool, kDate, kTimestamp };

struct Field {
  std::string name;    ///< element local name, "@attr" for an attribute, "." for text content
  std::string column;  ///< column (top level) or JSON key (inside an item); empty for a group
  FieldKind kind = FieldKind::kText;
  bool repeated = false;        ///< maxOccurs > 1: a JSON array column
  std::vector<Field> children;  ///< a group's (or repeated item's) content in schema order
};

/// Scalar element / attribute / text content.
Field scalar(std::string name, std::string column, FieldKind kind = FieldKind::kText);
/// A non-repeated group whose children flatten into the same row.
Field group(std::string name, std::vector<Field> children);
/// A repeated element stored as a JSON array in `column`; `children` empty = array of strings.
Field repeated(std::string name, std::string column, std::vector<Field> children = {},
               FieldKind kind = FieldKind::kText);

/// Column → lexical value of one body. Absent = NULL. A repeated field holds its JSON array text.
using Record = std::map<std::string, std::string>;

/// A body element the mapping refused, or a value it could not normalise.
struct MappingIssue {
  std::string xpath;
  std::string message;
};

/// Reads the root element's content into a Record. Returns the issues (empty = ok); the record is
/// only meaningful when there are none.
std::vector<MappingIssue> read_record(const xml::Document& doc, const std::vector<Field>& fields,
                                      Record& out);
/// The same for an element anywhere in a tree; the issues' XPaths are from the tree's root.
std::vector<MappingIssue> read_record(xmlNodePtr root, const std::vector<Field>& fields,
                                      Record& out);

/// Writes a canonical body `<c:root xmlns:c=...>` from `record` in schema order.
std::string write_body(const std::string& root, const std::vector<Field>& fields,
                       const Record& record);

/// Every top-level column of the tree with its kind (repeated → JSON), in schema order.
struct ColumnSpec {
  std::string column;
  FieldKind kind = FieldKind::kText;
  bool json = false;
};
std::vector<ColumnSpec> columns_of(const std::vector<Field>& fields);

/// The canonical lexical form of a value of `kind` (booleans true/false, integers without
/// leading zeros, timestamps with a zone converted to UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]Z").
/// nullopt when the text is not a value of that kind.
std::optional<std::string> normalise(FieldKind kind, const std::string& text);

}  // namespace hub::billing
