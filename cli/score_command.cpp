// `emosweep score PREDICTIONS --lexicon LEXICON [--format json|table] [--parse paper|lenient]`
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/json.hpp"
#include "express/predictions.hpp"

namespace emosweep::cli {
namespace {

struct ScoreOptions {
  std::string predictions;
  std::string lexicon;
  std::string format = "json";
  std::string parse = "paper";
  std::size_t top_labels = 0;
};

void print_table(const express::PredictionsScore& result, std::size_t top_labels) {
  const express::Scores s = result.accumulator.scores();
  fmt::print("rows {}   valid rows {}   masks {}\n\n", s.rows, s.valid_rows, s.masks);
  fmt::print("{:<8}{:>10}\n", "metric", "value");
  const std::pair<const char*, double> metrics[] = {
      {"vrate", s.vrate}, {"accl", s.accl}, {"accv", s.accv}, {"f1v", s.f1v}, {"accv2", s.accv2}};
  for (const auto& [name, v] : metrics)
    fmt::print("{:<8}{:>10.4f}\n", name, v);
  fmt::print("\n{:<14}{:>11}{:>8}\n", "dimension", "agreement", "f1");
  for (std::size_t d = 0; d < express::kDimensionCount; ++d) {
    fmt::print("{:<14}{:>11.4f}{:>8.4f}\n", express::kDimensions[d], s.dimensions[d].agreement,
               s.dimensions[d].f1);
  }
  const std::size_t limit = top_labels == 0 ? 10 : top_labels;
  std::vector<std::uint32_t> ids;
  for (std::uint32_t i = 0; i < result.accumulator.labels.size(); ++i)
    if (result.accumulator.labels[i].masks > 0) ids.push_back(i);
  std::stable_sort(ids.begin(), ids.end(), [&](auto a, auto b) {
    const auto& la = result.accumulator.labels[a];
    const auto& lb = result.accumulator.labels[b];
    if (la.masks != lb.masks) return la.masks > lb.masks;
    return result.labels.name(a) < result.labels.name(b);
  });
  if (ids.size() > limit) ids.resize(limit);
  fmt::print("\n{:<18}{:>7}{:>10}\n", "gold label", "masks", "accuracy");
  for (auto id : ids) {
    const auto& c = result.accumulator.labels[id];
    fmt::print("{:<18}{:>7}{:>10.4f}\n", result.labels.name(id), c.masks,
               static_cast<double>(c.correct) / static_cast<double>(c.masks));
  }
}

}  // namespace

void add_score_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ScoreOptions>();
  auto* cmd = app.add_subcommand("score", "Score a predictions file with the EXPRESS metrics");
  cmd->add_option("PREDICTIONS", opts->predictions,
                  "CSV or JSONL with 'labels' and 'output' (or 'output_formatted')")
      ->required();
  cmd->add_option("--lexicon", opts->lexicon,
                  "Emotion decomposition lexicon (authors' CSV or NRC EmoLex word level)")
      ->required();
  cmd->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"json", "table"}))
      ->capture_default_str();
  cmd->add_option("--parse", opts->parse,
                  "Output cleaning: 'paper' (the published rules) or 'lenient' (last list in "
                  "the text, for chain-of-thought outputs)")
      ->check(CLI::IsMember({"paper", "lenient"}))
      ->capture_default_str();
  cmd->add_option("--per-label", opts->top_labels,
                  "Also report per-gold-label accuracy for the N most frequent labels (JSON key "
                  "'labels'; the table shows 10 by default)");
  cmd->callback([opts, &action] {
    action = [opts] {
      // For a file that is split between threads, the lexicon loads on another thread while
      // the file is opened and split (for a small file the thread would cost more).
      std::error_code ec;
      const auto size = std::filesystem::file_size(opts->predictions, ec);
      const bool split = !ec && size >= 2 * express::ScoreThreads{}.min_part_bytes;
      auto loading = std::async(split ? std::launch::async : std::launch::deferred,
                                [path = opts->lexicon] { return express::Lexicon::load(path); });
      std::optional<express::Lexicon> lexicon;
      const auto result = express::score_predictions(
          opts->predictions,
          [&]() -> const express::Lexicon& {
            if (!lexicon) lexicon.emplace(loading.get());
            return *lexicon;
          },
          express::parse_mode_from_string(opts->parse));
      if (opts->format == "table") {
        print_table(result, opts->top_labels);
        return 0;
      }
      json::Writer w;
      w.begin_object();
      express::write_scores(w, result.accumulator.scores());
      if (opts->top_labels > 0) {
        w.key("labels");
        express::write_label_accuracy(w, result.accumulator, result.labels, opts->top_labels);
      }
      w.end_object();
      fmt::print("{}\n", w.str());
      return 0;
    };
  });
}

}  // namespace emosweep::cli
