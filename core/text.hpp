// Text helpers with Python's semantics where the EXPRESS protocol depends on them.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace emosweep::text {

// The first byte in [p, end) equal to one of `stops`, or `end`: memchr for several bytes,
// sixteen at a time with SSE2, then eight at a time: a byte equal to x shows as the high bit
// of (v - ones) & ~v & high with v = w ^ x*ones; bytes above a true match may show falsely,
// the lowest shown never does.
template <typename... Stops>
inline const char* find_byte_of(const char* p, const char* end, Stops... stops) {
#if defined(__SSE2__)
  while (end - p >= 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hits = (_mm_cmpeq_epi8(block, _mm_set1_epi8(static_cast<char>(stops))) | ...);
    if (const int mask = _mm_movemask_epi8(hits)) return p + std::countr_zero(unsigned(mask));
    p += 16;
  }
#endif
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      const auto flags = [w](char stop) {
        const std::uint64_t v = w ^ (kOnes * static_cast<unsigned char>(stop));
        return (v - kOnes) & ~v & kHigh;
      };
      if (const std::uint64_t hits = (flags(stops) | ...)) return p + std::countr_zero(hits) / 8;
      p += 8;
    }
  }
  while (p < end && ((*p != stops) && ...))
    ++p;
  return p;
}

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
