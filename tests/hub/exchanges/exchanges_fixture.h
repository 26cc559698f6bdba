#pragma once
// A real AdminServer (tests/hub/api/admin_fixture.h: fresh database, admin/operator/viewer
// tokens) with the exchange-log and GIS report routes, exchange rows logged through the store
// access the adapters get (PgStoreAccess::log_exchange, in the order the GIS adapter's exchange
// engine logs them), and the CLI run in-process against the server.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "../api/admin_fixture.h"
#include "hub/cli/cli.h"
#include "hub/exchanges/exchange_routes.h"
#include "hub/exchanges/gis_report_routes.h"
#include "hub/plugin_host/store_access.h"

namespace hub::exchanges::testing {

namespace fs = std::filesystem;

/// A SOAP envelope standing in for a signed request or an answer (the log keeps what went over
/// the wire, byte for byte).
inline std::string soap(const std::string& element, const std::string& guid) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope "
         "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/"
         "\"><soapenv:Header><MessageGUID>" +
         guid + "</MessageGUID></soapenv:Header><soapenv:Body><" + element + "/></soapenv:Body>" +
         "</soapenv:Envelope>";
}

class ExchangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin.server->add_routes(exchange_routes(admin.pool()));
    admin.server->add_routes(gis_report_routes(admin.pool()));
    admin.server->start();
    dir = fs::temp_directory_path() / ("zhkh-exchanges-" + admin.db.name());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  /// One request as the exchange engine logs it: the signed request, the AckRequest, then
  /// `polls` getState calls and answers (all under our MessageGUID).
  void log_request(const std::string& operation, const std::string& guid, int polls = 1) {
    log.log_exchange(operation, "out", guid, "request", soap(operation + "Request", guid));
    log.log_exchange(operation, "in", guid, "ack", soap("AckRequest", guid));
    for (int i = 0; i < polls; ++i) {
      log.log_exchange("getState", "out", guid, operation, soap("getStateRequest", guid));
      log.log_exchange("getState", "in", guid, "state",
                       soap("getStateResult", guid + "-" + std::to_string(i)));
    }
  }

  int run(std::vector<std::string> args, std::string& out, const std::string& token = "") {
    args.push_back("--url=" + admin.server->base_url());
    args.push_back("--token");
    args.push_back(token.empty() ? admin.viewer : token);
    std::ostringstream o, e;
    const int code = hub::cli::run_cli(args, o, e);
    out = o.str() + e.str();
    last_stdout = o.str();
    return code;
  }

  /// The files in `dir`, sorted by name.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  api::testsupport::AdminFixture admin{{}, true, false};
  plugin_host::PgStoreAccess log{admin.pool(), "gis"};
  fs::path dir;
  std::string last_stdout;
};

}  // namespace hub::exchanges::testing
