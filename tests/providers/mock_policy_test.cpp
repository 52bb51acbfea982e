// The mock provider's pure parts, without sockets or clocks: the per-minute limiter (time is
// passed in), duration and date formats, request parsing and error shapes of each dialect,
// mask counting, pseudo-predictions, the answers file, and option parsing.
#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "core/error.hpp"
#include "providers/mock/answers.hpp"
#include "providers/mock/rate_limiter.hpp"
#include "providers/mock/wire.hpp"
#include "providers/mock_server.hpp"

namespace emosweep::providers {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

// --- MinuteLimiter --------------------------------------------------------------------------

TEST(MinuteLimiter, AFullBucketAdmitsTheLimitThenRefusesWithTheWaitForOneUnit) {
  mock::MinuteLimiter limiter(60);
  const std::int64_t t0 = 5 * kSecond;
  for (int i = 0; i < 60; ++i) {
    const auto r = limiter.acquire(t0, 1);
    ASSERT_TRUE(r.allowed) << i;
    EXPECT_EQ(r.remaining, static_cast<std::uint64_t>(59 - i));
    EXPECT_EQ(r.reset_ns, (i + 1) * kSecond);
  }
  const auto refused = limiter.acquire(t0, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_FALSE(refused.too_large);
  EXPECT_EQ(refused.remaining, 0u);
  EXPECT_EQ(refused.retry_after_ns, kSecond);
  EXPECT_EQ(refused.reset_ns, 60 * kSecond);
  // Refills continuously: one unit per second at 60/minute.
  EXPECT_FALSE(limiter.acquire(t0 + kSecond / 2, 1).allowed);
  EXPECT_TRUE(limiter.acquire(t0 + kSecond, 1).allowed);
  EXPECT_FALSE(limiter.acquire(t0 + kSecond, 1).allowed);
  const auto later = limiter.state(t0 + 31 * kSecond);
  EXPECT_EQ(later.remaining, 30u);
  EXPECT_EQ(limiter.state(t0 + 1000 * kSecond).remaining, 60u);
}

TEST(MinuteLimiter, LimitsThatDoNotDivideAMinuteStillAdmitExactlyTheLimit) {
  for (std::uint64_t limit : {7u, 13u, 1000u, 90000u}) {
    mock::MinuteLimiter limiter(limit);
    std::uint64_t admitted = 0;
    while (limiter.acquire(0, 1).allowed)
      ++admitted;
    EXPECT_EQ(admitted, limit);
    EXPECT_EQ(limiter.state(0).remaining, 0u);
  }
}

TEST(MinuteLimiter, WeightedCostsRefundAndTooLarge) {
  mock::MinuteLimiter tokens(1000);
  EXPECT_TRUE(tokens.acquire(0, 600).allowed);
  const auto refused = tokens.acquire(0, 600);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 400u);
  EXPECT_EQ(refused.retry_after_ns, 12 * kSecond);  // 200 tokens at 1000/60 per second
  tokens.refund(600);
  EXPECT_EQ(tokens.state(0).remaining, 1000u);
  const auto huge = tokens.acquire(0, 1001);
  EXPECT_FALSE(huge.allowed);
  EXPECT_TRUE(huge.too_large);
  tokens.reset();
  EXPECT_TRUE(tokens.acquire(0, 1000).allowed);
}

TEST(MinuteLimiter, ZeroMeansOff) {
  mock::MinuteLimiter off(0);
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(off.acquire(0, 1'000'000).allowed);
}

TEST(MinuteLimiter, DefaultWindowIsAMinuteOfUnits) {
  mock::MinuteLimiter limiter(600);
  EXPECT_EQ(limiter.window_ns(), mock::MinuteLimiter::kMinuteNs);
  EXPECT_EQ(limiter.capacity(), 600u);
}

TEST(MinuteLimiter, AShortWindowRefusesABurstButKeepsTheLongRunRate) {
  // 600 per minute = 10 per second; a one-second window holds 10.
  mock::MinuteLimiter limiter(600, kSecond);
  EXPECT_EQ(limiter.capacity(), 10u);
  const std::int64_t t0 = 3 * kSecond;
  for (int i = 0; i < 10; ++i) {
    const auto r = limiter.acquire(t0, 1);
    ASSERT_TRUE(r.allowed) << i;
    EXPECT_EQ(r.remaining, static_cast<std::uint64_t>(9 - i));
    EXPECT_EQ(r.reset_ns, (i + 1) * kSecond / 10);  // until the bucket is full again
  }
  const auto refused = limiter.acquire(t0, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_FALSE(refused.too_large);
  EXPECT_EQ(refused.remaining, 0u);
  EXPECT_EQ(refused.reset_ns, kSecond);             // a full window's worth to refill
  EXPECT_EQ(refused.retry_after_ns, kSecond / 10);  // one unit refills in 100 ms
  // Truthful: exactly at the Retry-After instant one request fits, and only one.
  EXPECT_FALSE(limiter.acquire(t0 + kSecond / 10 - 1, 1).allowed);
  EXPECT_TRUE(limiter.acquire(t0 + kSecond / 10, 1).allowed);
  EXPECT_FALSE(limiter.acquire(t0 + kSecond / 10, 1).allowed);
  // The long-run rate is still 600 per minute: a client sending as fast as it is allowed,
  // every 10 ms for a minute, gets the 10 of the full bucket plus 600 refilled.
  mock::MinuteLimiter paced(600, kSecond);
  std::uint64_t admitted = 0;
  for (std::int64_t t = 0; t <= 60 * kSecond; t += kSecond / 100)
    admitted += paced.acquire(t, 1).allowed;
  EXPECT_EQ(admitted, 610u);
  // A minute's idle refills only the window's worth.
  EXPECT_EQ(limiter.state(t0 + 600 * kSecond).remaining, 10u);
}

TEST(MinuteLimiter, TokenWindowAdmitsAFullBucketsWorthAndABigRequestOnlyWhenFull) {
  // 60,000 tokens per minute = 1,000 per second; a 500 ms window holds 500.
  mock::MinuteLimiter tokens(60'000, kSecond / 2);
  EXPECT_EQ(tokens.capacity(), 500u);
  EXPECT_TRUE(tokens.acquire(0, 300).allowed);
  const auto refused = tokens.acquire(0, 300);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 200u);
  EXPECT_EQ(refused.retry_after_ns, kSecond / 10);  // 100 more tokens at 1,000/s
  EXPECT_TRUE(tokens.acquire(kSecond / 10, 300).allowed);
  // 2,000 tokens exceed the bucket (500) but not the minute (60,000): admitted once the
  // bucket is full, leaving it in debt, so the long-run rate holds.
  const auto big_refused = tokens.acquire(kSecond / 5, 2000);
  EXPECT_FALSE(big_refused.allowed);
  EXPECT_FALSE(big_refused.too_large);
  EXPECT_EQ(big_refused.retry_after_ns, big_refused.reset_ns);  // until full
  const std::int64_t full_at = kSecond / 5 + big_refused.reset_ns;
  EXPECT_EQ(full_at, kSecond / 2 + kSecond / 10);  // 600 tokens charged at t = 0.1 s
  EXPECT_FALSE(tokens.acquire(full_at - 1, 2000).allowed);
  const auto big = tokens.acquire(full_at, 2000);
  EXPECT_TRUE(big.allowed);
  EXPECT_EQ(big.remaining, 0u);
  EXPECT_EQ(big.reset_ns, 2 * kSecond);  // the debt takes two seconds to repay
  EXPECT_FALSE(tokens.acquire(full_at + kSecond, 1).allowed);
  // More than the per-minute limit never fits.
  EXPECT_TRUE(tokens.acquire(full_at + 100 * kSecond, 60'001).too_large);
}

TEST(MinuteLimiter, AWindowShorterThanOneUnitHoldsOneUnit) {
  // 30 per minute: one unit refills every 2 s, longer than a 1 s window.
  mock::MinuteLimiter limiter(30, kSecond);
  EXPECT_EQ(limiter.window_ns(), 2 * kSecond);
  EXPECT_EQ(limiter.capacity(), 1u);
  EXPECT_TRUE(limiter.acquire(0, 1).allowed);
  const auto refused = limiter.acquire(0, 1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ns, 2 * kSecond);
  EXPECT_TRUE(limiter.acquire(2 * kSecond, 1).allowed);
}

// --- formats ----------------------------------------------------------------------------------

TEST(MockWire, GoDurationsAsOpenAiWritesThem) {
  const std::pair<std::int64_t, std::string_view> cases[] = {
      {0, "0s"},
      {1, "1ms"},
      {20'000'000, "20ms"},
      {999'000'000, "999ms"},
      {kSecond, "1s"},
      {1'500'000'000, "1.5s"},
      {8'640'000'000, "8.64s"},
      {60 * kSecond, "1m0s"},
      {360 * kSecond, "6m0s"},
      {90'250'000'000, "1m30.25s"},
      {3600 * kSecond, "1h0m0s"},
  };
  for (const auto& [ns, text] : cases)
    EXPECT_EQ(mock::go_duration(ns), text) << ns;
}

TEST(MockWire, RetryAfterSecondsRoundUpToAtLeastOne) {
  EXPECT_EQ(mock::retry_after_seconds(0), 1);
  EXPECT_EQ(mock::retry_after_seconds(1), 1);
  EXPECT_EQ(mock::retry_after_seconds(kSecond), 1);
  EXPECT_EQ(mock::retry_after_seconds(kSecond + 1), 2);
  EXPECT_EQ(mock::retry_after_seconds(59 * kSecond + 500), 60);
}

TEST(MockWire, Rfc3339InUtcRoundedUp) {
  using namespace std::chrono;
  const system_clock::time_point t{seconds(1714564800)};  // 2024-05-01T12:00:00Z
  EXPECT_EQ(mock::rfc3339(t), "2024-05-01T12:00:00Z");
  EXPECT_EQ(mock::rfc3339(t + milliseconds(1)), "2024-05-01T12:00:01Z");
}

TEST(MockWire, RateLimitHeadersPerDialect) {
  const mock::LimitView requests{true, 60, 59, kSecond};
  const mock::LimitView tokens{false, 0, 0, 0};
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1714564800)};
  std::string openai;
  mock::append_rate_limit_headers(openai, Dialect::openai, requests, tokens, now);
  EXPECT_EQ(openai,
            "x-ratelimit-limit-requests: 60\r\nx-ratelimit-remaining-requests: 59\r\n"
            "x-ratelimit-reset-requests: 1s\r\n");
  std::string anthropic;
  mock::append_rate_limit_headers(anthropic, Dialect::anthropic, requests, tokens, now);
  EXPECT_EQ(anthropic,
            "anthropic-ratelimit-requests-limit: 60\r\nanthropic-ratelimit-requests-remaining: "
            "59\r\nanthropic-ratelimit-requests-reset: 2024-05-01T12:00:01Z\r\n");
  std::string gemini;
  mock::append_rate_limit_headers(gemini, Dialect::gemini, requests, tokens, now);
  EXPECT_EQ(gemini, "");
  std::string retry;
  mock::append_retry_after(retry, Dialect::openai, 1'200'000'000);
  EXPECT_EQ(retry, "retry-after: 2\r\nretry-after-ms: 1200\r\n");
}

TEST(MockWire, HttpFraming) {
  std::string out;
  mock::begin_response(out, 11, 529);
  mock::append_header(out, "content-type", "application/json");
  mock::finish_response(out, "{}", false, 11);
  EXPECT_EQ(out,
            "HTTP/1.1 529 Site Overloaded\r\ncontent-type: application/json\r\n"
            "content-length: 2\r\nconnection: close\r\n\r\n{}");
  out.clear();
  mock::begin_response(out, 10, 200);
  mock::finish_response(out, "", true, 10);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n");
}

// --- request parsing --------------------------------------------------------------------------

struct Parsed {
  std::optional<std::string> error;
  mock::ChatCall call;
};

Parsed parse(Dialect d, std::string body, std::string_view path_model = {}) {
  simdjson::dom::parser parser;
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  Parsed p;
  p.error = mock::parse_chat_request(d, path_model, body, parser, p.call);
  return p;
}

TEST(MockWire, ParsesOpenAiRequests) {
  const auto p = parse(Dialect::openai, R"({"model":"gpt-4o","max_tokens":50,"messages":[
      {"role":"system","content":"abcd"},
      {"role":"user","content":"first"},
      {"role":"assistant","content":"ok"},
      {"role":"user","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{}},{"type":"text","text":"two"}]}]})");
  ASSERT_FALSE(p.error) << *p.error;
  EXPECT_EQ(p.call.model, "gpt-4o");
  EXPECT_EQ(p.call.last_user, "part one\ntwo");
  EXPECT_EQ(p.call.prompt_code_points, 4u + 5 + 2 + 8 + 3);
  EXPECT_EQ(p.call.max_tokens, 50u);
  EXPECT_EQ(parse(Dialect::openai, R"({"model":"m","max_completion_tokens":9,"messages":[
      {"role":"user","content":"x"}]})")
                .call.max_tokens,
            9u);
  EXPECT_EQ(parse(Dialect::openai, R"({"model":"m","messages":[{"role":"user","content":"é€"}]})")
                .call.prompt_code_points,
            2u);
}

TEST(MockWire, RejectsBrokenOpenAiRequests) {
  EXPECT_TRUE(parse(Dialect::openai, "{").error);
  EXPECT_TRUE(parse(Dialect::openai, "[]").error);
  EXPECT_TRUE(parse(Dialect::openai, R"({"messages":[{"role":"user","content":"x"}]})").error);
  EXPECT_TRUE(parse(Dialect::openai, R"({"model":"m"})").error);
  EXPECT_TRUE(parse(Dialect::openai, R"({"model":"m","messages":[]})").error);
  EXPECT_TRUE(
      parse(Dialect::openai, R"({"model":"m","messages":[{"role":"robot","content":"x"}]})").error);
  EXPECT_TRUE(
      parse(Dialect::openai, R"({"model":"m","messages":[{"role":"user","content":5}]})").error);
  EXPECT_TRUE(parse(Dialect::openai,
                    R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})")
                  .error);
  // Azure takes the model from the deployment.
  const auto azure =
      parse(Dialect::azure, R"({"messages":[{"role":"user","content":"x"}]})", "dep");
  ASSERT_FALSE(azure.error);
  EXPECT_EQ(azure.call.model, "dep");
}

TEST(MockWire, ParsesAnthropicRequests) {
  const auto p = parse(Dialect::anthropic, R"({"model":"claude","max_tokens":256,
      "system":[{"type":"text","text":"sys"}],
      "messages":[{"role":"user","content":[{"type":"text","text":"hello"}]},
                  {"role":"assistant","content":"hi"},{"role":"user","content":"again"}]})");
  ASSERT_FALSE(p.error) << *p.error;
  EXPECT_EQ(p.call.model, "claude");
  EXPECT_EQ(p.call.last_user, "again");
  EXPECT_EQ(p.call.prompt_code_points, 3u + 5 + 2 + 5);
  EXPECT_EQ(p.call.max_tokens, 256u);
  EXPECT_EQ(
      *parse(Dialect::anthropic, R"({"model":"c","messages":[{"role":"user","content":"x"}]})")
           .error,
      "max_tokens: Field required");
  EXPECT_TRUE(parse(Dialect::anthropic,
                    R"({"model":"c","max_tokens":5,"messages":[{"role":"system","content":"x"}]})")
                  .error);
}

TEST(MockWire, ParsesGeminiRequests) {
  const auto p = parse(Dialect::gemini, R"({"systemInstruction":{"parts":[{"text":"sys"}]},
      "contents":[{"role":"user","parts":[{"text":"a"},{"text":"b"}]},
                  {"role":"model","parts":[{"text":"ok"}]},
                  {"parts":[{"text":"last"}]}],
      "generationConfig":{"temperature":0,"maxOutputTokens":77}})",
                       "gemini-2.0-flash");
  ASSERT_FALSE(p.error) << *p.error;
  EXPECT_EQ(p.call.model, "gemini-2.0-flash");
  EXPECT_EQ(p.call.last_user, "last");  // a content without a role is the user's
  EXPECT_EQ(p.call.prompt_code_points, 3u + 1 + 1 + 2 + 4);
  EXPECT_EQ(p.call.max_tokens, 77u);
  EXPECT_TRUE(parse(Dialect::gemini, R"({"contents":[]})", "g").error);
  EXPECT_TRUE(
      parse(Dialect::gemini, R"({"contents":[{"role":"bot","parts":[{"text":"x"}]}]})", "g").error);
}

// --- response shapes --------------------------------------------------------------------------

TEST(MockWire, SuccessBodiesAreValidJsonWithEscapedText) {
  const std::string text = "['a \"quoted\" \\ word']\n";
  for (Dialect d : {Dialect::openai, Dialect::anthropic, Dialect::gemini}) {
    mock::Completion c;
    c.id = "id1";
    c.created = 1;
    c.model = "m";
    c.text = text;
    c.prompt_tokens = 3;
    c.completion_tokens = 4;
    std::string body;
    mock::write_success_body(body, d, c);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
    std::string_view got;
    const char* pointer = d == Dialect::openai      ? "/choices/0/message/content"
                          : d == Dialect::anthropic ? "/content/0/text"
                                                    : "/candidates/0/content/parts/0/text";
    ASSERT_EQ(root.at_pointer(pointer).get(got), simdjson::SUCCESS) << body;
    EXPECT_EQ(got, text);
  }
}

TEST(MockWire, RefusalBodiesInEachDialectsShape) {
  mock::Completion c;
  c.id = "id1";
  c.created = 1;
  c.model = "m";
  c.text = "ignored";
  c.prompt_tokens = 3;
  c.completion_tokens = 4;
  const auto body_of = [&](Dialect d, bool prompt_blocked) {
    std::string body;
    mock::write_refusal_body(body, d, c, prompt_blocked);
    return body;
  };
  EXPECT_EQ(body_of(Dialect::openai, false),
            R"({"id":"id1","object":"chat.completion","created":1,"model":"m","choices":[)"
            R"({"index":0,"message":{"role":"assistant","content":null,"refusal":null},)"
            R"("logprobs":null,"finish_reason":"content_filter"}],"usage":{"prompt_tokens":3,)"
            R"("completion_tokens":0,"total_tokens":3},"system_fingerprint":"fp_emosweep_mock"})");
  EXPECT_NE(
      body_of(Dialect::azure, false)
          .find(R"("content_filter_results":{"violence":{"filtered":true,"severity":"high"}})"),
      std::string::npos);
  EXPECT_EQ(body_of(Dialect::anthropic, false),
            R"({"id":"id1","type":"message","role":"assistant","model":"m","content":[],)"
            R"("stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":3,)"
            R"("output_tokens":0}})");
  const std::string prompt = body_of(Dialect::gemini, true);
  EXPECT_TRUE(
      prompt.starts_with(R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[)"
                         R"({"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH"},)"))
      << prompt;
  EXPECT_EQ(prompt.find("candidates"), std::string::npos);
  EXPECT_TRUE(prompt.ends_with(R"("usageMetadata":{"promptTokenCount":3,"totalTokenCount":3},)"
                               R"("modelVersion":"m","responseId":"id1"})"))
      << prompt;
  const std::string candidate = body_of(Dialect::gemini, false);
  EXPECT_TRUE(candidate.starts_with(R"({"candidates":[{"finishReason":"SAFETY","index":0,)"
                                    R"("safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT",)"
                                    R"("probability":"HIGH","blocked":true},)"))
      << candidate;
  EXPECT_EQ(candidate.find("\"content\""), std::string::npos);
  EXPECT_EQ(candidate.find("ignored"), std::string::npos);
  for (Dialect d : {Dialect::openai, Dialect::azure, Dialect::anthropic, Dialect::gemini}) {
    for (bool blocked : {false, true}) {
      simdjson::dom::parser parser;
      simdjson::dom::element root;
      const std::string body = body_of(d, blocked);
      EXPECT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
    }
  }
}

TEST(MockWire, ErrorBodiesInEachDialectsShape) {
  std::string body;
  mock::write_error_body(body, Dialect::openai, mock::ErrorKind::quota, {});
  EXPECT_NE(body.find(R"("type":"insufficient_quota","param":null,"code":"insufficient_quota")"),
            std::string::npos)
      << body;
  body.clear();
  mock::write_error_body(body, Dialect::anthropic, mock::ErrorKind::overloaded, {});
  EXPECT_EQ(body, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  EXPECT_EQ(mock::error_status(Dialect::anthropic, mock::ErrorKind::overloaded), 529u);
  EXPECT_EQ(mock::error_status(Dialect::openai, mock::ErrorKind::overloaded), 503u);
  EXPECT_EQ(mock::error_status(Dialect::anthropic, mock::ErrorKind::quota), 400u);
  body.clear();
  mock::write_error_body(body, Dialect::gemini, mock::ErrorKind::rate_limited, {}, 17);
  EXPECT_NE(body.find(R"("@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s")"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"("code":429)"), std::string::npos);
  body.clear();
  mock::write_error_body(body, Dialect::gemini, mock::ErrorKind::quota, {});
  EXPECT_NE(body.find("PerDay"), std::string::npos);
  EXPECT_EQ(body.find("RetryInfo"), std::string::npos);
}

// --- answers ----------------------------------------------------------------------------------

TEST(MockAnswers, TokenApproximationIsCodePointsOverFourRoundedUp) {
  EXPECT_EQ(mock::approx_tokens(""), 1u);
  EXPECT_EQ(mock::approx_tokens("abc"), 1u);
  EXPECT_EQ(mock::approx_tokens("abcd"), 1u);
  EXPECT_EQ(mock::approx_tokens("abcde"), 2u);
  EXPECT_EQ(mock::approx_tokens("ééééé"), 2u);  // code points, not bytes
  std::string mixed;
  for (int i = 0; i < 10; ++i)
    mixed += "a\u00e9\u20ac\U0001F600";  // 1 + 2 + 3 + 4 bytes
  EXPECT_EQ(mock::count_code_points(mixed), 40u);
  EXPECT_EQ(mock::count_code_points(mixed.substr(0, 13)), 6u);  // a, é, €, 😀, a, é
}

TEST(MockAnswers, MasksAreCountedAfterTheLastTextLine) {
  EXPECT_EQ(mock::count_masks("no masks"), 0u);
  EXPECT_EQ(mock::count_masks("<mask> and <mask>"), 2u);
  EXPECT_EQ(mock::count_masks("Predict the <mask> token(s).\n\nText:\nI felt <mask>.\n\nAnswer:"),
            1u);
  EXPECT_EQ(mock::count_masks("Masked as <mask>.\nText:\na <mask>\nAnswer: ['x']\n\nText: b "
                              "<mask> c <mask>\nAnswer:"),
            2u);
  // "Text:" inside a line is not a marker.
  EXPECT_EQ(mock::count_masks("Some Text: <mask>\nmore <mask>"), 2u);
  EXPECT_EQ(mock::count_masks("<mask><mask><mask>"), 3u);
}

TEST(MockAnswers, PseudoPredictionIsStableAndShapedLikeAModelAnswer) {
  const std::string prompt = "Text:\nI was <mask>, <mask> and <mask>.";
  const std::string a = mock::pseudo_prediction("gpt-4o", prompt, 1);
  EXPECT_EQ(a, mock::pseudo_prediction("gpt-4o", prompt, 1));
  ASSERT_TRUE(a.starts_with("['")) << a;
  ASSERT_TRUE(a.ends_with("']")) << a;
  EXPECT_EQ(std::count(a.begin(), a.end(), ','), 2);
  EXPECT_EQ(mock::pseudo_prediction("m", "Text:\nnothing", 1), "[]");
  EXPECT_EQ(a, mock::pseudo_prediction(mock::prompt_key_prefix(mock::prompt_key("gpt-4o", prompt)),
                                       3, 1));
  // The choices spread over the vocabulary and move with seed and model.
  std::set<std::string> distinct;
  for (int seed = 0; seed < 200; ++seed)
    distinct.insert(mock::pseudo_prediction("m", "Text:\n<mask>", seed));
  EXPECT_GT(distinct.size(), 50u);
  int differ = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string p = "Text:\n" + std::to_string(i) + " <mask> <mask>";
    differ += mock::pseudo_prediction("a", p, 0) != mock::pseudo_prediction("b", p, 0);
  }
  EXPECT_GE(differ, 15);
  EXPECT_EQ(mock::emotion_words().size(), 80u);
}

TEST(MockAnswers, BookLookupOrder) {
  const auto book = mock::AnswerBook::parse(
      R"({"prompt":"p","answer":"generic"}
{"prompt":"p","answer":"for m","model":"m"}
{"segment":"short seg","answer":"S"}
{"segment":"a segment that is long enough to use the rolling hash index","answer":"L1"}
{"segment":"a segment that is long enough to use the rolling hash index","answer":"L1m","model":"m"}
{"segment":"another segment, also longer than the thirty-two byte window","answer":"L2"}
)",
      "answers.jsonl");
  EXPECT_EQ(book.size(), 6u);
  const auto find = [&](std::string_view model, std::string_view prompt) {
    const std::string* a = book.find(model, prompt);
    return a ? *a : std::string("<none>");
  };
  EXPECT_EQ(find("x", "p"), "generic");
  EXPECT_EQ(find("m", "p"), "for m");
  EXPECT_EQ(find("x", "pp"), "<none>");
  EXPECT_EQ(find("x", "before short seg after"), "S");
  EXPECT_EQ(find("x", "Text:\na segment that is long enough to use the rolling hash index\n"),
            "L1");
  EXPECT_EQ(find("m", "a segment that is long enough to use the rolling hash index"), "L1m");
  // The match that starts last wins: the target comes after the few-shot examples.
  EXPECT_EQ(find("x",
                 "another segment, also longer than the thirty-two byte window ... a segment "
                 "that is long enough to use the rolling hash index"),
            "L1");
  EXPECT_EQ(find("x",
                 "a segment that is long enough to use the rolling hash index ... another "
                 "segment, also longer than the thirty-two byte window!"),
            "L2");
  EXPECT_EQ(find("x", "a segment that is long enough to use the rolling hash inde"), "<none>");
}

