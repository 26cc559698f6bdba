#pragma once
// Shared by the crypto tests: test keys made with the openssl command line, a request document
// that validates against the official GIS ZhKH XSD, and the independent check of a signature
// with xsltproc + xmllint + openssl (nothing of hub::crypto is used for the check).

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_paths.h"

namespace hub::crypto::testing {

/// Runs `command` with /bin/sh; returns its stdout and sets `status` to the exit status.
inline std::string run(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) {
    if (status) *status = -1;
    return out;
  }
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int rc = ::pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

/// Single-quoted for the shell.
inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

/// Keys and self-signed certificates made once per test process with the openssl command line:
/// GOST R 34.10-2012 (256, paramset A) with a Cyrillic issuer carrying E/INN/OGRN, and RSA 2048;
/// also an encrypted PEM key and PKCS#12 bundles (password "s3cret").
struct TestKeys {
  std::filesystem::path dir;
  std::filesystem::path gost_key, gost_cert, gost_pub, gost_p12, gost_key_encrypted;
  std::filesystem::path gost512_key, gost512_cert, gost512_pub;
  std::filesystem::path rsa_key, rsa_cert, rsa_p12;
  std::filesystem::path password_file;  ///< contains "s3cret\n"
};

inline const TestKeys& test_keys() {
  static const TestKeys keys = [] {
    TestKeys k;
    k.dir = hub::testing::make_temp_dir("zhkh-crypto");
    const auto p = [&](const char* f) { return k.dir / f; };
    k.gost_key = p("gost.key.pem");
    k.gost_cert = p("gost.cert.pem");
    k.gost_pub = p("gost.pub.pem");
    k.gost_p12 = p("gost.p12");
    k.gost_key_encrypted = p("gost.key.enc.pem");
    k.gost512_key = p("gost512.key.pem");
    k.gost512_cert = p("gost512.cert.pem");
    k.gost512_pub = p("gost512.pub.pem");
    k.rsa_key = p("rsa.key.pem");
    k.rsa_cert = p("rsa.cert.pem");
    k.rsa_p12 = p("rsa.p12");
    k.password_file = p("password.txt");
    write_text(k.password_file, "s3cret\n");
    const std::string d = quote(k.dir.string()) + "/";
    const std::string script =
        "set -e; cd " + d + "; " +
        "openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt paramset:A -out "
        "gost.key.pem; "
        "openssl req -engine gost -x509 -new -key gost.key.pem -md_gost12_256 -utf8 -days 30 "
        "-set_serial 1234567890123456789 "
        "-subj '/emailAddress=pki@example.ru/INN=007700000000/OGRN=1027700132195/C=RU/L=Москва/"
        "O=ООО \"Тест, Ко\"/CN=Тест ГОСТ' -out gost.cert.pem; "
        "openssl x509 -engine gost -in gost.cert.pem -pubkey -noout > gost.pub.pem; "
        "openssl pkcs8 -engine gost -topk8 -in gost.key.pem -v2 aes-256-cbc -passout pass:s3cret "
        "-out gost.key.enc.pem; "
        "openssl pkcs12 -engine gost -export -inkey gost.key.pem -in gost.cert.pem -keypbe "
        "AES-256-CBC "
        "-certpbe AES-256-CBC -macalg sha256 -passout pass:s3cret -out gost.p12; "
        "openssl genpkey -engine gost -algorithm gost2012_512 -pkeyopt paramset:A -out "
        "gost512.key.pem; "
        "openssl req -engine gost -x509 -new -key gost512.key.pem -md_gost12_512 -days 30 "
        "-subj '/C=RU/O=Test/CN=gost512' -out gost512.cert.pem; "
        "openssl x509 -engine gost -in gost512.cert.pem -pubkey -noout > gost512.pub.pem; "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key.pem -sha256 -days 30 "
        "-subj '/C=RU/O=Test RSA/CN=rsa.example' -out rsa.cert.pem; "
        "openssl pkcs12 -export -inkey rsa.key.pem -in rsa.cert.pem -passout pass:s3cret -out "
        "rsa.p12";
    int status = 0;
    run("(" + script + ") >" + d + "keys.log 2>&1", &status);
    if (status != 0) ADD_FAILURE() << "making test keys failed:\n" << read_text(k.dir / "keys.log");
    return k;
  }();
  // Removed when the test process exits (a failed key generation leaves keys.log for a look).
  static const struct Cleanup {
    ~Cleanup() {
      if (!::testing::Test::HasFailure()) std::filesystem::remove_all(keys.dir);
    }
  } cleanup;
  return keys;
}

/// An exportOrgRegistryRequest (Id="signed-data-container") with `criteria` search criteria
/// (at most 100); valid against organizations-registry-common of the official 16.3.0.0 package.
inline std::string org_registry_request(int criteria = 1) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<org:exportOrgRegistryRequest "
      "xmlns:org=\"http://dom.gosuslugi.ru/schema/integration/organizations-registry-common/\" "
      "xmlns:base=\"http://dom.gosuslugi.ru/schema/integration/base/\" "
      "xmlns:ob=\"http://dom.gosuslugi.ru/schema/integration/organizations-base/\" "
      "Id=\"signed-data-container\" base:version=\"10.0.2.1\">\n";
  for (int i = 0; i < criteria; ++i) {
    char ogrn[32];  // room for any int: the compiler cannot know `criteria` stays small
    std::snprintf(ogrn, sizeof ogrn, "1027700%06d", 132195 + i);
    x += "  <org:SearchCriteria>\n    <ob:OGRN>" + std::string(ogrn) +
         "</ob:OGRN>\n  </org:SearchCriteria>\n";
  }
  return x + "</org:exportOrgRegistryRequest>\n";
}

