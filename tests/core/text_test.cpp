#include <random>

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

// is_lower_ascii reads eight bytes at a time: check every position of an upper-case or
// non-ASCII byte in long and short words, and the neighbours of 'A'..'Z'.
TEST(IsLowerAscii, EveryPositionAndBoundary) {
  EXPECT_TRUE(is_lower_ascii(""));
  EXPECT_TRUE(is_lower_ascii("@[`{ ~0129az_-.'"));  // around 'A'..'Z' and 'a'..'z'
  const std::string lower = "abcdefghijklmnopqrstuvwxyz0123";
  for (std::size_t n = 0; n <= lower.size(); ++n) {
    const std::string word = lower.substr(0, n);
    EXPECT_TRUE(is_lower_ascii(word)) << word;
    for (std::size_t i = 0; i < n; ++i) {
      for (const char bad : {'A', 'M', 'Z', '\x80', '\xC3', '\xFF'}) {
        std::string w = word;
        w[i] = bad;
        EXPECT_FALSE(is_lower_ascii(w)) << w << " at " << i;
      }
    }
  }
}

// find_byte_of works on sixteen, then eight bytes at a time; compare with a byte loop on
// random text drawn from a small alphabet (so that stops, zero bytes and their neighbours 0x01
// and 0x80 are frequent), and on long text where they are rare (matches deep in a string), at
// every length and offset.
TEST(FindByteOf, AgreesWithAByteLoop) {
  std::mt19937 rng(7);
  const std::string alphabet("ab,\n\r\0\x01\x80\xFF\x2B\x2D'\"\\", 15);
  for (int round = 0; round < 4000; ++round) {
    const bool sparse = round % 2 == 1;
    std::string s(rng() % (sparse ? 120 : 40), ' ');
    for (auto& c : s)
      c = sparse && rng() % 40 != 0 ? 'a' : alphabet[rng() % alphabet.size()];
    const char* b = s.data();
    const char* e = b + s.size();
    const auto naive = [&](std::string_view stops) {
      const char* p = b;
      while (p < e && stops.find(*p) == std::string_view::npos)
        ++p;
      return p;
    };
    EXPECT_EQ(find_byte_of(b, e, ',', '\n', '\r'), naive(",\n\r"));
    EXPECT_EQ(find_byte_of(b, e, '\'', '\\', '\n', '\r', '\0'),
              naive(std::string_view("'\\\n\r\0", 5)));
    EXPECT_EQ(find_byte_of(b, e, '\x01'), naive("\x01"));
    EXPECT_EQ(find_byte_of(b, e, '\x80', '\xFF'), naive("\x80\xFF"));
  }
}

TEST(Split, KeepsEmptyPieces) {
  const auto parts = split("a,,b,", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[3], "");
}

}  // namespace
}  // namespace emosweep::text
