#pragma once
// Which billing table each canonical message type lands in, how its body maps to columns
// (canonical_mapping.h) and what its natural key is. One TypeSpec per type the billing store
// handles; the field trees follow schemas/canonical/<type>.xsd element by element.

#include <functional>
#include <string>
#include <vector>

#include "hub/billing/canonical_mapping.h"

namespace hub::billing {

struct TypeSpec {
  std::string type;   ///< "account.upsert"
  std::string root;   ///< body root element, "accountUpsert"
  std::string table;  ///< "account" (schema billing)
  std::vector<Field> fields;
  /// Columns whose values, joined, form the natural key (stored in the table's `nkey`).
  std::vector<std::string> key;
  /// Columns the store derives from the body (address keys, ...), filled by `derive`.
  std::vector<ColumnSpec> derived;
  std::function<void(Record&)> derive;
};

/// Every type the billing store applies (external.state excluded: it updates other tables).
const std::vector<TypeSpec>& type_specs();
/// The spec for `type`, or nullptr.
const TypeSpec* find_type_spec(const std::string& type);

/// The natural key of `record` under `spec` ("" parts for absent values, joined by U+001F).
std::string natural_key(const TypeSpec& spec, const Record& record);

}  // namespace hub::billing
