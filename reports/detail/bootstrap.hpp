// The single definition of "resample b" shared by every bootstrap in the reports, and the
// reductions of replicates to intervals and p-values. Two bootstraps over the same number of
// clusters with the same seed draw exactly the same indices; the reports rely on this to
// derive paired replicates from per-configuration replicates without resampling again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "reports/detail/random.hpp"
#include "reports/stats.hpp"

namespace emosweep::reports::detail {

// Calls fn(index) clusters times with indices drawn uniformly with replacement.
template <typename Fn>
void for_each_draw(std::uint64_t seed, std::size_t resample, std::size_t clusters, Fn&& fn) {
  if (clusters >= (std::size_t{1} << 32)) throw std::length_error("too many bootstrap clusters");
  const auto n = static_cast<std::uint32_t>(clusters);
  Rng rng(seed, resample);
  for (std::uint32_t i = 0; i < n; ++i)
    fn(rng.below(n));
}

// Percentile interval of `replicates` (sorted in place) around the point estimate `value`.
Estimate percentile_interval(std::vector<double>& replicates, double value, double confidence);

// Percentile interval and the centred two-sided p-value of a difference (see stats.hpp).
DifferenceEstimate difference_interval(std::vector<double>& replicates, double value,
                                       double confidence);

inline double ratio(double numerator, double denominator) {
  return denominator == 0 ? 0.0 : numerator / denominator;
}

}  // namespace emosweep::reports::detail
