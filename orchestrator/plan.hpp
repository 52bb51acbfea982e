// The plan: which (item, model, variant, repeat) units a sweep contains, as a lazy,
// deterministic stream per endpoint (constant memory however large the sweep). Items are
// selected once (limit, seeded sample, shard); each endpoint walks the items in dataset order
// and, for each item, its models × variants × repeats, so that all progress together.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "orchestrator/config.hpp"
#include "orchestrator/task.hpp"

namespace emosweep::orchestrator {

struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  bool active() const { return count > 1; }
};
// "I/N" with 0 <= I < N; throws InputError naming --shard otherwise.
Shard parse_shard(std::string_view spec);
// The shard an item belongs to: a stable hash of its id, so shards never overlap and their
// union is the whole sweep, on every machine and in every release.
std::uint32_t shard_of(std::string_view item_id, std::uint32_t shard_count);

// Decides which items are in the sweep. Built with one pass over the task's items (the seeded
// sample keeps only the N smallest hashes: memory O(sample), not O(dataset)).
class ItemSelection {
 public:
  ItemSelection(const Task& task, const DatasetConfig& dataset, Shard shard);
  // `ordinal` is the 0-based position of the item in the dataset stream.
  bool includes(std::size_t ordinal, const Item& item) const;
  std::uint64_t selected() const { return selected_; }
  std::uint64_t dataset_items() const { return dataset_items_; }

 private:
  DatasetConfig dataset_;
  Shard shard_;
  std::uint64_t sample_threshold_ = UINT64_MAX;  // include items whose hash is <= this
  std::uint64_t selected_ = 0;
  std::uint64_t dataset_items_ = 0;
};

struct WorkUnit {
  std::shared_ptr<const Item> item;
  std::uint32_t model = 0;    // index into SweepConfig::models
  std::uint32_t variant = 0;  // index into SweepConfig::prompts
  std::uint32_t repeat = 0;
};

// The units of one endpoint, in order. Not thread-safe (one consumer: the endpoint's
// dispatcher on its io thread).
class EndpointPlan {
 public:
  EndpointPlan(const Task& task, const SweepConfig& config, std::size_t endpoint,
               const ItemSelection& selection);
  // False when the endpoint's plan is exhausted.
  bool next(WorkUnit& out);
  std::uint64_t total() const { return total_; }

 private:
  std::unique_ptr<ItemStream> stream_;
  const ItemSelection& selection_;
  std::vector<std::uint32_t> models_;
  std::uint32_t variants_ = 0, repeats_ = 1;
  std::shared_ptr<const Item> current_;
  std::size_t ordinal_ = 0;
  std::size_t slot_ = 0;  // position inside the current item's units
  std::uint64_t total_ = 0;
};

}  // namespace emosweep::orchestrator
