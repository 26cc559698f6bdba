// The SDK face of hub::crypto: what an adapter gets from Context::signers().

#include "hub/crypto/signer_factory.h"

#include <gtest/gtest.h>

#include "crypto_test_support.h"
#include "hub/xml/document.h"

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

// What the GIS adapter does with the document it has parsed (and validated): signed in place,
// serialized as sign() serializes the text.
TEST(HubSignerFactory, SignsADocumentTheAdapterHasParsed) {
  HubSignerFactory factory;
  plugin::SignerOptions o;
  o.key_file = test_keys().gost_key.string();
  o.cert_file = test_keys().gost_cert.string();
  const auto signer = factory.open(o);
  auto doc = xml::parse_xml(org_registry_envelope(), "envelope");
  const auto signed_xml = signer->sign_document(doc.get());
  EXPECT_EQ(signed_xml.rfind("<?xml", 0), 0u);
  EXPECT_NE(signed_xml.find("SignatureValue"), std::string::npos);
  EXPECT_EQ(independent_gost_check(signed_xml, test_keys().gost_pub), "");
  EXPECT_TRUE(factory.verify(signed_xml).ok) << factory.verify(signed_xml).error;
  // The signature went into the caller's tree: signing it again is refused like signing twice.
  EXPECT_THROW(signer->sign_document(doc.get()), std::runtime_error);

  // With the text it was parsed from, the signature's text goes into that text; where the place
  // is not certain (the Id's value twice in the text) the tree is serialized: both verify.
  std::string text = org_registry_envelope();  // as the adapter builds it: no XML declaration
  text.erase(0, text.find("?>") + 3);
  // Single quotes, which a serializer would not keep: the output shows it is the text spliced.
  const std::string soap_ns = "\"http://schemas.xmlsoap.org/soap/envelope/\"";
  text.replace(text.find(soap_ns), soap_ns.size(), "'http://schemas.xmlsoap.org/soap/envelope/'");
  const std::string twice = text + "<!-- signed-data-container -->";
  for (const auto& t : {text, twice}) {
    auto parsed = xml::parse_xml(t, "envelope");
    const auto out = signer->sign_document(parsed.get(), t);
    EXPECT_EQ(out.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
    EXPECT_EQ(independent_gost_check(out, test_keys().gost_pub), "");
    EXPECT_TRUE(factory.verify(out).ok) << factory.verify(out).error;
  }
  auto parsed = xml::parse_xml(text, "envelope");
  const auto spliced = signer->sign_document(parsed.get(), text);
  // Everything around the signature is the text as given.
  const auto sig_at = spliced.find("<ds:Signature");
  ASSERT_NE(sig_at, std::string::npos);
  const auto decl_end = spliced.find("?>\n") + 3;
  EXPECT_EQ(spliced.substr(decl_end, sig_at - decl_end), text.substr(0, sig_at - decl_end));
  const auto sig_end = spliced.find("</ds:Signature>") + 15;
  EXPECT_EQ(spliced.substr(sig_end), text.substr(sig_at - decl_end));
}

}  // namespace
}  // namespace hub::crypto
