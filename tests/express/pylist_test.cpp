#include <gtest/gtest.h>

#include "express/pylist.hpp"

namespace emosweep::express {
namespace {

std::vector<std::string> ok(std::string_view text) {
  std::vector<std::string> items;
  std::string error;
  EXPECT_TRUE(parse_python_list(text, items, &error)) << text << ": " << error;
  return items;
}

bool fails(std::string_view text) {
  std::vector<std::string> items{"stale"};
  const bool parsed = parse_python_list(text, items);
  EXPECT_TRUE(parsed || items.empty()) << "items must be cleared on failure";
  return !parsed;
}

using V = std::vector<std::string>;

TEST(PythonList, QuotesAndWhitespace) {
  EXPECT_EQ(ok("['comfortable', 'admired', 'afraid']"), (V{"comfortable", "admired", "afraid"}));
  EXPECT_EQ(ok("[\"sad\",\"happy\"]"), (V{"sad", "happy"}));
  EXPECT_EQ(ok("[\n  'a',\n\t'b'\n]"), (V{"a", "b"}));
  EXPECT_EQ(ok("['a', 'b',]"), (V{"a", "b"}));
  EXPECT_EQ(ok("[]"), V{});
  EXPECT_EQ(ok("  ['a']  \n"), V{"a"});
  EXPECT_EQ(ok("[' spaced ']"), V{" spaced "});
}

TEST(PythonList, Escapes) {
  EXPECT_EQ(ok(R"(['it\'s', "say \"hi\""])"), (V{"it's", "say \"hi\""}));
  EXPECT_EQ(ok(R"(['a\\b', 'tab\tx', 'nl\n'])"), (V{"a\\b", "tab\tx", "nl\n"}));
  EXPECT_EQ(ok(R"(['\x41\u00e9\U0001F600'])"), V{"A\xC3\xA9\xF0\x9F\x98\x80"});
  EXPECT_EQ(ok(R"(['\101\7'])"), V{"A\a"});
  EXPECT_EQ(ok(R"(['\d'])"), V{"\\d"});  // unknown escapes keep the backslash
  EXPECT_EQ(ok("['a\\\nb']"), V{"ab"});  // backslash-newline continues the line
  EXPECT_EQ(ok(R"([r'\n'])"), V{"\\n"});
  EXPECT_EQ(ok(R"([u'x', U"y"])"), (V{"x", "y"}));
  EXPECT_EQ(ok("['''tri'ple''', \"\"\"x\ny\"\"\"]"), (V{"tri'ple", "x\ny"}));
  EXPECT_EQ(ok("['a' 'b', 'c']"), (V{"ab", "c"}));  // implicit concatenation
  EXPECT_EQ(ok("['a', # a comment\n 'b']"), (V{"a", "b"}));
}

TEST(PythonList, Failures) {
  EXPECT_TRUE(fails("['a'"));
  EXPECT_TRUE(fails("'a']"));
  EXPECT_TRUE(fails("['a']]"));
  EXPECT_TRUE(fails("[['a']]"));
  EXPECT_TRUE(fails("['a', 1]"));
  EXPECT_TRUE(fails("[None]"));
  EXPECT_TRUE(fails("[b'a']"));
  EXPECT_TRUE(fails("[f'a']"));
  EXPECT_TRUE(fails("[ur'a']"));
  EXPECT_TRUE(fails("['a' 'b' x]"));
  EXPECT_TRUE(fails("['a',, 'b']"));
  EXPECT_TRUE(fails("[,]"));
  EXPECT_TRUE(fails("['a' 'b']x"));
  EXPECT_TRUE(fails("['a']['b']"));
  EXPECT_TRUE(fails("['a\nb']"));  // newline inside a single-quoted string
  EXPECT_TRUE(fails("['\\x4']"));
  EXPECT_TRUE(fails("['\\N{BLACK STAR}']"));
  EXPECT_TRUE(fails("['a\\']"));
  EXPECT_TRUE(fails(std::string_view("['a\0']", 6)));
  // Null bytes anywhere fail, as in Python: between items, in comments, after escapes, in
  // raw strings and after the list.
  EXPECT_TRUE(fails(std::string_view("['a',\0'b']", 10)));
  EXPECT_TRUE(fails(std::string_view("['a', # x\0\n'b']", 15)));
  EXPECT_TRUE(fails(std::string_view("['a\\\0']", 7)));
  EXPECT_TRUE(fails(std::string_view("[r'a\\\0']", 8)));
  EXPECT_TRUE(fails(std::string_view("['a']\0", 6)));
  EXPECT_TRUE(fails(""));
  EXPECT_TRUE(fails("sad"));
}

// parse_python_list takes a fast path for plain lists; it must agree with the general parser
// wherever either accepts, including next to the shapes the fast path hands over.
TEST(PythonList, PlainListPathAgreesWithGeneralParser) {
  const std::vector<std::string_view> inputs = {"['a', 'b']",
                                                "[\"a\",\"b\"]",
                                                "['a', ]",
                                                "[ 'a' ]",
                                                "['']",
                                                "['', 'b']",
                                                "[]",
                                                "[ ]",
                                                "['''a''']",
                                                "['a''b']",
                                                "['a'\"b\"]",
                                                "[\"it's\"]",
                                                "['a']  ",
                                                "['a']\n",
                                                "['a'] x",
                                                "['a'\t]",
                                                "['a',\n'b']",
                                                "['a' , 'b']",
                                                "['\xC3\xA9']",
                                                "['a',, 'b']",
                                                "[,]",
                                                "['a' 'b']",
                                                "['a\\'b']",
                                                "['a",
                                                "['a',",
                                                "['a' ",
                                                "[r'a']",
                                                "  ['a']",
                                                "\t['a']",
                                                "['a']]",
                                                "['a'] \n \n",
                                                "['a' # c\n]",
                                                "[''', 'b']",
                                                "['a']\r\n",
                                                "[' x ', \"y z\"]"};
  for (const auto text : inputs) {
    std::vector<std::string> fast{"stale"}, full;
    const bool fast_ok = parse_python_list(text, fast);
    const bool full_ok = detail::parse_python_list_full(text, full);
    EXPECT_EQ(fast_ok, full_ok) << text;
    if (fast_ok && full_ok) {
      EXPECT_EQ(fast, full) << text;
    }
  }
  EXPECT_EQ(ok("['a', ]"), V{"a"});
  EXPECT_EQ(ok("['', 'b']"), (V{"", "b"}));
  EXPECT_EQ(ok("['a''b']"), V{"ab"});
  EXPECT_EQ(ok("['''a''']"), V{"a"});
  EXPECT_TRUE(fails("['a'] x"));
}

TEST(PythonList, ErrorSaysWhere) {
  std::vector<std::string> items;
  std::string error;
  EXPECT_FALSE(parse_python_list("['a', 2]", items, &error));
  EXPECT_EQ(error, "expected a string item at offset 6");
}

}  // namespace
}  // namespace emosweep::express
