#include <gtest/gtest.h>

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
