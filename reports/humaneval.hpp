// Human evaluation in the EXPRESS paper's protocol: a blinded pairwise sheet per model ×
// variant (the self-disclosed labels and the model's prediction as "option 1" and "option 2"
// in random order, the order recorded in a separate key file), and the analysis of the coders'
// filled-in sheets: preference rates with intervals and inter-coder agreement. docs/REPORTS.md
// defines the sheet and key columns. Functions are reentrant; the import's bootstrap starts
// and joins its own worker threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/report.hpp"
#include "reports/stats.hpp"

namespace emosweep::reports {

struct ExportOptions {
  std::string run_dir;
  std::string model, variant;
  std::size_t n = 200;
  std::uint64_t seed = 1;
  std::string out;      // the sheet (CSV)
  std::string key_out;  // empty: default_key_path(out)
  // Optional EXPRESS dataset (CSV or JSONL) for the segment texts; without it they come from
  // RUN_DIR/predictions/<model>__<variant>.csv, checked row by row against results.jsonl.
  std::string dataset;
};

struct ExportResult {
  std::size_t rows = 0;  // written to the sheet (min(n, candidates))
  std::size_t candidates =
      0;  // rows (item × repeat) whose valid prediction differs from the labels
  std::string sheet_path, key_path;
};

// "SHEET.csv" → "SHEET.key.csv" (".key.csv" appended when there is no .csv extension).
std::string default_key_path(std::string_view sheet);

// Samples n items uniformly without replacement (seeded; independent of the line order),
// writes the sheet and the key atomically. Throws InputError naming the file and line or row
// at fault, or when the configuration has no rows.
ExportResult export_sheet(const ExportOptions& options);

// The coders' choices, unblinded with the key.
enum class Choice : std::uint8_t { model, self_disclosed, both, neither };
inline constexpr std::size_t kChoiceCount = 4;
inline constexpr std::array<std::string_view, kChoiceCount> kChoiceNames = {
    "model", "self_disclosed", "both", "neither"};

struct ImportOptions {
  std::vector<std::string> sheets;  // one per coder
  std::string key;
  std::size_t resamples = 2000;
  std::uint64_t seed = 1;
  double alpha = 0.05;
  unsigned threads = 0;
};

struct CoderResult {
  std::string name;  // the sheet's base name without .csv (its path when base names collide)
  std::string sheet;
  std::uint64_t judged = 0, blank = 0;
  std::array<std::uint64_t, kChoiceCount> counts{};
  std::array<Estimate, kChoiceCount> rates{};  // share of judged items; Wilson intervals
  Estimate model_preferred;                    // model / (model + self_disclosed); Wilson interval
};

struct PairAgreement {
  std::size_t a = 0, b = 0;  // indexes into coders
  std::uint64_t items = 0;   // judged by both
  std::uint64_t agreed = 0;
  double rate = 0;
};

struct HumanEvalResult {
  ImportOptions options;
  std::size_t key_items = 0;
  std::vector<std::string> configurations;  // distinct "model · variant" of the key
  std::vector<CoderResult> coders;
  std::uint64_t judgments = 0, items_judged = 0;
  std::array<std::uint64_t, kChoiceCount> counts{};
  // Pooled over coders; percentile bootstrap resampling items (all coders' judgments of an
  // item stay together, since they are not independent).
  std::array<Estimate, kChoiceCount> rates{};
  Estimate model_preferred;
  std::vector<PairAgreement> agreement;
  double mean_agreement = 0;         // mean of the pairwise raw agreements
  std::optional<FleissKappa> kappa;  // items judged by every coder; needs 2 coders or more
};

// Reads the key and the sheets. Throws InputError naming the file, row and column at fault
// (an unknown id, a duplicate id, a choice other than 1, 2, both, neither or blank).
HumanEvalResult import_sheets(const ImportOptions& options);

// Markdown, CSV or JSON (HTML is not offered for this summary: InputError).
std::string render_humaneval(const HumanEvalResult& result, Format format);

}  // namespace emosweep::reports
