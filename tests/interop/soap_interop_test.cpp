// The SOAP endpoint against an independent client: the zhkh-hub executable runs with a temporary
// config (a canonical queue subscription "billing") on the test PostgreSQL, and
// tests/interop/soap_client.js — the `soap` package from the npm registry, pinned in
// tests/interop/package-lock.json — reads the WSDL, submits the payment.received sample, pulls it
// back, acks it and checks a validation fault. Skipped only where node is not installed.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "hub/api/token_store.h"
#include "hub_process.h"
#include "test_database.h"
#include "test_paths.h"

namespace hub::interop {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using hub::testing::HubProcess;

std::string run_capture(const std::string& cmd, int* exit_code) {
  return hub::testing::run_command(cmd, exit_code);
}

// The hub with one canonical queue subscription, everything else to noop.
constexpr const char* kRoutes = "routes:\n  - name: all\n    match: {}\n    to: [noop]\n";
constexpr const char* kQueues =
    "queues:\n  billing: {types: [payment.received], visibility_timeout: 60s}\n";

TEST(SoapInterop, NodeSoapClientSubmitsPullsAcksAndGetsAValidationFault) {
  int code = -1;
  run_capture("node --version", &code);
  if (code != 0) GTEST_SKIP() << "node is not installed: the SOAP interop client cannot run";
  const auto interop = hub::testing::source_dir() / "tests/interop";
  ASSERT_TRUE(fs::exists(interop / "node_modules/soap/package.json"))
      << "the npm package 'soap' is missing: run `npm ci` in " << interop.string()
      << " (deploy/install-deps.sh does)";

  hub::testing::TestDatabase db;
  // A partner's own token, role operator, as the endpoint requires.
  std::string token;
  {
    auto pool = db.make_pool(1);
    token = api::TokenStore(*pool).create("interop-partner", api::Role::kOperator);
  }
  const auto dir = hub::testing::make_temp_dir("zhkh-soap-interop");
  HubProcess hub(dir, db.conninfo(), kRoutes, kQueues, "interop");
  ASSERT_TRUE(hub.wait_ready()) << hub.logs();

  const auto out = run_capture(
      "node " + (interop / "soap_client.js").string() + " " + hub.url() + " " + token, &code);
  EXPECT_EQ(code, 0) << out << "\n--- hub ---\n" << hub.logs();
  EXPECT_NE(out.find(" passed, 0 failed"), std::string::npos) << out;

  // What the client did is in the journal and the queue, as that partner.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM hub.message WHERE idempotency_key LIKE 'interop:%' "
                      "AND source = 'interop-partner'"),
            "1");
  EXPECT_EQ(db.scalar("SELECT d.state || '|' || d.consumer FROM hub.delivery d JOIN hub.message m "
                      "ON m.id = d.message_id WHERE d.target = 'queue:billing' "
                      "AND m.idempotency_key LIKE 'interop:%'"),
            "delivered|interop-partner");
  EXPECT_EQ(hub.terminate(), 0) << hub.logs();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hub::interop
