// `emosweep merge OUT_DIR... --out MERGED [--cache DIR] [--sweep FILE]`: combines the outputs
// of `emosweep run --shard I/N` (results, predictions, summaries, caches) into one run
// directory equal to the unsharded run's (orchestrator/merge.hpp).
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "express/task.hpp"
#include "orchestrator/merge.hpp"

namespace emosweep::cli {

void add_merge_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<orchestrator::MergeOptions>();
  auto* cmd = app.add_subcommand(
      "merge",
      "Merge shard outputs (emosweep run --shard I/N) into one run directory and one cache");
  cmd->add_option("OUT_DIR", options->shard_dirs, "The shards' output directories")->required();
  cmd->add_option("--out", options->out_dir, "The merged run directory")->required();
  cmd->add_option("--cache", options->cache_dir, "The merged cache (default: MERGED/cache)");
  cmd->add_option("--sweep", options->sweep_file,
                  "The sweep file (default: the one named in the first shard's run.json)");
  cmd->callback([options, &action] {
    action = [options] {
      const auto r = orchestrator::merge_runs(*options, [](const orchestrator::SweepConfig& c) {
        return std::make_unique<express::ExpressTask>(c.dataset.path, c.lexicon);
      });
      for (const auto& w : r.warnings)
        fmt::print(stderr, "emosweep: warning: {}\n", w);
      fmt::print(
          "merged {} shard(s) into {}: {} row(s), {} failed; {} cache entries copied into {}\n",
          options->shard_dirs.size(), options->out_dir, r.rows, r.failed, r.cache_entries_copied,
          r.cache_dir);
      return 0;
    };
  });
}

}  // namespace emosweep::cli