/// The same request as the Body of a SOAP 1.1 envelope with a base:ISRequestHeader, as the
/// adapter sends it (the namespaces of the envelope are in scope of the signature).
inline std::string org_registry_envelope() {
  std::string body = org_registry_request(3);
  body.erase(0, body.find("?>") + 3);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:base=\"http://dom.gosuslugi.ru/schema/integration/base/\">"
         "<soapenv:Header><base:ISRequestHeader><base:Date>2026-12-01T10:00:00.000+03:00</"
         "base:Date>"
         "<base:MessageGUID>0b0f2a9c-6a3e-4c1b-9f0e-2d4b8c7a1e55</base:MessageGUID>"
         "</base:ISRequestHeader></soapenv:Header><soapenv:Body>" +
         body + "</soapenv:Body></soapenv:Envelope>\n";
}

inline std::filesystem::path org_registry_xsd() {
  return hub::testing::shared_dir() /
         "schemas/gis_zhkh/16.3.0.0/organizations-registry-common/"
         "hcs-organizations-registry-common-types.xsd";
}

/// xmllint --schema; "" when valid, else xmllint's complaint.
inline std::string xsd_errors(const std::string& xml, const std::filesystem::path& xsd) {
  const auto f = test_keys().dir / "validate.xml";
  write_text(f, xml);
  int status = 0;
  const auto out = run(
      "xmllint --noout --nonet --schema " + quote(xsd.string()) + " " + quote(f.string()) + " 2>&1",
      &status);
  return status == 0 ? std::string() : out;
}

/// Extracts, with xsltproc only: the element with Id=$id without its enveloped ds:Signature
/// (what="container"), the element with Id=$id as is (what="element"), or ds:SignedInfo. The
/// copies carry the namespaces in scope, so the canonical form of the copy is that of the
/// subset in place.
inline const char* kExtractXsl = R"xsl(<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <xsl:param name="id"/>
  <xsl:param name="what"/>
  <xsl:template match="/">
    <xsl:choose>
      <xsl:when test="$what = 'container'"><xsl:apply-templates select="//*[@Id = $id]"/></xsl:when>
      <xsl:when test="$what = 'element'"><xsl:copy-of select="//*[@Id = $id]"/></xsl:when>
      <xsl:otherwise><xsl:copy-of select="//ds:SignedInfo"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <xsl:template match="*">
    <xsl:if test="not(self::ds:Signature and ../@Id = $id)">
      <xsl:copy><xsl:copy-of select="namespace::*"/><xsl:apply-templates select="@*|node()"/></xsl:copy>
    </xsl:if>
  </xsl:template>
  <xsl:template match="@*|text()|comment()|processing-instruction()"><xsl:copy/></xsl:template>
</xsl:stylesheet>
)xsl";

