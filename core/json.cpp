#include "core/json.hpp"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/text.hpp"

namespace emosweep::json {

namespace {

// Prompts are kilobytes of mostly plain ASCII, so the writer looks for the rare bytes that need
// work 16 bytes at a time (SSE2, baseline on x86-64), then 8 (SWAR), then one by one.
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
// High bit set in every byte of `v` that is zero.
inline std::uint64_t zero_bytes(std::uint64_t v) {
  return (v - kOnes) & ~v & kHighs;
}
// Non-zero when some byte is a control character (< 0x20), '"' or '\\'. Bytes >= 0x80 need
// no escaping (UTF-8 is validated beforehand).
inline bool needs_escape(std::uint64_t v) {
  const std::uint64_t lt20 = (v - 0x2020202020202020ULL) & ~v & kHighs;
  return (lt20 | zero_bytes(v ^ 0x2222222222222222ULL) | zero_bytes(v ^ 0x5C5C5C5C5C5C5C5CULL)) !=
         0;
}

#if defined(__SSE2__)
inline __m128i load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
// Bit i set when byte i of the 16 at `p` is a control character (< 0x20), '"' or '\\'.
inline unsigned escape_mask16(const char* p) {
  const __m128i v = load16(p);
  // Unsigned v < 0x20 as a signed compare: flip the high bits of both sides.
  const __m128i flipped = _mm_xor_si128(v, _mm_set1_epi8(static_cast<char>(0x80)));
  const __m128i control = _mm_cmplt_epi8(flipped, _mm_set1_epi8(static_cast<char>(0xA0)));
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  return static_cast<unsigned>(
      _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))));
}
#endif

bool all_ascii(std::string_view s) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16)
    if (_mm_movemask_epi8(load16(s.data() + i)) != 0) return false;
#endif
  for (; i + 8 <= s.size(); i += 8)
    if (load8(s.data() + i) & kHighs) return false;
  for (; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  return true;
}

// The index of the first byte at or after `i` that must be escaped, or s.size().
std::size_t next_escape(std::string_view s, std::size_t i) {
  const char* p = s.data();
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16)
    if (const unsigned m = escape_mask16(p + i)) return i + static_cast<unsigned>(__builtin_ctz(m));
#endif
  for (; i + 8 <= s.size() && !needs_escape(load8(p + i)); i += 8) {
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return i;
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string repaired;
  if (!all_ascii(s) && !text::is_valid_utf8(s)) {
    repaired = text::repair_utf8(s);
    s = repaired;
  }
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = next_escape(s, 0); i < s.size(); i = next_escape(s, run)) {
    const auto c = static_cast<unsigned char>(s[i]);
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void Writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!enclosing_.empty()) {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
}

Writer& Writer::begin_object() {
  before_value();
  out_->push_back('{');
  enclosing_.push_back(first_);
  first_ = true;
  return *this;
}
Writer& Writer::end_object() {
  out_->push_back('}');
  first_ = enclosing_.back();
  enclosing_.pop_back();
  return *this;
}
Writer& Writer::begin_array() {
  before_value();
  out_->push_back('[');
  enclosing_.push_back(first_);
  first_ = true;
  return *this;
}
Writer& Writer::end_array() {
  out_->push_back(']');
  first_ = enclosing_.back();
  enclosing_.pop_back();
  return *this;
}
Writer& Writer::key(std::string_view k) {
  before_value();
  append_string(*out_, k);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}
Writer& Writer::quoted_key(std::string_view quoted) {
  assert(quoted.size() >= 3 && quoted.front() == '"' && quoted.substr(quoted.size() - 2) == "\":");
  assert(all_ascii(quoted.substr(1, quoted.size() - 3)) &&
         next_escape(quoted.substr(1, quoted.size() - 3), 0) == quoted.size() - 3);
  before_value();
  out_->append(quoted);
  after_key_ = true;
  return *this;
}
Writer& Writer::value(std::string_view s) {
  before_value();
  append_string(*out_, s);
  return *this;
}
Writer& Writer::value(double v) {
  before_value();
  append_number(*out_, v);
  return *this;
}
Writer& Writer::value(std::int64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out_->append(buf, end);
  return *this;
}
Writer& Writer::value(std::uint64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out_->append(buf, end);
  return *this;
}
Writer& Writer::value(bool b) {
  before_value();
  *out_ += b ? "true" : "false";
  return *this;
}
Writer& Writer::null() {
  before_value();
  *out_ += "null";
  return *this;
}
Writer& Writer::raw(std::string_view json) {
  before_value();
  out_->append(json);
  return *this;
}

}  // namespace emosweep::json
