// The statistics against known values: exact McNemar p-values (computed independently with
// exact binomial sums), Holm's textbook example, Fleiss' (1971) kappa example as quoted on
// Wikipedia, Newcombe's (1998) Wilson intervals, and bootstrap intervals against their
// analytic (normal-approximation and linearisation) counterparts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "reports/detail/top_counter.hpp"
#include "reports/stats.hpp"

namespace {

using namespace emosweep::reports;

TEST(McNemarExact, MatchesExactBinomialTableValues) {
  // 2 · Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c), evaluated with exact fractions.
  EXPECT_NEAR(mcnemar_exact_p(10, 2), 0.03857421875, 1e-12);  // the classic b=10, c=2 → 0.0386
  EXPECT_NEAR(mcnemar_exact_p(2, 10), 0.03857421875, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(0, 6), 0.03125, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(1, 12), 0.00341796875, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(3, 10), 0.09228515625, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(30, 12), 0.007915897334896727, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(100, 140), 0.011664092317677663, 1e-11);
  EXPECT_NEAR(mcnemar_exact_p(500, 560), 0.06990955946026933, 1e-10);
}

TEST(McNemarExact, EdgeCases) {
  EXPECT_EQ(mcnemar_exact_p(0, 0), 1.0);
  EXPECT_EQ(mcnemar_exact_p(5, 5), 1.0);
  EXPECT_NEAR(mcnemar_exact_p(7, 6), 1.0, 1e-12);  // Σ_{i≤6} C(13,i) = 2^12 exactly
  // Very many discordant pairs: no overflow, a tiny but positive p.
  const double p = mcnemar_exact_p(1'000'000, 990'000);
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 1e-10);
}

TEST(Holm, WikipediaExample) {
  // Four hypotheses, p = 0.01, 0.04, 0.03, 0.005 at alpha 0.05: H1 and H4 are rejected.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const auto adj = holm_adjust(p);
  ASSERT_EQ(adj.size(), 4u);
  EXPECT_NEAR(adj[0], 0.03, 1e-15);
  EXPECT_NEAR(adj[1], 0.06, 1e-15);
  EXPECT_NEAR(adj[2], 0.06, 1e-15);
  EXPECT_NEAR(adj[3], 0.02, 1e-15);
  EXPECT_LT(adj[0], 0.05);
  EXPECT_GE(adj[1], 0.05);
  EXPECT_GE(adj[2], 0.05);
  EXPECT_LT(adj[3], 0.05);
}

TEST(Holm, MonotoneAndCappedAtOne) {
  const std::vector<double> p = {0.01, 0.02, 0.03, 0.04, 0.05};
  EXPECT_THAT(holm_adjust(p),
              ::testing::Pointwise(::testing::DoubleNear(1e-15),
                                   std::vector<double>{0.05, 0.08, 0.09, 0.09, 0.09}));
  const std::vector<double> q = {0.6, 0.9, 0.5};
  EXPECT_THAT(holm_adjust(q), ::testing::ElementsAre(1.0, 1.0, 1.0));
  EXPECT_TRUE(holm_adjust(std::vector<double>{}).empty());
}

TEST(FleissKappa, Fleiss1971WikipediaExample) {
  // 10 subjects, 14 raters, 5 categories: P̄ = 0.378, P̄e = 0.213, κ = 0.210.
  const std::vector<std::vector<std::uint32_t>> table = {
      {0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
      {7, 7, 0, 0, 0},  {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};
  const FleissKappa k = fleiss_kappa(table);
  EXPECT_NEAR(k.kappa, 0.210, 0.0005);
  EXPECT_NEAR(k.observed, 0.378, 0.0005);
  EXPECT_NEAR(k.expected, 0.213, 0.0005);
  EXPECT_NEAR(k.kappa, 0.20993070442195522, 1e-12);
  EXPECT_EQ(k.subjects, 10u);
  EXPECT_EQ(k.raters, 14u);
}

TEST(FleissKappa, PerfectAgreementAndBadInput) {
  EXPECT_NEAR(fleiss_kappa({{3, 0}, {0, 3}, {3, 0}}).kappa, 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(fleiss_kappa({{3, 0}, {3, 0}}).kappa));  // one category: undefined
  EXPECT_THROW(fleiss_kappa({{2, 1}, {1, 1}}), std::invalid_argument);
  EXPECT_THROW(fleiss_kappa({{1, 0}}), std::invalid_argument);
  EXPECT_THROW(fleiss_kappa({}), std::invalid_argument);
}

TEST(Wilson, Newcombe1998Table) {
  // Newcombe, Statistics in Medicine 17:857 (1998), method 3.
  const struct {
    std::uint64_t x, n;
    double low, high;
  } cases[] = {{81, 263, 0.2553, 0.3662},
               {15, 148, 0.0624, 0.1605},
               {0, 20, 0.0, 0.1611},
               {1, 29, 0.0061, 0.1718}};
  for (const auto& c : cases) {
    const Estimate e = wilson_interval(c.x, c.n, 0.95);
    EXPECT_NEAR(e.low, c.low, 0.00006) << c.x << "/" << c.n;
    EXPECT_NEAR(e.high, c.high, 0.00006) << c.x << "/" << c.n;
    EXPECT_DOUBLE_EQ(e.value, double(c.x) / double(c.n));
  }
  EXPECT_NEAR(wilson_interval(0, 10).high, 0.2775327998628892, 1e-12);
  EXPECT_NEAR(wilson_interval(10, 10).low, 0.7224672001371107, 1e-12);
  const Estimate none = wilson_interval(0, 0);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_EQ(none.high, 1.0);
}

TEST(NormalQuantile, KnownValues) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(normal_quantile(0.995), 2.5758293035489004, 1e-12);
  EXPECT_NEAR(normal_quantile(0.001), -3.090232306167813, 1e-11);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-9);
}

TEST(Quantile, Type7) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.5), 2.5);
}

