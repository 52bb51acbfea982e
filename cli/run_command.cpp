// `emosweep run SWEEP.yaml [...]` and `emosweep status RUN_DIR`.
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "express/task.hpp"
#include "metrics/server.hpp"
#include "orchestrator/run.hpp"
#include "orchestrator/status.hpp"

namespace emosweep::cli {
namespace {

struct RunArgs {
  std::string sweep;
  orchestrator::RunOptions options;
  std::string shard;
  double linger_s = 0;
  double grace_s = 30;
  std::string progress = "auto";
  std::string log_level = "info";
};

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd =
      app.add_subcommand("run", "Run (or resume) a sweep: models x prompt variants x items");
  cmd->add_option("SWEEP", args->sweep, "Sweep file (YAML)")->required();
  cmd->add_option("--out", args->options.out_dir,
                  "Output directory (overrides the sweep's 'output')");
  cmd->add_option("--cache", args->options.cache_dir,
                  "Cache directory (overrides the sweep's 'cache')");
  cmd->add_flag("--no-cache", args->options.no_cache, "Neither read nor write the cache");
  cmd->add_option("--metrics-addr", args->options.metrics_addr,
                  "Serve Prometheus metrics at HOST:PORT/metrics ('off' disables)")
      ->capture_default_str();
  cmd->add_flag(
      "--dry-run", args->options.dry_run,
      "Print requests, cached, tokens, cost and time per endpoint and model; send nothing");
  cmd->add_option("--io-threads", args->options.io_threads, "Network threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--scorer-threads", args->options.scorer_threads, "Scoring threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--shard", args->shard,
                  "Run shard I of N (I/N): a stable hash of the item picks the shard");
  cmd->add_option("--metrics-linger", args->linger_s,
                  "Keep /metrics up this many seconds after the sweep ends")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--pushgateway", args->options.pushgateway,
                  "Push the final metrics to this Prometheus Pushgateway");
  cmd->add_option("--grace-period", args->grace_s,
                  "On SIGINT/SIGTERM, let requests in flight finish for this many seconds")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--progress", args->progress,
                  "Progress: a live line, periodic log lines, or none")
      ->check(CLI::IsMember({"auto", "line", "log", "none"}))
      ->capture_default_str();
  cmd->add_option("--log-level", args->log_level, "Log level")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cmd->callback([args, &action] {
    action = [args] {
      spdlog::set_level(spdlog::level::from_str(args->log_level));
      auto& o = args->options;
      if (!args->shard.empty()) o.shard = orchestrator::parse_shard(args->shard);
      o.metrics_linger =
          std::chrono::milliseconds(static_cast<std::int64_t>(args->linger_s * 1000));
      o.grace_period = std::chrono::milliseconds(static_cast<std::int64_t>(args->grace_s * 1000));
      o.progress = args->progress == "line"   ? orchestrator::RunOptions::Progress::line
                   : args->progress == "log"  ? orchestrator::RunOptions::Progress::log
                   : args->progress == "none" ? orchestrator::RunOptions::Progress::none
                                              : orchestrator::RunOptions::Progress::automatic;
      if (o.metrics_addr != "off")
        metrics::parse_metrics_address(o.metrics_addr);  // validate early
      return orchestrator::run_sweep(args->sweep, o, [](const orchestrator::SweepConfig& c) {
        return std::make_unique<express::ExpressTask>(c.dataset.path, c.lexicon);
      });
    };
  });
}

void add_status_command(CLI::App& app, Action& action) {
  auto dir = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("status", "Show a run's progress (works while it runs)");
  cmd->add_option("RUN_DIR", *dir, "The run's output directory")->required();
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([dir, as_json, &action] {
    action = [dir, as_json] { return orchestrator::show_status(*dir, *as_json); };
  });
}

}  // namespace emosweep::cli
