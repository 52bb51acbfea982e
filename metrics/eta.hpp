// ETA from the observed completion rate, for emosweep_eta_seconds. Pure: time is passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace emosweep::metrics {

// Estimates the time left from how many items finished over a sliding window (default five
// minutes), so that a burst of cache hits at the start or a slow patch an hour ago does not
// dominate. Not thread-safe: call it from the one place that publishes the gauge (e.g. a
// once-a-second timer).
class EtaEstimator {
 public:
  using Clock = std::chrono::steady_clock;
  explicit EtaEstimator(Clock::duration window = std::chrono::minutes(5));

  // `done` of `total` items were finished at `now` (`now` must not go backwards).
  void observe(Clock::time_point now, std::uint64_t done, std::uint64_t total);

  // Seconds until `total` at the windowed rate: 0 when everything is done, nullopt before
  // any progress has been observed in the window.
  std::optional<double> eta_seconds() const;

 private:
  struct Sample {
    Clock::time_point at;
    std::uint64_t done;
  };
  Clock::duration window_;
  std::deque<Sample> samples_;  // bounded: at most one per window/max_samples
  std::uint64_t total_ = 0;
  static constexpr int max_samples = 256;
};

}  // namespace emosweep::metrics
