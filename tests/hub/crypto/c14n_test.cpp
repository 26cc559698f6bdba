// Canonical forms checked against xmllint (libxml2's own c14n, through the command line), for the
// constructs our own exclusive writer handles: namespace declarations visibly utilized or not,
// redeclared prefixes, default namespaces and their undeclaration, attribute order and escaping,
// text escaping, CDATA, comments, Cyrillic text; for whole documents and for an element in place
// (its ancestors' namespaces in scope), with and without an excluded subtree.

#include "hub/crypto/c14n.h"

#include <gtest/gtest.h>

#include "crypto_test_support.h"
#include "hub/xml/document.h"

namespace hub::crypto {
namespace {

using namespace hub::crypto::testing;

const std::string kEdgeCases =
    "<r:root xmlns:r=\"urn:r\" xmlns:unused=\"urn:unused\" xmlns=\"urn:default\" b=\"2\" "
    "a=\"1&amp;&lt;&quot;&#9;&#10;&#13;x&gt;'\" r:z=\"3\" xml:lang=\"ru\">\n"
    "  <child>text &amp; &lt; &gt; &#13; \"quotes\" 'apos' Кириллица</child>\n"
    "  <r:x xmlns:r=\"urn:other\" r:attr=\"v\"><r:in/></r:x>\n"
    "  <plain xmlns=\"\"><deeper a=\"1\"><again xmlns=\"urn:default\"/></deeper></plain>\n"
    "  <!-- a comment -->\n"
    "  <![CDATA[cdata <&> ]]> text\n"
    "  <q:y xmlns:q=\"urn:q\" xmlns:p=\"urn:p\" p:b=\"1\" q:a=\"2\" c=\"3\" xmlns:a=\"urn:a\" "
    "a:c=\"4\"/>\n"
    "  <r:same xmlns:r=\"urn:r\"/>\n"
    "  <w Id=\"inner\" r:k=\"1\"><drop Id=\"cut\"><r:gone/></drop><keep>k</keep></w>\n"
    "</r:root>";

// xmllint canonicalizes with comments; the signatures' c14n is without: the comments go first.
std::string reference(std::string xml, const std::string& id) {
  for (auto at = xml.find("<!--"); at != std::string::npos; at = xml.find("<!--"))
    xml.erase(at, xml.find("-->", at) + 3 - at);
  const auto dir = hub::testing::make_temp_dir("zhkh-c14n");
  const std::string d = quote(dir.string()) + "/";
  write_text(dir / "doc.xml", xml);
  write_text(dir / "extract.xsl", kExtractXsl);
  std::string out;
  if (id.empty()) {
    out = run("xmllint --exc-c14n " + d + "doc.xml");
  } else {
    out = run("xsltproc --stringparam id " + id + " --stringparam what element " + d +
              "extract.xsl " + d + "doc.xml > " + d + "part.xml && xmllint --exc-c14n " + d +
              "part.xml");
  }
  std::filesystem::remove_all(dir);
  return out;
}

xmlNodePtr by_id(xmlNodePtr n, const std::string& id) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    xmlChar* v = xmlGetProp(n, BAD_CAST "Id");
    const bool hit = v && id == reinterpret_cast<const char*>(v);
    xmlFree(v);
    if (hit) return n;
    if (xmlNodePtr c = by_id(n->children, id)) return c;
  }
  return nullptr;
}

TEST(Canonicalization, ExclusiveMatchesXmllintForWholeDocumentsAndElementsInPlace) {
  for (const std::string& xml : {kEdgeCases, org_registry_envelope()}) {
    auto doc = xml::parse_xml(xml, "doc.xml");
    EXPECT_EQ(canonicalize(doc.root(), C14nMode::kExclusive), reference(xml, ""));
  }
  auto doc = xml::parse_xml(kEdgeCases, "doc.xml");
  xmlNodePtr inner = by_id(doc.root(), "inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(canonicalize(inner, C14nMode::kExclusive), reference(kEdgeCases, "inner"));
  // The excluded subtree (an enveloped signature's place) is left out.
  const auto without = canonicalize(inner, C14nMode::kExclusive, by_id(inner, "cut"));
  EXPECT_EQ(without,
            "<w xmlns=\"urn:default\" xmlns:r=\"urn:r\" Id=\"inner\" r:k=\"1\"><keep>k</keep></w>");

  auto env = xml::parse_xml(org_registry_envelope(), "env.xml");
  xmlNodePtr container = by_id(env.root(), "signed-data-container");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(canonicalize(container, C14nMode::kExclusive),
            reference(org_registry_envelope(), "signed-data-container"));
}

TEST(Canonicalization, InclusiveKeepsTheNamespacesInScope) {
  auto doc = xml::parse_xml(kEdgeCases, "doc.xml");
  xmlNodePtr inner = by_id(doc.root(), "inner");
  const auto c14n = canonicalize(inner, C14nMode::kInclusive);
  EXPECT_EQ(c14n.rfind("<w xmlns=\"urn:default\" xmlns:r=\"urn:r\" xmlns:unused=\"urn:unused\"", 0),
            0u)
      << c14n;
}

}  // namespace
}  // namespace hub::crypto
