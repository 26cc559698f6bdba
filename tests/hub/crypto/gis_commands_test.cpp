// `zhkh-hub gis sign|verify` as a child process: local signing and verification, exit statuses.

#include <gtest/gtest.h>

#include "crypto_test_support.h"

namespace hub::crypto {
namespace {

using namespace hub::crypto::testing;

std::string hub_binary() {
  return quote((hub::testing::bin_dir() / "zhkh-hub").string());
}

TEST(GisCommands, SignThenVerifyRoundTripForBothProfiles) {
  const auto& k = test_keys();
  const auto in = k.dir / "cli-in.xml";
  write_text(in, org_registry_request(2));
  for (const auto& [profile, key, cert] : {std::tuple{"gost2012", k.gost_key, k.gost_cert},
                                           std::tuple{"rsa", k.rsa_key, k.rsa_cert}}) {
    const auto out = k.dir / (std::string("cli-out-") + profile + ".xml");
    int st = 0;
    const auto log = run(hub_binary() + " gis sign --key " + quote(key.string()) + " --cert " +
                             quote(cert.string()) + " --profile " + profile + " " +
                             quote(in.string()) + " " + quote(out.string()) + " 2>&1",
                         &st);
    ASSERT_EQ(st, 0) << log;
    EXPECT_NE(log.find(std::string("signed ") + in.string() + " (" + profile), std::string::npos)
        << log;
    EXPECT_EQ(xsd_errors(read_text(out), org_registry_xsd()), "");
    const auto ok = run(hub_binary() + " gis verify " + quote(out.string()) + " 2>&1", &st);
    EXPECT_EQ(st, 0) << ok;
    EXPECT_NE(ok.find("valid: "), std::string::npos) << ok;
    if (std::string(profile) == "gost2012") {
      EXPECT_EQ(independent_gost_check(read_text(out), k.gost_pub), "");
    }

    auto tampered = read_text(out);
    tampered.replace(tampered.find("1027700132196"), 13, "1027700132100");
    const auto bad = k.dir / "cli-bad.xml";
    write_text(bad, tampered);
    const auto why = run(hub_binary() + " gis verify " + quote(bad.string()) + " 2>&1", &st);
    EXPECT_EQ(st, 1) << why;
    EXPECT_NE(why.find("INVALID: " + bad.string() + ": signature 1"), std::string::npos) << why;
    EXPECT_NE(why.find("Reference 1 (URI '#signed-data-container'): digest mismatch"),
              std::string::npos)
        << why;
  }
}

TEST(GisCommands, Pkcs12WithPasswordFileAndStdout) {
  const auto& k = test_keys();
  const auto in = k.dir / "cli-p12-in.xml";
  write_text(in, org_registry_request());
  int st = 0;
  const auto signed_xml =
      run(hub_binary() + " gis sign --key " + quote(k.gost_p12.string()) + " --password-file " +
              quote(k.password_file.string()) + " " + quote(in.string()) + " - 2>/dev/null",
          &st);
  ASSERT_EQ(st, 0);
  EXPECT_EQ(independent_gost_check(signed_xml, k.gost_pub), "");
}

TEST(GisCommands, UsageAndFailuresHaveDistinctExitStatuses) {
  const auto& k = test_keys();
  int st = 0;
  auto out = run(hub_binary() + " gis sign " + quote(k.gost_key.string()) + " 2>&1", &st);
  EXPECT_EQ(st, 2) << out;
  EXPECT_NE(out.find("--key is required"), std::string::npos) << out;

  const auto unsigned_file = k.dir / "cli-unsigned.xml";
  write_text(unsigned_file, org_registry_request());
  out = run(hub_binary() + " gis verify " + quote(unsigned_file.string()) + " 2>&1", &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("no ds:Signature"), std::string::npos) << out;

  const auto plain = k.dir / "cli-plain.xml";
  write_text(plain, "<a/>");
  out = run(hub_binary() + " gis sign --key " + quote(k.rsa_key.string()) + " --cert " +
                quote(k.rsa_cert.string()) + " " + quote(plain.string()) + " " +
                quote((k.dir / "x.xml").string()) + " 2>&1",
            &st);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("no element with Id=\"signed-data-container\""), std::string::npos) << out;
}

}  // namespace
}  // namespace hub::crypto
