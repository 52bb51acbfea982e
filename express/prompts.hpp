// Prompt templates of the EXPRESS protocol. Each template has a version that enters the
// cache key, so editing a template's text can never replay answers to the old text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

// Few-shot: the zero-shot instructions, then k solved examples (masked text followed by the
// answer list), then the segment.
inline constexpr std::string_view kFewShotHeader =
    "You are an assistant tasked with predicting emotion words masked as <mask> in a given "
    "self-disclosure text from social media. Predict the {num_labels} <mask> token(s) based on "
    "the context. \n"
    "Provide your answer in the format: [{example_format}]. The length of the list must be "
    "{num_labels}. Only include words describing emotions, and provide no extra text or "
    "reasoning.\n"
    "\n"
    "Here are solved examples from other posts.\n";

// Chain of thought: brief reasoning first, the list on the last line (scored leniently).
inline constexpr std::string_view kChainOfThoughtTemplate =
    "You are an assistant tasked with predicting emotion words masked as <mask> in a given "
    "self-disclosure text from social media. Predict the {num_labels} <mask> token(s) based on "
    "the context. \n"
    "First reason briefly, in a few sentences, about what the writer feels at each <mask>. Then, "
    "on the last line, give your answer in the format: [{example_format}]. The length of the "
    "list must be {num_labels}. Only include words describing emotions in the list.\n"
    "\n"
    "Text:\n"
    "{segment}\n"
    "\n"
    "Answer:";

// Versions enter the cache key; bump one whenever its template text changes.
inline constexpr std::string_view kZeroShotVersion = "express-zero-shot/1";
inline constexpr std::string_view kFewShotVersion = "express-few-shot/1";
inline constexpr std::string_view kChainOfThoughtVersion = "express-cot/1";

struct Example {
  std::string_view segment;
  const std::vector<std::string>* labels;
};

// `'insert emotion word for mask 1', 'insert emotion word for mask 2'`, ...
std::string example_format(std::size_t num_labels);
// Python's repr() of a list of strings: ['a', "it's"].
std::string python_list_repr(const std::vector<std::string>& items);

std::string render_zero_shot(std::string_view segment, std::size_t num_labels);
std::string render_few_shot(std::string_view segment, std::size_t num_labels,
                            const std::vector<Example>& examples);
std::string render_chain_of_thought(std::string_view segment, std::size_t num_labels);

// Trims `segment` to at most `max_words` whitespace-separated words around its <mask> tokens
// (every mask is kept; windows grow around each mask in turn; cut-out text becomes " ... ").
// max_words == 0 means no trimming. The paper's shorter/longer context comparison.
std::string trim_context(std::string_view segment, std::size_t max_words);

}  // namespace emosweep::express
