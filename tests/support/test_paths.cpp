#include "test_paths.h"

#include <stdlib.h>

#include <string>

namespace hub::testing {

std::filesystem::path source_dir() { return HUB_SOURCE_DIR; }
std::filesystem::path shared_dir() { return HUB_SHARED_DIR; }
std::filesystem::path plugin_dir() { return HUB_PLUGIN_DIR; }
std::filesystem::path bin_dir() { return std::filesystem::path(HUB_PLUGIN_DIR).parent_path() / "bin"; }

std::filesystem::path make_temp_dir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + ".XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  return made ? std::filesystem::path(made) : std::filesystem::path();
}

}  // namespace hub::testing