TEST(MockAnswers, BookErrorsNameTheFileAndLine) {
  const auto message = [](std::string_view jsonl) {
    try {
      mock::AnswerBook::parse(jsonl, "a.jsonl");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("{\"prompt\":\"p\",\"answer\":\"a\"}\n{oops"),
            "a.jsonl: line 2: not valid JSON");
  EXPECT_EQ(message("{\"prompt\":\"p\"}"), "a.jsonl: line 1: missing \"answer\"");
  EXPECT_EQ(message("\n{\"answer\":\"a\"}"),
            "a.jsonl: line 2: needs exactly one of \"prompt\" and \"segment\"");
  EXPECT_EQ(message("{\"prompt\":1,\"answer\":\"a\"}"),
            "a.jsonl: line 1: \"prompt\" must be a string");
  EXPECT_EQ(message("[1]"), "a.jsonl: line 1: not a JSON object");
}

// --- options ----------------------------------------------------------------------------------

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(MockOptions, ParsesListenAddresses) {
  MockOptions o;
  parse_listen("127.0.0.1:8080", o);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8080);
  parse_listen("[::1]:0", o);
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 0);
  for (std::string_view bad : {"127.0.0.1", ":80", "h:70000", "h:x", "[::1]80", "h:"})
    EXPECT_TRUE(error_of([&] { parse_listen(bad, o); }).starts_with("--listen: ")) << bad;
}

