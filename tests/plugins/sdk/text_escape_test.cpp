// The SDK's XML escaping, which plugins and the hub use for every body they write by hand: what
// is escaped in element content and in attributes, and that everything else is copied as it is.

#include "hub/plugin/text_escape.h"

#include <gtest/gtest.h>

namespace hub::plugin {
namespace {

TEST(XmlEscape, ContentEscapesMarkupCarriageReturnsAndControls) {
  EXPECT_EQ(xml_escaped("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d\"e'f");
  EXPECT_EQ(xml_escaped("line\nnext\ttab\rcr"), "line\nnext\ttab&#13;cr");
  EXPECT_EQ(xml_escaped(std::string("\x01x\x1fy\x7f", 5)), "?x?y\x7f");
  EXPECT_EQ(xml_escaped("Иванова Мария — «ООО»"), "Иванова Мария — «ООО»");
  EXPECT_EQ(xml_escaped(""), "");
}

TEST(XmlEscape, AttributesAlsoEscapeQuotesNewlinesAndTabs) {
  EXPECT_EQ(xml_escaped("a&b<c>d\"e'f", true), "a&amp;b&lt;c&gt;d&quot;e'f");
  EXPECT_EQ(xml_escaped("line\nnext\ttab\rcr", true), "line&#10;next&#9;tab&#13;cr");
  EXPECT_EQ(xml_escaped(std::string("\x01x", 2), true), "?x");
}

TEST(XmlEscape, AppendsAfterWhatIsThere) {
  std::string out = "<c:name>";
  append_xml_escaped(out, "A & B");
  EXPECT_EQ(out, "<c:name>A &amp; B");
}

}  // namespace
}  // namespace hub::plugin
