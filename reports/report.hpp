// `emosweep report`: reads run directories written by `emosweep run` (docs/FORMATS.md),
// computes the leaderboard with bootstrap confidence intervals (posts are the resampling
// unit), paired comparisons (paired bootstrap, McNemar's exact test, Holm correction) and the
// emotion profiles, and renders them as Markdown, CSV, JSON or a self-contained HTML page.
// docs/REPORTS.md describes the statistics and the formats.
//
// Memory: results.jsonl is streamed; what is kept is 32 bytes per scored (configuration,
// item, repeat), the interned item, post and label names, and a bounded substitution counter
// per configuration — never the lines themselves.
// Threads: build_report() starts and joins up to `threads` worker threads for the bootstrap;
// it is reentrant and its result does not depend on the thread count or the line order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "express/lexicon.hpp"
#include "express/scoring.hpp"
#include "reports/stats.hpp"

namespace emosweep::reports {

inline constexpr std::size_t kMetricCount = 5;
inline constexpr std::array<std::string_view, kMetricCount> kMetrics = {"vrate", "accl", "accv",
                                                                        "f1v", "accv2"};
inline constexpr std::size_t kAccl = 1;  // index of accl in kMetrics

enum class Format { markdown, csv, json, html };
// "md" (or "markdown"), "csv", "json", "html"; throws InputError naming the value otherwise.
Format format_from_string(std::string_view name);
// From a file name's extension (.md, .csv, .json, .html/.htm); nullopt when unknown.
std::optional<Format> format_from_path(std::string_view path);

struct ReportOptions {
  std::size_t resamples = 2000;
  std::uint64_t seed = 1;
  double alpha = 0.05;   // significance level; every interval is at confidence 1 − alpha
  unsigned threads = 0;  // 0: one per hardware thread
  std::size_t top_labels = 15;
  std::size_t top_substitutions = 5;
};

struct LabelAccuracy {
  std::string label;
  std::uint64_t masks = 0, correct = 0;
  Estimate accuracy;  // Wilson interval
};

struct Substitution {
  std::string gold, predicted;
  std::uint64_t count = 0;
  std::uint64_t error = 0;  // the true count lies in [count − error, count]
};

struct ConfigReport {
  std::string model, variant;
  std::string run;    // label of the run directory it came from
  std::string label;  // "model · variant", plus " @ run" when the pair occurs in several runs
  std::size_t run_index = 0;
  express::Scores scores;  // exact counts and metrics, as in summary.json
  std::uint64_t failed = 0, items = 0, posts = 0;
  std::array<Estimate, kMetricCount> metrics{};  // value = scores, with bootstrap intervals
  // Over the masks of valid rows: how many predictions / gold labels carry each dimension.
  std::array<std::uint64_t, express::kDimensionCount> predicted_dimensions{}, gold_dimensions{};
  std::vector<LabelAccuracy> labels;        // for Report::top_labels, in that order
  std::vector<Substitution> substitutions;  // most frequent gold → predicted, valid masks
  bool substitutions_exact = true;
};

struct MetricComparison {
  DifferenceEstimate difference;  // a − b on the shared items, paired bootstrap
  double p_holm = 1;
  bool real = false;  // p_holm < alpha
};

struct McNemarComparison {
  std::uint64_t masks = 0;   // masks of the shared items
  std::uint64_t a_only = 0;  // masks a got right and b wrong
  std::uint64_t b_only = 0;  // masks b got right and a wrong
  double p = 1, p_holm = 1;
  bool real = false;
};

struct Comparison {
  std::size_t a = 0, b = 0;  // indexes into Report::configs, a < b
  std::uint64_t shared_items = 0, shared_posts = 0;
  std::array<MetricComparison, kMetricCount> metrics{};
  McNemarComparison mcnemar;
  // The verdict of the "which differences are real" table: McNemar for accl, the paired
  // bootstrap for the other metrics, both after Holm's correction.
  bool real(std::size_t metric) const {
    return metric == kAccl ? mcnemar.real : metrics[metric].real;
  }
};

struct ModelGroup {
  std::string model;
  std::vector<std::size_t>
      configs;  // its variants, in configuration order; the first is the baseline
};

struct Report {
  ReportOptions options;
  std::vector<std::string> runs;         // directories as given
  std::vector<std::string> run_labels;   // their labels (base names, or paths when those collide)
  std::vector<ConfigReport> configs;     // runs in order; within a run, summary.json's order
  std::vector<std::size_t> leaderboard;  // config indexes by accl, best first
  std::vector<Comparison> comparisons;   // every pair (a < b)
  std::vector<ModelGroup> models;
  std::vector<std::string> top_labels;  // most frequent gold labels over all configurations
  std::vector<std::string> notes;       // caveats the reader must see (printed in every format)

  const Comparison* find(std::size_t a, std::size_t b) const;
};

// Streams every RUN_DIR/results.jsonl and computes the report. Throws InputError (one line
// naming the directory, file, line or key) on a missing directory or file, a malformed line,
// or a (model, variant, item, repeat) that occurs twice in one run.
Report build_report(const std::vector<std::string>& run_dirs, const ReportOptions& options);

// Renders the report; the output always states the number of resamples and the seed.
std::string render_report(const Report& report, Format format);

}  // namespace emosweep::reports
