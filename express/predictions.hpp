// Scoring a predictions file (the `emosweep score` input): CSV or JSONL rows with the gold
// `labels` and either the raw `output` (cleaned here) or `output_formatted` (already cleaned).
#pragma once

#include <functional>
#include <string>

#include "express/cleaning.hpp"
#include "express/lexicon.hpp"
#include "express/scoring.hpp"

namespace emosweep::express {

struct PredictionsScore {
  Accumulator accumulator;
  LabelTable labels;
  bool used_formatted = false;  // true when the file had no `output` column
};

// How a mapped CSV file is split between threads (the result never depends on it).
struct ScoreThreads {
  std::size_t threads = 0;                // 0: one per core
  std::size_t min_part_bytes = 4u << 20;  // a smaller part costs more in a thread than it saves
};

// Reads the file once (a large CSV file in parallel parts). Throws InputError naming the file
// and row on a missing column or a malformed `labels` literal; invalid outputs are scored as
// invalid, never errors.
PredictionsScore score_predictions(const std::string& path, const Lexicon& lexicon, ParseMode mode,
                                   const ScoreThreads& threads = {});

// The same with a lexicon that may still be loading (in another thread): the file is opened,
// checked and split meanwhile, and idle threads map their parts. `lexicon` is called once, on
// the calling thread; its errors come first, as if the lexicon had been loaded before.
using LexiconSource = std::function<const Lexicon&()>;
PredictionsScore score_predictions(const std::string& path, const LexiconSource& lexicon,
                                   ParseMode mode, const ScoreThreads& threads = {});

}  // namespace emosweep::express
