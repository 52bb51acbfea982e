#include "orchestrator/limits.hpp"

#include <algorithm>
#include <cmath>

namespace emosweep::orchestrator {

Duration RatePacer::interval(double cost) const {
  const double seconds = cost * 60.0 / per_minute_;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

TimePoint RatePacer::reserve(double cost, TimePoint now) {
  const TimePoint floor = std::max(now, paused_until_);
  if (!limited()) return floor;
  const TimePoint start = std::max(tat_, floor);
  tat_ = start + interval(cost);
  return start;
}

void RatePacer::adjust(double delta) {
  if (!limited() || delta == 0) return;
  if (delta > 0) {
    tat_ += interval(delta);
  } else {
    tat_ -= interval(-delta);
  }
}

void RatePacer::pause_until(TimePoint t) {
  paused_until_ = std::max(paused_until_, t);
}

void AdaptiveConcurrency::on_success() {
  if (limit_ >= max_) return;
  if (++successes_ >= limit_) {
    successes_ = 0;
    ++limit_;
  }
}

void AdaptiveConcurrency::on_overload(TimePoint now) {
  if (last_decrease_ && now - *last_decrease_ < cooldown_) return;
  last_decrease_ = now;
  successes_ = 0;
  limit_ = std::max<std::uint32_t>(1, limit_ / 2);
}

TimePoint EndpointLimiter::reserve(std::uint64_t estimated_tokens, TimePoint now) {
  const TimePoint a = requests_.reserve(1, now);
  const TimePoint b = tokens_.reserve(static_cast<double>(estimated_tokens), now);
  return std::max(a, b);
}

void EndpointLimiter::reconcile(std::int64_t prompt_token_error) {
  tokens_.adjust(static_cast<double>(prompt_token_error));
}

void EndpointLimiter::learn(const providers::RateLimitInfo& info, TimePoint now) {
  using std::chrono::milliseconds;
  if (info.requests_limit && *info.requests_limit > 0) {
    const auto learned = static_cast<double>(*info.requests_limit);
    if (configured_rpm_ == 0 || learned < configured_rpm_) requests_.set_rate(learned);
  }
  if (info.tokens_limit && *info.tokens_limit > 0) {
    const auto learned = static_cast<double>(*info.tokens_limit);
    if (configured_tpm_ == 0 || learned < configured_tpm_) tokens_.set_rate(learned);
  }
  if (info.requests_remaining && *info.requests_remaining == 0 && info.requests_reset)
    requests_.pause_until(now + *info.requests_reset);
  if (info.tokens_remaining && *info.tokens_remaining == 0 && info.tokens_reset)
    tokens_.pause_until(now + *info.tokens_reset);
  if (info.retry_after) {
    requests_.pause_until(now + *info.retry_after);
  }
}

}  // namespace emosweep::orchestrator
