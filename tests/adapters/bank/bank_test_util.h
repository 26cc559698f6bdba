#pragma once
// Helpers of the bank adapter tests: a ParseSink that keeps what it is handed, file writing in a
// given encoding, and the shipped layouts.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "encoding.h"
#include "hub/plugin/file_parser.h"
#include "registry/layout.h"
#include "registry/registry_parser.h"
#include "test_paths.h"

namespace hub::bank::testing {

struct CaptureSink : plugin::ParseSink {
  std::vector<plugin::Envelope> envelopes;
  std::vector<std::int64_t> positions;
  std::vector<plugin::InputError> errors;
  std::uint64_t progress_calls = 0, last_read = 0, last_total = 0;
  void emit(std::vector<plugin::Envelope> batch, std::int64_t position) override {
    positions.push_back(position);
    for (auto& e : batch) envelopes.push_back(std::move(e));
  }
  void error(plugin::InputError e) override { errors.push_back(std::move(e)); }
  void progress(std::uint64_t read, std::uint64_t total) override {
    ++progress_calls;
    last_read = read;
    last_total = total;
  }
  std::size_t count(const std::string& type) const {
    std::size_t n = 0;
    for (const auto& e : envelopes) n += e.type == type;
    return n;
  }
};

inline std::filesystem::path layouts_dir() {
  return hub::testing::source_dir() / "mappings/bank";
}

inline std::shared_ptr<const Layout> shipped(const std::string& name) {
  return std::make_shared<const Layout>(load_layout(layouts_dir() / (name + ".yaml")));
}

/// `utf8` converted to `e` (the test fails when it cannot be).
inline std::string in_encoding(const std::string& utf8, Encoding e) {
  std::string out;
  EXPECT_TRUE(encode_from_utf8(utf8, e, out)) << utf8;
  return out;
}

/// Writes under a dot-name and renames: a file inbox polling the directory (its first pass runs
/// when the host starts) never sees a half-written file, which it would take for a whole one.
inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  const auto part = p.parent_path() / ("." + p.filename().string() + ".part");
  std::ofstream(part, std::ios::binary | std::ios::trunc) << bytes;
  std::filesystem::rename(part, p);
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline plugin::ParsedFile info_for(const std::string& name,
                                   const std::string& sha = std::string(64, 'a')) {
  return plugin::ParsedFile{name, sha, 0, "bankin"};
}

}  // namespace hub::bank::testing
