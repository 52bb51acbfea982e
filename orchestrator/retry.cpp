#include "orchestrator/retry.hpp"

#include <algorithm>
#include <cmath>

namespace emosweep::orchestrator {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, std::uint32_t attempt,
                                        double uniform01,
                                        std::optional<std::chrono::milliseconds> hint) {
  const double base = static_cast<double>(policy.base_delay.count());
  const double cap = static_cast<double>(policy.max_delay.count());
  const double exp = std::min(
      cap, base * std::ldexp(1.0, static_cast<int>(std::min<std::uint32_t>(attempt, 40)) - 1));
  const double u = std::clamp(uniform01, 0.0, 1.0);
  auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(u * exp));
  if (hint) delay = std::max(delay, *hint);
  return delay;
}

bool RetryBudget::try_spend() {
  const double allowed = static_cast<double>(min_) + ratio_ * static_cast<double>(first_attempts_);
  if (static_cast<double>(retries_) + 1 > allowed) return false;
  ++retries_;
  return true;
}

Decision decide(providers::Outcome outcome, const AttemptState& state, const RetryPolicy& policy,
                RetryBudget& budget) {
  using providers::Outcome;
  switch (outcome) {
    case Outcome::ok:
    case Outcome::safety_blocked:
      return Decision::done;
    case Outcome::permanent:
      return Decision::fail;
    case Outcome::quota_exhausted:
      return Decision::stop_endpoint;
    case Outcome::rate_limited:
    case Outcome::overloaded:
      return state.throttled < kMaxThrottledAttempts ? Decision::retry : Decision::fail;
    case Outcome::retryable: {
      const std::uint32_t failures = state.attempts - state.throttled;
      if (failures >= policy.max_attempts) return Decision::fail;
      return budget.try_spend() ? Decision::retry : Decision::fail;
    }
  }
  return Decision::fail;
}

}  // namespace emosweep::orchestrator
