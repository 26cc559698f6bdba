#pragma once
// Helpers of the client-bank tests: a sink that keeps what it is handed, the shared samples,
// statements written in a given encoding, and validation of bodies against the canonical
// schemas of the checkout.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "encoding.h"
#include "hub/plugin/file_parser.h"
#include "hub/xml/document.h"
#include "hub/xml/schema_registry.h"
#include "test_paths.h"

namespace hub::bank::client_bank_testing {

struct KeepingSink : plugin::ParseSink {
  std::vector<plugin::Envelope> envelopes;
  std::vector<std::int64_t> positions;
  std::vector<plugin::InputError> errors;
  std::uint64_t progress_calls = 0;
  void emit(std::vector<plugin::Envelope> batch, std::int64_t position) override {
    positions.push_back(position);
    for (auto& e : batch) envelopes.push_back(std::move(e));
  }
  void error(plugin::InputError e) override { errors.push_back(std::move(e)); }
  void progress(std::uint64_t, std::uint64_t) override { ++progress_calls; }

  std::vector<const plugin::Envelope*> of(const std::string& type) const {
    std::vector<const plugin::Envelope*> out;
    for (const auto& e : envelopes) {
      if (e.type == type) out.push_back(&e);
    }
    return out;
  }
  /// True when some error's reason contains `text`.
  bool reported(const std::string& text) const {
    for (const auto& e : errors) {
      if (e.reason.find(text) != std::string::npos || e.field == text) return true;
    }
    return false;
  }
};

inline std::filesystem::path sample(const std::string& name) {
  return hub::testing::shared_dir() / "samples" / "client_bank_1c" / name;
}

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Writes under a dot-name and renames: a file inbox polling the directory (its first pass runs
/// when the host starts) never sees a half-written file, which it would take for a whole one.
inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  const auto part = p.parent_path() / ("." + p.filename().string() + ".part");
  std::ofstream(part, std::ios::binary | std::ios::trunc) << bytes;
  std::filesystem::rename(part, p);
}

inline std::string to_encoding(const std::string& utf8, Encoding e) {
  std::string out;
  EXPECT_TRUE(encode_from_utf8(utf8, e, out));
  return out;
}

inline std::shared_ptr<const xml::SchemaRegistry> canonical() {
  static auto r = xml::SchemaRegistry::load(hub::testing::source_dir() / "schemas" / "canonical");
  return r;
}

/// Every envelope's body is valid for its type; returns the first problem, "" when none.
inline std::string invalid_body(const std::vector<plugin::Envelope>& envelopes) {
  for (const auto& e : envelopes) {
    auto doc = xml::parse_xml(e.body, e.type + ".xml");
    auto issues = canonical()->validate(e.type, doc);
    if (!issues.empty()) {
      return e.type + " " + issues[0].xpath + ": " + issues[0].message + "\n" + e.body;
    }
  }
  return {};
}

/// The text of the first element named `local` (any prefix) in `xml`, "" when absent.
inline std::string element(const std::string& xml, const std::string& local, std::size_t from = 0) {
  const std::string open = ":" + local + ">";
  auto p = xml.find(open, from);
  if (p == std::string::npos) return {};
  p += open.size();
  const auto end = xml.find("</", p);
  return xml.substr(p, end - p);
}

/// The text of `inner` inside the first `outer` element.
inline std::string element_in(const std::string& xml, const std::string& outer,
                              const std::string& inner) {
  const auto p = xml.find(":" + outer + ">");
  if (p == std::string::npos) return {};
  const auto end = xml.find("</c:" + outer + ">", p);
  const std::string part = xml.substr(p, end - p);
  return element(part, inner);
}

}  // namespace hub::bank::client_bank_testing
