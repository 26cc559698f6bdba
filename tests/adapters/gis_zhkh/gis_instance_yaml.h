#pragma once
// The `gis` adapter instance the tests through the emulator configure: GOST-signed requests to
// the emulator, a 50 ms poll cadence, 10 s timeouts. Each test adds its own keys.

#include <string>

#include "../../hub/crypto/crypto_test_support.h"
#include "emulator_process.h"

namespace hub::testing {

/// "  gis: {...}\n" for an `adapters:` section; `extra` (", key: value, ...") goes inside the
/// mapping.
inline std::string gis_instance_yaml(const EmulatorProcess& emu, const std::string& extra = "") {
  const auto& k = crypto::testing::test_keys();
  return "  gis: {plugin: gis_zhkh, endpoint: \"" + emu.url() +
         "\", org_ppa_guid: \"6f8c1a2e-3b4d-4e5f-8a7b-9c0d1e2f3a4b\", poll_schedule: [50ms],"
         " poll_interval: 50ms, send_timeout: 10s, poll_timeout: 10s, signing_key: " +
         k.gost_key.string() + ", signing_cert: " + k.gost_cert.string() + extra + "}\n";
}

}  // namespace hub::testing
