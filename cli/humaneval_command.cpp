// `emosweep humaneval export RUN_DIR --model M --variant V [--n N] [--seed S] --out SHEET.csv
//  [--key-out KEY.csv] [--dataset DATASET]` and
// `emosweep humaneval import SHEET.csv... --key KEY.csv [--format md|csv|json] [--out FILE]`
#include <memory>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/lines.hpp"
#include "reports/humaneval.hpp"

namespace emosweep::cli {
namespace {

struct ImportCommandOptions {
  reports::ImportOptions import;
  std::string format;
  std::string out;
};

void add_export(CLI::App& parent, Action& action) {
  auto opts = std::make_shared<reports::ExportOptions>();
  auto* cmd = parent.add_subcommand(
      "export", "Write a blinded pairwise sheet (self-disclosed labels vs the model's prediction)");
  cmd->add_option("RUN_DIR", opts->run_dir, "Run directory written by `emosweep run`")->required();
  cmd->add_option("--model", opts->model, "Model name (models[].name in the sweep)")->required();
  cmd->add_option("--variant", opts->variant, "Prompt variant (prompts[].name in the sweep)")
      ->required();
  cmd->add_option("--n", opts->n, "Items to sample")->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Sampling and ordering seed")->capture_default_str();
  cmd->add_option("--out", opts->out, "The sheet for the coders (CSV)")->required();
  cmd->add_option("--key-out", opts->key_out,
                  "The hidden key (default: the sheet's name with .key.csv)");
  cmd->add_option("--dataset", opts->dataset,
                  "The run's dataset, for the segment texts (default: the run's predictions CSV)");
  cmd->callback([opts, &action] {
    action = [opts] {
      const auto result = reports::export_sheet(*opts);
      fmt::print(stderr, "emosweep: wrote {} item(s) of {} candidate(s) to {}; key: {}\n",
                 result.rows, result.candidates, result.sheet_path, result.key_path);
      return 0;
    };
  });
}

void add_import(CLI::App& parent, Action& action) {
  auto opts = std::make_shared<ImportCommandOptions>();
  auto* cmd = parent.add_subcommand(
      "import", "Preference rates and inter-coder agreement from filled-in sheets");
  cmd->add_option("SHEET", opts->import.sheets, "Filled-in sheets, one per coder")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--key", opts->import.key, "The key written by `humaneval export`")->required();
  cmd->add_option("--format", opts->format, "md, csv or json (default: from --out, else md)")
      ->check(CLI::IsMember({"md", "markdown", "csv", "json"}));
  cmd->add_option("--out", opts->out, "Write to FILE (default: standard output)");
  cmd->add_option("--resamples", opts->import.resamples, "Bootstrap resamples of items")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--seed", opts->import.seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--alpha", opts->import.alpha, "Intervals are at confidence 1 - alpha")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->callback([opts, &action] {
    action = [opts] {
      reports::Format format = reports::Format::markdown;
      if (!opts->format.empty())
        format = reports::format_from_string(opts->format);
      else if (auto f = reports::format_from_path(opts->out))
        format = *f;
      const auto result = reports::import_sheets(opts->import);
      const std::string text = reports::render_humaneval(result, format);
      if (opts->out.empty())
        fmt::print("{}", text);
      else
        write_file_atomic(opts->out, text);
      return 0;
    };
  });
}

}  // namespace

void add_humaneval_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("humaneval", "Blinded human evaluation sheets and their analysis");
  cmd->require_subcommand(1);
  add_export(*cmd, action);
  add_import(*cmd, action);
}

}  // namespace emosweep::cli
