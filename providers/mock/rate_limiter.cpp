#include "providers/mock/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace emosweep::providers::mock {

MinuteLimiter::MinuteLimiter(std::uint64_t limit_per_minute) : limit_(limit_per_minute) {}

std::int64_t MinuteLimiter::cost_ns(std::uint64_t cost) const {
  // long double keeps 64 bits of mantissa: exact for any realistic cost and limit.
  const long double ns = static_cast<long double>(cost) * kWindowNs / limit_;
  // Rounded down, so that `limit` requests of cost 1 always fit in a full bucket.
  return static_cast<std::int64_t>(std::min<long double>(std::floor(ns), 1e18L));
}

std::uint64_t MinuteLimiter::units_in(std::int64_t ns) const {
  if (ns <= 0) return 0;
  // The epsilon absorbs the rounding of cost_ns() so that a bucket holding exactly k units
  // reports k, not k - 1.
  const long double units = static_cast<long double>(ns) * limit_ / kWindowNs + 1e-6L;
  return std::min<std::uint64_t>(limit_, static_cast<std::uint64_t>(units));
}

MinuteLimiter::Result MinuteLimiter::acquire(std::int64_t now_ns, std::uint64_t cost) {
  Result r;
  if (!enabled()) return r;
  const std::int64_t charge = cost_ns(cost);
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t base = std::max(tat, now_ns);
    const std::int64_t next = base + charge;
    if (next - now_ns > kWindowNs) {
      r.allowed = false;
      r.too_large = cost > limit_;
      r.remaining = units_in(kWindowNs - (base - now_ns));
      r.reset_ns = base - now_ns;
      r.retry_after_ns = r.too_large ? kWindowNs : next - now_ns - kWindowNs;
      return r;
    }
    if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
      r.remaining = units_in(kWindowNs - (next - now_ns));
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
  r.remaining = units_in(kWindowNs - pending);
  r.reset_ns = pending;
  return r;
}

}  // namespace emosweep::providers::mock
