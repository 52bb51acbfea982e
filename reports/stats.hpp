// Statistics used by the reports: percentile bootstrap of ratio estimators over clusters,
// McNemar's exact test, Holm's step-down correction, Wilson score intervals and Fleiss' kappa.
// All functions are pure and reentrant; the bootstrap runs on up to `threads` worker threads
// that it starts and joins itself, and gives the same result for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace emosweep::reports {

// A point estimate with a two-sided confidence interval [low, high].
struct Estimate {
  double value = 0;
  double low = 0;
  double high = 0;
};

// A point estimate of a difference with its interval and a two-sided p-value.
struct DifferenceEstimate {
  double value = 0;
  double low = 0;
  double high = 0;
  double p = 1;
};

struct BootstrapOptions {
  std::size_t resamples = 2000;
  std::uint64_t seed = 1;
  double confidence = 0.95;
  unsigned threads = 1;  // 0: one per hardware thread
};

// One resampling unit (a post): the sums of a ratio estimator's numerator and denominator.
struct RatioCluster {
  double numerator = 0;
  double denominator = 0;
};

// Σnumerator / Σdenominator (0 when the denominator is 0) with a percentile-bootstrap
// interval: each resample draws clusters.size() clusters with replacement, uniformly.
// Resample b draws its indices from a generator seeded by (seed, b) only, so the draws for a
// given cluster count are identical in every function of this header and in the reports.
Estimate bootstrap_ratio(std::span<const RatioCluster> clusters, const BootstrapOptions& options);

// Paired bootstrap of ratio(a) − ratio(b), where a[i] and b[i] are the same cluster under two
// configurations (the same indices are drawn for both). p-value: the share of centred
// replicates at least as extreme as the observed difference, (1 + #{|d*−d| ≥ |d|}) / (B + 1).
DifferenceEstimate paired_bootstrap_ratio(std::span<const RatioCluster> a,
                                          std::span<const RatioCluster> b,
                                          const BootstrapOptions& options);

// Quantile of sorted data with linear interpolation (Hyndman & Fan type 7, numpy's default).
double quantile_sorted(std::span<const double> sorted, double q);

// The standard normal quantile function Φ⁻¹(p), 0 < p < 1 (relative error below 1e-12).
double normal_quantile(double p);

// Two-sided exact McNemar test from the discordant counts: 2·P(X ≤ min(b, c)) for
// X ~ Binomial(b + c, 1/2), capped at 1; 1 when b + c = 0.
double mcnemar_exact_p(std::uint64_t b, std::uint64_t c);

// Holm's step-down adjusted p-values, in the input order (as R's p.adjust(method = "holm")).
std::vector<double> holm_adjust(std::span<const double> p);

// Wilson score interval for `successes` out of `trials` at the given confidence; value is the
// observed proportion. With no trials: value 0 and the interval [0, 1].
Estimate wilson_interval(std::uint64_t successes, std::uint64_t trials, double confidence = 0.95);

struct FleissKappa {
  double kappa = 0;     // (observed − expected) / (1 − expected); NaN when expected = 1
  double observed = 0;  // mean per-subject agreement P̄
  double expected = 0;  // chance agreement P̄e = Σ p_j²
  std::size_t subjects = 0;
  std::size_t raters = 0;
};

// Fleiss' kappa from a subjects × categories matrix of rating counts; every row must sum to
// the same number of raters (at least 2). Throws std::invalid_argument otherwise.
FleissKappa fleiss_kappa(const std::vector<std::vector<std::uint32_t>>& counts);

}  // namespace emosweep::reports
