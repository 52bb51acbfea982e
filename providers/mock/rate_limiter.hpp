// A per-minute limit enforced like the real services: a bucket that refills continuously at
// limit/60 per second and holds at most limit × window / 60 s units, so that the long-run rate
// is `limit` per minute while a burst above it is refused within `window` (OpenAI and
// Anthropic also enforce short windows; the default window of one minute holds a full
// minute's worth). Implemented as GCRA (the "theoretical arrival time" form of a token
// bucket): one atomic, lock-free, exact. Time is passed in, so it is tested without clocks or
// sleeps.
#pragma once

#include <atomic>
#include <cstdint>

namespace emosweep::providers::mock {

// Thread-safe: any number of threads may call acquire()/refund()/state() concurrently.
class MinuteLimiter {
 public:
  static constexpr std::int64_t kMinuteNs = 60'000'000'000;

  // `limit_per_minute` 0: off (always allows). `window_ns` (> 0, at most a minute) is the
  // burst tolerance; it is raised to the refill time of one unit when shorter, so that the
  // bucket always holds at least one unit.
  explicit MinuteLimiter(std::uint64_t limit_per_minute, std::int64_t window_ns = kMinuteNs);
  MinuteLimiter(const MinuteLimiter&) = delete;
  MinuteLimiter& operator=(const MinuteLimiter&) = delete;

  bool enabled() const { return limit_ != 0; }
  std::uint64_t limit() const { return limit_; }                   // per minute
  std::int64_t window_ns() const { return window_ns_; }            // effective burst tolerance
  std::uint64_t capacity() const { return units_in(window_ns_); }  // a full bucket's units

  struct Result {
    bool allowed = true;
    bool too_large = false;           // cost > limit: no amount of waiting helps
    std::uint64_t remaining = 0;      // units left in the bucket after this decision
    std::int64_t reset_ns = 0;        // until the bucket is full again
    std::int64_t retry_after_ns = 0;  // when refused: until the request would be admitted
  };

  // Takes `cost` units at time `now_ns` (monotonic, >= 0) when they fit; else takes nothing.
  // A cost above the bucket's capacity but within the per-minute limit (a big request under
  // a short window) is admitted when the bucket is full and leaves it in debt, so that the
  // long-run rate still holds and such a request is not refused forever.
  Result acquire(std::int64_t now_ns, std::uint64_t cost);
  // Gives back units taken by acquire() (when a second limit refused the same request).
  void refund(std::uint64_t cost);
  // The bucket as seen at `now_ns`, without taking anything.
  Result state(std::int64_t now_ns) const;
  // Refills the bucket.
  void reset() { tat_.store(0, std::memory_order_relaxed); }

 private:
  std::int64_t cost_ns(std::uint64_t cost) const;
  std::uint64_t units_in(std::int64_t ns) const;

  std::uint64_t limit_;
  std::int64_t window_ns_;
  // Theoretical arrival time: the bucket is full at and after this instant; it holds
  // (window_ns_ - (tat - now)) worth of units at `now` (none while that is negative: debt).
  std::atomic<std::int64_t> tat_{0};
};

}  // namespace emosweep::providers::mock
