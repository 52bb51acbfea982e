#include "core/json.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/text.hpp"

namespace emosweep::json {

namespace {

// SWAR helpers (8 bytes at a time): prompts are kilobytes of mostly plain ASCII, so the writer
// looks for the rare bytes that need work a word at a time.
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
// Non-zero when some byte is a control character (< 0x20), '"' or '\\'. Bytes >= 0x80 are
// reported too (by the caller's separate test) and handled byte by byte.
inline bool needs_escape(std::uint64_t v) {
  const std::uint64_t lt20 = (v - 0x2020202020202020ULL) & ~v & kHighs;
  return (lt20 | zero_bytes(v ^ 0x2222222222222222ULL) | zero_bytes(v ^ 0x5C5C5C5C5C5C5C5CULL)) !=
         0;
}

bool all_ascii(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8)
    if (load8(s.data() + i) & kHighs) return false;
  for (; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  return true;
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
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size() && !needs_escape(load8(s.data() + i))) {
      i += 8;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
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
    ++i;
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
  if (!first_.empty()) {
    if (!first_.back()) out_->push_back(',');
    first_.back() = false;
  }
}

Writer& Writer::begin_object() {
  before_value();
  out_->push_back('{');
  first_.push_back(true);
  return *this;
}
Writer& Writer::end_object() {
  out_->push_back('}');
  first_.pop_back();
  return *this;
}
Writer& Writer::begin_array() {
  before_value();
  out_->push_back('[');
  first_.push_back(true);
  return *this;
}
Writer& Writer::end_array() {
  out_->push_back(']');
  first_.pop_back();
  return *this;
}
Writer& Writer::key(std::string_view k) {
  before_value();
  append_string(*out_, k);
  out_->push_back(':');
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
