#include "hub/plugin_host/plugin_loader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "hub/core/error.h"
#include "hub/plugin_host/adapter_host.h"
#include "test_emitter.h"
#include "test_paths.h"

namespace hub::plugin_host {
namespace {

namespace fs = std::filesystem;

fs::path test_plugin(const std::string& name) {
  return fs::path(HUB_TEST_PLUGIN_DIR) / (name + ".so");
}

// The PluginError message of loading `file`, or "" when it loads.
std::string load_error(const fs::path& file) {
  try {
    PluginLoader::load_file(file);
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

TEST(PluginLoader, LoadsFileInboxAndReadsItsInfoAndSpec) {
  PluginLoader loader(hub::testing::plugin_dir());
  auto p = loader.find("file_inbox");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->descriptor().name, "file_inbox");
  EXPECT_EQ(p->descriptor().version, "1.0.0");
  EXPECT_EQ(p->descriptor().file.filename(), "file_inbox.so");
  bool has_required_path = false;
  for (const auto& k : p->descriptor().spec) {
    if (k.name == "path") has_required_path = !k.default_value.has_value();
  }
  EXPECT_TRUE(has_required_path);
  // Loaded once: a second look-up returns the same library.
  EXPECT_EQ(loader.find("file_inbox").get(), p.get());
  EXPECT_EQ(loader.find("no_such_plugin"), nullptr);
}

TEST(PluginLoader, WrongAbiIsRefusedNamingTheFileAndBothVersions) {
  const auto file = test_plugin("wrong_abi");
  EXPECT_EQ(load_error(file), "plugin " + file.string() + ": plugin ABI version " +
                                  std::to_string(plugin::kAbiVersion + 998) +
                                  " does not match the hub's ABI version " +
                                  std::to_string(plugin::kAbiVersion) + "; rebuild the plugin");
}

TEST(PluginLoader, MissingInfoSymbolIsRefused) {
  const auto file = test_plugin("no_info");
  EXPECT_EQ(load_error(file), "plugin " + file.string() +
                                  ": missing symbol hub_plugin_info (not a zhkh-hub plugin, or "
                                  "built without HUB_PLUGIN)");
}

TEST(PluginLoader, MissingFactoryIsRefused) {
  const auto file = test_plugin("no_factory");
  EXPECT_EQ(load_error(file),
            "plugin " + file.string() + ": missing factory symbol hub_plugin_create");
}

TEST(PluginLoader, NotASharedObjectIsRefused) {
  const auto dir = hub::testing::make_temp_dir("zhkh-plugins");
  const auto file = dir / "fake.so";
  std::ofstream(file) << "this is a text file, not an ELF object\n";
  const auto msg = load_error(file);
  EXPECT_EQ(msg.rfind("plugin " + file.string() + ": not a loadable shared object (", 0), 0u)
      << msg;
  EXPECT_EQ(load_error(dir / "absent.so"),
            "plugin " + (dir / "absent.so").string() + ": no such file");
  fs::remove_all(dir);
}

TEST(PluginLoader, LoadAllReportsBrokenFilesAndKeepsTheGoodOnes) {
  PluginLoader loader(HUB_TEST_PLUGIN_DIR);
  std::vector<std::string> errors;
  auto loaded = loader.load_all(&errors);
  std::vector<std::string> names;
  for (const auto& p : loaded) names.push_back(p->descriptor().name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"echo_sink", "null_factory", "throwing_factory"}));
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& e : errors) {
    EXPECT_TRUE(e.find("no_factory.so") != std::string::npos ||
                e.find("no_info.so") != std::string::npos ||
                e.find("wrong_abi.so") != std::string::npos)
        << e;
  }
}

// Factory failures surface when the host creates an instance.
std::string add_error(const std::string& plugin_name) {
  store::Pool pool("host=127.0.0.1 port=1", 1);  // never connected by these tests
  testing::RecordingEmitter emitter;
  AdapterHost host(HUB_TEST_PLUGIN_DIR, pool, emitter);
  try {
    host.add_instance("x", YAML::Load("plugin: " + plugin_name), "hub.yaml");
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

TEST(PluginLoader, ThrowingFactoryIsAnErrorNamingTheFileAndTheCause) {
  EXPECT_EQ(add_error("throwing_factory"),
            "plugin " + test_plugin("throwing_factory").string() +
                ": factory hub_plugin_create threw: cannot reach the bank at 10.0.0.1");
}

TEST(PluginLoader, NullFactoryIsAnError) {
  EXPECT_EQ(add_error("null_factory"), "plugin " + test_plugin("null_factory").string() +
                                           ": factory hub_plugin_create returned null");
}

TEST(PluginLoader, UnknownPluginIsAConfigErrorListingTheAvailableOnes) {
  store::Pool pool("host=127.0.0.1 port=1", 1);
  testing::RecordingEmitter emitter;
  AdapterHost host(HUB_TEST_PLUGIN_DIR, pool, emitter);
  try {
    host.add_instances(YAML::Load("bank:\n  plugin: bank_registry\n  path: /x\n"), "hub.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.key(), "plugin");
    EXPECT_NE(std::string(e.what()).find("no plugin named 'bank_registry' in " +
                                         std::string(HUB_TEST_PLUGIN_DIR) +
                                         " (available: echo_sink, null_factory, throwing_factory)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hub::plugin_host
