#pragma once
// Validation contexts of one compiled schema, kept for reuse: creating one per validation costs
// more than small documents take to validate, and a context is not thread-safe, so each
// concurrent validation takes its own from here. Shared by the canonical SchemaRegistry and
// the official SchemaSet.

#include <libxml/xmlschemas.h>

#include <mutex>
#include <string>
#include <vector>

#include "hub/core/error.h"

namespace hub::xml {

class ValidationContexts {
 public:
  ValidationContexts() = default;
  ValidationContexts(const ValidationContexts&) = delete;
  ValidationContexts& operator=(const ValidationContexts&) = delete;
  ~ValidationContexts() {
    for (auto* v : idle_) xmlSchemaFreeValidCtxt(v);
  }

  /// An idle context for `schema`, or a new one; `owner` names the caller in the error.
  xmlSchemaValidCtxtPtr acquire(xmlSchemaPtr schema, const char* owner) {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto* v = idle_.back();
        idle_.pop_back();
        return v;
      }
    }
    xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
    if (!v) throw XmlError(std::string(owner) + ": cannot create a validation context");
    return v;
  }

  void release(xmlSchemaValidCtxtPtr v) {
    std::lock_guard lock(mu_);
    idle_.push_back(v);
  }

 private:
  std::mutex mu_;
  std::vector<xmlSchemaValidCtxtPtr> idle_;  // one per concurrent validation so far
};

}  // namespace hub::xml
