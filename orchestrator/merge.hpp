// `emosweep merge`: combines the output directories of `emosweep run --shard I/N` into one run
// directory equal to an unsharded run's (up to line order): results.jsonl (every row),
// predictions/<model>__<variant>.csv (header once), summary.json recomputed from the rows
// (byte for byte what the unsharded run writes), run.json (status "merged"), and the shards'
// caches copied into one.
//
// Benchmark-agnostic: the scores are rebuilt through Task::accumulate_row, so the task (and
// therefore the sweep file with its dataset) must be readable where the merge runs.
// Streaming: results files are read line by line; memory is the per-(model, variant)
// aggregates, not the number of rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "orchestrator/run.hpp"

namespace emosweep::orchestrator {

struct MergeOptions {
  std::vector<std::string> shard_dirs;  // the shards' output directories (`--out` of each run)
  std::string out_dir;                  // the merged run directory (created)
  std::string cache_dir;                // merged cache; empty: out_dir/cache
  std::string sweep_file;               // empty: the sweep named in the first shard's run.json
};

struct MergeResult {
  std::uint64_t rows = 0;    // results.jsonl lines written (failed rows included)
  std::uint64_t failed = 0;  // rows with outcome "failed"
  std::uint64_t cache_entries_copied = 0;
  std::string cache_dir;  // absolute path of the merged cache
  std::vector<std::string>
      warnings;  // one line each: missing caches, missing shards, unfinished shards
};

// Merges; blocks on disk I/O (call from the main thread). Throws InputError naming the
// directory (or file and line) at fault: a missing directory or file, a shard that has not
// finished, shards of different sweeps (run.json "name", the summaries' model × variant lists
// and prices), overlapping shards (the same shard twice, different N, a row whose item
// belongs to another shard, or results that disagree with their summary), or a results row
// the task cannot read. The outputs are written to temporary files renamed into place once
// every row has been read, so a failed merge leaves an earlier merge's files as they were.
// Every merge rewrites them from scratch; the merged cache only ever gains entries.
MergeResult merge_runs(const MergeOptions& options, const TaskFactory& make_task);

}  // namespace emosweep::orchestrator