TEST(MockOptions, ParsesLatency) {
  EXPECT_EQ(parse_latency("none").kind, LatencyModel::Kind::none);
  const auto f = parse_latency("fixed:25");
  EXPECT_EQ(f.kind, LatencyModel::Kind::fixed);
  EXPECT_EQ(f.first_ms, 25);
  const auto u = parse_latency("uniform:10:50.5");
  EXPECT_EQ(u.kind, LatencyModel::Kind::uniform);
  EXPECT_EQ(u.second, 50.5);
  const auto l = parse_latency("lognormal:300:0.5");
  EXPECT_EQ(l.kind, LatencyModel::Kind::lognormal);
  EXPECT_EQ(l.first_ms, 300);
  for (std::string_view bad : {"", "fixed", "fixed:x", "uniform:1", "gauss:1:2", "fixed:1:2"})
    EXPECT_TRUE(error_of([&] { parse_latency(bad); }).starts_with("--latency: ")) << bad;
  MockOptions o;
  o.latency = parse_latency("uniform:50:10");
  EXPECT_TRUE(error_of([&] { validate(o); }).starts_with("--latency: "));
}

TEST(MockOptions, ParsesFaults) {
  const auto rates = parse_faults(
      "500=0.05, 503=0.02,529=0.01,drop=0.01,malformed=0.01,slow=0.01,quota=0,safety=0.03");
  EXPECT_DOUBLE_EQ(rates[FaultKind::http500], 0.05);
  EXPECT_DOUBLE_EQ(rates[FaultKind::http503], 0.02);
  EXPECT_DOUBLE_EQ(rates[FaultKind::drop], 0.01);
  EXPECT_DOUBLE_EQ(rates[FaultKind::quota], 0);
  EXPECT_DOUBLE_EQ(rates[FaultKind::safety], 0.03);
  EXPECT_EQ(to_string(FaultKind::safety), "safety");
  EXPECT_NEAR(rates.total(), 0.14, 1e-12);
  EXPECT_EQ(parse_faults("").total(), 0);
  EXPECT_TRUE(error_of([] { parse_faults("501=0.1"); }).starts_with("--fault: '501=0.1'"));
  EXPECT_TRUE(error_of([] { parse_faults("drop"); }).starts_with("--fault: "));
  EXPECT_TRUE(error_of([] { parse_faults("drop=2"); }).starts_with("--fault: rate of 'drop'"));
  MockOptions o;
  o.faults = parse_faults("500=0.6,503=0.6");
  EXPECT_TRUE(error_of([&] { validate(o); }).starts_with("--fault: rates add up to"));
}

