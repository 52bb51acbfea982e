// The cluster bootstrap of the reports, organised for speed: every resample draws the same
// number of indices over one universe of posts (all posts of the report), so a resample is a
// vector of post multiplicities shared by every configuration and every pair. Blocks of
// kBlock resamples are processed together: their multiplicities are stored post-major, and a
// configuration's (or a pair's) per-post counts are streamed once per block.
//
// Resample b draws from Rng(seed, b) exactly as for_each_draw() does (bootstrap.hpp), so the
// results equal stats.hpp's bootstrap_ratio() over the same clusters, bit for bit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace emosweep::reports::detail {

// What one post contributes to the five ratio estimators. Doubles holding integers: sums and
// differences stay exact below 2^53, and the per-block products vectorise.
enum Field : std::size_t {
  kRows,
  kValidRows,
  kMasks,
  kValidMasks,
  kLabelCorrect,
  kVectorCorrect,
  kAgree,
  kF1Scaled,
  kFieldCount
};
using Fields = std::array<double, kFieldCount>;

// vrate, accl, accv, f1v, accv2 from summed fields (express::Accumulator's formulas).
std::array<double, 5> metrics_of(const Fields& sums);

struct PostEntry {
  std::uint32_t post = 0;  // index in the report's post universe
  Fields fields{};
};
using PostList = std::vector<PostEntry>;  // sorted by post, one entry per post

inline constexpr std::size_t kBlock = 16;

// One block of resamples: counts[post * kBlock + k] is how often resample first + k drew post
// (small integers, exact in a float; half the memory of doubles).
struct ResampleBlock {
  std::size_t first = 0;  // index of the first resample
  std::size_t size = 0;   // resamples in this block (≤ kBlock)
  std::vector<float> counts;

  // sums[k] += Σ over the list of counts[post][k] × fields, for k < size.
  void accumulate(const PostList& list, std::array<Fields, kBlock>& sums) const;
};

// Calls fn(block) for every block of the B resamples, on up to `threads` threads. fn must
// write only to memory owned by the block's resamples.
template <typename Fn>
void for_each_block(std::size_t posts, std::size_t resamples, std::uint64_t seed, unsigned threads,
                    Fn&& fn);

// Fills the block's counts (implementation detail of for_each_block).
void draw_block(std::size_t posts, std::uint64_t seed, ResampleBlock& block);

}  // namespace emosweep::reports::detail

#include "reports/detail/parallel.hpp"

namespace emosweep::reports::detail {

template <typename Fn>
void for_each_block(std::size_t posts, std::size_t resamples, std::uint64_t seed, unsigned threads,
                    Fn&& fn) {
  const std::size_t blocks = (resamples + kBlock - 1) / kBlock;
  parallel_for(blocks, threads, [&](std::size_t i) {
    ResampleBlock block;
    block.first = i * kBlock;
    block.size = std::min(kBlock, resamples - block.first);
    draw_block(posts, seed, block);
    fn(static_cast<const ResampleBlock&>(block));
  });
}

}  // namespace emosweep::reports::detail