std::vector<RatioCluster> bernoulli(std::size_t n, std::size_t successes) {
  std::vector<RatioCluster> out(n, RatioCluster{0, 1});
  for (std::size_t i = 0; i < successes; ++i)
    out[i * n / successes].numerator = 1;
  return out;
}

TEST(Bootstrap, BernoulliMeanMatchesNormalApproximation) {
  const auto sample = bernoulli(1000, 300);
  const Estimate e = bootstrap_ratio(sample, {20000, 11, 0.95, 2});
  const double half = 1.959963984540054 * std::sqrt(0.3 * 0.7 / 1000);
  EXPECT_DOUBLE_EQ(e.value, 0.3);
  EXPECT_NEAR(e.low, 0.3 - half, 0.003);
  EXPECT_NEAR(e.high, 0.3 + half, 0.003);
}

TEST(Bootstrap, NormalMeanMatchesTInterval) {
  std::mt19937_64 engine(2024);
  std::vector<RatioCluster> sample;
  double sum = 0;
  for (int i = 0; i < 400; ++i) {
    // Box–Muller from the raw engine output: platform-independent data.
    const double u1 = (static_cast<double>(engine() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = static_cast<double>(engine() >> 11) * 0x1.0p-53;
    const double x = 10 + 2 * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
    sample.push_back({x, 1});
    sum += x;
  }
  const double mean = sum / 400;
  double ss = 0;
  for (const auto& c : sample)
    ss += (c.numerator - mean) * (c.numerator - mean);
  const double se = std::sqrt(ss / 400) / std::sqrt(400.0);
  const Estimate e = bootstrap_ratio(sample, {20000, 5, 0.95, 2});
  EXPECT_NEAR(e.value, mean, 1e-12);
  EXPECT_NEAR(e.high - e.value, 1.96 * se, 0.1 * 1.96 * se);
  EXPECT_NEAR(e.value - e.low, 1.96 * se, 0.1 * 1.96 * se);
}

TEST(Bootstrap, ClusteredRatioMatchesLinearisationVariance) {
  // Clusters of 1–6 masks with cluster-level correlation: the ratio estimator's variance is
  // n/(n−1) · Σ(y_i − r m_i)² / (Σ m_i)² (Taylor linearisation).
  std::mt19937_64 engine(99);
  std::vector<RatioCluster> clusters;
  for (int i = 0; i < 600; ++i) {
    const double size = 1 + static_cast<double>(engine() % 6);
    const double p = 0.2 + 0.6 * static_cast<double>(engine() % 1000) / 1000.0;
    double correct = 0;
    for (int k = 0; k < size; ++k)
      correct += static_cast<double>(engine() % 1000) / 1000.0 < p;
    clusters.push_back({correct, size});
  }
  double y = 0, m = 0;
  for (const auto& c : clusters) {
    y += c.numerator;
    m += c.denominator;
  }
  const double r = y / m;
  double ss = 0;
  for (const auto& c : clusters)
    ss += (c.numerator - r * c.denominator) * (c.numerator - r * c.denominator);
  const double n = static_cast<double>(clusters.size());
  const double se = std::sqrt(n / (n - 1) * ss) / m;
  const Estimate e = bootstrap_ratio(clusters, {20000, 3, 0.95, 2});
  EXPECT_DOUBLE_EQ(e.value, r);
  EXPECT_NEAR((e.high - e.low) / 2, 1.959963984540054 * se, 0.07 * 1.96 * se);
}

TEST(Bootstrap, DeterministicForAnyThreadCount) {
  const auto sample = bernoulli(500, 123);
  const Estimate one = bootstrap_ratio(sample, {3000, 42, 0.95, 1});
  const Estimate two = bootstrap_ratio(sample, {3000, 42, 0.95, 2});
  const Estimate four = bootstrap_ratio(sample, {3000, 42, 0.95, 4});
  EXPECT_EQ(one.low, two.low);
  EXPECT_EQ(one.high, two.high);
  EXPECT_EQ(one.low, four.low);
  EXPECT_EQ(one.high, four.high);
  const Estimate other = bootstrap_ratio(sample, {3000, 43, 0.95, 2});
  EXPECT_TRUE(other.low != one.low || other.high != one.high);
}

TEST(PairedBootstrap, IdenticalSidesHaveNoDifference) {
  const auto a = bernoulli(300, 100);
  const DifferenceEstimate d = paired_bootstrap_ratio(a, a, {2000, 1, 0.95, 2});
  EXPECT_EQ(d.value, 0.0);
  EXPECT_EQ(d.low, 0.0);
  EXPECT_EQ(d.high, 0.0);
  EXPECT_EQ(d.p, 1.0);
}

TEST(PairedBootstrap, ClearDifferenceIsDetectedAndSmallOneIsNot) {
  // a is right on 60% of 500 items, b on 40%, and b's right items are a subset of a's.
  std::vector<RatioCluster> a(500, {0, 1}), b(500, {0, 1}), c(500, {0, 1});
  for (int i = 0; i < 500; ++i) {
    a[i].numerator = i % 5 < 3;
    b[i].numerator = i % 5 < 2;
    c[i].numerator = (i % 5 < 3) != (i == 0);  // differs from a on one item
  }
  const DifferenceEstimate big = paired_bootstrap_ratio(a, b, {4000, 8, 0.95, 2});
  EXPECT_NEAR(big.value, 0.2, 1e-12);
  EXPECT_GT(big.low, 0.15);
  EXPECT_LT(big.high, 0.25);
  EXPECT_NEAR(big.p, 1.0 / 4001, 1e-12);  // no centred replicate reaches 0.2
  // The paired interval is far narrower than the unpaired one: sd of the paired difference
  // is sqrt(0.2·0.8/500) = 0.0179.
  EXPECT_NEAR((big.high - big.low) / 2, 1.96 * std::sqrt(0.2 * 0.8 / 500), 0.004);
  const DifferenceEstimate tiny = paired_bootstrap_ratio(a, c, {4000, 8, 0.95, 2});
  EXPECT_NEAR(tiny.value, 0.002, 1e-12);
  EXPECT_GT(tiny.p, 0.3);
  EXPECT_THROW(paired_bootstrap_ratio(a, std::vector<RatioCluster>(3), {}), std::invalid_argument);
}

TEST(TopCounter, ExactWhileSmall) {
  emosweep::reports::detail::TopCounter counter(4);
  for (int i = 0; i < 5; ++i)
    counter.add("fear");
  for (int i = 0; i < 3; ++i)
    counter.add("joy");
  counter.add("sad");
  const auto top = counter.top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, "fear");
  EXPECT_EQ(top[0].count, 5u);
  EXPECT_EQ(top[1].key, "joy");
  EXPECT_EQ(top[1].count, 3u);
  EXPECT_TRUE(counter.exact());
}

TEST(TopCounter, BoundedAndBracketsTrueCountsWhenPruned) {
  emosweep::reports::detail::TopCounter counter(8);
  // Heavy hitters interleaved with 1,000 singletons.
  for (int i = 0; i < 1000; ++i) {
    counter.add("singleton" + std::to_string(i));
    if (i % 4 == 0) counter.add("heavy");
    if (i % 10 == 0) counter.add("medium");
  }
  EXPECT_FALSE(counter.exact());
  const auto top = counter.top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, "heavy");
  EXPECT_GE(top[0].count, 250u);
  EXPECT_LE(top[0].count - top[0].error, 250u);
  EXPECT_EQ(top[1].key, "medium");
  EXPECT_GE(top[1].count, 100u);
  EXPECT_LE(top[1].count - top[1].error, 100u);
  EXPECT_LE(counter.top(100).size(), 16u);  // never more than 2 × capacity entries
}

}  // namespace
