#pragma once
// Validates an adapter instance's YAML section against the ConfigSpec its plugin declares, and
// renders the same spec as text for `zhkh-hub adapters describe NAME`.
//
// Rules: unknown keys are refused; required keys (no default) must be present; int, bool,
// duration, path and list<string> values are type-checked; secrets are a literal, `file:/path`
// (file content, trailing newline dropped) or `env:NAME`, resolved here and never logged or echoed
// in errors. Defaults may name other keys as `${key}` (e.g. `${path}/done`). Every error is a
// hub::ConfigError naming the file, the line and the key.

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "hub/plugin/config.h"

namespace hub::plugin_host {

/// Checks `section` (a map, or null for "no settings") against `spec`. Keys in `reserved` (e.g.
/// `plugin`) belong to the host and are skipped. `file` is used only in error messages.
plugin::Config validate_config(const plugin::ConfigSpec& spec, const YAML::Node& section,
                               const std::string& file,
                               const std::set<std::string>& reserved = {"plugin"});

/// Resolves a secret reference (`file:/path`, `env:NAME` or a literal). Throws ConfigError naming
/// the file, line and key — and the referenced path or variable, never the value.
std::string resolve_secret(const std::string& value, const std::string& file, int line,
                           const std::string& key);

/// One line per key: name, type, default (or "required") and description, aligned.
std::string describe(const plugin::ConfigSpec& spec);

}  // namespace hub::plugin_host
