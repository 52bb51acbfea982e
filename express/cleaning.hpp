// Cleaning of raw model outputs into predicted emotion words, exactly as the EXPRESS paper
// does it (DESIGN.md §1), plus a lenient mode for chain-of-thought outputs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace emosweep::express {

enum class ParseMode {
  paper,   // the published rules, applied to the raw text
  lenient  // the last well-formed list anywhere in the text (for chain-of-thought outputs)
};

// Parses "paper" / "lenient"; throws InputError naming the value otherwise.
ParseMode parse_mode_from_string(std::string_view name);
std::string_view to_string(ParseMode mode);

// Why an output was judged invalid (kept for results and reports).
enum class CleanStatus { valid, unparsable, wrong_length };

// Cleans `raw` into lower-cased words. Returns valid only when the list has exactly
// `expected` words; `words` holds the cleaned words whenever the text was parsable.
CleanStatus clean_output(std::string_view raw, std::size_t expected, ParseMode mode,
                         std::vector<std::string>& words);

// Cleans an already-formatted prediction (the authors' `output_formatted` column: a Python
// list literal or `invalid output`).
CleanStatus clean_formatted(std::string_view formatted, std::size_t expected,
                            std::vector<std::string>& words);

// The same rules without copying or lower-casing (for scoring many rows): `words` are views
// into the text, or into `storage` for list items that needed unescaping; the caller
// lower-cases them as Python's str.lower() does.
CleanStatus clean_output_views(std::string_view raw, std::size_t expected, ParseMode mode,
                               std::vector<std::string_view>& words,
                               std::vector<std::string>& storage);
CleanStatus clean_formatted_views(std::string_view formatted, std::size_t expected,
                                  std::vector<std::string_view>& words,
                                  std::vector<std::string>& storage);

// Lower-cases the views that need it (Python's str.lower()): each such view then points to
// its lower-cased copy, kept in `lowered`.
void lower_views(std::vector<std::string_view>& words, std::vector<std::string>& lowered);

// Lower-cases words that are already split (e.g. a JSON array) and applies the length rule.
CleanStatus clean_words(std::vector<std::string>& words, std::size_t expected);

}  // namespace emosweep::express
