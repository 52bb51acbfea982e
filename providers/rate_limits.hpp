// Parsers for the rate-limit hints providers send in response headers: Go-style durations
// (OpenAI), Retry-After (seconds or HTTP-date), RFC 3339 timestamps (Anthropic).
//
// Pure functions: no I/O, no clock reads (the caller passes `now`), thread-safe, and they never
// throw on malformed input: they return nullopt (or leave a RateLimitInfo field empty), because
// a provider's odd header must never fail a response that is otherwise fine.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "providers/types.hpp"

namespace emosweep::providers {

using SystemTime = std::chrono::system_clock::time_point;

// A non-negative decimal integer ("1000"), surrounding spaces/tabs allowed; nullopt on
// anything else, including overflow.
std::optional<std::uint64_t> parse_count(std::string_view value);

// A Go time.Duration string as OpenAI's x-ratelimit-reset-* headers (and Gemini's
// RetryInfo.retryDelay) carry it: one or more `<decimal><unit>` terms, units h, m, s, ms,
// us/µs/μs, ns ("6m0s", "1s", "20ms", "1h2m3.5s", "0.5s", "2h"); a bare "0" is zero. Rounded
// up to whole milliseconds so that waiting the result is never too short. Signs, missing
// units and overflow give nullopt.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view value);

// An HTTP-date in any of the three forms RFC 9110 §5.6.7 requires recipients to accept:
// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT",
// two-digit years 70–99 → 19xx, else 20xx) and asctime ("Sun Nov  6 08:49:37 1994").
// Here and in parse_rfc3339, years outside 1900–2200 give nullopt (a system_clock time point
// cannot hold much more, and no provider means them).
std::optional<SystemTime> parse_http_date(std::string_view value);

// An RFC 3339 timestamp: "2024-05-01T12:00:30Z", fractional seconds of any length, a numeric
// offset ("+02:00", "-00:00"), 't'/'z' in either case, or a space instead of 'T'.
std::optional<SystemTime> parse_rfc3339(std::string_view value);

// The time from `now` until `when`, rounded up to whole milliseconds; zero when `when` is
// already past.
std::chrono::milliseconds time_until(SystemTime when, SystemTime now);

// Retry-After: delta-seconds ("30"; a decimal fraction is tolerated) or an HTTP-date,
// returned as the wait from `now` (zero for a date in the past).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, SystemTime now);

// retry-after-ms (Azure OpenAI, OpenAI): milliseconds, a decimal fraction tolerated and
// rounded up.
std::optional<std::chrono::milliseconds> parse_retry_after_ms(std::string_view value);

// The retry hint of a header set: retry-after-ms when present and valid (more precise), else
// retry-after.
std::optional<std::chrono::milliseconds> parse_retry_headers(const Headers& headers,
                                                             SystemTime now);

// OpenAI and OpenAI-compatible servers (Azure, Groq, ...): x-ratelimit-{limit,remaining,
// reset}-{requests,tokens} (resets are durations) and the retry headers.
RateLimitInfo parse_openai_rate_limits(const Headers& headers, SystemTime now);

// Anthropic: anthropic-ratelimit-requests-{limit,remaining,reset} and the token headers
// (resets are RFC 3339 timestamps, converted to waits from `now`), and retry-after. For tokens
// the combined anthropic-ratelimit-tokens-* headers win; without them, the input-tokens or
// output-tokens family with the fewer tokens remaining (the binding one) is reported.
RateLimitInfo parse_anthropic_rate_limits(const Headers& headers, SystemTime now);

}  // namespace emosweep::providers
