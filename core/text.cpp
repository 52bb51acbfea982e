#include "core/text.hpp"

#include <clocale>
#include <cstdint>
#include <cstring>
#include <cwctype>

#include <locale.h>

namespace emosweep::text {
namespace {

// Decodes one code point at s[i]; returns its length, or 0 when ill-formed.
// On success stores the code point in cp.
std::size_t decode_one(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Length of the maximal ill-formed subpart starting at i (at least 1).
std::size_t invalid_run(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t expect = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    expect = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    expect = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    expect = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  std::size_t n = 1;
  while (n < expect && i + n < s.size()) {
    const auto b = static_cast<unsigned char>(s[i + n]);
    if (n == 1 ? (b < lo || b > hi) : ((b & 0xC0) != 0x80)) break;
    ++n;
  }
  return n;
}

locale_t utf8_locale() {
  // Created once, never modified: a read-only process-wide constant, not mutable state.
  static const locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return l;
  }();
  return loc;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  return first_invalid_utf8(s) == std::string_view::npos;
}

std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Fast path over ASCII.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const std::size_t n = decode_one(s, i, cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp;
    const std::size_t n = decode_one(s, i, cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      i += invalid_run(s, i);
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool is_python_space(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view python_strip(std::string_view s) {
  // Fast path: printable ASCII at both ends means there is nothing to strip.
  if (!s.empty()) {
    const auto f = static_cast<unsigned char>(s.front()), b = static_cast<unsigned char>(s.back());
    if (f > 0x20 && f < 0x7F && b > 0x20 && b < 0x7F) return s;
  }
  std::size_t begin = 0;
  while (begin < s.size()) {
    char32_t cp;
    const std::size_t n = decode_one(s, begin, cp);
    if (n == 0 || !is_python_space(cp)) break;
    begin += n;
  }
  std::size_t end = s.size();
  while (end > begin) {
    // Step back to the start of the previous code point.
    std::size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
      --start;
    char32_t cp;
    const std::size_t n = decode_one(s, start, cp);
    if (n == 0 || start + n != end || !is_python_space(cp)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

bool is_lower_ascii(std::string_view s) {
  // Eight bytes at a time: no byte >= 0x80, and for 7-bit bytes b, b + 0x3F sets the high bit
  // iff b >= 'A' while b + 0x25 sets it iff b > 'Z' (no carry crosses a byte).
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  while (s.size() >= 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data(), 8);
    if ((w & kHigh) || ((w + kOnes * 0x3F) & ~(w + kOnes * 0x25) & kHigh)) return false;
    s.remove_prefix(8);
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (u >= 'A' && u <= 'Z')) return false;
  }
  return true;
}

std::string python_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : static_cast<char>(c));
      ++i;
      continue;
    }
    char32_t cp;
    const std::size_t n = decode_one(s, i, cp);
    if (n == 0) {  // Ill-formed bytes are kept as they are.
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (cp == 0x130) {  // Python: 'İ'.lower() == 'i̇' (i + combining dot above).
      out += "i\xCC\x87";
    } else {
      const locale_t loc = utf8_locale();
      const auto lowered =
          loc ? static_cast<char32_t>(towlower_l(static_cast<wint_t>(cp), loc)) : cp;
      append_utf8(out, lowered);
    }
    i += n;
  }
  return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return false;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace emosweep::text
