// The EXPRESS metrics (DESIGN.md §1): vrate, accl, accv, f1v, accv2, plus per-dimension
// agreement and F1 and per-gold-label accuracy. Accumulators hold exact integer counts, so
// merging partial accumulators in any order gives exactly the whole (for parallel scoring).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/hash.hpp"
#include "express/lexicon.hpp"

namespace emosweep::json {
class Writer;
}

namespace emosweep::express {

// Interns gold labels so that per-label counts are a flat array. Not thread-safe for
// intern(); name() and size() may be read concurrently once interning is finished.
class LabelTable {
 public:
  std::uint32_t intern(std::string_view label);
  // Read-only lookup (safe to call concurrently once interning is finished).
  std::optional<std::uint32_t> find(std::string_view label) const {
    auto it = ids_.find(label);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  std::string_view name(std::uint32_t id) const { return names_.at(id); }
  std::size_t size() const { return names_.size(); }

 private:
  boost::unordered_flat_map<std::string, std::uint32_t, hash::TableHash, hash::TableEqual> ids_;
  std::vector<std::string> names_;
};

struct GoldMask {
  std::string word;  // lower-cased gold label
  EmotionVector vector = 0;
  std::uint32_t label = 0;  // id in the LabelTable
};
using GoldSegment = std::vector<GoldMask>;

// Lower-cases and decomposes a segment's gold labels (once per item, reused for every model).
GoldSegment prepare_gold(std::span<const std::string> labels, const Lexicon& lexicon,
                         LabelTable& table);

// Per-mask outcome, also written to results.jsonl.
struct MaskScore {
  bool label_match = false;
  bool vector_match = false;
  std::uint8_t tp = 0, fp = 0, fn = 0, agree = 0;
  EmotionVector predicted = 0;
  // 2tp/(2tp+fp+fn); 0 when tp+fp+fn == 0 (two all-zero vectors score 0, as in the paper).
  double f1() const { return tp + fp + fn == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn); }
};
MaskScore score_mask(const GoldMask& gold, std::string_view predicted_word,
                     EmotionVector predicted_vector);

struct DimensionScore {
  double agreement = 0;  // share of valid masks where gold and prediction agree
  double f1 = 0;         // binary F1 of the dimension over valid masks
};

struct Scores {
  std::uint64_t rows = 0, valid_rows = 0, masks = 0, valid_masks = 0;
  double vrate = 0, accl = 0, accv = 0, f1v = 0, accv2 = 0;
  std::array<DimensionScore, kDimensionCount> dimensions{};
};

// Exact counts. F1 values are summed as integers scaled by lcm(1..20): every per-mask F1 is
// 2tp/(2tp+fp+fn) with a denominator of at most 20, so the sum is exact and merge is
// associative and commutative.
class Accumulator {
 public:
  static constexpr std::uint64_t kF1Scale = 232792560;  // lcm(1, ..., 20)

  struct DimensionCounts {
    std::uint64_t agree = 0, tp = 0, fp = 0, fn = 0;
    bool operator==(const DimensionCounts&) const = default;
  };
  struct LabelCounts {
    std::uint64_t masks = 0, correct = 0;
    bool operator==(const LabelCounts&) const = default;
  };

  // Adds one segment. `predicted` is null for an invalid output; otherwise it must have
  // gold.size() words (already cleaned and lower-cased).
  void add(const GoldSegment& gold, const std::vector<std::string>* predicted,
           const Lexicon& lexicon);
  // Adds one already-scored mask of a valid segment (the caller adds the segment itself).
  void add_mask(const GoldMask& gold, const MaskScore& score);
  // The same without the per-dimension counts, which the caller tallies (DimensionTally).
  void add_mask_totals(const GoldMask& gold, const MaskScore& score);
  void add_segment(std::size_t masks, bool valid);
  void add_invalid_mask(const GoldMask& gold);

  void merge(const Accumulator& other);
  Scores scores() const;
  bool operator==(const Accumulator&) const = default;

  std::uint64_t rows = 0, valid_rows = 0, masks = 0, valid_masks = 0;
  std::uint64_t label_correct = 0, vector_correct = 0, agree_total = 0, f1_scaled = 0;
  std::array<DimensionCounts, kDimensionCount> dimensions{};
  std::vector<LabelCounts> labels;  // indexed by LabelTable id
};

// Per-dimension counts of many masks kept as three histograms over 10-bit vectors (gold AND
// predicted, gold only, predicted only): three increments per mask instead of forty, turned
// into agree/tp/fp/fn per dimension once, by flush_into().
class DimensionTally {
 public:
  void add(EmotionVector gold, EmotionVector predicted) {
    const unsigned g = gold & 0x3FFu, p = predicted & 0x3FFu;
    ++both_[g & p];
    ++gold_only_[g & ~p & 0x3FFu];
    ++predicted_only_[~g & p & 0x3FFu];
    ++masks_;
  }
  // Adds the counts to `acc.dimensions` and starts again from zero.
  void flush_into(Accumulator& acc);

 private:
  std::array<std::uint64_t, 1024> both_{}, gold_only_{}, predicted_only_{};
  std::uint64_t masks_ = 0;
};

// Adds `from` (whose label ids are in `from_labels`) to `into` (ids in `into_labels`, which
// gains the labels it lacked): for accumulators filled in parallel with their own tables.
void merge_scores(Accumulator& into, LabelTable& into_labels, const Accumulator& from,
                  const LabelTable& from_labels);

// Writes the contract's score keys (rows, valid_rows, masks, vrate, accl, accv, f1v, accv2,
// dimensions) into an object that the caller has opened.
void write_scores(json::Writer& w, const Scores& s);
// Per-label accuracy as an array of {label, masks, correct, accuracy}, most frequent first.
void write_label_accuracy(json::Writer& w, const Accumulator& acc, const LabelTable& table,
                          std::size_t limit);

}  // namespace emosweep::express
