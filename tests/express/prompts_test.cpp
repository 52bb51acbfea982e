#include <gtest/gtest.h>

#include "express/dataset.hpp"
#include "express/prompts.hpp"

namespace emosweep::express {
namespace {

TEST(ZeroShot, PaperTextExactly) {
  const std::string p = render_zero_shot("I felt <mask> and <mask> {num_labels}.", 2);
  EXPECT_EQ(p,
            "You are an assistant tasked with predicting emotion words masked as <mask> in a given "
            "self-disclosure text from social media. Predict the 2 <mask> token(s) based on the "
            "context. \nProvide your answer in the format: ['insert emotion word for mask 1', "
            "'insert emotion word for mask 2']. The length of the list must be 2. Only include "
            "words describing emotions, and provide no extra text or reasoning.\n\nText:\nI felt "
            "<mask> and <mask> {num_labels}.\n\nAnswer:");
}

TEST(ZeroShot, ExampleFormat) {
  EXPECT_EQ(example_format(1), "'insert emotion word for mask 1'");
  EXPECT_EQ(example_format(3),
            "'insert emotion word for mask 1', 'insert emotion word for mask 2', "
            "'insert emotion word for mask 3'");
}

}  // namespace
}  // namespace emosweep::express

namespace emosweep::express {
namespace {

TEST(FewShot, ExamplesThenTheSegment) {
  const std::vector<std::string> l1{"happy"}, l2{"sad", "it's"};
  const std::string p =
      render_few_shot("Now <mask>.", 1, {{"I was <mask>.", &l1}, {"A <mask> B <mask>", &l2}});
  EXPECT_NE(p.find("Text:\nI was <mask>.\n\nAnswer:\n['happy']\n"), std::string::npos) << p;
  EXPECT_NE(p.find("Answer:\n['sad', \"it's\"]\n"), std::string::npos) << p;
  EXPECT_TRUE(p.ends_with("Text:\nNow <mask>.\n\nAnswer:")) << p;
  EXPECT_EQ(p.rfind("Text:\n"), p.find("Text:\nNow"));  // the last Text: is the question
}

TEST(ChainOfThought, AsksForReasoningThenTheList) {
  const std::string p = render_chain_of_thought("x <mask>", 1);
  EXPECT_NE(p.find("on the last line"), std::string::npos);
  EXPECT_TRUE(p.ends_with("Text:\nx <mask>\n\nAnswer:"));
}

TEST(PythonRepr, MatchesPython) {
  EXPECT_EQ(python_list_repr({"a", "it's", "say \"x\"", "both ' \"", "back\\slash", "nl\n"}),
            R"(['a', "it's", 'say "x"', 'both \' "', 'back\\slash', 'nl\n'])");
  EXPECT_EQ(python_list_repr({}), "[]");
}

TEST(TrimContext, KeepsMasksAndTheNearestWords) {
  const std::string s = "one two three four <mask> six seven eight nine ten";
  EXPECT_EQ(trim_context(s, 0), s);
  EXPECT_EQ(trim_context(s, 100), s);
  EXPECT_EQ(trim_context(s, 3), "... four <mask> six ...");
  EXPECT_EQ(trim_context(s, 4), "... three four <mask> six ...");
  // Two masks far apart: windows around each, joined by an ellipsis.
  const std::string t = "a b <mask> c d e f g h i j <mask> k l";
  EXPECT_EQ(trim_context(t, 6), "... b <mask> c ... j <mask> k ...");
  // Masks are never dropped, even when there are more masks than words allowed.
  EXPECT_EQ(count_masks(trim_context(t, 1)), 2u);
  // Newlines inside a kept run are preserved.
  EXPECT_EQ(trim_context("x\ny <mask>\nz w v", 3), "... y <mask>\nz ...");
}

}  // namespace
}  // namespace emosweep::express
