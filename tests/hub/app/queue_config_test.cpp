// The `queues:` section of zhkh-hub.yaml: canonical queue subscriptions for billing engines.

#include <gtest/gtest.h>

#include <fstream>

#include "hub/app/hub_config.h"
#include "hub/core/error.h"
#include "test_paths.h"

namespace hub::app {
namespace {

std::string write_queue_config(const std::string& queues) {
  const auto dir = hub::testing::make_temp_dir("zhkh-queue-config");
  const auto path = dir / "hub.yaml";
  std::ofstream(path) << "database: {conninfo: \"host=127.0.0.1\"}\n" << queues;
  return path.string();
}

void expect_queue_error(const std::string& queues, int line, const std::string& key,
                        const std::string& fragment) {
  const auto path = write_queue_config(queues);
  try {
    load_hub_config(path);
    FAIL() << "expected ConfigError for:\n" << queues;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.key(), key) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(QueueConfig, ReadsSubscriptions) {
  const auto cfg = load_hub_config(write_queue_config(R"(queues:
  billing: {types: [payment.received, meter.reading], sources: [], visibility_timeout: 90s,
            max_deliveries: 5}
  everything:
  stek:
    sources: [bank-sber]
)"));
  ASSERT_EQ(cfg.queues.size(), 3u);
  EXPECT_EQ(cfg.queues[0].name, "billing");
  EXPECT_EQ(cfg.queues[0].types, (std::vector<std::string>{"payment.received", "meter.reading"}));
  EXPECT_TRUE(cfg.queues[0].sources.empty());
  EXPECT_EQ(cfg.queues[0].visibility_timeout, "90s");
  EXPECT_EQ(cfg.queues[0].line, 3);
  EXPECT_EQ(cfg.queues[1].name, "everything");
  EXPECT_TRUE(cfg.queues[1].types.empty());
  EXPECT_EQ(cfg.queues[0].max_deliveries, 5);
  EXPECT_EQ(cfg.queues[1].visibility_timeout, "60s");
  EXPECT_EQ(cfg.queues[1].max_deliveries, 20);
  EXPECT_EQ(cfg.queues[2].sources, (std::vector<std::string>{"bank-sber"}));
}

TEST(QueueConfig, RefusesBadSubscriptionsNamingLineAndKey) {
  expect_queue_error("queues: [billing]\n", 2, "queues", "mapping");
  expect_queue_error("queues:\n  Billing Engine: {}\n", 3, "queues.Billing Engine", "names");
  expect_queue_error("queues:\n  billing: {types: [payment.received], colour: red}\n", 3,
                     "queues.billing.colour", "unknown key");
  expect_queue_error("queues:\n  billing: {types: payment.received}\n", 3, "queues.billing.types",
                     "expected a list");
  expect_queue_error("queues:\n  billing:\n    visibility_timeout: soon\n", 4,
                     "queues.billing.visibility_timeout", "duration");
  expect_queue_error("queues:\n  billing:\n    visibility_timeout: 500ms\n", 4,
                     "queues.billing.visibility_timeout", "between 1s and 12h");
  expect_queue_error("queues:\n  billing:\n    max_deliveries: many\n", 4,
                     "queues.billing.max_deliveries", "whole number");
  expect_queue_error("queues:\n  billing:\n    max_deliveries: -1\n", 4,
                     "queues.billing.max_deliveries", "0 (no limit)");
}

}  // namespace
}  // namespace hub::app
