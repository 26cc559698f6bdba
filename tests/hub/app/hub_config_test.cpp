#include "hub/app/hub_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "hub/core/error.h"
#include "test_paths.h"

namespace hub::app {
namespace {

std::string write_config(const std::string& text) {
  const auto dir = hub::testing::make_temp_dir("zhkh-config");
  const auto path = dir / "hub.yaml";
  std::ofstream(path) << text;
  return path.string();
}

void expect_error(const std::string& text, int line, const std::string& key,
                  const std::string& fragment) {
  const auto path = write_config(text);
  try {
    load_hub_config(path);
    FAIL() << "expected ConfigError for:\n" << text;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.key(), key) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(HubConfig, ReadsEverySectionWithDefaults) {
  setenv("ZHKH_TEST_DB", "host=127.0.0.1 dbname=x", 1);
  const auto cfg = load_hub_config(write_config(R"(node_id: n1
server: {listen: "0.0.0.0:9000"}
database: {conninfo: env:ZHKH_TEST_DB, pool_size: 3}
paths: {plugins: /opt/plugins}
dispatcher:
  defaults: {workers: 3, backoff_base: 2s}
  targets:
    bank: {workers: 1}
    billing_store: {linger: 5ms}
adapters:
  inbox: {plugin: file_inbox, path: /tmp/in}
)"));
  EXPECT_EQ(cfg.node_id, "n1");
  EXPECT_EQ(cfg.listen_host, "0.0.0.0");
  EXPECT_EQ(cfg.listen_port, 9000);
  EXPECT_EQ(cfg.db_conninfo, "host=127.0.0.1 dbname=x");
  EXPECT_EQ(cfg.pool_size, 3);
  EXPECT_EQ(cfg.plugins_dir, "/opt/plugins");
  EXPECT_EQ(cfg.target_defaults.workers, 3);
  EXPECT_EQ(cfg.targets.at("bank").workers, 1);
  EXPECT_EQ(cfg.targets.at("bank").backoff_base, "2s");  // inherits the defaults
  EXPECT_EQ(cfg.target_defaults.linger, "50ms");
  EXPECT_EQ(cfg.targets.at("billing_store").linger, "5ms");
  EXPECT_EQ(cfg.targets.at("bank").linger, "50ms");
  ASSERT_EQ(cfg.adapters.size(), 1u);
  EXPECT_EQ(cfg.adapters[0].plugin, "file_inbox");
  EXPECT_EQ(cfg.adapters[0].line, 11);
  EXPECT_EQ(cfg.routes_on_start, "if_empty");
}

TEST(HubConfig, SoapUrlIsAnHttpUrlWithoutMarkup) {
  const auto cfg = load_hub_config(
      write_config("database: {conninfo: x}\nserver: {soap_url: \"https://hub.example/soap\"}\n"));
  EXPECT_EQ(cfg.soap_url, "https://hub.example/soap");
  EXPECT_EQ(load_hub_config(write_config("database: {conninfo: x}\n")).soap_url, "");
  expect_error("database: {conninfo: x}\nserver:\n  soap_url: 'http://h/soap\"><x'\n", 3,
               "server.soap_url", "http(s) URL");
  expect_error("database: {conninfo: x}\nserver:\n  soap_url: ftp://h/soap\n", 3,
               "server.soap_url", "http(s) URL");
}

TEST(HubConfig, ErrorsNameFileLineAndKey) {
  expect_error("database: {conninfo: x}\nsevrer: {}\n", 2, "sevrer", "unknown key");
  expect_error("server: {}\n", 1, "database", "missing");
  expect_error("database:\n  conninfo: x\n  pool_size: many\n", 3, "database.pool_size",
               "integer");
  expect_error("database: {conninfo: x}\nserver:\n  listen: nohostport\n", 3, "server.listen",
               "host:port");
  expect_error("database: {conninfo: env:ZHKH_SURELY_UNSET_VAR}\n", 1, "database.conninfo",
               "ZHKH_SURELY_UNSET_VAR");
  expect_error("database: {conninfo: x}\ndispatcher:\n  defaults:\n    lease: soon\n", 4,
               "dispatcher.defaults.lease", "duration");
  expect_error("database: {conninfo: x}\nadapters:\n  inbox: {path: /x}\n", 3,
               "adapters.inbox.plugin", "required");
  expect_error("database: {conninfo: x}\nlogging: {level: loud}\n", 2, "logging.level",
               "debug, info");
  expect_error("database: [unclosed\n", 2, "", "");
}

}  // namespace
}  // namespace hub::app
