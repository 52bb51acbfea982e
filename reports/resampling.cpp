#include "reports/detail/resampling.hpp"

#include <algorithm>

#include "express/lexicon.hpp"
#include "express/scoring.hpp"
#include "reports/detail/bootstrap.hpp"

namespace emosweep::reports::detail {

std::array<double, 5> metrics_of(const Fields& s) {
  return {ratio(s[kValidRows], s[kRows]), ratio(s[kLabelCorrect], s[kMasks]),
          ratio(s[kVectorCorrect], s[kMasks]),
          ratio(s[kF1Scaled], s[kValidMasks] * static_cast<double>(express::Accumulator::kF1Scale)),
          ratio(s[kAgree], s[kValidMasks] * static_cast<double>(express::kDimensionCount))};
}

void draw_block(std::size_t posts, std::uint64_t seed, ResampleBlock& block) {
  block.counts.assign(posts * kBlock, 0.0f);
  for (std::size_t k = 0; k < block.size; ++k) {
    float* column = block.counts.data() + k;
    for_each_draw(seed, block.first + k, posts,
                  [&](std::uint32_t i) { column[std::size_t{i} * kBlock] += 1.0f; });
  }
}

namespace {

// The hot loop of the reports. Field-major accumulators so that the loop over the block's
// resamples vectorises; compiled for AVX2 as well as the baseline, chosen at load time.
// Sanitizer builds take the baseline only: the clones' resolver runs while the dynamic loader
// relocates, before a sanitizer runtime is up, and an instrumented resolver crashes there.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define EMOSWEEP_CLONES
#else
#define EMOSWEEP_CLONES __attribute__((target_clones("avx2", "default")))
#endif
EMOSWEEP_CLONES void accumulate_block(const PostList& list, const float* counts,
                                      double (&acc)[kFieldCount][kBlock]) {
  for (const PostEntry& e : list) {
    const float* c = counts + std::size_t{e.post} * kBlock;
    double weight[kBlock];
    for (std::size_t k = 0; k < kBlock; ++k)
      weight[k] = c[k];
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      const double v = e.fields[f];
      if (v == 0) continue;
      for (std::size_t k = 0; k < kBlock; ++k)
        acc[f][k] += v * weight[k];
    }
  }
}

}  // namespace

void ResampleBlock::accumulate(const PostList& list, std::array<Fields, kBlock>& sums) const {
  double acc[kFieldCount][kBlock] = {};
  accumulate_block(list, counts.data(), acc);
  for (std::size_t k = 0; k < size; ++k)
    for (std::size_t f = 0; f < kFieldCount; ++f)
      sums[k][f] += acc[f][k];
}

}  // namespace emosweep::reports::detail
