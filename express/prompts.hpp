// Prompt templates of the EXPRESS protocol. Each template has a version that enters the
// cache key, so editing a template's text can never replay answers to the old text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace emosweep::express {

// The paper's zero-shot prompt, character for character (DESIGN.md §1).
inline constexpr std::string_view kZeroShotTemplate =
    "You are an assistant tasked with predicting emotion words masked as <mask> in a given "
    "self-disclosure text from social media. Predict the {num_labels} <mask> token(s) based on "
    "the context. \n"
    "Provide your answer in the format: [{example_format}]. The length of the list must be "
    "{num_labels}. Only include words describing emotions, and provide no extra text or "
    "reasoning.\n"
    "\n"
    "Text:\n"
    "{segment}\n"
    "\n"
    "Answer:";

// `'insert emotion word for mask 1', 'insert emotion word for mask 2'`, ...
std::string example_format(std::size_t num_labels);
std::string render_zero_shot(std::string_view segment, std::size_t num_labels);

}  // namespace emosweep::express
