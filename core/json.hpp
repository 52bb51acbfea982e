// A small streaming JSON writer (the reading side is simdjson). Strings are escaped per
// RFC 8259; ill-formed UTF-8 is replaced with U+FFFD so the output is always valid JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace emosweep::json {

// Appends `s` as a quoted JSON string.
void append_string(std::string& out, std::string_view s);
// Appends a number in the shortest form that round-trips; NaN and infinities become null.
void append_number(std::string& out, double v);

// Builds one JSON value into a string. Commas and colons are inserted automatically.
// Usage: Writer w; w.begin_object(); w.key("a"); w.value(1); w.end_object(); w.str();
class Writer {
 public:
  explicit Writer(std::string* out = nullptr) : out_(out ? out : &own_) {}

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view k);
  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(const std::string& s) { return value(std::string_view(s)); }
  Writer& value(double v);
  Writer& value(std::int64_t v);
  Writer& value(std::uint64_t v);
  Writer& value(int v) { return value(static_cast<std::int64_t>(v)); }
  Writer& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
  Writer& value(long long v) { return value(static_cast<std::int64_t>(v)); }
  Writer& value(unsigned long long v) { return value(static_cast<std::uint64_t>(v)); }
  Writer& value(bool b);
  Writer& null();
  // Inserts already-serialised JSON as one value.
  Writer& raw(std::string_view json);
  template <typename T>
  Writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  // Keys spelled in the source (string literals, the common case: every results.jsonl row has
  // ~25) are copied as they are, without the escaping pass. They must need no escaping: no
  // '"', '\\', control or non-ASCII bytes (asserted in debug builds).
  template <std::size_t N>
  Writer& key(const char (&k)[N]) {
    // `"k":` assembled with fixed-size copies and appended at once.
    char quoted[N + 2];
    quoted[0] = '"';
    std::memcpy(quoted + 1, k, N - 1);
    quoted[N] = '"';
    quoted[N + 1] = ':';
    return quoted_key(std::string_view(quoted, N + 2));
  }
  template <std::size_t N, typename T>
  Writer& field(const char (&k)[N], const T& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const { return *out_; }
  std::string take() { return std::move(*out_); }

 private:
  void before_value();
  Writer& quoted_key(std::string_view quoted);  // `"k":` with k needing no escapes
  std::string own_;
  std::string* out_;
  bool first_ = true;            // the innermost open container has no element yet
  std::vector<char> enclosing_;  // first_ of each enclosing open container
  bool after_key_ = false;
};

}  // namespace emosweep::json
