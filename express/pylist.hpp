// A parser for Python list literals of strings, as ast.literal_eval accepts them: single-,
// double- and triple-quoted strings with Python's escapes, r/u prefixes, implicit
// concatenation of adjacent strings, whitespace, newlines and comments between items, and an
// optional trailing comma. Anything else is a parse failure (never a crash): unbalanced
// brackets, non-string items, bytes or f-string prefixes, trailing text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace emosweep::express {

// Parses `text` (the whole of it, surrounding whitespace allowed) into `items`.
// Returns false on failure and, when `error` is given, says why and at which byte offset.
// Not supported (reported as failures): the \N{NAME} escape, which needs Unicode's name table.
bool parse_python_list(std::string_view text, std::vector<std::string>& items,
                       std::string* error = nullptr);

// The same without copying: items of a plain list (`['word', "word"]`, no escapes) are views
// into `text`; other lists are parsed into `storage` and the items view those strings.
bool parse_python_list(std::string_view text, std::vector<std::string_view>& items,
                       std::vector<std::string>& storage, std::string* error = nullptr);

namespace detail {
// The general parser alone, without the fast path for plain `['word', 'word']` lists (which
// must agree with it: the fuzz target compares the two).
bool parse_python_list_full(std::string_view text, std::vector<std::string>& items,
                            std::string* error = nullptr);
}  // namespace detail

}  // namespace emosweep::express
