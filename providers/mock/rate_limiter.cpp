#include "providers/mock/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace emosweep::providers::mock {

MinuteLimiter::MinuteLimiter(std::uint64_t limit_per_minute, std::int64_t window_ns)
    : limit_(limit_per_minute), window_ns_(std::clamp<std::int64_t>(window_ns, 1, kMinuteNs)) {
  if (limit_ != 0) window_ns_ = std::max(window_ns_, cost_ns(1));
}

std::int64_t MinuteLimiter::cost_ns(std::uint64_t cost) const {
  // long double keeps 64 bits of mantissa: exact for any realistic cost and limit.
  const long double ns = static_cast<long double>(cost) * kMinuteNs / limit_;
  // Rounded down, so that `limit` requests of cost 1 always fit in a full one-minute bucket.
  return static_cast<std::int64_t>(std::min<long double>(std::floor(ns), 1e18L));
}

std::uint64_t MinuteLimiter::units_in(std::int64_t ns) const {
  if (ns <= 0 || limit_ == 0) return 0;
  // The epsilon absorbs the rounding of cost_ns() so that a bucket holding exactly k units
  // reports k, not k - 1.
  const long double units = static_cast<long double>(ns) * limit_ / kMinuteNs + 1e-6L;
  return std::min<std::uint64_t>(limit_, static_cast<std::uint64_t>(units));
}

MinuteLimiter::Result MinuteLimiter::acquire(std::int64_t now_ns, std::uint64_t cost) {
  Result r;
  if (!enabled()) return r;
  const std::int64_t charge = cost_ns(cost);
  const bool too_large = cost > limit_;
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t base = std::max(tat, now_ns);
    const std::int64_t next = base + charge;
    const bool fits = next - now_ns <= window_ns_;
    const bool full = base == now_ns;  // a bigger-than-capacity cost goes into debt
    if (too_large || !(fits || full)) {
      r.allowed = false;
      r.too_large = too_large;
      r.remaining = units_in(window_ns_ - (base - now_ns));
      r.reset_ns = base - now_ns;
      // Until it fits, or (a cost above the capacity) until the bucket is full.
      r.retry_after_ns =
          too_large ? kMinuteNs : base - now_ns - std::max<std::int64_t>(0, window_ns_ - charge);
      return r;
    }
    if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
      r.remaining = units_in(window_ns_ - (next - now_ns));
      r.reset_ns = next - now_ns;
      return r;
    }
  }
}

void MinuteLimiter::refund(std::uint64_t cost) {
  if (enabled()) tat_.fetch_sub(cost_ns(cost), std::memory_order_relaxed);
}

MinuteLimiter::Result MinuteLimiter::state(std::int64_t now_ns) const {
  Result r;
  if (!enabled()) return r;
  const std::int64_t pending =
      std::max<std::int64_t>(0, tat_.load(std::memory_order_relaxed) - now_ns);
  r.remaining = units_in(window_ns_ - pending);
  r.reset_ns = pending;
  return r;
}

}  // namespace emosweep::providers::mock
