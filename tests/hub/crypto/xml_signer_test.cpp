// XmlSigner and verify_xml_signature against signatures checked by the command-line tools.

#include "hub/crypto/xml_signer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "crypto_test_support.h"
#include "hub/crypto/base64.h"
#include "hub/crypto/crypto_error.h"
#include "hub/crypto/xml_verifier.h"
#include "hub/xml/document.h"

namespace hub::crypto {
namespace {

using namespace hub::crypto::testing;

SigningKeyOptions gost_options() {
  SigningKeyOptions o;
  o.profile = "gost2012";
  o.key_file = test_keys().gost_key.string();
  o.cert_file = test_keys().gost_cert.string();
  return o;
}

SigningKeyOptions rsa_options() {
  SigningKeyOptions o;
  o.profile = "rsa";
  o.key_file = test_keys().rsa_key.string();
  o.cert_file = test_keys().rsa_cert.string();
  return o;
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string between(const std::string& s, const std::string& open, const std::string& close) {
  const auto a = s.find(open);
  if (a == std::string::npos) return {};
  const auto b = s.find(close, a + open.size());
  return b == std::string::npos ? std::string() : s.substr(a + open.size(), b - a - open.size());
}

TEST(GostXades, RequestStillValidatesAgainstTheOfficialXsdAfterSigning) {
  const auto request = org_registry_request(5);
  ASSERT_EQ(xsd_errors(request, org_registry_xsd()), "");
  const auto signed_xml = XmlSigner::open(gost_options())->sign(request);
  EXPECT_EQ(xsd_errors(signed_xml, org_registry_xsd()), "");
}

TEST(GostXades, SignatureIsTheFirstChildWithTheAlgorithmsGisExpects) {
  const auto signed_xml = XmlSigner::open(gost_options())->sign(org_registry_request());
  const auto container_open = between(signed_xml, "<org:exportOrgRegistryRequest", ">");
  ASSERT_FALSE(container_open.empty());
  // nothing between the container's start tag and ds:Signature
  EXPECT_NE(signed_xml.find(container_open + "><ds:Signature "), std::string::npos) << signed_xml;
  EXPECT_NE(signed_xml.find("<ds:CanonicalizationMethod "
                            "Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>"),
            std::string::npos);
  EXPECT_NE(
      signed_xml.find("<ds:SignatureMethod Algorithm=\"urn:ietf:params:xml:ns:cpxmlsec:algorithms:"
                      "gostr34102012-gostr34112012-256\"/>"),
      std::string::npos);
  EXPECT_NE(
      signed_xml.find(
          "URI=\"#signed-data-container\"><ds:Transforms><ds:Transform Algorithm=\"http://"
          "www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://"
          "www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms><ds:DigestMethod Algorithm=\"urn:"
          "ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256\"/>"),
      std::string::npos);
  EXPECT_NE(signed_xml.find("Type=\"http://uri.etsi.org/01903#SignedProperties\""),
            std::string::npos);
  // SignatureValue: 64 bytes for a 256-bit key
  const auto value = between(signed_xml, "-sigvalue\">", "</ds:SignatureValue>");
  EXPECT_EQ(value.size(), 88u) << value;
  // IssuerSerial as GIS clients write it: decimal serial, RFC 2253 order, OIDs for E/INN/OGRN
  EXPECT_NE(signed_xml.find("<ds:X509SerialNumber>1234567890123456789</ds:X509SerialNumber>"),
            std::string::npos);
  EXPECT_EQ(between(signed_xml, "<ds:X509IssuerName>", "</ds:X509IssuerName>"),
            "CN=Тест ГОСТ,O=ООО \\\"Тест\\, Ко\\\",L=Москва,C=RU,1.2.643.100.1=1027700132195,"
            "1.2.643.3.131.1.1=007700000000,1.2.840.113549.1.9.1=pki@example.ru");
  // SigningTime with milliseconds and an offset
  const auto t = between(signed_xml, "<xades:SigningTime>", "</xades:SigningTime>");
  EXPECT_EQ(t.size(), 29u) << t;
}

TEST(GostXades, VerifiesIndependentlyWithXmllintAndOpensslGost) {
  const auto signed_xml = XmlSigner::open(gost_options())->sign(org_registry_request(3));
  EXPECT_EQ(independent_gost_check(signed_xml, test_keys().gost_pub), "");
  const auto r = verify_xml_signature(signed_xml);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.signatures, 1u);
  EXPECT_NE(r.signer_subject.find("CN=Тест ГОСТ"), std::string::npos) << r.signer_subject;
}

TEST(GostXades, InsideASoapEnvelopeVerifiesIndependently) {
  // The adapter signs the whole envelope: C14N 1.0 of SignedInfo includes the envelope's
  // namespaces, and the independent check must agree.
  const auto signed_xml = XmlSigner::open(gost_options())->sign(org_registry_envelope());
  EXPECT_EQ(independent_gost_check(signed_xml, test_keys().gost_pub), "");
  EXPECT_TRUE(verify_xml_signature(signed_xml).ok) << verify_xml_signature(signed_xml).error;
}

TEST(GostXades, A512BitKeyGetsThe512UrisAndVerifiesIndependently) {
  SigningKeyOptions o;
  o.key_file = test_keys().gost512_key.string();
  o.cert_file = test_keys().gost512_cert.string();
  const auto signed_xml = XmlSigner::open(o)->sign(org_registry_request(2));
  EXPECT_NE(signed_xml.find("algorithms:gostr34102012-gostr34112012-512\""), std::string::npos);
  EXPECT_EQ(signed_xml.find("gostr34112012-256"), std::string::npos);
  EXPECT_EQ(independent_gost_check(signed_xml, test_keys().gost512_pub, "md_gost12_512"), "");
  EXPECT_TRUE(verify_xml_signature(signed_xml).ok) << verify_xml_signature(signed_xml).error;
  EXPECT_EQ(xsd_errors(signed_xml, org_registry_xsd()), "");
}

TEST(GostXades, TamperedPayloadFailsNamingTheReference) {
  const auto signed_xml = XmlSigner::open(gost_options())->sign(org_registry_request(2));
  const auto tampered = replace_once(signed_xml, "1027700132196", "1027700132197");
  const auto r = verify_xml_signature(tampered, "tampered.xml");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("Reference 1 (URI '#signed-data-container'): digest mismatch"),
            std::string::npos)
      << r.error;
  EXPECT_NE(independent_gost_check(tampered, test_keys().gost_pub), "");
}

TEST(GostXades, TamperedSignedPropertiesFailNamingTheSecondReference) {
  const auto signed_xml = XmlSigner::open(gost_options())->sign(org_registry_request());
  const auto time = between(signed_xml, "<xades:SigningTime>", "</xades:SigningTime>");
  const auto tampered = replace_once(signed_xml, "<xades:SigningTime>" + time,
                                     "<xades:SigningTime>2020-01-01T00:00:00.000+03:00");
  const auto r = verify_xml_signature(tampered);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("Reference 2 (URI '#xmldsig-"), std::string::npos) << r.error;
}

