// Scoring kernels: masks/s of the accumulator and lexicon lookups/s, each next to a naive
// reference measured in the same run (std::map lexicon, per-dimension loops) so that the
// ratio is meaningful on a noisy machine.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <random>

#include "express/cleaning.hpp"
#include "express/dataset.hpp"
#include "express/lexicon.hpp"
#include "express/scoring.hpp"

namespace {

using namespace emosweep::express;

struct Fixture {
  Lexicon lexicon;
  LabelTable table;
  std::vector<GoldSegment> gold;
  std::vector<std::vector<std::string>> predicted;
  std::vector<std::string> raw_outputs;
  std::vector<std::string> words;  // lookup workload
  std::map<std::string, EmotionVector> naive_lexicon;
  std::size_t masks = 0;

  Fixture() {
    const std::string shared = std::string(EMOSWEEP_SOURCE_DIR) + "/../shared/data/express/";
    const bool real = std::filesystem::exists(shared + "express-sample.csv");
    const std::string data =
        real ? shared + "express-sample.csv"
             : std::string(EMOSWEEP_SOURCE_DIR) + "/configs/demo/demo-dataset.csv";
    const std::string lex =
        real ? shared + "lexicon-decomposition.csv"
             : std::string(EMOSWEEP_SOURCE_DIR) + "/configs/demo/demo-lexicon.csv";
    lexicon = Lexicon::load(lex);
    std::vector<std::string> vocab;
    for (const auto& s : read_dataset(data))
      for (const auto& l : s.labels)
        vocab.push_back(l);
    std::mt19937_64 rng(42);
    for (const auto& s : read_dataset(data)) {
      gold.push_back(prepare_gold(s.labels, lexicon, table));
      std::vector<std::string> p;
      std::string raw = "[";
      for (const auto& l : s.labels) {
        p.push_back(rng() % 3 == 0 ? l : vocab[rng() % vocab.size()]);
        raw += (raw.size() > 1 ? ", '" : "'") + p.back() + "'";
      }
      raw_outputs.push_back(raw + "]");
      masks += s.labels.size();
      predicted.push_back(std::move(p));
    }
    for (const auto& p : predicted)
      words.insert(words.end(), p.begin(), p.end());
    for (const auto& w : vocab)
      naive_lexicon[w] = lexicon.lookup(w);
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void BM_ScoreKernel(benchmark::State& state) {
  const auto& f = fixture();
  for (auto _ : state) {
    Accumulator acc;
    for (std::size_t i = 0; i < f.gold.size(); ++i)
      acc.add(f.gold[i], &f.predicted[i], f.lexicon);
    benchmark::DoNotOptimize(acc.f1_scaled);
  }
  state.counters["masks/s"] = benchmark::Counter(static_cast<double>(state.iterations() * f.masks),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScoreKernel);

// Reference: the straightforward implementation (ordered map, loops over dimensions, doubles).
void BM_ScoreNaiveReference(benchmark::State& state) {
  const auto& f = fixture();
  for (auto _ : state) {
    double lab = 0, vec = 0, f1 = 0, agree = 0;
    for (std::size_t i = 0; i < f.gold.size(); ++i) {
      for (std::size_t m = 0; m < f.gold[i].size(); ++m) {
        const auto& g = f.gold[i][m];
        const auto& w = f.predicted[i][m];
        auto it = f.naive_lexicon.find(w);
        const EmotionVector pv = it == f.naive_lexicon.end() ? 0 : it->second;
        const EmotionVector gv = f.naive_lexicon.count(g.word) ? f.naive_lexicon.at(g.word) : 0;
        lab += g.word == w;
        vec += gv == pv;
        int tp = 0, fp = 0, fn = 0, ag = 0;
        for (int d = 0; d < 10; ++d) {
          const bool a = (gv >> d) & 1, b = (pv >> d) & 1;
          tp += a && b;
          fp += !a && b;
          fn += a && !b;
          ag += a == b;
        }
        f1 += tp + fp + fn ? 2.0 * tp / (2.0 * tp + fp + fn) : 0.0;
        agree += ag / 10.0;
      }
    }
    benchmark::DoNotOptimize(lab + vec + f1 + agree);
  }
  state.counters["masks/s"] = benchmark::Counter(static_cast<double>(state.iterations() * f.masks),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScoreNaiveReference);

void BM_LexiconLookup(benchmark::State& state) {
  const auto& f = fixture();
  for (auto _ : state) {
    unsigned sum = 0;
    for (const auto& w : f.words)
      sum += f.lexicon.lookup(w);
    benchmark::DoNotOptimize(sum);
  }
  state.counters["lookups/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * f.words.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LexiconLookup);

void BM_LexiconLookupStdMapReference(benchmark::State& state) {
  const auto& f = fixture();
  for (auto _ : state) {
    unsigned sum = 0;
    for (const auto& w : f.words) {
      auto it = f.naive_lexicon.find(w);
      sum += it == f.naive_lexicon.end() ? 0 : it->second;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["lookups/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * f.words.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LexiconLookupStdMapReference);

void BM_CleanOutputPaper(benchmark::State& state) {
  const auto& f = fixture();
  std::vector<std::string> words;
  for (auto _ : state) {
    std::size_t valid = 0;
    for (std::size_t i = 0; i < f.raw_outputs.size(); ++i)
      valid += clean_output(f.raw_outputs[i], f.gold[i].size(), ParseMode::paper, words) ==
               CleanStatus::valid;
    benchmark::DoNotOptimize(valid);
  }
  state.counters["outputs/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * f.raw_outputs.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CleanOutputPaper);

// The same rules returning views (no copies, no lower-casing): what `emosweep score` uses.
void BM_CleanOutputPaperViews(benchmark::State& state) {
  const auto& f = fixture();
  std::vector<std::string_view> words;
  std::vector<std::string> storage;
  for (auto _ : state) {
    std::size_t valid = 0;
    for (std::size_t i = 0; i < f.raw_outputs.size(); ++i)
      valid += clean_output_views(f.raw_outputs[i], f.gold[i].size(), ParseMode::paper, words,
                                  storage) == CleanStatus::valid;
    benchmark::DoNotOptimize(valid);
  }
  state.counters["outputs/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * f.raw_outputs.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CleanOutputPaperViews);

}  // namespace

BENCHMARK_MAIN();
