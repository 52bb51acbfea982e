// EXPRESS as an orchestrator Task: streams segments, renders the three built-in templates
// (express-zero-shot, express-few-shot, express-cot) and scores answers with the paper's
// metrics.
#pragma once

#include <memory>
#include <string>

#include "express/dataset.hpp"
#include "express/lexicon.hpp"
#include "express/scoring.hpp"
#include "orchestrator/task.hpp"

namespace emosweep::express {

struct ExpressItem : orchestrator::Item {
  std::string text;
  std::vector<std::string> labels;
  GoldSegment gold;
};

// Thread-safety: after construction the task is immutable; items(), prepare() and the
// Variant/Aggregate objects it creates may be used from any thread (one Aggregate per thread).
class ExpressTask : public orchestrator::Task {
 public:
  // Reads the whole dataset once to validate every row (InputError naming file and row),
  // index the gold labels and pick the few-shot pool. Memory: labels only, not segments.
  ExpressTask(std::string dataset_path, std::string lexicon_path);
  ~ExpressTask() override;

  std::string_view name() const override { return "express"; }
  std::unique_ptr<orchestrator::ItemStream> items() const override;
  std::unique_ptr<orchestrator::Variant> prepare(const orchestrator::VariantSpec& spec,
                                                 const std::string& where) const override;
  std::unique_ptr<orchestrator::Aggregate> new_aggregate() const override;
  std::string predictions_csv_header() const override;
  // Reads `labels`, `valid` and the per-mask `gold`, `predicted`, `gold_vector`,
  // `predicted_vector` (and checks `label_match`, `vector_match`, `agree` against them).
  void accumulate_row(const simdjson::dom::object& row,
                      orchestrator::Aggregate& aggregate) const override;

  std::size_t item_count() const { return item_count_; }
  std::optional<std::uint64_t> known_item_count() const override { return item_count_; }
  const Lexicon& lexicon() const { return lexicon_; }
  const LabelTable& labels() const { return labels_; }

  struct PoolEntry {
    std::string id, group, text;
    std::vector<std::string> labels;
  };
  // The few-shot candidates: the first items of the dataset (up to 256).
  const std::vector<PoolEntry>& few_shot_pool() const { return pool_; }

 private:
  std::string dataset_path_;
  Lexicon lexicon_;
  LabelTable labels_;
  std::size_t item_count_ = 0;
  std::vector<PoolEntry> pool_;
};

// Aggregate of one (model, variant): the exact Accumulator plus the label table to name labels.
class ExpressAggregate : public orchestrator::Aggregate {
 public:
  explicit ExpressAggregate(const LabelTable& labels) : labels_(&labels) {}
  void merge(const orchestrator::Aggregate& other) override;
  std::vector<std::pair<std::string, double>> headline() const override;
  void write_summary(json::Writer& w) const override;
  std::uint64_t rows() const override { return accumulator.rows; }
  Accumulator accumulator;

 private:
  const LabelTable* labels_;
};

}  // namespace emosweep::express
