// The orchestrator's view of a benchmark. The scheduler, cache and sinks know nothing of
// EXPRESS: a benchmark is a Task that streams items, renders prompts for its variants, and
// scores answers into per-(model, variant) aggregates. A second benchmark is a new folder
// implementing this interface, not edits everywhere.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "providers/types.hpp"

namespace emosweep::json {
class Writer;
}

namespace simdjson::dom {
class object;
}

namespace emosweep::orchestrator {

// One dataset item. Tasks derive from it to carry their payload; immutable once produced, and
// shared (read-only) between the network thread and the scorer threads.
struct Item {
  virtual ~Item() = default;
  std::string id;       // the dataset's own id, stable across runs
  std::string group;    // the resampling unit (EXPRESS: the post, original_ids)
  std::size_t row = 0;  // 1-based row in the dataset file
};

class ItemStream {
 public:
  virtual ~ItemStream() = default;
  // Next item, or nullptr at the end. Throws InputError naming file and row on bad input.
  virtual std::shared_ptr<const Item> next() = 0;
};

// A prompt variant as configured in the sweep (`prompts:` entries). Options are the
// template-specific keys (e.g. shots, context_words, parse), validated by the task.
struct VariantSpec {
  std::string name;
  std::string template_name;
  std::map<std::string, std::string> options;
  std::string system;  // optional system prompt
};

// What a prompt looks like to the provider, plus the template version for the cache key.
struct RenderedPrompt {
  std::string system;
  std::vector<providers::Message> messages;
  std::string template_version;
};

// Per-(model, variant) running scores. Merged across scorer threads and shards.
class Aggregate {
 public:
  virtual ~Aggregate() = default;
  virtual void merge(const Aggregate& other) = 0;
  // Headline metrics by name, for the live `emosweep_score` gauge and the leaderboard.
  virtual std::vector<std::pair<std::string, double>> headline() const = 0;
  // Writes the task's summary keys into an open JSON object.
  virtual void write_summary(json::Writer& w) const = 0;
  virtual std::uint64_t rows() const = 0;
};

enum class RowOutcome { ok, invalid };

// A prepared variant: the task's parsed options for one `prompts:` entry.
class Variant {
 public:
  virtual ~Variant() = default;
  virtual RenderedPrompt render(const Item& item) const = 0;
  // Scores one answer: updates `aggregate`, writes the task-specific result keys into the
  // open JSON object `row` (results.jsonl), and appends the predictions-CSV record to `csv`.
  virtual RowOutcome score(const Item& item, std::string_view output, Aggregate& aggregate,
                           json::Writer& row, std::string& csv) const = 0;
  // Rough prompt-token estimate for rate limiting and dry runs (before sending).
  virtual std::uint64_t estimate_prompt_tokens(const Item& item) const = 0;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string_view name() const = 0;
  // A fresh stream over the whole dataset (each call starts at the first item).
  virtual std::unique_ptr<ItemStream> items() const = 0;
  // Validates a variant spec; throws InputError naming `where` and the bad option.
  virtual std::unique_ptr<Variant> prepare(const VariantSpec& spec,
                                           const std::string& where) const = 0;
  virtual std::unique_ptr<Aggregate> new_aggregate() const = 0;
  // Header of the predictions CSV (the authors' shape for EXPRESS).
  virtual std::string predictions_csv_header() const = 0;
  // The number of items items() yields, when the task knows it without reading them again
  // (it validated the dataset up front); nullopt otherwise.
  virtual std::optional<std::uint64_t> known_item_count() const { return std::nullopt; }
  // Rebuilds aggregate state from one scored results.jsonl row (outcome ok or invalid; the
  // keys Variant::score wrote), exactly as score() left it, so that merged shards equal an
  // unsharded run (`emosweep merge`). Throws InputError naming the key at fault for a row it
  // cannot read (the caller adds file and line). Thread-safety: as score().
  virtual void accumulate_row(const simdjson::dom::object& /*row*/,
                              Aggregate& /*aggregate*/) const {
    throw std::runtime_error(std::string(name()) +
                             ": this task cannot rebuild scores from results rows");
  }
};

}  // namespace emosweep::orchestrator
