// Hashing: SHA-256 (OpenSSL) for cache keys, and a stable 64-bit hash for sharding and
// deterministic choices that must not change between builds or machines.
#pragma once

#include <array>
#include <cstdint>
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

// FNV-1a 64 followed by a murmur-style finaliser: stable across platforms and releases.
std::uint64_t stable64(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace emosweep::hash
