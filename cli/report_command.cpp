// `emosweep report RUN_DIR... [--format md|csv|json|html] [--out FILE] [--resamples N]
//  [--seed S] [--alpha A] [--threads T] [--top-labels N] [--top-substitutions N]`
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/lines.hpp"
#include "reports/report.hpp"

namespace emosweep::cli {
namespace {

struct ReportCommandOptions {
  std::vector<std::string> runs;
  std::string format;
  std::string out;
  reports::ReportOptions report;
};

}  // namespace

void add_report_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ReportCommandOptions>();
  auto* cmd = app.add_subcommand(
      "report", "Leaderboard with bootstrap intervals, paired tests and emotion profiles of runs");
  cmd->add_option("RUN_DIR", opts->runs, "Run directories written by `emosweep run`")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--format", opts->format,
                  "md, csv, json or html (default: from --out's extension, else md)")
      ->check(CLI::IsMember({"md", "markdown", "csv", "json", "html"}));
  cmd->add_option("--out", opts->out, "Write the report to FILE (default: standard output)");
  cmd->add_option("--resamples", opts->report.resamples, "Bootstrap resamples of posts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--seed", opts->report.seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--alpha", opts->report.alpha,
                  "Significance level; intervals are at confidence 1 - alpha")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--threads", opts->report.threads, "Bootstrap threads (0: all cores)")
      ->capture_default_str();
  cmd->add_option("--top-labels", opts->report.top_labels,
                  "Per-label accuracy for the N most frequent self-disclosed labels")
      ->capture_default_str();
  cmd->add_option("--top-substitutions", opts->report.top_substitutions,
                  "Most frequent gold -> predicted substitutions per configuration")
      ->capture_default_str();
  cmd->callback([opts, &action] {
    action = [opts] {
      reports::Format format = reports::Format::markdown;
      if (!opts->format.empty())
        format = reports::format_from_string(opts->format);
      else if (auto f = reports::format_from_path(opts->out))
        format = *f;
      const reports::Report report = reports::build_report(opts->runs, opts->report);
      const std::string text = reports::render_report(report, format);
      if (opts->out.empty())
        fmt::print("{}", text);
      else
        write_file_atomic(opts->out, text);
      for (const auto& note : report.notes)
        fmt::print(stderr, "emosweep: note: {}\n", note);
      return 0;
    };
  });
}

}  // namespace emosweep::cli
