#include <gtest/gtest.h>

#include "core/text.hpp"

namespace emosweep::text {
namespace {

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_EQ(first_invalid_utf8("ab\xFF"
                               "cd"),
            2u);
}

TEST(Utf8, RepairReplacesMaximalSubparts) {
  EXPECT_EQ(repair_utf8("a\xFF"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  // E2 82 is a truncated 3-byte sequence: one replacement for the maximal subpart.
  EXPECT_EQ(repair_utf8("\xE2\x82z"), "\xEF\xBF\xBDz");
  EXPECT_EQ(repair_utf8("ok \xF0\x9F\x98\x80"), "ok \xF0\x9F\x98\x80");
}

TEST(PythonStrip, UnicodeWhitespaceAsPython) {
  EXPECT_EQ(python_strip("  sad \n\t"), "sad");
  EXPECT_EQ(python_strip("\xC2\xA0sad\xE3\x80\x80"), "sad");  // NBSP and ideographic space
  EXPECT_EQ(python_strip("\x1csad\x1f"), "sad");
  EXPECT_EQ(python_strip("   "), "");
  EXPECT_EQ(python_strip("a b"), "a b");
}

TEST(PythonLower, AsciiAndUnicode) {
  EXPECT_EQ(python_lower("HaPPy"), "happy");
  EXPECT_EQ(python_lower("\xC3\x89MU"), "\xC3\xA9mu");  // ÉMU -> ému
  EXPECT_EQ(python_lower("\xD0\x93\xD0\x9D\xD0\x95\xD0\x92"),
            "\xD0\xB3\xD0\xBD\xD0\xB5\xD0\xB2");     // ГНЕВ
  EXPECT_EQ(python_lower("\xC4\xB0"), "i\xCC\x87");  // İ
}

TEST(Split, KeepsEmptyPieces) {
  const auto parts = split("a,,b,", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[3], "");
}

}  // namespace
}  // namespace emosweep::text
