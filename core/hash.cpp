#include "core/hash.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace emosweep::hash {

Sha256Builder::Sha256Builder() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256: OpenSSL initialisation failed");
}

Sha256Builder::~Sha256Builder() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256Builder::update(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

Sha256 Sha256Builder::finish() {
  Sha256 out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len);
  return out;
}

void Sha256Builder::reset() {
  // A null type reuses the digest already set, skipping OpenSSL 3's per-call fetch.
  if (EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), nullptr, nullptr) != 1)
    throw std::runtime_error("SHA-256: OpenSSL re-initialisation failed");
}

Sha256 sha256(std::string_view bytes) {
  Sha256Builder b;
  b.update(bytes);
  return b.finish();
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xF];
  }
  return out;
}

std::uint64_t stable64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace emosweep::hash