/// The GOST check with command-line tools only (see the header comment).
inline std::string independent_gost_check(const std::string& signed_xml,
                                          const std::filesystem::path& pub_pem,
                                          const std::string& md = "md_gost12_256") {
  const auto dir = hub::testing::make_temp_dir("zhkh-crypto-check");
  const struct RemoveDir {
    std::filesystem::path path;
    ~RemoveDir() { std::filesystem::remove_all(path); }
  } remove_dir{dir};
  const std::string d = quote(dir.string()) + "/";
  write_text(dir / "signed.xml", signed_xml);
  write_text(dir / "extract.xsl", kExtractXsl);
  const auto xpath = [&](const std::string& expr) {
    return run("xmllint --xpath " + quote("string(" + expr + ")") + " " + d +
               "signed.xml 2>/dev/null");
  };
  const auto b64 = [&](const std::string& file) {
    auto s = run("base64 -w0 " + d + file);
    return s;
  };
  const auto strip = [](std::string s) {
    std::string o;
    for (char c : s)
      if (c != '\n' && c != '\r' && c != ' ') o += c;
    return o;
  };
  const std::string ds = "*[local-name()='";
  const std::string sig_id = strip(xpath("//" + ds + "Signature']/@Id"));
  if (sig_id.empty()) return "no ds:Signature with an Id";
  int st = 0;
  std::string problems;

  // 1. the container: enveloped-signature + exc-c14n, GOST R 34.11-2012 (256)
  run("xsltproc --stringparam id signed-data-container --stringparam what container " + d +
          "extract.xsl " + d + "signed.xml > " + d + "container.xml && xmllint --exc-c14n " + d +
          "container.xml > " + d + "container.c14n && openssl dgst -engine gost -" + md +
          " -binary -out " + d + "container.dgst " + d + "container.c14n 2>/dev/null",
      &st);
  if (st != 0) return "extracting/canonicalizing/digesting the container failed";
  const auto d1 = strip(xpath("//" + ds + "Reference'][1]/" + ds + "DigestValue']"));
  if (d1 != b64("container.dgst"))
    problems += "container digest differs (" + d1 + " vs " + b64("container.dgst") + "); ";

  // 2. SignedProperties: no transforms, i.e. C14N 1.0
  run("xsltproc --stringparam id " + quote(sig_id + "-signedprops") +
          " --stringparam what element " + d + "extract.xsl " + d + "signed.xml > " + d +
          "props.xml && xmllint --c14n " + d + "props.xml > " + d +
          "props.c14n && openssl dgst -engine gost -" + md + " -binary -out " + d + "props.dgst " +
          d + "props.c14n 2>/dev/null",
      &st);
  if (st != 0) return "extracting/canonicalizing/digesting SignedProperties failed";
  const auto d2 = strip(xpath("//" + ds + "Reference'][2]/" + ds + "DigestValue']"));
  if (d2 != b64("props.dgst")) problems += "SignedProperties digest differs; ";

  // 3. CertDigest over the DER certificate in KeyInfo
  write_text(dir / "cert.b64", strip(xpath("//" + ds + "X509Certificate']")));
  run("base64 -d " + d + "cert.b64 > " + d + "cert.der && openssl dgst -engine gost -" + md +
          " -binary -out " + d + "cert.dgst " + d + "cert.der 2>/dev/null",
      &st);
  const auto d3 = strip(xpath("//" + ds + "CertDigest']/" + ds + "DigestValue']"));
  if (st != 0 || d3 != b64("cert.dgst")) problems += "CertDigest differs; ";
  const auto pub_from_cert =
      run("openssl x509 -engine gost -inform DER -in " + d + "cert.der -pubkey -noout 2>/dev/null");
  if (pub_from_cert != read_text(pub_pem))
    problems += "the embedded certificate is not the test certificate; ";

  // 4. SignatureValue over C14N 1.0 of SignedInfo, as produced by OpenSSL (s || r)
  write_text(dir / "sig.b64", strip(xpath("//" + ds + "SignatureValue']")));
  run("base64 -d " + d + "sig.b64 > " + d + "sig.bin && xsltproc --stringparam what signedinfo " +
          d + "extract.xsl " + d + "signed.xml > " + d + "si.xml && xmllint --c14n " + d +
          "si.xml > " + d + "si.c14n",
      &st);
  if (st != 0) return "extracting/canonicalizing SignedInfo failed";
  const auto verified =
      run("openssl dgst -engine gost -" + md + " -verify " + quote(pub_pem.string()) +
              " -signature " + d + "sig.bin " + d + "si.c14n 2>&1",
          &st);
  if (st != 0 || verified.find("Verified OK") == std::string::npos) {
    problems += "openssl does not verify SignatureValue: " + verified;
  }
  return problems;
}

}  // namespace hub::crypto::testing
