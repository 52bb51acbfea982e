// Retry policy as pure code: capped exponential backoff with full jitter that honours the
// provider's Retry-After/reset hints, and a retry budget. Randomness is passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "orchestrator/config.hpp"
#include "providers/types.hpp"

namespace emosweep::orchestrator {

// Full jitter (AWS, Envoy): uniform in [0, min(max_delay, base × 2^(attempt-1))], never
// shorter than the provider's hint. `attempt` counts from 1 (the retry after the first try);
// `uniform01` is a draw in [0, 1).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, std::uint32_t attempt,
                                        double uniform01,
                                        std::optional<std::chrono::milliseconds> hint);

// Retries allowed: budget_min + budget_ratio × first attempts, so that a failing provider
// cannot multiply the load. Rate-limit and overload retries are paced by the limiter instead
// and do not spend this budget.
class RetryBudget {
 public:
  explicit RetryBudget(const RetryPolicy& policy)
      : ratio_(policy.budget_ratio), min_(policy.budget_min) {}
  void on_first_attempt() { ++first_attempts_; }
  // True (and the retry is counted) when the budget allows one more retry.
  bool try_spend();
  std::uint64_t retries() const { return retries_; }

 private:
  double ratio_;
  std::uint32_t min_;
  std::uint64_t first_attempts_ = 0;
  std::uint64_t retries_ = 0;
};

// What to do after an attempt.
enum class Decision { done, retry, fail, stop_endpoint };

struct AttemptState {
  std::uint32_t attempts = 0;   // sent so far, including this one
  std::uint32_t throttled = 0;  // of which answered 429/overloaded
};

// The per-item retry decision, in one place. Throttled answers may be retried up to
// `kMaxThrottledAttempts` without spending max_attempts or the budget.
inline constexpr std::uint32_t kMaxThrottledAttempts = 100;
Decision decide(providers::Outcome outcome, const AttemptState& state, const RetryPolicy& policy,
                RetryBudget& budget);

}  // namespace emosweep::orchestrator
