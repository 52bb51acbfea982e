#include <gtest/gtest.h>

#include "orchestrator/retry.hpp"

namespace emosweep::orchestrator {
namespace {

using namespace std::chrono_literals;
using providers::Outcome;

TEST(Backoff, FullJitterCappedExponential) {
  RetryPolicy p;
  p.base_delay = 500ms;
  p.max_delay = 8s;
  EXPECT_EQ(backoff_delay(p, 1, 0.999999, std::nullopt), 499ms);
  EXPECT_EQ(backoff_delay(p, 2, 0.5, std::nullopt), 500ms);
  EXPECT_EQ(backoff_delay(p, 3, 0.5, std::nullopt), 1000ms);
  EXPECT_EQ(backoff_delay(p, 10, 0.5, std::nullopt), 4000ms);  // capped at 8 s, half of it
  EXPECT_EQ(backoff_delay(p, 1, 0.0, std::nullopt), 0ms);
  // The provider's hint is a floor.
  EXPECT_EQ(backoff_delay(p, 1, 0.1, std::optional(30s)), 30s);
}

TEST(RetryBudget, LimitsRetriesToAShareOfFirstAttempts) {
  RetryPolicy p;
  p.budget_ratio = 0.1;
  p.budget_min = 2;
  RetryBudget b(p);
  EXPECT_TRUE(b.try_spend());
  EXPECT_TRUE(b.try_spend());
  EXPECT_FALSE(b.try_spend());
  for (int i = 0; i < 10; ++i)
    b.on_first_attempt();
  EXPECT_TRUE(b.try_spend());
  EXPECT_FALSE(b.try_spend());
  EXPECT_EQ(b.retries(), 3u);
}

TEST(Decide, EveryOutcome) {
  RetryPolicy p;
  p.max_attempts = 3;
  RetryBudget b(p);
  AttemptState s{1, 0};
  EXPECT_EQ(decide(Outcome::ok, s, p, b), Decision::done);
  EXPECT_EQ(decide(Outcome::safety_blocked, s, p, b), Decision::done);
  EXPECT_EQ(decide(Outcome::permanent, s, p, b), Decision::fail);
  EXPECT_EQ(decide(Outcome::quota_exhausted, s, p, b), Decision::stop_endpoint);
  EXPECT_EQ(decide(Outcome::retryable, s, p, b), Decision::retry);
  EXPECT_EQ(decide(Outcome::retryable, AttemptState{3, 0}, p, b), Decision::fail);
  // Throttling does not spend max_attempts.
  EXPECT_EQ(decide(Outcome::rate_limited, AttemptState{50, 49}, p, b), Decision::retry);
  EXPECT_EQ(decide(Outcome::retryable, AttemptState{52, 50}, p, b), Decision::retry);
  EXPECT_EQ(decide(Outcome::overloaded,
                   AttemptState{kMaxThrottledAttempts + 1, kMaxThrottledAttempts}, p, b),
            Decision::fail);
}

}  // namespace
}  // namespace emosweep::orchestrator
