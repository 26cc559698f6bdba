#include "test_paths.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace hub::testing {

namespace {

// The directories make_temp_dir() made in this process, removed when it exits. CTest runs each
// test in a process of its own (gtest_discover_tests), so that is when the test ends, after its
// fixtures and the child processes they own (the hub, the emulator) are gone; forked children
// leave with _exit and remove nothing. Kept when a test of the process failed, for a look at its
// logs and configs, and always with ZHKH_KEEP_TEST_DIRS=1. Without this every suite run left a
// few hundred directories in /tmp.
class MadeDirectories {
 public:
  // gtest's UnitTest exists before this (it is made on first use, and this asks for it), so it
  // is destroyed after it and can still say whether a test failed.
  MadeDirectories() : unit_test_(::testing::UnitTest::GetInstance()) {}
  ~MadeDirectories() {
    const char* keep = ::getenv("ZHKH_KEEP_TEST_DIRS");
    if ((keep && std::string(keep) == "1") || unit_test_->Failed()) return;
    for (const auto& dir : dirs_) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);  // already gone, or busy: nothing to do at exit
    }
  }
  void add(const std::filesystem::path& dir) {
    std::lock_guard lock(mu_);
    dirs_.push_back(dir);
  }

 private:
  ::testing::UnitTest* unit_test_;
  std::mutex mu_;
  std::vector<std::filesystem::path> dirs_;
};

MadeDirectories& made_directories() {
  static MadeDirectories dirs;
  return dirs;
}

}  // namespace

std::filesystem::path source_dir() { return HUB_SOURCE_DIR; }
std::filesystem::path shared_dir() { return HUB_SHARED_DIR; }
std::filesystem::path plugin_dir() { return HUB_PLUGIN_DIR; }
std::filesystem::path bin_dir() { return std::filesystem::path(HUB_PLUGIN_DIR).parent_path() / "bin"; }

std::filesystem::path make_temp_dir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + ".XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  if (!made) return {};
  made_directories().add(made);
  return made;
}

}  // namespace hub::testing
