// Provider dialects, sans-I/O: each codec turns a ChatRequest into the exact HTTP request a
// vendor's API expects, and an HTTP response (or its absence) into a DecodedResponse whose
// Outcome tells the scheduler what to do next. No sockets, no clocks read behind the caller's
// back (decode takes `now`), no global state.
//
// Wire choices worth knowing (see the codecs in providers/dialects/):
// * openai: POST {base_url}/chat/completions, "Authorization: Bearer KEY"; the body carries
//   model, messages (the system prompt first, role "system"), then only the parameters that
//   are set: temperature, max_tokens, top_p, seed, stop. Serves every OpenAI-compatible server
//   (vLLM, llama.cpp, Ollama /v1, Together, OpenRouter, Groq, DeepSeek).
// * azure: POST {base_url}/openai/deployments/{model}/chat/completions?api-version=V with
//   "api-key: KEY"; `model` names the deployment, so the body leaves "model" out (the
//   deployment decides it; Azure ignores the field anyway).
// * anthropic: POST {base_url}/v1/messages with x-api-key and anthropic-version 2023-06-01;
//   max_tokens is required by the API and defaults to kAnthropicDefaultMaxTokens; `seed` is
//   omitted because the Messages API has no seed (results at temperature 0 are still not
//   guaranteed deterministic).
// * gemini: POST {base_url}/models/{model}:generateContent with x-goog-api-key; a model that
//   already starts with "models/" or "tunedModels/" is used as the path as is. The role
//   "assistant" is sent as "model". completion_tokens counts candidatesTokenCount plus
//   thoughtsTokenCount, because thinking tokens are billed as output.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "providers/types.hpp"

namespace simdjson::dom {
class parser;
}  // namespace simdjson::dom

namespace emosweep::providers {

inline constexpr std::string_view kDefaultAzureApiVersion = "2024-06-01";
inline constexpr std::string_view kAnthropicVersion = "2023-06-01";
inline constexpr std::int64_t kAnthropicDefaultMaxTokens = 1024;
// provider_message is cut to this many bytes (at a UTF-8 boundary): enough to diagnose,
// bounded so that a provider's HTML error page cannot bloat results and logs.
inline constexpr std::size_t kMaxProviderMessage = 500;

// What a codec needs to know about an endpoint. Holds the API key: never log, hash, cache or
// print an EndpointSettings.
struct EndpointSettings {
  Dialect dialect = Dialect::openai;
  std::string base_url;  // per DESIGN.md §4; trailing slashes are ignored
  std::string api_key;   // empty: no authentication header at all
  std::string api_version = std::string(kDefaultAzureApiVersion);  // azure only
  // Sent after the dialect's own headers; a name equal (case-insensitively) to one of those
  // replaces its value instead (e.g. a different anthropic-version). Names are lower-cased.
  Headers extra_headers;
};

// Our own reasons, stored in DecodedResponse::error_type when the provider gave none (the
// provider_message is then empty or a snippet of a non-JSON body).
namespace reason {
inline constexpr std::string_view invalid_json = "invalid_json";      // truncated or malformed body
inline constexpr std::string_view no_choices = "no_choices";          // 2xx without any candidate
inline constexpr std::string_view empty_response = "empty_response";  // 2xx without text
inline constexpr std::string_view unexpected_shape = "unexpected_shape";  // JSON, wrong shape
}  // namespace reason

// Checks an endpoint before anything is sent (the sweep loader calls it), so that encode()
// cannot fail at request time: base_url is an absolute http(s) URL with a host and without a
// query or fragment (the dialect's path is appended to it); the API key and every extra header
// value hold no control character (CR, LF, NUL...: they would inject headers); every extra
// header name is an HTTP token and is not one the HTTP client manages (host, content-length,
// transfer-encoding). Throws InputError, one line naming the field or header and never its
// value (which may be a secret), prefixed with `where: ` when `where` is not empty (e.g.
// "sweep.yaml: endpoints[0]"). Pure, thread-safe.
void validate_endpoint_settings(const EndpointSettings& settings, std::string_view where = {});

// One dialect's encoder/decoder. Immutable after construction: every member is const and
// thread-safe, so one instance may serve all requests of all threads.
class DialectCodec {
 public:
  virtual ~DialectCodec();
  virtual Dialect dialect() const = 0;

