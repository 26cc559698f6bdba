// The SDK face of hub::crypto: what an adapter gets from Context::signers().

#include "hub/crypto/signer_factory.h"

#include <gtest/gtest.h>

#include "crypto_test_support.h"

namespace hub::crypto {
namespace {

using namespace hub::crypto::testing;

TEST(HubSignerFactory, OpensEachKeyOnceAndSignsAndVerifies) {
  HubSignerFactory factory;
  plugin::SignerOptions o;
  o.profile = "gost2012";
  o.key_file = test_keys().gost_key.string();
  o.cert_file = test_keys().gost_cert.string();
  const auto a = factory.open(o);
  const auto b = factory.open(o);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a->profile(), "gost2012");
  const auto signed_xml = a->sign(org_registry_envelope());
  EXPECT_EQ(independent_gost_check(signed_xml, test_keys().gost_pub), "");
  const auto check = factory.verify(signed_xml);
  EXPECT_TRUE(check.ok) << check.error;
  EXPECT_NE(check.signer_subject.find("CN=Тест ГОСТ"), std::string::npos);

  std::string tampered = signed_xml;
  tampered.replace(tampered.find("1027700132197"), 13, "1027700132000");
  EXPECT_FALSE(factory.verify(tampered).ok);

  plugin::SignerOptions missing = o;
  missing.key_file = "/nonexistent.pem";
  try {
    factory.open(missing);
    ADD_FAILURE() << "opened a missing key";
  } catch (const std::runtime_error& e) {  // what an adapter catches: no hub types needed
    EXPECT_NE(std::string(e.what()).find("/nonexistent.pem"), std::string::npos);
  }
}

}  // namespace
}  // namespace hub::crypto
