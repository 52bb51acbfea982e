// `emosweep run`: the whole sweep — plan, cache replay, rate-limited requests on Asio
// coroutines, durable caching, lock-free scoring, outputs, metrics and progress.
//
// Threads: one planner (renders prompts, computes cache keys, replays hits, hands misses to
// endpoints), `io_threads` network threads (each owns the endpoints assigned to it; one
// coroutine per request), one cache writer (group commits to RocksDB with the WAL synced,
// before anything is counted done), and the scorer threads. The network threads never block
// on disk and never take a lock on the scoring path.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "orchestrator/config.hpp"
#include "orchestrator/plan.hpp"
#include "orchestrator/task.hpp"

namespace emosweep::orchestrator {

struct RunOptions {
  std::string out_dir;    // overrides the sweep's `output`
  std::string cache_dir;  // overrides the sweep's `cache`
  bool no_cache = false;
  std::string metrics_addr = "127.0.0.1:9464";  // "off" disables
  bool dry_run = false;
  unsigned io_threads = 1;
  unsigned scorer_threads = 1;
  Shard shard;
  std::chrono::milliseconds metrics_linger{0};
  std::string pushgateway;
  std::chrono::milliseconds grace_period{30'000};
  enum class Progress { automatic, line, log, none } progress = Progress::automatic;
};

using TaskFactory = std::function<std::unique_ptr<Task>(const SweepConfig&)>;

// Runs (or resumes) the sweep; returns the process exit code (DESIGN.md §4): 0, 3 when some
// items failed permanently, 130 when interrupted. Throws InputError for bad configuration or
// data (nothing is sent in that case).
int run_sweep(const std::string& sweep_file, const RunOptions& options,
              const TaskFactory& make_task);

// The deterministic identity of a sweep's runs (resumes share it): it marks the cache entries
// this sweep paid for.
std::string run_id_for(const SweepConfig& config, const Shard& shard);

}  // namespace emosweep::orchestrator
