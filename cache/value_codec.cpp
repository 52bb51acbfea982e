// The stored value format, version 1 (all integers little-endian):
//   u8 version | u8 dialect | u8 outcome | varint prompt_tokens | varint completion_tokens |
//   varint http_status | varint attempts | u64 latency_ms (IEEE-754 bits) | u64 stored_at_ms (two's
//   complement) | then text, finish_reason, request_id, run_id, model, each as varint length +
//   bytes.
// Codes are spelled out below rather than taken from enum values, so reordering an enum can
// never reinterpret a stored cache.
#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "cache/store.hpp"

namespace emosweep::cache {
namespace {

constexpr unsigned char kOutcomeOk = 0;
constexpr unsigned char kOutcomeSafetyBlocked = 1;

unsigned char dialect_code(providers::Dialect d) {
  switch (d) {
    case providers::Dialect::openai:
      return 0;
    case providers::Dialect::azure:
      return 1;
    case providers::Dialect::anthropic:
      return 2;
    case providers::Dialect::gemini:
      return 3;
  }
  throw std::invalid_argument("cache: unknown dialect");
}

bool dialect_from_code(unsigned char code, providers::Dialect& d) {
  switch (code) {
    case 0:
      d = providers::Dialect::openai;
      return true;
    case 1:
      d = providers::Dialect::azure;
      return true;
    case 2:
      d = providers::Dialect::anthropic;
      return true;
    case 3:
      d = providers::Dialect::gemini;
      return true;
    default:
      return false;
  }
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_fixed64(std::string& out, std::uint64_t v) {
  char bytes[8];
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out.append(bytes, 8);
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

// Bounds-checked reader over one value; every failure leaves a reason.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool byte(unsigned char& b) {
    if (p_ == end_) return fail("truncated");
    b = static_cast<unsigned char>(*p_++);
    return true;
  }
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return fail("truncated varint");
      const auto b = static_cast<unsigned char>(*p_++);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return fail("varint too long");
  }
  bool fixed64(std::uint64_t& v) {
    if (end_ - p_ < 8) return fail("truncated");
    v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p_[i])) << (8 * i);
    p_ += 8;
    return true;
  }
  bool string(std::string& s) {
    std::uint64_t n;
    if (!varint(n)) return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) return fail("string runs past the end");
    s.assign(p_, static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }
  bool at_end() const { return p_ == end_; }
  const char* reason() const { return reason_; }
  bool fail(const char* why) {
    reason_ = why;
    return false;
  }

 private:
  const char* p_;
  const char* end_;
  const char* reason_ = "";
};

bool set_error(std::string* error, std::string_view why) {
  if (error) *error = why;
  return false;
}

}  // namespace

bool is_cacheable_outcome(std::string_view outcome) {
  return outcome == "ok" || outcome == "safety_blocked";
}

void encode_value(const CachedResponse& v, std::string& out) {
  unsigned char outcome;
  if (v.outcome == "ok") {
    outcome = kOutcomeOk;
  } else if (v.outcome == "safety_blocked") {
    outcome = kOutcomeSafetyBlocked;
  } else {
    throw std::invalid_argument(
        fmt::format("cache: outcome '{}' is never stored (only ok and safety_blocked)", v.outcome));
  }
  if (v.http_status > 999)
    throw std::invalid_argument(fmt::format("cache: bad http status {}", v.http_status));
  out.clear();
  out.reserve(40 + v.text.size() + v.finish_reason.size() + v.request_id.size() + v.run_id.size() +
              v.model.size());
  out.push_back(static_cast<char>(kValueFormatVersion));
  out.push_back(static_cast<char>(dialect_code(v.dialect)));
  out.push_back(static_cast<char>(outcome));
  put_varint(out, v.prompt_tokens);
  put_varint(out, v.completion_tokens);
  put_varint(out, v.http_status);
  put_varint(out, v.attempts);
  put_fixed64(out, std::bit_cast<std::uint64_t>(v.latency_ms));
  put_fixed64(out, static_cast<std::uint64_t>(v.stored_at_ms));
  put_string(out, v.text);
  put_string(out, v.finish_reason);
  put_string(out, v.request_id);
  put_string(out, v.run_id);
  put_string(out, v.model);
}

std::string encode_value(const CachedResponse& value) {
  std::string out;
  encode_value(value, out);
  return out;
}

bool decode_value(std::string_view bytes, CachedResponse& out, std::string* error) {
  Reader r(bytes);
  unsigned char version, dialect, outcome;
  if (!r.byte(version)) return set_error(error, "empty value");
  if (version != kValueFormatVersion)
    return set_error(error, fmt::format("unknown value format version {}", version));
  if (!r.byte(dialect) || !r.byte(outcome)) return set_error(error, r.reason());
  if (!dialect_from_code(dialect, out.dialect))
    return set_error(error, fmt::format("unknown dialect code {}", dialect));
  if (outcome == kOutcomeOk) {
    out.outcome = "ok";
  } else if (outcome == kOutcomeSafetyBlocked) {
    out.outcome = "safety_blocked";
  } else {
    return set_error(error, fmt::format("unknown outcome code {}", outcome));
  }
  std::uint64_t status, attempts, latency_bits, stored_at;
  if (!r.varint(out.prompt_tokens) || !r.varint(out.completion_tokens) || !r.varint(status) ||
      !r.varint(attempts) || !r.fixed64(latency_bits) || !r.fixed64(stored_at) ||
      !r.string(out.text) || !r.string(out.finish_reason) || !r.string(out.request_id) ||
      !r.string(out.run_id) || !r.string(out.model))
    return set_error(error, r.reason());
  if (status > 999) return set_error(error, fmt::format("bad http status {}", status));
  if (attempts > UINT32_MAX) return set_error(error, "attempts out of range");
  if (!r.at_end()) return set_error(error, "trailing bytes");
  out.http_status = static_cast<unsigned>(status);
  out.attempts = static_cast<std::uint32_t>(attempts);
  out.latency_ms = std::bit_cast<double>(latency_bits);
  out.stored_at_ms = static_cast<std::int64_t>(stored_at);
  return true;
}

}  // namespace emosweep::cache
