// Provider-neutral request and response types shared by the dialects, the HTTP client, the
// cache (which hashes requests) and the scheduler. Plain values: copyable, no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emosweep::providers {

enum class Dialect { openai, azure, anthropic, gemini };

// "openai", "azure", "anthropic", "gemini"; nullopt for anything else.
std::optional<Dialect> dialect_from_string(std::string_view name);
std::string_view to_string(Dialect d);

struct Message {
  std::string role;  // "user" or "assistant"
  std::string content;
  bool operator==(const Message&) const = default;
};

// Every generation parameter that can change an answer. Absent means "provider default" and
// is not sent.
struct GenerationParams {
  std::optional<double> temperature;
  std::optional<std::int64_t> max_tokens;
  std::optional<double> top_p;
  std::optional<std::int64_t> seed;
  std::vector<std::string> stop;
  bool operator==(const GenerationParams&) const = default;
};

struct ChatRequest {
  std::string model;   // the provider's model id (gemini: without the "models/" prefix)
  std::string system;  // system prompt; empty means none
  std::vector<Message> messages;
  GenerationParams params;
  bool operator==(const ChatRequest&) const = default;
};

struct Usage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

struct ChatResponse {
  std::string text;
  std::string finish_reason;  // as the provider spells it ("stop", "end_turn", "STOP", ...)
  Usage usage;
  std::string request_id;  // the provider's id for support tickets, when it sends one
};

// A header list with lower-case names, in order.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Returns the first value of `name` (lower-case) or nullopt.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute: scheme://host[:port]/path?query
  Headers headers;  // sent as given (Host, Content-Length are added by the client)
  std::string body;
};

struct HttpResponse {
  // Spare capacity the HTTP client leaves after a body of known length: JSON parsers that
  // read ahead (simdjson needs 64 bytes) can then parse it where it is.
  static constexpr std::size_t body_padding = 64;
  unsigned status = 0;
  Headers headers;  // lower-case names
  std::string body;
};

// What a provider told us about its limits (from response headers or error bodies).
struct RateLimitInfo {
  std::optional<std::uint64_t> requests_limit, requests_remaining;
  std::optional<std::uint64_t> tokens_limit, tokens_remaining;
  std::optional<std::chrono::milliseconds> requests_reset, tokens_reset;  // from now
  std::optional<std::chrono::milliseconds> retry_after;                   // from now
};

// One place decides what an outcome means for the scheduler.
enum class Outcome {
  ok,               // a usable answer
  safety_blocked,   // the provider refused on safety grounds: final, not retried, no text
  rate_limited,     // 429 and kin: retry after the hint, slow down
  overloaded,       // 529/503 overload: retry, slow down
  retryable,        // transient (5xx, timeouts, resets, truncated or unparsable bodies)
  quota_exhausted,  // billing/quota: stop the endpoint, do not retry
  permanent         // 400/401/403/404/422 and similar: record, never retry
};
std::string_view to_string(Outcome o);
inline bool is_retryable(Outcome o) {
  return o == Outcome::rate_limited || o == Outcome::overloaded || o == Outcome::retryable;
}

struct DecodedResponse {
  Outcome outcome = Outcome::retryable;
  ChatResponse response;         // valid when outcome == ok (text may be empty when blocked)
  unsigned http_status = 0;      // 0 for transport errors
  std::string error_type;        // provider's error type/code, e.g. "rate_limit_error"
  std::string provider_message;  // provider's own words: untrusted, kept apart from ours
  RateLimitInfo limits;
};

}  // namespace emosweep::providers
