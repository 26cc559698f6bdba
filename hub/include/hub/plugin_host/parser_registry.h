#pragma once
// The file parsers adapters register (plugin::ParserRegistry), shared by every adapter instance:
// a system adapter registers its formats and the generic file inbox finds them by name.
// Thread-safe. Parsers come from plugin code, so the host clears the registry before it unloads
// any plugin library.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/plugin/context.h"
#include "hub/plugin/file_parser.h"

namespace hub::plugin_host {

class SharedParserRegistry : public plugin::ParserRegistry {
 public:
  /// Replaces an earlier parser of the same name (the last registration wins).
  void add(const std::string& name, std::shared_ptr<plugin::FileParser> parser) override {
    std::lock_guard lock(mu_);
    parsers_[name] = std::move(parser);
  }
  std::shared_ptr<plugin::FileParser> find(const std::string& name) const override {
    std::lock_guard lock(mu_);
    auto it = parsers_.find(name);
    return it == parsers_.end() ? nullptr : it->second;
  }
  std::vector<std::string> names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [n, _] : parsers_) out.push_back(n);
    return out;
  }
  void clear() {
    std::lock_guard lock(mu_);
    parsers_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<plugin::FileParser>> parsers_;
};

}  // namespace hub::plugin_host
