// The scoring stage: finished work (answered, replayed from the cache, or failed) crosses a
// bounded lock-free queue (Boost.Lockfree) to scorer threads that clean, score and aggregate
// per (model, variant), and write results.jsonl and the predictions CSVs. The network side
// never takes a lock and never touches the disk here: try_push() is wait-free apart from the
// queue's CAS, and a full queue is back-pressure (the caller waits and retries).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/json.hpp"
#include "orchestrator/channel.hpp"
#include "orchestrator/config.hpp"
#include "orchestrator/plan.hpp"
#include "orchestrator/task.hpp"

namespace emosweep::metrics {
class SweepMetrics;
}

namespace emosweep::orchestrator {

struct Completion {
  WorkUnit unit;
  bool failed = false;
  std::string error;  // failed: our reason, then the provider's message
  std::string output;
  bool blocked = false;  // the provider refused on safety grounds (scored as `invalid output`)
  std::string finish_reason;
  std::uint64_t prompt_tokens = 0, completion_tokens = 0;
  double latency_ms = 0;
  std::uint32_t attempts = 0;  // attempts that fetched this answer (as stored)
  bool reused = false;         // answered by an entry another sweep/run stored
  double cost_usd = 0;
  std::string key_hex;
};

// Deterministic per-(model, variant) counters for summary.json (the same for a resumed run as
// for an uninterrupted one).
struct ConfigCounters {
  std::uint64_t items_planned = 0, failed = 0, requests = 0, retries = 0, cache_hits = 0;
  std::uint64_t prompt_tokens = 0, completion_tokens = 0;
};

// The predictions file name of docs/FORMATS.md: [A-Za-z0-9._-] kept, anything else '_'.
std::string predictions_file_name(std::string_view model, std::string_view variant);

// One summary.json object (docs/FORMATS.md), written by a run and by `emosweep merge` alike so
// that their bytes agree. The cost comes from the token totals and the prices per million
// tokens, so it does not depend on the order answers came in.
void write_summary_entry(json::Writer& w, std::string_view model, std::string_view variant,
                         const Aggregate& aggregate, const ConfigCounters& counters,
                         double price_prompt_per_mtok, double price_completion_per_mtok);

class ScoringStage {
 public:
  // Creates the output files in `out_dir` (results.jsonl, predictions/). `variants` are the
  // prepared prompt variants, indexed like config.prompts.
  ScoringStage(const Task& task, const SweepConfig& config,
               const std::vector<std::unique_ptr<Variant>>& variants, std::string out_dir,
               metrics::SweepMetrics* metrics, std::size_t capacity = 8192);
  ~ScoringStage();

  void set_planned(std::size_t config_index, std::uint64_t items);
  void start(unsigned threads = 1);
  // Non-blocking; false when the queue is full (back-pressure). Takes ownership on success.
  bool try_push(std::unique_ptr<Completion>& completion);
  // Number of completions scored so far (any thread).
  std::uint64_t scored() const { return scored_.load(std::memory_order_relaxed); }
  std::size_t depth() const { return queue_.depth(); }
  // Drains the queue, joins the scorers, flushes and closes the files.
  void finish();

  // After finish(): summary.json as text, and the leaderboard for people.
  std::string summary_json() const;
  std::string leaderboard() const;
  std::uint64_t failed_items() const;
  const Aggregate& aggregate(std::size_t config_index) const;
  const ConfigCounters& counters(std::size_t config_index) const;

 private:
  struct Config;
  void run_scorer();
  void process(Completion& c);
  double cost_of(const Config& cfg) const;
  void publish_scores(Config& cfg);

  const Task& task_;
  const SweepConfig& config_;
  const std::vector<std::unique_ptr<Variant>>& variants_;
  std::string out_dir_;
  metrics::SweepMetrics* metrics_;
  Channel<Completion> queue_;
  std::atomic<std::uint64_t> scored_{0};
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<Config>> configs_;
  // Scorer-side only (never the network thread): the output files.
  std::mutex out_mutex_;
  int results_fd_ = -1;
  std::string results_buffer_;
};

}  // namespace emosweep::orchestrator