TEST(MockOptions, ParsesDialectsAndValidatesTheRest) {
  EXPECT_EQ(parse_mock_dialects("gemini"), MockDialects::gemini);
  EXPECT_TRUE(error_of([] { parse_mock_dialects("azure"); }).starts_with("--dialect: "));
  MockOptions o;
  EXPECT_EQ(error_of([&] { validate(o); }), "no error");
  o.default_max_tokens = 0;
  EXPECT_TRUE(error_of([&] { validate(o); }).starts_with("--default-max-tokens"));
  o = MockOptions{};
  o.slow_body = std::chrono::milliseconds(-1);
  EXPECT_TRUE(error_of([&] { validate(o); }).starts_with("--slow-ms"));
  o = MockOptions{};
  EXPECT_EQ(o.rate_window, std::chrono::milliseconds(60000));
  for (long long bad : {0LL, -5LL, 60001LL}) {
    o.rate_window = std::chrono::milliseconds(bad);
    EXPECT_EQ(error_of([&] { validate(o); }), "--rate-window-ms: must be from 1 to 60000") << bad;
  }
  o.rate_window = std::chrono::milliseconds(1);
  EXPECT_EQ(error_of([&] { validate(o); }), "no error");
}

}  // namespace
}  // namespace emosweep::providers
