// Value checks of the registry reader (registry/values.h) that run on every line of a registry.

#include "registry/values.h"

#include <gtest/gtest.h>

#include <string>

namespace hub::bank {
namespace {

// Every position of a line, so that the eight-bytes-at-a-time scan is checked at each offset of
// its words and across their ends.
TEST(HasControlChars, FindsEachKindAtEveryPosition) {
  const std::string line(40, 'a');
  EXPECT_FALSE(has_control_chars(line));
  EXPECT_FALSE(has_control_chars(""));
  EXPECT_FALSE(has_control_chars("8626;0042;20/11/2026;Иванова Мария\tПетровна;100.01"));
  for (const std::string bad : {std::string("\x01"), std::string(1, '\0'), std::string("\n"),
                                std::string("\r"), std::string("\x1f"), std::string("\x7f"),
                                std::string("\xEF\xBF\xBE"), std::string("\xEF\xBF\xBF")}) {
    for (std::size_t at = 0; at + bad.size() <= line.size(); ++at) {
      std::string s = line;
      s.replace(at, bad.size(), bad);
      EXPECT_TRUE(has_control_chars(s))
          << "byte " << static_cast<int>(bad[0] & 0xff) << " at " << at;
    }
  }
  // Tabs, other characters starting with EF, and a cut-off EF BF at the end are fine.
  for (std::size_t at = 0; at < line.size(); ++at) {
    std::string s = line;
    s[at] = '\t';
    EXPECT_FALSE(has_control_chars(s)) << at;
  }
  EXPECT_FALSE(has_control_chars(line + "\xEF\xBC\x81"));  // U+FF01
  EXPECT_FALSE(has_control_chars(line + "\xEF\xBF"));
}

}  // namespace
}  // namespace hub::bank
