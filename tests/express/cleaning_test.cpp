#include <gtest/gtest.h>

#include "express/cleaning.hpp"

namespace emosweep::express {
namespace {

using V = std::vector<std::string>;

struct Cleaned {
  CleanStatus status;
  V words;
};

Cleaned paper(std::string_view raw, std::size_t n) {
  Cleaned c;
  c.status = clean_output(raw, n, ParseMode::paper, c.words);
  return c;
}

Cleaned lenient(std::string_view raw, std::size_t n) {
  Cleaned c;
  c.status = clean_output(raw, n, ParseMode::lenient, c.words);
  return c;
}

// Branch 1: starts with '[' and ends with ']' and has a quote: a Python list literal.
TEST(PaperCleaning, QuotedListIsParsedAndLowerCased) {
  auto c = paper("['Happy', \"SAD\"]", 2);
  EXPECT_EQ(c.status, CleanStatus::valid);
  EXPECT_EQ(c.words, (V{"happy", "sad"}));
  // Items inside a literal are not stripped.
  EXPECT_EQ(paper("[' sad']", 1).words, V{" sad"});
}

TEST(PaperCleaning, QuotedListThatFailsToParseIsInvalid) {
  EXPECT_EQ(paper("['happy', sad]", 2).status, CleanStatus::unparsable);
  EXPECT_EQ(paper("['happy', 3]", 2).status, CleanStatus::unparsable);
  EXPECT_EQ(paper("[\"it's\"]", 1).words, V{"it's"});
}

// Branch 2: brackets, no quotes: strip every [ and ], split on commas, strip, drop empties.
TEST(PaperCleaning, UnquotedListIsSplitOnCommas) {
  auto c = paper("[Happy,  sad ,,]", 2);
  EXPECT_EQ(c.status, CleanStatus::valid);
  EXPECT_EQ(c.words, (V{"happy", "sad"}));
  EXPECT_EQ(paper("[[joy]]", 1).words, V{"joy"});
  EXPECT_EQ(paper("[]", 1).status, CleanStatus::wrong_length);
  EXPECT_EQ(paper("[", 1).status, CleanStatus::wrong_length);
  EXPECT_EQ(paper("[a]b]", 1).words, V{"a]b"});  // only leading/trailing brackets go
}

// Branch 3: no '[' at all and not "invalid output": one word, stripped.
TEST(PaperCleaning, BareWordIsAOneWordList) {
  auto c = paper("  Nervous\n", 1);
  EXPECT_EQ(c.status, CleanStatus::valid);
  EXPECT_EQ(c.words, V{"nervous"});
  EXPECT_EQ(paper("sad, happy", 2).status, CleanStatus::wrong_length);  // not split
  EXPECT_EQ(paper("sad, happy", 1).words, V{"sad, happy"});
}

// Branch 4: everything else is invalid.
TEST(PaperCleaning, InvalidOutputsAndStrayBrackets) {
  EXPECT_EQ(paper("invalid output", 1).status, CleanStatus::unparsable);
  EXPECT_EQ(paper("INVALID Output", 1).status, CleanStatus::unparsable);
  EXPECT_EQ(paper(" ['sad']", 1).status, CleanStatus::unparsable);  // leading space
  EXPECT_EQ(paper("['sad'] ", 1).status, CleanStatus::unparsable);  // trailing space
  EXPECT_EQ(paper("Answer: ['sad']", 1).status, CleanStatus::unparsable);
  EXPECT_EQ(paper("sad]", 1).words, V{"sad]"});  // no '[': still one word
}

TEST(PaperCleaning, LengthRule) {
  EXPECT_EQ(paper("['a', 'b']", 3).status, CleanStatus::wrong_length);
  EXPECT_EQ(paper("['a', 'b']", 3).words, (V{"a", "b"}));
  EXPECT_EQ(paper("['a', 'b']", 2).status, CleanStatus::valid);
}

TEST(LenientCleaning, TakesTheLastWellFormedList) {
  auto c = lenient("The writer seems hurt [maybe]. Final answer:\n['Hurt', 'angry']", 2);
  EXPECT_EQ(c.status, CleanStatus::valid);
  EXPECT_EQ(c.words, (V{"hurt", "angry"}));
  EXPECT_EQ(lenient(" ['sad'] ", 1).words, V{"sad"});
  EXPECT_EQ(lenient("Reasoning... ['a[', 'b']", 2).words, (V{"a[", "b"}));
  EXPECT_EQ(lenient("first ['a', 'b'] then ['c']", 2).status, CleanStatus::wrong_length);
  EXPECT_EQ(lenient("no list here, sadly [", 1).status, CleanStatus::unparsable);
  EXPECT_EQ(lenient("happy", 1).words, V{"happy"});
}

TEST(FormattedCleaning, LiteralOrInvalidOutput) {
  V words;
  EXPECT_EQ(clean_formatted("['Sad', 'joy']", 2, words), CleanStatus::valid);
  EXPECT_EQ(words, (V{"sad", "joy"}));
  EXPECT_EQ(clean_formatted("invalid output", 1, words), CleanStatus::unparsable);
  EXPECT_EQ(clean_formatted("sad", 1, words), CleanStatus::unparsable);
}

TEST(ParseMode, NamesRoundTrip) {
  EXPECT_EQ(parse_mode_from_string("lenient"), ParseMode::lenient);
  EXPECT_EQ(to_string(ParseMode::paper), "paper");
  EXPECT_ANY_THROW(parse_mode_from_string("strict"));
}

}  // namespace
}  // namespace emosweep::express
