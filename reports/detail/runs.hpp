// Reading run directories (docs/FORMATS.md) into compact per-(configuration, item) records.
// results.jsonl is streamed line by line with simdjson; nothing but the records, the interned
// names and the per-configuration totals outlives a line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "express/scoring.hpp"
#include "reports/detail/top_counter.hpp"

namespace emosweep::reports::detail {

// One scored (configuration, item, repeat): what the bootstrap and the paired tests need.
struct ItemRecord {
  std::uint32_t item = 0;        // interned "item\x1frepeat"
  std::uint32_t post = 0;        // rank of original_ids among all posts (sorted by name)
  std::uint64_t label_bits = 0;  // bit i: mask i's predicted word equals the gold word
  std::uint64_t f1_scaled = 0;   // Σ per-mask F1 × Accumulator::kF1Scale (valid rows)
  std::uint16_t agree = 0;       // Σ agreeing dimensions (valid rows)
  std::uint8_t masks = 0;
  std::uint8_t label_correct = 0;
  std::uint8_t vector_correct = 0;
  std::uint8_t valid = 0;
};
static_assert(sizeof(ItemRecord) == 32);

inline constexpr std::size_t kMaxMasks = 64;  // label_bits has one bit per mask

// Interns strings; views returned by name() stay valid for the table's lifetime.
class StringTable {
 public:
  std::uint32_t intern(std::string_view s);
  std::string_view name(std::uint32_t id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }

 private:
  std::deque<std::string> names_;  // a deque never moves its elements
  boost::unordered_flat_map<std::string_view, std::uint32_t> ids_;
};

struct ConfigData {
  std::string model, variant;
  std::size_t run = 0;
  std::vector<ItemRecord> items;  // after read_runs(): sorted by item
  express::Accumulator totals;    // exact, label ids from Corpus::labels
  std::uint64_t failed = 0;
  TopCounter substitutions;  // keys "gold\x1fpredicted", valid masks that differ
};

struct SummaryEntry {
  std::string model, variant;
  std::int64_t rows = -1, valid_rows = -1, masks = -1;  // -1: absent
};

struct RunInfo {
  std::string dir;    // as given
  std::string label;  // base name, or the path when base names collide
  std::string results_path;
  std::string summary_path;
  std::vector<SummaryEntry> summary;  // empty when there is no summary.json
};

struct Corpus {
  std::vector<RunInfo> runs;
  std::vector<ConfigData> configs;  // in configuration order
  StringTable items;
  std::size_t post_count = 0;
  express::LabelTable labels;
  std::vector<std::string> notes;
};

// Reads every directory. Configuration order: runs in the order given; within a run,
// summary.json's order, then configurations missing from it by (model, variant). Throws
// InputError naming the directory, file and line at fault.
Corpus read_runs(const std::vector<std::string>& dirs);

}  // namespace emosweep::reports::detail
