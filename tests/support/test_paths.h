#pragma once
// Where tests find the source tree, the shared/ folder and the built binaries and plugins.

#include <filesystem>

namespace hub::testing {

std::filesystem::path source_dir();   ///< the checkout (HUB_SOURCE_DIR)
std::filesystem::path shared_dir();   ///< ../shared beside the checkout
std::filesystem::path plugin_dir();   ///< build/plugins
std::filesystem::path bin_dir();      ///< build/bin
/// A fresh empty directory under /tmp. It is removed when the test process exits, unless a test
/// of the process failed or ZHKH_KEEP_TEST_DIRS=1 (see test_paths.cpp); a caller may remove it
/// earlier.
std::filesystem::path make_temp_dir(const char* prefix = "zhkh-test");

}  // namespace hub::testing