  // The exact request: absolute URL, headers (content-type, authentication, dialect headers,
  // then settings.extra_headers) and JSON body. Every string is escaped per RFC 8259 and
  // ill-formed UTF-8 is replaced with U+FFFD, so the body is always valid JSON. Throws
  // InputError (one line, naming the header) when a header name or value, or the API key,
  // contains a control character such as CR or LF; validate_endpoint_settings() checks the
  // same before anything is sent.
  virtual HttpRequest encode(const ChatRequest& request,
                             const EndpointSettings& settings) const = 0;

  // Decodes any HTTP response: success, error bodies of every documented shape, and bodies
  // that are truncated, malformed or not JSON at all. Never throws on a bad body (only
  // std::bad_alloc can escape). `now` converts absolute rate-limit reset times (Anthropic's
  // RFC 3339 headers, HTTP-date Retry-After) to waits.
  //
  // `parser` is the caller's, reused across calls (one per thread): a fresh parser allocates
  // its buffers for every response. The overloads without it make one.
  virtual DecodedResponse decode(const HttpResponse& response,
                                 std::chrono::system_clock::time_point now,
                                 simdjson::dom::parser& parser) const = 0;
  DecodedResponse decode(const HttpResponse& response,
                         std::chrono::system_clock::time_point now) const;
  DecodedResponse decode(const HttpResponse& response) const {
    return decode(response, std::chrono::system_clock::now());
  }
};

// A codec for `dialect` (Dialect::azure is the openai codec with Azure's URL and auth).
std::unique_ptr<DialectCodec> make_codec(Dialect dialect);

// A transport-level failure (connect error, reset, timeout, TLS failure: no HTTP response) as
// a DecodedResponse: always Outcome::retryable, http_status 0, `reason` (ours, e.g.
// "timeout", "connection_reset") in error_type, provider_message empty.
DecodedResponse transport_failure(std::string_view reason);

// The one classifier of error responses for every dialect. `http_status` is the response's
// status; `error_type` the provider's error type or code when the body was a JSON error
// (else empty); `message` the provider's message. In order:
// * quota/billing exhaustion → quota_exhausted: error types insufficient_quota (OpenAI),
//   billing_error (Anthropic 402), billing_hard_limit_reached, insufficient_balance; HTTP 402
//   (OpenRouter, DeepSeek); and Anthropic's 400/403 messages "credit balance is too low" and
//   "reached your specified API usage limits". (Gemini's per-day quota is recognised by its
//   codec from the error details, because the message wording is the same as for per-minute
//   limits.)
// * content_filter (Azure's prompt filter) → safety_blocked.
// * overloaded_error → overloaded; rate_limit_error / rate_limit_exceeded → rate_limited
//   (whatever the status, e.g. an error body in a 200).
// * by status: 2xx (an error body in a success) → retryable; 408, 409, 425 → retryable;
//   429 → rate_limited; 503, 529 → overloaded; other 5xx → retryable; 0 (no response) →
//   retryable; other 4xx → permanent; anything else (1xx, 3xx) → permanent, since a redirect
//   means a wrong base_url that retrying cannot fix.
Outcome classify(unsigned http_status, std::string_view error_type = {},
                 std::string_view message = {});

// `text` cut to at most kMaxProviderMessage bytes without splitting a UTF-8 sequence, with
// ill-formed UTF-8 repaired.
std::string clip_provider_message(std::string_view text);

}  // namespace emosweep::providers
