// The server side of the three wire formats: request parsing (what the mock needs from a
// chat request) and response building (success bodies, error bodies in each dialect's real
// shape, rate-limit headers, raw HTTP/1.1 framing into a reused buffer). Written
// independently of the client-side codecs on purpose: two implementations of each format
// catch each other's mistakes. Pure functions, no I/O; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/types.hpp"

namespace simdjson::dom {
class parser;
}

namespace emosweep::providers::mock {

// What the mock needs from a chat request.
struct ChatCall {
  std::string model;
  std::string last_user;                 // text of the last user message (parts joined with '\n')
  std::uint64_t prompt_code_points = 0;  // system prompt and every message
  std::optional<std::uint64_t> max_tokens;
};

// Parses a chat request body. `path_model` is the Gemini model or the Azure deployment taken
// from the path (empty otherwise). `body` must have SIMDJSON_PADDING bytes of spare capacity
// (the caller reserves them). Returns nullopt on success, else the reason for a 400 in the
// dialect's own words.
std::optional<std::string> parse_chat_request(Dialect dialect, std::string_view path_model,
                                              const std::string& body,
                                              simdjson::dom::parser& parser, ChatCall& out);

// The success body of each dialect. `finish` is true when the text ended naturally and false
// when it was cut at max_tokens.
struct Completion {
  std::string_view id;       // with the dialect's prefix: chatcmpl-, msg_ (gemini: none)
  std::int64_t created = 0;  // unix seconds
  std::string_view model;
  std::string_view text;
  bool finished = true;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};
void write_success_body(std::string& out, Dialect dialect, const Completion& c);
// A 200 refusal on safety grounds, with no text, in the dialect's real shape (see
// FaultKind::safety); `c.text` and `c.finished` are ignored, completion tokens are 0. For
// gemini, `prompt_blocked` chooses a blocked prompt (promptFeedback.blockReason, no
// candidates) over a blocked candidate (finishReason "SAFETY", no content).
void write_refusal_body(std::string& out, Dialect dialect, const Completion& c,
                        bool prompt_blocked);

enum class ErrorKind {
  bad_request,         // 400 with a reason
  unauthorized,        // 401: no API key
  not_found,           // 404
  method_not_allowed,  // 405
  too_large,           // 413
  rate_limited,        // 429 from the limits (message says which)
  server_error,        // 500
  bad_gateway,         // 502
  unavailable,         // 503
  gateway_timeout,     // 504
  overloaded,          // anthropic 529 overloaded_error, others 503
  quota                // openai 429 insufficient_quota, anthropic 400 credit, gemini 429 daily
};
unsigned error_status(Dialect dialect, ErrorKind kind);
// The error body in the dialect's real shape. `message` replaces the default text when not
// empty. `retry_after_s` > 0 adds Gemini's google.rpc.RetryInfo to a rate-limit error;
// `limit_kind` is "requests" or "tokens" (the OpenAI error type of a rate-limit error).
void write_error_body(std::string& out, Dialect dialect, ErrorKind kind, std::string_view message,
                      std::int64_t retry_after_s = 0, std::string_view limit_kind = "requests");

// A limit as reported in headers.
struct LimitView {
  bool enabled = false;
  std::uint64_t limit = 0;
  std::uint64_t remaining = 0;
  std::int64_t reset_ns = 0;  // until the bucket is full again
};
// OpenAI `x-ratelimit-*` or Anthropic `anthropic-ratelimit-*` headers (Gemini sends none).
void append_rate_limit_headers(std::string& out, Dialect dialect, const LimitView& requests,
                               const LimitView& tokens, std::chrono::system_clock::time_point now);
// `Retry-After` (whole seconds, >= 1) and, for OpenAI, `retry-after-ms`.
void append_retry_after(std::string& out, Dialect dialect, std::int64_t retry_after_ns);
// Seconds for Retry-After: rounded up, at least 1.
std::int64_t retry_after_seconds(std::int64_t ns);

// Durations as OpenAI writes them (Go's time.Duration, millisecond precision): "20ms", "1s",
// "1.5s", "6m0s", "1h0m0s".
std::string go_duration(std::int64_t ns);
// RFC 3339 UTC with second precision, rounded up: "2024-05-01T12:00:01Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

// Raw HTTP/1.1 framing: status line, headers, then finish_response() adds Content-Length,
// Connection and the body. `version` is 10 or 11 as in Beast.
void begin_response(std::string& out, unsigned version, unsigned status);
void append_header(std::string& out, std::string_view name, std::string_view value);
void finish_response(std::string& out, std::string_view body, bool keep_alive, unsigned version);
std::string_view content_type(Dialect dialect);

}  // namespace emosweep::providers::mock
