#include "reports/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <stdexcept>

#include "reports/detail/bootstrap.hpp"
#include "reports/detail/parallel.hpp"

namespace emosweep::reports {

namespace detail {

Estimate percentile_interval(std::vector<double>& replicates, double value, double confidence) {
  std::sort(replicates.begin(), replicates.end());
  const double tail = (1.0 - confidence) / 2.0;
  return {value, quantile_sorted(replicates, tail), quantile_sorted(replicates, 1.0 - tail)};
}

DifferenceEstimate difference_interval(std::vector<double>& replicates, double value,
                                       double confidence) {
  // Replicates centred on the observed difference approximate the null distribution; the
  // tolerance keeps floating-point noise from deciding exact ties.
  const double observed = std::abs(value);
  std::size_t extreme = 0;
  for (double r : replicates)
    extreme += std::abs(r - value) >= observed - 1e-12;
  const Estimate e = percentile_interval(replicates, value, confidence);
  const double p = static_cast<double>(extreme + 1) / static_cast<double>(replicates.size() + 1);
  return {e.value, e.low, e.high, std::min(1.0, p)};
}

}  // namespace detail

namespace {

double sum_ratio(std::span<const RatioCluster> clusters) {
  double num = 0, den = 0;
  for (const auto& c : clusters) {
    num += c.numerator;
    den += c.denominator;
  }
  return detail::ratio(num, den);
}

void check_options(const BootstrapOptions& o) {
  if (o.resamples == 0) throw std::invalid_argument("bootstrap: resamples must be positive");
  if (!(o.confidence > 0 && o.confidence < 1))
    throw std::invalid_argument("bootstrap: confidence must be in (0, 1)");
}

}  // namespace

Estimate bootstrap_ratio(std::span<const RatioCluster> clusters, const BootstrapOptions& options) {
  check_options(options);
  const double value = sum_ratio(clusters);
  if (clusters.empty()) return {value, value, value};
  std::vector<double> replicates(options.resamples);
  detail::parallel_for(options.resamples, options.threads, [&](std::size_t b) {
    double num = 0, den = 0;
    detail::for_each_draw(options.seed, b, clusters.size(), [&](std::uint32_t i) {
      num += clusters[i].numerator;
      den += clusters[i].denominator;
    });
    replicates[b] = detail::ratio(num, den);
  });
  return detail::percentile_interval(replicates, value, options.confidence);
}

DifferenceEstimate paired_bootstrap_ratio(std::span<const RatioCluster> a,
                                          std::span<const RatioCluster> b,
                                          const BootstrapOptions& options) {
  check_options(options);
  if (a.size() != b.size())
    throw std::invalid_argument("paired bootstrap: both sides need the same clusters");
  const double value = sum_ratio(a) - sum_ratio(b);
  if (a.empty()) return {value, value, value, 1.0};
  std::vector<double> replicates(options.resamples);
  detail::parallel_for(options.resamples, options.threads, [&](std::size_t r) {
    double an = 0, ad = 0, bn = 0, bd = 0;
    detail::for_each_draw(options.seed, r, a.size(), [&](std::uint32_t i) {
      an += a[i].numerator;
      ad += a[i].denominator;
      bn += b[i].numerator;
      bd += b[i].denominator;
    });
    replicates[r] = detail::ratio(an, ad) - detail::ratio(bn, bd);
  });
  return detail::difference_interval(replicates, value, options.confidence);
}

double quantile_sorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double h = (static_cast<double>(sorted.size()) - 1.0) * std::clamp(q, 0.0, 1.0);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) {
    if (p == 0) return -HUGE_VAL;
    if (p == 1) return HUGE_VAL;
    return std::nan("");
  }
  // Acklam's rational approximation (relative error 1.15e-9), then one Halley step.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double low = 0.02425;
  double x;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double mcnemar_exact_p(std::uint64_t b, std::uint64_t c) {
  const std::uint64_t n = b + c;
  if (n == 0) return 1.0;
  const std::uint64_t k = std::min(b, c);
  // Σ_{i≤k} C(n,i) / 2^n in log space (n can be large), with a running log-sum-exp.
  double log_term = -static_cast<double>(n) * std::numbers::ln2;
  double log_sum = log_term;
  for (std::uint64_t i = 0; i < k; ++i) {
    log_term += std::log(static_cast<double>(n - i)) - std::log(static_cast<double>(i + 1));
    const double hi = std::max(log_sum, log_term), lo = std::min(log_sum, log_term);
    log_sum = hi + std::log1p(std::exp(lo - hi));
  }
  return std::min(1.0, 2.0 * std::exp(log_sum));
}

std::vector<double> holm_adjust(std::span<const double> p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return p[x] < p[y]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p[order[i]]));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

Estimate wilson_interval(std::uint64_t successes, std::uint64_t trials, double confidence) {
  if (trials == 0) return {0, 0, 1};
  const double n = static_cast<double>(trials);
  const double phat = static_cast<double>(successes) / n;
  const double z = normal_quantile(1 - (1 - confidence) / 2);
  const double z2 = z * z;
  const double denom = 1 + z2 / n;
  const double center = (phat + z2 / (2 * n)) / denom;
  const double half = z * std::sqrt(phat * (1 - phat) / n + z2 / (4 * n * n)) / denom;
  return {phat, std::max(0.0, center - half), std::min(1.0, center + half)};
}

FleissKappa fleiss_kappa(const std::vector<std::vector<std::uint32_t>>& counts) {
  FleissKappa out;
  if (counts.empty()) throw std::invalid_argument("fleiss_kappa: no subjects");
  const std::size_t categories = counts.front().size();
  const std::uint64_t raters =
      std::accumulate(counts.front().begin(), counts.front().end(), std::uint64_t{0});
  if (raters < 2) throw std::invalid_argument("fleiss_kappa: needs at least 2 raters per subject");
  std::vector<double> category_totals(categories, 0.0);
  double agreement_sum = 0;
  const double n = static_cast<double>(raters);
  for (const auto& row : counts) {
    if (row.size() != categories)
      throw std::invalid_argument("fleiss_kappa: rows differ in their number of categories");
    std::uint64_t total = 0, squares = 0;
    for (std::size_t j = 0; j < categories; ++j) {
      total += row[j];
      squares += std::uint64_t{row[j]} * row[j];
      category_totals[j] += row[j];
    }
    if (total != raters)
      throw std::invalid_argument("fleiss_kappa: every subject needs the same number of raters");
    agreement_sum += (static_cast<double>(squares) - n) / (n * (n - 1));
  }
  const double subjects = static_cast<double>(counts.size());
  out.subjects = counts.size();
  out.raters = raters;
  out.observed = agreement_sum / subjects;
  for (double t : category_totals) {
    const double pj = t / (subjects * n);
    out.expected += pj * pj;
  }
  out.kappa =
      out.expected == 1.0 ? std::nan("") : (out.observed - out.expected) / (1.0 - out.expected);
  return out;
}

}  // namespace emosweep::reports