TEST(GostXades, TamperedSignedInfoOrValueFailsTheSignatureCheck) {
  const auto signed_xml = XmlSigner::open(gost_options())->sign(org_registry_request());
  // a changed Id on the first Reference is covered only by the SignatureValue
  const auto tampered = replace_once(signed_xml, "-ref0\"", "-refX\"");
  auto r = verify_xml_signature(tampered);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("SignatureValue does not verify"), std::string::npos) << r.error;

  // s || r reversed into CryptoPro CSP's raw little-endian form is not a valid XML-DSig value
  const auto value = between(signed_xml, "-sigvalue\">", "</ds:SignatureValue>");
  auto raw = base64_decode(value).value();
  ASSERT_EQ(raw.size(), 64u);
  std::reverse(raw.begin(), raw.end());
  r = verify_xml_signature(replace_once(signed_xml, value, base64_encode(raw)));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("SignatureValue does not verify"), std::string::npos) << r.error;
}

TEST(GostXades, ClearErrorsForDocumentsThatCannotBeSigned) {
  const auto signer = XmlSigner::open(gost_options());
  EXPECT_THROW(signer->sign("<a><b/></a>", "plain.xml"), CryptoError);
  try {
    signer->sign("<a><b/></a>", "plain.xml");
  } catch (const CryptoError& e) {
    EXPECT_NE(std::string(e.what()).find("plain.xml: no element with Id=\"signed-data-container\""),
              std::string::npos)
        << e.what();
  }
  const auto once = signer->sign(org_registry_request());
  try {
    signer->sign(once, "once.xml");
    ADD_FAILURE() << "signed twice";
  } catch (const CryptoError& e) {
    EXPECT_NE(std::string(e.what()).find("already signed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      signer->sign("<a Id=\"signed-data-container\"><b Id=\"signed-data-container\"/></a>"),
      CryptoError);
  EXPECT_THROW(signer->sign("<a Id=\"signed-data-container\">", "broken.xml"), XmlError);
}

TEST(Verification, NoSignatureUnsupportedAlgorithmAndGarbageAreResults) {
  auto r = verify_xml_signature(org_registry_request(), "plain.xml");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("plain.xml: no ds:Signature"), std::string::npos) << r.error;

  const auto signed_xml = XmlSigner::open(gost_options())->sign(org_registry_request());
  const auto weird = replace_once(signed_xml, "gostr34102012-gostr34112012-256",
                                  "gostr34102012-gostr34112012-999");
  r = verify_xml_signature(weird);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(
      r.error.find(
          "unsupported SignatureMethod 'urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-"
          "gostr34112012-999'"),
      std::string::npos)
      << r.error;

  r = verify_xml_signature("<not xml", "junk.xml");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("junk.xml:"), std::string::npos) << r.error;

  // a certificate that is not the signer's: CertDigest or the signature must fail
  const auto other = XmlSigner::open(rsa_options())->sign(org_registry_request());
  const auto cert_gost = between(signed_xml, "<ds:X509Certificate>", "</ds:X509Certificate>");
  const auto cert_rsa = between(other, "<ds:X509Certificate>", "</ds:X509Certificate>");
  r = verify_xml_signature(replace_once(signed_xml, cert_gost, cert_rsa));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("does not match SignatureMethod"), std::string::npos) << r.error;
}

