// Deterministic synthetic run directories in the format of docs/FORMATS.md, for the report
// and human-evaluation tests: results.jsonl (optionally shuffled, as completion order is),
// summary.json computed independently of the reports library (plain double arithmetic,
// straight from DESIGN.md §1), predictions/<model>__<variant>.csv and the dataset CSV.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace emosweep::testing {

struct SyntheticSpec {
  std::vector<std::string> models = {"model-a", "model-b"};
  std::vector<std::string> variants = {"zero-shot", "few-shot"};
  std::size_t items = 300;
  double items_per_post = 3.0;  // mean post size
  std::size_t repeats = 1;
  std::size_t max_masks = 3;
  // Probability that a mask is predicted right: base + model_step × m + variant_step × v,
  // shifted per post by a difficulty in [−post_spread, +post_spread].
  double base_skill = 0.25, model_step = 0.10, variant_step = 0.05, post_spread = 0.15;
  double invalid_rate = 0.05;
  double failed_rate = 0.02;
  std::uint64_t seed = 7;
  std::uint64_t shuffle_seed = 0;  // 0: item-major order, streamed (no shuffle in memory)
  bool predictions = true;         // write predictions/*.csv
  bool dataset = true;             // write DIR/dataset.csv
  bool full_records = true;        // also the bookkeeping keys (tokens, cost, key, ...)
};

// Per configuration, what summary.json says (computed by the generator itself).
struct SyntheticTotals {
  std::string model, variant;
  std::uint64_t rows = 0, valid_rows = 0, masks = 0, valid_masks = 0, failed = 0;
  std::uint64_t label_correct = 0, vector_correct = 0, agree = 0;
  double f1_sum = 0;
  std::array<std::uint64_t, 10> dim_agree{}, dim_tp{}, dim_fp{}, dim_fn{};
  double vrate() const;
  double accl() const;
  double accv() const;
  double f1v() const;
  double accv2() const;
};

struct SyntheticRun {
  std::string dir;
  std::string dataset;                  // empty when not written
  std::vector<SyntheticTotals> totals;  // in the sweep's order (models × variants)
};

SyntheticRun write_synthetic_run(const std::string& dir, const SyntheticSpec& spec);

}  // namespace emosweep::testing
