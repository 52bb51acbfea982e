// Cache keys: a SHA-256 over a canonical, versioned encoding of everything that can change a
// provider's answer (DESIGN.md §5). Never the API key, never HTTP headers.
//
// All functions here are pure: no I/O, no shared state, safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/hash.hpp"
#include "providers/types.hpp"

namespace emosweep::cache {

// The identity of one request as far as its answer is concerned.
struct RequestIdentity {
  providers::Dialect dialect = providers::Dialect::openai;
  std::string base_url;     // as configured; normalised by the encoding
  std::string api_version;  // e.g. Azure's api-version or Anthropic's version header; may be empty
  providers::ChatRequest request;  // model, system prompt, rendered messages, parameters
  std::string template_version;    // the prompt template's version, given by the caller
  std::uint32_t repeat = 0;        // repeat index of the same prompt (0-based)
};

// Version of canonical_encoding(). Bumping it invalidates every stored key, on purpose.
inline constexpr std::string_view kKeyEncodingVersion = "emosweep-cache-key/1";

// Normalises an http(s) base URL so that spellings of the same endpoint share keys:
// lower-case scheme and host, default port (80/443) dropped, trailing '/' dropped, path and
// query kept as written. Credentials never enter: user-info and query parameters that carry
// keys (key, api_key, api-key, apikey, access_token, token) are removed, the fragment too.
// Throws InputError when `url` is not an absolute http or https URL with a host.
std::string normalize_base_url(std::string_view url);

// The exact bytes that are hashed: kKeyEncodingVersion, then named, length-prefixed fields
// in a fixed order (dialect, normalised base URL, api version, model, each generation
// parameter — an absent parameter is omitted, a present one carries its value, doubles in
// shortest round-trip form —, the stop list in order, system prompt, every message's role and
// content, template version, repeat index). Unambiguous: no two identities share an encoding.
// Throws InputError for a bad base URL.
std::string canonical_encoding(const RequestIdentity& identity);

using Key = hash::Sha256;

// SHA-256 of canonical_encoding(identity).
Key cache_key(const RequestIdentity& identity);

// cache_key() for hot loops (a fully cached replay hashes every item): keeps its encoding
// buffer and SHA-256 context, and normalises a base URL only when it differs from the last
// one. Same keys as cache_key(). Not thread-safe: use one per thread.
class KeyBuilder {
 public:
  Key operator()(const RequestIdentity& identity);
  // The encoding hashed by the last call (valid until the next call).
  std::string_view last_encoding() const { return buffer_; }

 private:
  hash::Sha256Builder sha_;
  std::string buffer_;
  std::string url_, normalized_url_;
  bool have_url_ = false;
};

// Lower-case hex of a key (64 characters), and back; parse_key returns false on bad input.
std::string key_to_hex(const Key& key);
bool parse_key_hex(std::string_view hex, Key& key);

}  // namespace emosweep::cache