TEST(RsaXmldsig, VerifiesWithXmlsec1AndOurVerifier) {
  const auto signed_xml = XmlSigner::open(rsa_options())->sign(org_registry_request(4));
  EXPECT_EQ(xsd_errors(signed_xml, org_registry_xsd()), "");
  EXPECT_NE(signed_xml.find("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
            std::string::npos);
  EXPECT_NE(signed_xml.find("<xades:SignedProperties"), std::string::npos);
  const auto file = test_keys().dir / "rsa-signed.xml";
  write_text(file, signed_xml);
  int st = 0;
  const auto out = run("xmlsec1 --verify --trusted-pem " + quote(test_keys().rsa_cert.string()) +
                           " --id-attr:Id exportOrgRegistryRequest --id-attr:Id "
                           "http://uri.etsi.org/01903/v1.3.2#:SignedProperties " +
                           quote(file.string()) + " 2>&1",
                       &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
  const auto r = verify_xml_signature(signed_xml);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.signature_method, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");

  const auto tampered = replace_once(signed_xml, "1027700132198", "1027700132199");
  write_text(file, tampered);
  run("xmlsec1 --verify --trusted-pem " + quote(test_keys().rsa_cert.string()) +
          " --id-attr:Id exportOrgRegistryRequest --id-attr:Id "
          "http://uri.etsi.org/01903/v1.3.2#:SignedProperties " +
          quote(file.string()) + " >/dev/null 2>&1",
      &st);
  EXPECT_NE(st, 0);
  EXPECT_NE(verify_xml_signature(tampered).error.find("Reference 1"), std::string::npos);
}

TEST(SigningKeys, Pkcs12EncryptedPemAndPasswordSources) {
  SigningKeyOptions o;
  o.key_file = test_keys().gost_p12.string();
  o.password_file = test_keys().password_file.string();
  auto signer = XmlSigner::open(o);  // profile from the key, certificate from the bundle
  EXPECT_EQ(signer->profile(), Profile::kGost2012);
  EXPECT_TRUE(verify_xml_signature(signer->sign(org_registry_request())).ok);

  o.key_file = test_keys().rsa_p12.string();
  o.password_file.clear();
  o.password = "s3cret";
  signer = XmlSigner::open(o);
  EXPECT_EQ(signer->profile(), Profile::kRsa);
  EXPECT_TRUE(verify_xml_signature(signer->sign(org_registry_request())).ok);

  ::setenv("ZHKH_TEST_KEY_PASSWORD", "s3cret", 1);
  SigningKeyOptions e;
  e.key_file = test_keys().gost_key_encrypted.string();
  e.cert_file = test_keys().gost_cert.string();
  e.password_env = "ZHKH_TEST_KEY_PASSWORD";
  EXPECT_EQ(independent_gost_check(XmlSigner::open(e)->sign(org_registry_request()),
                                   test_keys().gost_pub),
            "");
}

TEST(SigningKeys, WrongPasswordWrongCertificateAndProfileMismatchAreNamed) {
  const auto message = [](const SigningKeyOptions& o) {
    try {
      XmlSigner::open(o);
    } catch (const CryptoError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SigningKeyOptions o;
  o.key_file = test_keys().gost_p12.string();
  o.password = "wrong";
  EXPECT_NE(message(o).find("cannot open the PKCS#12 bundle " + o.key_file), std::string::npos)
      << message(o);

  o = gost_options();
  o.cert_file = test_keys().rsa_cert.string();
  EXPECT_NE(message(o).find("does not belong to the key"), std::string::npos) << message(o);

  o = rsa_options();
  o.profile = "gost2012";
  EXPECT_NE(message(o).find("is an RSA key, but the profile is gost2012"), std::string::npos)
      << message(o);

  o.profile = "dsa";
  EXPECT_NE(message(o).find("unknown signature profile 'dsa'"), std::string::npos);

  o = gost_options();
  o.key_file = test_keys().gost_key_encrypted.string();
  EXPECT_NE(message(o).find("no password given"), std::string::npos) << message(o);

  o.key_file = "/nonexistent/key.pem";
  EXPECT_NE(message(o).find("cannot read the key file /nonexistent/key.pem"), std::string::npos);
}

TEST(XmlSigner, ConcurrentSigningSharesOneKeyForBothProfiles) {
  for (const auto& options : {gost_options(), rsa_options()}) {
    const std::shared_ptr<XmlSigner> signer = XmlSigner::open(options);
    const auto request = org_registry_request(20);
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 25; ++i) {
          if (verify_xml_signature(signer->sign(request)).ok) ++good;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(good.load(), 100) << options.profile;
  }
}

}  // namespace
}  // namespace hub::crypto

namespace hub::crypto {
namespace {

using namespace hub::crypto::testing;

TEST(XmlSigner, SignsAndVerifiesADocumentParsedByTheCaller) {
  auto doc = xml::parse_xml(org_registry_envelope(), "envelope.xml");
  SigningKeyOptions o;
  o.key_file = test_keys().gost_key.string();
  o.cert_file = test_keys().gost_cert.string();
  XmlSigner::open(o)->sign_document(doc.get(), "envelope.xml");
  const auto in_place = verify_xml_signature(doc.get(), "envelope.xml");
  EXPECT_TRUE(in_place.ok) << in_place.error;
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &mem, &size, "UTF-8");
  const std::string text(reinterpret_cast<const char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  EXPECT_EQ(independent_gost_check(text, test_keys().gost_pub), "");
}

}  // namespace
}  // namespace hub::crypto

namespace hub::crypto {
namespace {

using namespace hub::crypto::testing;

// A signature finished entirely by the command-line tools, with the legacy GOST R 34.11-94
// DigestMethod on the SignedProperties reference that some GIS clients send: our verifier must
// accept what another implementation produced, and still refuse it once tampered.
TEST(Verification, AcceptsAThirdPartySignatureWithTheLegacyGost94PropertiesDigest) {
  const auto& k = test_keys();
  auto xml = XmlSigner::open(gost_options())->sign(org_registry_request(2));
  const auto sig_id =
      between(xml, "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"", "\"");
  ASSERT_FALSE(sig_id.empty());
  const std::string props_ref = "URI=\"#" + sig_id + "-signedprops\"><ds:DigestMethod Algorithm=\"";
  xml = replace_once(xml,
                     props_ref + "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256\"",
                     props_ref + "http://www.w3.org/2001/04/xmldsig-more#gostr3411\"");

  const auto dir = hub::testing::make_temp_dir("zhkh-crypto-legacy");
  const std::string d = quote(dir.string()) + "/";
  write_text(dir / "extract.xsl", kExtractXsl);
  write_text(dir / "doc.xml", xml);
  int st = 0;
  const auto props_digest =
      run("xsltproc --stringparam id " + quote(sig_id + "-signedprops") +
              " --stringparam what element " + d + "extract.xsl " + d +
              "doc.xml | xmllint --c14n - | openssl dgst -engine gost -md_gost94 -binary "
              "2>/dev/null | base64 -w0",
          &st);
  ASSERT_EQ(st, 0);
  const auto old_props_digest =
      between(xml.substr(xml.find(props_ref)), "<ds:DigestValue>", "</ds:DigestValue>");
  xml = replace_once(xml, "<ds:DigestValue>" + old_props_digest, "<ds:DigestValue>" + props_digest);
  write_text(dir / "doc.xml", xml);
  const auto value =
      run("xsltproc --stringparam what signedinfo " + d + "extract.xsl " + d +
              "doc.xml | xmllint --c14n - | openssl dgst -engine gost -md_gost12_256 -sign " +
              quote(k.gost_key.string()) + " -binary 2>/dev/null | base64 -w0",
          &st);
  ASSERT_EQ(st, 0);
  const auto old_value = between(xml, "-sigvalue\">", "</ds:SignatureValue>");
  xml = replace_once(xml, old_value, value);

  const auto r = verify_xml_signature(xml, "third-party.xml");
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(verify_xml_signature(replace_once(xml, "1027700132196", "1027700132197")).ok);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hub::crypto
