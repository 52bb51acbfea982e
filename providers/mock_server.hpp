// The mock LLM provider: a real multi-threaded HTTP/1.1 server (Boost.Beast, Asio coroutines)
// that answers the OpenAI, Azure OpenAI, Anthropic and Gemini chat APIs at their real paths,
// with their real response and error shapes, and with latency, rate limits (429 +
// Retry-After + the dialect's rate-limit headers), injected faults and deterministic answers.
// It is the test partner and the benchmark partner of the orchestrator; see
// docs/PERFORMANCE.md ("Mock provider") and `emosweep mock-provider --help`.
//
// Paths (matched on their ends, so any base_url prefix works): POST .../chat/completions
// (OpenAI and compatibles; Azure: /openai/deployments/{d}/chat/completions?api-version=...),
// POST .../v1/messages (Anthropic; like the real API it requires `anthropic-version`),
// POST .../models/{model}:generateContent (Gemini); GET /health, GET /stats[?summary=1],
// POST /stats/reset. Keys checked by require_key: `Authorization: Bearer` (OpenAI; Azure also
// `api-key`), `x-api-key` (Anthropic), `x-goog-api-key` or `?key=` (Gemini). Rate-limit
// headers on every answer while a limit is on: OpenAI `x-ratelimit-*`, Anthropic
// `anthropic-ratelimit-*` (RFC 3339 resets); Gemini sends none and puts RetryInfo in its 429.
// Every 429 carries `Retry-After` (OpenAI also `retry-after-ms`). Nothing is logged.
//
// Tokens are approximated as ceil(Unicode code points / 4), at least 1, for the prompt (system
// prompt and every message) and for the answer; usage fields and the --tpm limit use them.
// An answer longer than max_tokens is cut to max_tokens * 4 code points and reported as such
// (finish_reason "length", stop_reason "max_tokens", finishReason "MAX_TOKENS").
//
// Determinism: the answer to a request depends only on (model, last user message, seed).
// Faults and latency depend on (seed, model, last user message, attempt), where attempt counts
// the earlier requests with the same model and last user message since the last stats reset,
// so the same set of requests sees the same faults whatever the concurrency.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace emosweep::providers {

// Which APIs answer; the others get a 404 in their own error shape.
enum class MockDialects { all, openai, anthropic, gemini };  // openai includes Azure paths

struct LatencyModel {
  enum class Kind { none, fixed, uniform, lognormal };
  Kind kind = Kind::none;
  double first_ms = 0;  // fixed: delay; uniform: low bound; lognormal: median
  double second = 0;    // uniform: high bound (ms); lognormal: sigma of the underlying normal
};

// Injected faults, drawn per request with the given probabilities (their sum is <= 1).
enum class FaultKind : std::size_t {
  http500,    // 500 server error
  http502,    // 502 bad gateway
  http503,    // 503 unavailable
  http504,    // 504 gateway timeout
  http529,    // overloaded: anthropic 529 overloaded_error, openai and gemini 503
  http429,    // a spurious rate-limit answer (as from a shared upstream)
  drop,       // headers and part of the body sent, then the connection closed
  malformed,  // 200 whose body is not valid JSON
  slow,       // a correct answer trickled out over MockOptions::slow_body
  quota,      // billing/quota exhausted: openai 429 insufficient_quota, anthropic 400
              // credit balance, gemini 429 RESOURCE_EXHAUSTED with a per-day QuotaFailure
  safety      // a 200 refusal with no text: openai finish_reason "content_filter" (content
              // null), anthropic stop_reason "refusal" (content []), gemini either a blocked
              // prompt (promptFeedback.blockReason "SAFETY", no candidates) or a candidate
              // with finishReason "SAFETY" and no content, chosen per request by the seed
};
inline constexpr std::size_t kFaultKindCount = 11;
// "500", "502", "503", "504", "529", "429", "drop", "malformed", "slow", "quota", "safety".
std::string_view to_string(FaultKind kind);

struct FaultRates {
  std::array<double, kFaultKindCount> rate{};  // indexed by FaultKind
  double& operator[](FaultKind k) { return rate[static_cast<std::size_t>(k)]; }
  double operator[](FaultKind k) const { return rate[static_cast<std::size_t>(k)]; }
  double total() const;
};

