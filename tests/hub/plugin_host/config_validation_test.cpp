#include "hub/plugin_host/config_validation.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "hub/core/error.h"
#include "test_paths.h"

namespace hub::plugin_host {
namespace {

using plugin::ConfigType;

plugin::ConfigSpec spec() {
  return {
      {"path", ConfigType::kPath, std::nullopt, "inbox directory"},
      {"pattern", ConfigType::kString, "*", "glob"},
      {"batch_size", ConfigType::kInt, "500", "messages per transaction"},
      {"archive", ConfigType::kBool, "false", "keep copies"},
      {"poll_interval", ConfigType::kDuration, "2s", "scan period"},
      {"done_dir", ConfigType::kPath, "${path}/done", "processed files"},
      {"senders", ConfigType::kStringList, "bank1, bank2", "allowed senders"},
      {"password", ConfigType::kSecret, "", "sftp password"},
  };
}

// The ConfigError raised by validating `yaml`, or a failure.
ConfigError error_of(const std::string& yaml) {
  try {
    validate_config(spec(), YAML::Load(yaml), "adapters.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for:\n" << yaml;
  return ConfigError("", 0, "", "");
}

TEST(ConfigValidation, AppliesDefaultsAndExpandsReferences) {
  auto c = validate_config(spec(), YAML::Load("plugin: file_inbox\npath: /var/inbox\n"), "f.yaml");
  EXPECT_EQ(c.get_string("path"), "/var/inbox");
  EXPECT_EQ(c.get_string("pattern"), "*");
  EXPECT_EQ(c.get_int("batch_size"), 500);
  EXPECT_FALSE(c.get_bool("archive"));
  EXPECT_EQ(c.get_duration("poll_interval"), std::chrono::seconds(2));
  EXPECT_EQ(c.get_string("done_dir"), "/var/inbox/done");
  EXPECT_EQ(c.get_list("senders"), (std::vector<std::string>{"bank1", "bank2"}));
  EXPECT_FALSE(c.has("plugin"));  // the host's key, not the plugin's
}

TEST(ConfigValidation, TakesExplicitValuesOfEveryType) {
  auto c = validate_config(spec(), YAML::Load(R"(
path: in
batch_size: 25
archive: yes
poll_interval: 250ms
done_dir: elsewhere
senders: [a, b, c]
)"),
                           "f.yaml");
  EXPECT_EQ(c.get_int("batch_size"), 25);
  EXPECT_TRUE(c.get_bool("archive"));
  EXPECT_EQ(c.get_string("archive"), "true");
  EXPECT_EQ(c.get_duration("poll_interval"), std::chrono::milliseconds(250));
  EXPECT_EQ(c.get_string("done_dir"), "elsewhere");
  EXPECT_EQ(c.get_list("senders"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ConfigValidation, RefusesUnknownKeysWithTheirLine) {
  auto e = error_of("path: in\npattern: '*.xml'\npoll_intervall: 5s\n");
  EXPECT_EQ(e.file(), "adapters.yaml");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "poll_intervall");
  EXPECT_EQ(
      std::string(e.what()),
      "adapters.yaml:3: 'poll_intervall': unknown key (known keys: path, pattern, batch_size, "
      "archive, poll_interval, done_dir, senders, password)");
}

TEST(ConfigValidation, RefusesAMissingRequiredKey) {
  auto e = error_of("\n\npattern: '*.xml'\n");
  EXPECT_EQ(e.key(), "path");
  EXPECT_EQ(e.line(), 3);  // where the section starts
  EXPECT_EQ(std::string(e.what()),
            "adapters.yaml:3: 'path': required key is missing (path: inbox directory)");
}

TEST(ConfigValidation, ChecksTypesNamingLineAndKey) {
  auto e = error_of("path: in\nbatch_size: many\n");
  EXPECT_EQ(std::string(e.what()),
            "adapters.yaml:2: 'batch_size': expected an integer, got 'many'");
  e = error_of("path: in\narchive: perhaps\n");
  EXPECT_EQ(std::string(e.what()),
            "adapters.yaml:2: 'archive': expected a boolean (true/false), got 'perhaps'");
  e = error_of("path: in\n\npoll_interval: 5 minutes\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "poll_interval");
  EXPECT_NE(std::string(e.what()).find("expected a duration"), std::string::npos);
  e = error_of("path: in\npoll_interval: -5s\n");
  EXPECT_NE(std::string(e.what()).find("cannot be negative"), std::string::npos);
  e = error_of("path: in\nsenders: bank1\n");
  EXPECT_EQ(std::string(e.what()), "adapters.yaml:2: 'senders': expected a list of strings");
  e = error_of("path: {a: 1}\n");
  EXPECT_EQ(std::string(e.what()), "adapters.yaml:1: 'path': expected a single path value");
  e = error_of("path: ''\n");
  EXPECT_EQ(std::string(e.what()), "adapters.yaml:1: 'path': expected a path, got an empty value");
  e = error_of("- path\n");
  EXPECT_EQ(std::string(e.what()), "adapters.yaml:1: adapter settings must be a map of key: value");
}

TEST(ConfigValidation, ResolvesSecretsFromFilesAndEnvironmentWithoutEchoingThem) {
  const auto dir = hub::testing::make_temp_dir("zhkh-secret");
  std::ofstream(dir / "pw") << "s3cr3t-from-file\n";
  auto c = validate_config(spec(), YAML::Load("path: in\npassword: file:" + (dir / "pw").string()),
                           "f.yaml");
  EXPECT_EQ(c.get_string("password"), "s3cr3t-from-file");

  ::setenv("ZHKH_TEST_SECRET", "s3cr3t-from-env", 1);
  c = validate_config(spec(), YAML::Load("path: in\npassword: env:ZHKH_TEST_SECRET"), "f.yaml");
  EXPECT_EQ(c.get_string("password"), "s3cr3t-from-env");

  c = validate_config(spec(), YAML::Load("path: in\npassword: literal"), "f.yaml");
  EXPECT_EQ(c.get_string("password"), "literal");

  auto e = error_of("path: in\npassword: env:ZHKH_TEST_NO_SUCH_VARIABLE\n");
  EXPECT_EQ(
      std::string(e.what()),
      "adapters.yaml:2: 'password': environment variable 'ZHKH_TEST_NO_SUCH_VARIABLE' is not set");
  e = error_of("path: in\npassword: file:" + (dir / "absent").string() + "\n");
  EXPECT_EQ(std::string(e.what()), "adapters.yaml:2: 'password': secret file '" +
                                       (dir / "absent").string() + "' cannot be read");
  // Another key's error never shows the secret.
  e = error_of("path: in\npassword: env:ZHKH_TEST_SECRET\nbatch_size: x\n");
  EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ConfigValidation, DescribeListsKeyTypeDefaultAndDescription) {
  plugin::ConfigSpec s = {
      {"path", ConfigType::kPath, std::nullopt, "inbox directory"},
      {"poll_interval", ConfigType::kDuration, "2s", "scan period"},
      {"token", ConfigType::kSecret, "env:TOKEN", "API token"},
  };
  EXPECT_EQ(describe(s),
            "  key            type      default   description\n"
            "  path           path      required  inbox directory\n"
            "  poll_interval  duration  \"2s\"      scan period\n"
            "  token          secret    (set)     API token\n");
}

}  // namespace
}  // namespace hub::plugin_host
