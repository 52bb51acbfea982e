// Rate pacing and adaptive concurrency with simulated time (no sleeps).
#include <gtest/gtest.h>

#include "orchestrator/limits.hpp"

namespace emosweep::orchestrator {
namespace {

using namespace std::chrono_literals;

TEST(RatePacer, UnlimitedNeverWaits) {
  RatePacer p(0);
  const TimePoint t0{};
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(p.reserve(1, t0), t0);
}

TEST(RatePacer, PacesEvenlyWithoutBursts) {
  RatePacer p(600);  // one every 100 ms
  const TimePoint t0 = TimePoint{} + 1h;
  // Ten requests asked for at the same instant leave 100 ms apart, not at once.
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(p.reserve(1, t0), t0 + i * 100ms) << i;
  // After an idle period nothing accumulates: the next one goes now, the one after 100 ms later.
  const TimePoint later = t0 + 10s;
  EXPECT_EQ(p.reserve(1, later), later);
  EXPECT_EQ(p.reserve(1, later), later + 100ms);
}

TEST(RatePacer, ThroughputOverAMinuteIsTheRate) {
  RatePacer p(120);
  TimePoint now = TimePoint{} + 1h;
  const TimePoint start = now;
  int sent = 0;
  while (true) {
    const TimePoint t = p.reserve(1, now);
    if (t >= start + 60s) break;
    now = t;  // the caller sends at t
    ++sent;
  }
  EXPECT_EQ(sent, 120);
}

TEST(RatePacer, TokenCostsAndReconciliation) {
  RatePacer tokens(60'000);  // 1000 tokens per second
  const TimePoint t0 = TimePoint{} + 1h;
  EXPECT_EQ(tokens.reserve(500, t0), t0);
  EXPECT_EQ(tokens.reserve(500, t0), t0 + 500ms);
  // The first request really used 300 fewer prompt tokens: the next slot moves earlier.
  tokens.adjust(-300);
  EXPECT_EQ(tokens.reserve(100, t0), t0 + 700ms);
}

TEST(RatePacer, PauseUntil) {
  RatePacer p(0);
  const TimePoint t0 = TimePoint{} + 1h;
  p.pause_until(t0 + 5s);
  EXPECT_EQ(p.reserve(1, t0), t0 + 5s);
  EXPECT_EQ(p.reserve(1, t0 + 6s), t0 + 6s);
}

TEST(EndpointLimiter, LearnsLowerLimitsAndHonoursRetryAfter) {
  EndpointLimiter l(0, 0);
  const TimePoint t0 = TimePoint{} + 1h;
  providers::RateLimitInfo info;
  info.requests_limit = 60;
  info.tokens_limit = 100000;
  l.learn(info, t0);
  EXPECT_EQ(l.rpm(), 60);
  EXPECT_EQ(l.tpm(), 100000);
  // A configured limit lower than the provider's stays.
  EndpointLimiter configured(30, 0);
  configured.learn(info, t0);
  EXPECT_EQ(configured.rpm(), 30);
  // Retry-After pauses the endpoint.
  providers::RateLimitInfo hint;
  hint.retry_after = std::chrono::milliseconds(2000);
  EndpointLimiter fresh(0, 0);
  fresh.learn(hint, t0);
  EXPECT_EQ(fresh.reserve(10, t0), t0 + 2s);
  // An exhausted window pauses until its reset.
  providers::RateLimitInfo exhausted;
  exhausted.requests_remaining = 0;
  exhausted.requests_reset = std::chrono::milliseconds(1500);
  EndpointLimiter e2(0, 0);
  e2.learn(exhausted, t0);
  EXPECT_EQ(e2.reserve(1, t0), t0 + 1500ms);
}

TEST(AdaptiveConcurrency, HalvesOnOverloadOncePerCooldownAndRecoversAdditively) {
  AdaptiveConcurrency a(64, 1s);
  const TimePoint t0 = TimePoint{} + 1h;
  a.on_overload(t0);
  EXPECT_EQ(a.limit(), 32u);
  a.on_overload(t0 + 100ms);  // same overload episode
  EXPECT_EQ(a.limit(), 32u);
  a.on_overload(t0 + 2s);
  EXPECT_EQ(a.limit(), 16u);
  for (int i = 0; i < 16; ++i)
    a.on_success();
  EXPECT_EQ(a.limit(), 17u);
  for (int i = 0; i < 10000; ++i)
    a.on_success();
  EXPECT_EQ(a.limit(), 64u);  // never above the configured cap
  AdaptiveConcurrency one(1);
  one.on_overload(t0);
  EXPECT_EQ(one.limit(), 1u);  // never below one
}

}  // namespace
}  // namespace emosweep::orchestrator
