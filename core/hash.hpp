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
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  if (n != 0) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
  }
  return h;
}

// FNV-1a 64 followed by a murmur-style finaliser: stable across platforms and releases.
std::uint64_t stable64(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace emosweep::hash
