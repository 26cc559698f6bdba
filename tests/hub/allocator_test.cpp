// The hub's processes run on jemalloc with the settings of hub/allocator.cpp: the executables as
// built are asked (jemalloc prints its options at exit when MALLOC_CONF says stats_print), so a
// link that silently fell back to glibc's malloc, or settings that no longer reach jemalloc,
// fail here.

#include <gtest/gtest.h>

#include <string>

#include "../support/hub_process.h"
#include "../support/test_paths.h"

namespace {

std::string allocator_options(const std::string& executable) {
  int code = 0;
  const std::string out = hub::testing::run_command(
      "MALLOC_CONF=stats_print:true '" + (hub::testing::bin_dir() / executable).string() +
          "' --help",
      &code);
  return out;
}

TEST(HubAllocator, TheHubAndTheEmulatorRunOnJemallocWithTheHubsDecaySettings) {
  for (const char* executable : {"zhkh-hub", "gis_zhkh_emulator"}) {
    SCOPED_TRACE(executable);
    const auto out = allocator_options(executable);
    EXPECT_NE(out.find("jemalloc statistics"), std::string::npos) << out.substr(0, 400);
    EXPECT_NE(out.find("opt.dirty_decay_ms: 1000"), std::string::npos);
    EXPECT_NE(out.find("opt.muzzy_decay_ms: 0"), std::string::npos);
  }
}

}  // namespace
