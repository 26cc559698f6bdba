// Several format versions held at once, each in force from its switch date (Formats), compiled
// through the hub's XML services.

#include "formats.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "hub/plugin_host/xml_services.h"
#include "test_paths.h"
#include "util.h"

namespace gis = hub::adapters::gis_zhkh;
namespace fs = std::filesystem;

TEST(GisFormats, TheVersionInForceIsTheLatestWhoseDateHasCome) {
  // Two version directories (the one official package under two names: only 16.3.0.0 is vendored).
  const auto root = hub::testing::make_temp_dir("gis-formats");
  const fs::path package = fs::path(HUB_SHARED_DIR) / "schemas/gis_zhkh/16.3.0.0";
  fs::create_directory_symlink(package, root / "16.2.0.0");
  fs::create_directory_symlink(package, root / "16.3.0.0");
  auto& xml = hub::plugin_host::PackageXmlServices::shared();
  gis::Formats f(xml, root.string(), {"16.3.0.0@2026-12-15", "16.2.0.0"});
  ASSERT_EQ(f.all().size(), 2u);
  EXPECT_EQ(f.at(gis::parse_date("2026-12-01")).version, "16.2.0.0");
  EXPECT_EQ(f.at(gis::parse_date("2026-12-15")).version, "16.3.0.0");
  EXPECT_EQ(f.at(gis::parse_date("2027-01-10")).version, "16.3.0.0");
  EXPECT_EQ(f.at(gis::parse_date("2026-12-20")).package->version(), "16.3.0.0");
  try {
    gis::Formats bad(xml, root.string(), {"16.3.0.0@2026-13-01"});
    FAIL() << "a bad switch date was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("16.3.0.0@2026-13-01"), std::string::npos) << e.what();
  }
  try {
    gis::Formats missing(xml, root.string(), {"9.9.9.9"});
    FAIL() << "a missing package was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("9.9.9.9"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gis::Formats(xml, root.string(), {}), std::runtime_error);
  fs::remove_all(root);
}
