// Table tests of the rate-limit header parsers: every accepted form and the malformed inputs
// that must give nullopt (never an exception).
#include <gtest/gtest.h>

#include "providers/rate_limits.hpp"

namespace emosweep::providers {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::sys_days;

template <typename T>
std::string show(const std::optional<T>& v) {
  if (!v) return "nullopt";
  if constexpr (std::is_same_v<T, milliseconds>)
    return std::to_string(v->count()) + "ms";
  else
    return std::to_string(*v);
}

struct DurationCase {
  std::string_view input;
  std::optional<milliseconds> expected;
};

TEST(ParseDuration, GoDurationsAsOpenAiSendsThem) {
  const DurationCase cases[] = {
      {"6m0s", 360'000ms},
      {"1s", 1'000ms},
      {"20ms", 20ms},
      {"1h2m3.5s", 3'723'500ms},
      {"0.5s", 500ms},
      {"1.5s", 1'500ms},
      {"2h", 7'200'000ms},
      {"0s", 0ms},
      {"0", 0ms},
      {"59.98s", 59'980ms},
      {"2m59.56s", 179'560ms},
      {"39.787s", 39'787ms},
      {".5s", 500ms},
      {"1m30s", 90'000ms},
      {" 7.66s ", 7'660ms},  // optional whitespace around a header value
      {"1s1s", 2'000ms},     // Go accepts repeated units
      // Below a millisecond: rounded up, so that waiting it is never too short.
      {"1us", 1ms},
      {"1500us", 2ms},
      {"999999ns", 1ms},
      {"1000000ns", 1ms},
      {"1000001ns", 2ms},
      {"1\xC2\xB5s", 1ms},  // micro sign
      {"1\xCE\xBCs", 1ms},  // Greek mu
      {"0.0001s", 1ms},
      // Malformed.
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"s", std::nullopt},
      {"5", std::nullopt},  // a number without a unit (only a bare 0 is allowed)
      {"5x", std::nullopt},
      {"-1s", std::nullopt},  // negative waits make no sense
      {"+1s", std::nullopt},
      {"1s ms", std::nullopt},
      {"1..5s", std::nullopt},
      {".s", std::nullopt},
      {"1 s", std::nullopt},
      {"1S", std::nullopt},
      {"1s-", std::nullopt},
      {"abc", std::nullopt},
      {"99999999999999999999h", std::nullopt},  // overflow
      {"9999999999h", std::nullopt},            // overflows nanoseconds
  };
  for (const auto& c : cases) {
    EXPECT_EQ(show(parse_duration(c.input)), show(c.expected)) << "input: '" << c.input << "'";
  }
}

struct CountCase {
  std::string_view input;
  std::optional<std::uint64_t> expected;
};

TEST(ParseCount, NonNegativeIntegersOnly) {
  const CountCase cases[] = {
      {"0", 0},
      {"10000", 10000},
      {" 42 ", 42},
      {"18446744073709551615", 18446744073709551615ull},
      {"18446744073709551616", std::nullopt},  // overflow
      {"", std::nullopt},
      {"-1", std::nullopt},
      {"1.5", std::nullopt},
      {"1e3", std::nullopt},
      {"12abc", std::nullopt},
      {"abc", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(show(parse_count(c.input)), show(c.expected)) << "input: '" << c.input << "'";
  }
}

constexpr auto kNov6_1994 = sys_days{std::chrono::year{1994} / 11 / 6} + 8h + 49min + 37s;

struct DateCase {
  std::string_view input;
  std::optional<SystemTime> expected;
};

std::string show_time(const std::optional<SystemTime>& t) {
  if (!t) return "nullopt";
  return std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count());
}

TEST(ParseHttpDate, AllThreeRfc9110Forms) {
  const DateCase cases[] = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", kNov6_1994},    // IMF-fixdate
      {"Sunday, 06-Nov-94 08:49:37 GMT", kNov6_1994},   // RFC 850
      {"Sun Nov  6 08:49:37 1994", kNov6_1994},         // asctime
      {"Sun Nov 16 08:49:37 1994", kNov6_1994 + 240h},  // asctime, two-digit day
      {"Wed, 01 May 2024 12:00:30 GMT", sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 30s},
      {"Thursday, 01-Jan-26 00:00:00 GMT", sys_days{std::chrono::year{2026} / 1 / 1}},
      {"Thu, 29 Feb 2024 23:59:59 GMT", sys_days{std::chrono::year{2024} / 2 / 29} + 86399s},
      // Malformed.
      {"", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37", std::nullopt},        // no zone
      {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},    // zone must be GMT
      {"Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},     // day must have two digits
      {"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt},    // month
      {"Xyz, 06 Nov 1994 08:49:37 GMT", std::nullopt},    // day name
      {"Sun, 31 Feb 1994 08:49:37 GMT", std::nullopt},    // no such date
      {"Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},    // hour
      {"Sun, 06 Nov 1994 08:60:00 GMT", std::nullopt},    // minute
      {"Sun, 06 Nov 1994 08:49:37 GMT x", std::nullopt},  // trailing text
      {"Sun Nov  6 08:49:37 94", std::nullopt},           // asctime needs a 4-digit year
      {"1994-11-06T08:49:37Z", std::nullopt},             // RFC 3339 is not an HTTP-date
      {"Wed, 01 May 3825 12:00:30 GMT", std::nullopt},    // beyond system_clock (fuzzing)
      {"Wed, 01 May 1899 12:00:30 GMT", std::nullopt},    // before 1900
      {"Sat, 01 Jan 2200 00:00:00 GMT", sys_days{std::chrono::year{2200} / 1 / 1}},
      {"120", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(show_time(parse_http_date(c.input)), show_time(c.expected))
        << "input: '" << c.input << "'";
  }
}

TEST(ParseRfc3339, UtcOffsetsAndFractions) {
  const auto base = sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 0min + 30s;
  const DateCase cases[] = {
      {"2024-05-01T12:00:30Z", base},
      {"2024-05-01t12:00:30z", base},
      {"2024-05-01 12:00:30Z", base},
      {"2024-05-01T12:00:30.5Z", base + 500ms},
      {"2024-05-01T12:00:30.123456789Z", base + 123456789ns},
      {"2024-05-01T12:00:30.1234567891234Z", base + 123456789ns},  // beyond ns: truncated
      {"2024-05-01T14:00:30+02:00", base},
      {"2024-05-01T06:30:30-05:30", base},
      {"2024-05-01T12:00:30-00:00", base},
      {"2024-05-01T12:00:30.25+00:00", base + 250ms},
      {"2024-05-02T00:30:30+12:30", base},
      // Malformed.
      {"", std::nullopt},
      {"2024-05-01", std::nullopt},
      {"2024-05-01T12:00:30", std::nullopt},  // no offset
      {"2024-05-01T12:00Z", std::nullopt},    // no seconds
      {"2024-13-01T12:00:30Z", std::nullopt},
      {"2024-02-30T12:00:30Z", std::nullopt},
      {"2024-05-01T25:00:30Z", std::nullopt},
      {"2024-05-01T12:00:30.Z", std::nullopt},  // a dot without digits
      {"2024-05-01T12:00:30+0200", std::nullopt},
      {"2024-05-01T12:00:30+24:00", std::nullopt},
      {"2024-05-01T12:00:30ZZ", std::nullopt},
      {"2024-5-1T12:00:30Z", std::nullopt},
      {"Wed, 01 May 2024 12:00:30 GMT", std::nullopt},
      {"9999-12-31T23:59:59Z", std::nullopt},  // beyond system_clock (fuzzing)
      {"2201-01-01T00:00:00Z", std::nullopt},
      {"1899-12-31T23:59:59Z", std::nullopt},
      {"1900-01-01T00:00:00Z", sys_days{std::chrono::year{1900} / 1 / 1}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(show_time(parse_rfc3339(c.input)), show_time(c.expected))
        << "input: '" << c.input << "'";
  }
}

TEST(TimeUntil, RoundsUpAndNeverNegative) {
  const SystemTime now = sys_days{std::chrono::year{2024} / 5 / 1};
  EXPECT_EQ(time_until(now + 1500ms, now), 1500ms);
  EXPECT_EQ(time_until(now + 1ns, now), 1ms);
  EXPECT_EQ(time_until(now, now), 0ms);
  EXPECT_EQ(time_until(now - 5s, now), 0ms);
}

TEST(ParseRetryAfter, SecondsOrHttpDate) {
  const SystemTime now = sys_days{std::chrono::year{1994} / 11 / 6} + 8h + 49min + 7s;
  const DurationCase cases[] = {
      {"30", 30'000ms},
      {"0", 0ms},
      {" 5 ", 5'000ms},
      {"1.5", 1'500ms},  // not RFC 9110, but tolerated
      {"Sun, 06 Nov 1994 08:49:37 GMT", 30'000ms},
      {"Sunday, 06-Nov-94 08:49:37 GMT", 30'000ms},
      {"Sun Nov  6 08:49:37 1994", 30'000ms},
      {"Sun, 06 Nov 1994 08:00:00 GMT", 0ms},  // in the past: retry now
      // Malformed.
      {"", std::nullopt},
      {"-5", std::nullopt},
      {"5s", std::nullopt},
      {"soon", std::nullopt},
      {"1e3", std::nullopt},
      {"99999999999999999999", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(show(parse_retry_after(c.input, now)), show(c.expected))
        << "input: '" << c.input << "'";
  }
}

TEST(ParseRetryAfterMs, MillisecondsRoundedUp) {
  const DurationCase cases[] = {
      {"6000", 6'000ms},    {"0", 0ms},           {"1234.2", 1'235ms}, {"", std::nullopt},
      {"-1", std::nullopt}, {"6s", std::nullopt}, {"x", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(show(parse_retry_after_ms(c.input)), show(c.expected))
        << "input: '" << c.input << "'";
  }
}

TEST(ParseRetryHeaders, MillisecondsWinOverSecondsUnlessMalformed) {
  const SystemTime now{};
  EXPECT_EQ(show(parse_retry_headers({{"retry-after", "7"}, {"retry-after-ms", "6500"}}, now)),
            "6500ms");
  EXPECT_EQ(show(parse_retry_headers({{"retry-after-ms", "junk"}, {"retry-after", "7"}}, now)),
            "7000ms");
  EXPECT_EQ(show(parse_retry_headers({{"retry-after", "junk"}}, now)), "nullopt");
  EXPECT_EQ(show(parse_retry_headers({}, now)), "nullopt");
}

TEST(ParseOpenAiRateLimits, AllHeaders) {
  const Headers headers = {
      {"x-ratelimit-limit-requests", "10000"},
      {"x-ratelimit-remaining-requests", "9999"},
      {"x-ratelimit-reset-requests", "6ms"},
      {"x-ratelimit-limit-tokens", "30000000"},
      {"x-ratelimit-remaining-tokens", "29999975"},
      {"x-ratelimit-reset-tokens", "6m0s"},
      {"retry-after", "20"},
  };
  const RateLimitInfo info = parse_openai_rate_limits(headers, SystemTime{});
  EXPECT_EQ(show(info.requests_limit), "10000");
  EXPECT_EQ(show(info.requests_remaining), "9999");
  EXPECT_EQ(show(info.requests_reset), "6ms");
  EXPECT_EQ(show(info.tokens_limit), "30000000");
  EXPECT_EQ(show(info.tokens_remaining), "29999975");
  EXPECT_EQ(show(info.tokens_reset), "360000ms");
  EXPECT_EQ(show(info.retry_after), "20000ms");
}

TEST(ParseOpenAiRateLimits, MalformedHeadersAreIgnoredOneByOne) {
  const Headers headers = {
      {"x-ratelimit-limit-requests", "lots"},
      {"x-ratelimit-remaining-requests", "12"},
      {"x-ratelimit-reset-requests", "soon"},
      {"x-ratelimit-reset-tokens", "1s"},
  };
  const RateLimitInfo info = parse_openai_rate_limits(headers, SystemTime{});
  EXPECT_EQ(show(info.requests_limit), "nullopt");
  EXPECT_EQ(show(info.requests_remaining), "12");
  EXPECT_EQ(show(info.requests_reset), "nullopt");
  EXPECT_EQ(show(info.tokens_limit), "nullopt");
  EXPECT_EQ(show(info.tokens_reset), "1000ms");
  EXPECT_EQ(show(info.retry_after), "nullopt");
}

TEST(ParseAnthropicRateLimits, ResetTimestampsBecomeWaitsFromNow) {
  const SystemTime now = sys_days{std::chrono::year{2024} / 5 / 1} + 12h;
  const Headers headers = {
      {"anthropic-ratelimit-requests-limit", "4000"},
      {"anthropic-ratelimit-requests-remaining", "3999"},
      {"anthropic-ratelimit-requests-reset", "2024-05-01T12:00:01.5Z"},
      {"anthropic-ratelimit-tokens-limit", "400000"},
      {"anthropic-ratelimit-tokens-remaining", "399000"},
      {"anthropic-ratelimit-tokens-reset", "2024-05-01T14:00:30+02:00"},
      {"anthropic-ratelimit-input-tokens-remaining", "1"},  // the combined family wins
      {"retry-after", "3"},
  };
  const RateLimitInfo info = parse_anthropic_rate_limits(headers, now);
  EXPECT_EQ(show(info.requests_limit), "4000");
  EXPECT_EQ(show(info.requests_remaining), "3999");
  EXPECT_EQ(show(info.requests_reset), "1500ms");
  EXPECT_EQ(show(info.tokens_limit), "400000");
  EXPECT_EQ(show(info.tokens_remaining), "399000");
  EXPECT_EQ(show(info.tokens_reset), "30000ms");
  EXPECT_EQ(show(info.retry_after), "3000ms");
}

TEST(ParseAnthropicRateLimits, WithoutCombinedTokensTheBindingFamilyIsReported) {
  const SystemTime now = sys_days{std::chrono::year{2024} / 5 / 1};
  const Headers headers = {
      {"anthropic-ratelimit-input-tokens-limit", "200000"},
      {"anthropic-ratelimit-input-tokens-remaining", "150000"},
      {"anthropic-ratelimit-input-tokens-reset", "2024-05-01T00:00:10Z"},
      {"anthropic-ratelimit-output-tokens-limit", "40000"},
      {"anthropic-ratelimit-output-tokens-remaining", "100"},
      {"anthropic-ratelimit-output-tokens-reset", "2024-05-01T00:00:20Z"},
  };
  const RateLimitInfo info = parse_anthropic_rate_limits(headers, now);
  EXPECT_EQ(show(info.tokens_limit), "40000");
  EXPECT_EQ(show(info.tokens_remaining), "100");
  EXPECT_EQ(show(info.tokens_reset), "20000ms");
  EXPECT_EQ(show(info.requests_limit), "nullopt");
}

TEST(ParseAnthropicRateLimits, PastAndMalformedResets) {
  const SystemTime now = sys_days{std::chrono::year{2024} / 5 / 1};
  const Headers headers = {
      {"anthropic-ratelimit-requests-reset", "2024-04-30T23:59:59Z"},
      {"anthropic-ratelimit-tokens-reset", "in a minute"},
      {"anthropic-ratelimit-tokens-remaining", "-3"},
      {"retry-after", "Wed, 01 May 2024 00:00:05 GMT"},
  };
  const RateLimitInfo info = parse_anthropic_rate_limits(headers, now);
  EXPECT_EQ(show(info.requests_reset), "0ms");
  EXPECT_EQ(show(info.tokens_reset), "nullopt");
  EXPECT_EQ(show(info.tokens_remaining), "nullopt");
  EXPECT_EQ(show(info.retry_after), "5000ms");
}

}  // namespace
}  // namespace emosweep::providers