// Every knob of the server, with the defaults of `emosweep mock-provider`.
struct MockOptions {
  std::string host = "127.0.0.1";  // an IP literal or "localhost"
  std::uint16_t port = 0;          // 0: an ephemeral port, see MockServer::port()
  unsigned threads = 0;            // 0: std::thread::hardware_concurrency()
  MockDialects dialects = MockDialects::all;
  bool require_key = false;  // 401 unless the dialect's auth header is present (never logged)
  LatencyModel latency;
  std::uint64_t rpm = 0;  // requests per minute, 0 = unlimited
  std::uint64_t tpm = 0;  // tokens per minute (prompt + max_tokens per request), 0 = unlimited
  // Burst tolerance of both limits: each bucket refills at rpm (tpm) per minute but holds only
  // rpm × rate_window / 60 s units (at least one), so a client bursting above the per-second
  // rate gets 429s within the window. The default, a minute, holds a full minute's worth.
  // Headers stay truthful: limit is the per-minute figure, remaining what the bucket holds
  // now, reset the time until it is full, Retry-After the time until the request fits.
  std::chrono::milliseconds rate_window{60000};
  FaultRates faults;
  std::chrono::milliseconds slow_body{2000};  // how long a "slow" fault takes to send its body
  std::uint64_t seed = 0;
  std::string answers_file;  // JSONL of {"prompt"|"segment", "answer", "model"?}; empty: none
  std::string port_file;     // written with the bound port by start(); empty: none
  std::uint64_t default_max_tokens = 256;         // charged when a request sets no max_tokens
  std::chrono::milliseconds idle_timeout{60000};  // idle keep-alive connections are closed
  std::size_t max_body_bytes = 16u << 20;         // larger requests get 413
};

// Option parsers for the CLI; each throws InputError naming the option and the bad value.
// "HOST:PORT" or "[V6]:PORT" into options.host and options.port.
void parse_listen(std::string_view spec, MockOptions& options);
// "none", "fixed:MS", "uniform:LO:HI" or "lognormal:MEDIAN_MS:SIGMA".
LatencyModel parse_latency(std::string_view spec);
// "500=0.05,503=0.02,drop=0.01,..." (kinds as in to_string(FaultKind)); "" means none.
FaultRates parse_faults(std::string_view spec);
// "all", "openai", "anthropic" or "gemini".
MockDialects parse_mock_dialects(std::string_view spec);
// Throws InputError naming the first invalid option.
void validate(const MockOptions& options);

// The server. Owns its worker threads (one io_context each); the acceptor runs on the first.
// Thread-safety: start(), stop() and the destructor must not race with each other; port(),
// stats_json() and reset_stats() may be called from any thread while it runs.
class MockServer {
 public:
  // Validates the options and loads the answers file: throws InputError.
  explicit MockServer(MockOptions options);
  ~MockServer();  // stop()
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // Binds and listens (InputError naming --listen when the address cannot be bound), writes
  // the port file, starts the worker threads and returns. Call at most once.
  void start();
  // The bound port (the ephemeral one when options.port was 0); 0 before start().
  std::uint16_t port() const;
  // Stops accepting, closes every connection, abandons timers and in-flight responses, joins
  // the threads. Idempotent.
  void stop();

  // What GET /stats returns (summary: without "per_prompt", as GET /stats?summary=1):
  // {"requests", "connections", "responses_by_status": {"200": n, ...}, "rate_limited",
  //  "faults": {"500": n, ..., "safety": n}, "prompts", "max_per_prompt",
  //  "per_prompt": {"<hex sha256 of model + '\n' + last user message>": n}}
  // "requests" and "responses_by_status" count every request but GET /health, GET /stats and
  // POST /stats/reset; "connections" counts accepted connections; "prompts" the distinct
  // (model, last user message) pairs of well-formed chat requests, each counted once per
  // request that reached the rate limits (so retries show as counts above 1); "rate_limited"
  // the 429s from --rpm/--tpm (not the injected ones, which are under "faults").
  std::string stats_json(bool summary = false) const;
  // What POST /stats/reset does: zeroes every counter and refills the rate-limit buckets.
  void reset_stats();

  const MockOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emosweep::providers
