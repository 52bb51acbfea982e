// Hashing: SHA-256 (OpenSSL) for cache keys, and a stable 64-bit hash for sharding and
// deterministic choices that must not change between builds or machines.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace emosweep::hash {

using Sha256 = std::array<unsigned char, 32>;

// Incremental SHA-256. Not thread-safe; cheap to create.
class Sha256Builder {
 public:
  Sha256Builder();
  ~Sha256Builder();
  Sha256Builder(const Sha256Builder&) = delete;
  Sha256Builder& operator=(const Sha256Builder&) = delete;
  void update(std::string_view bytes);
  Sha256 finish();
  // Starts a new digest in the same context: cheaper than a new builder in hot loops.
  void reset();

 private:
  void* ctx_;
};

Sha256 sha256(std::string_view bytes);
std::string to_hex(const unsigned char* data, std::size_t size);
inline std::string to_hex(const Sha256& d) {
  return to_hex(d.data(), d.size());
}

// A fast hash for in-memory tables keyed by short strings (words, labels): eight bytes per
// multiply instead of a byte loop. Not stable across releases; never persist it.
inline std::uint64_t table_hash(std::string_view s) noexcept {
  const auto load8 = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  const auto load4 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<std::uint64_t>(v);
  };
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  // Fixed-size loads only (a memcpy of a variable length would be a library call): whole
  // words, then the last eight bytes (overlapping), or for short keys two overlapping halves.
  std::uint64_t tail;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      h = (h ^ load8(p + i)) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    tail = load8(p + n - 8);
  } else if (n >= 4) {
    tail = load4(p) << 32 | load4(p + n - 4);
  } else if (n > 0) {
    tail = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16 |
           static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
           static_cast<unsigned char>(p[n - 1]);
  } else {
    tail = 0;
  }
  h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 29);
}

// Transparent functors for tables keyed by std::string and looked up by string_view.
struct TableHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return table_hash(s); }
};
struct TableEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept {
    // Keys are mostly short words: compare them with fixed-size loads (overlapping halves)
    // instead of a memcmp call.
    const std::size_t n = a.size();
    if (n != b.size()) return false;
    const char *x = a.data(), *y = b.data();
    const auto same = [x, y]<typename Word>(std::size_t at, Word) {
      Word u, v;
      std::memcpy(&u, x + at, sizeof(Word));
      std::memcpy(&v, y + at, sizeof(Word));
      return u == v;
    };
    if (n > 16) return std::memcmp(x, y, n) == 0;
    if (n >= 8) return same(0, std::uint64_t{}) && same(n - 8, std::uint64_t{});
    if (n >= 4) return same(0, std::uint32_t{}) && same(n - 4, std::uint32_t{});
    for (std::size_t i = 0; i < n; ++i)
      if (x[i] != y[i]) return false;
    return true;
  }
};

// FNV-1a 64 followed by a murmur-style finaliser: stable across platforms and releases.
std::uint64_t stable64(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace emosweep::hash
