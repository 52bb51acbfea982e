// Text helpers with Python's semantics where the EXPRESS protocol depends on them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace emosweep::text {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Copies `s`, replacing every ill-formed sequence with U+FFFD (one per maximal subpart,
// as Python's errors="replace" and the Unicode standard recommend).
std::string repair_utf8(std::string_view s);

// Byte offset of the first ill-formed sequence, or npos.
std::size_t first_invalid_utf8(std::string_view s);

// Appends the UTF-8 encoding of `cp` (which must be a valid scalar value) to `out`.
void append_utf8(std::string& out, char32_t cp);

// Python's str.isspace() for one code point.
bool is_python_space(char32_t cp);

// Python's str.strip() with no argument: removes Unicode whitespace at both ends.
std::string_view python_strip(std::string_view s);

// Python's str.lower(): ASCII fast path, full Unicode simple lower-casing otherwise.
std::string python_lower(std::string_view s);
// True when python_lower(s) == s is certain without decoding: ASCII with no upper-case letter.
bool is_lower_ascii(std::string_view s);

// ASCII-only case-insensitive equality.
bool iequals_ascii(std::string_view a, std::string_view b);

// Splits on a single character, keeping empty pieces (like Python's str.split(',')).
std::vector<std::string_view> split(std::string_view s, char sep);

}  // namespace emosweep::text
