#include "tests/reports/synthetic_run.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "core/csv.hpp"
#include "core/hash.hpp"
#include "core/json.hpp"

namespace emosweep::testing {

namespace {

struct Word {
  const char* word;
  const char*
      vector;  // anger anticipation disgust fear joy sadness surprise trust positive negative
};

// Several words share a vector (so vectors can match when words do not), some are all zeros.
constexpr Word kWords[] = {
    {"happy", "0000100110"},       {"sad", "0000010001"},        {"angry", "1010000001"},
    {"afraid", "0001000001"},      {"excited", "0100101010"},    {"hopeful", "0100100110"},
    {"grateful", "0000100110"},    {"proud", "0100100010"},      {"relieved", "0000100010"},
    {"comfortable", "0000000010"}, {"depressed", "0000010001"},  {"lonely", "0000010001"},
    {"hurt", "1001010001"},        {"frustrated", "1000000001"}, {"annoyed", "1010000001"},
    {"scared", "0001000001"},      {"anxious", "0101000001"},    {"worried", "0101010001"},
    {"nervous", "0101000001"},     {"ashamed", "0011010001"},    {"guilty", "1011010001"},
    {"surprised", "0000001000"},   {"shocked", "1001001001"},    {"confused", "0001000001"},
    {"overwhelmed", "0000000000"}, {"numb", "0000000000"},       {"admired", "0000100110"},
    {"loved", "0000100010"},       {"disgusted", "1011010001"},  {"bored", "0000000001"},
    {"content", "0000100110"},     {"betrayed", "1010011001"},   {"safe", "0000100110"},
    {"jealous", "1010000001"},     {"glad", "0000100010"}};
constexpr std::size_t kWordCount = std::size(kWords);

unsigned bits(const char* v) {
  unsigned b = 0;
  for (unsigned d = 0; d < 10; ++d)
    if (v[d] == '1') b |= 1u << d;
  return b;
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>(uniform() * static_cast<double>(n));
  }
  // Zipf-like: weight 1/(rank+1), rotated by `offset` so configurations differ in profile.
  std::size_t word(std::size_t offset) {
    static const double total = [] {
      double t = 0;
      for (std::size_t i = 0; i < kWordCount; ++i)
        t += 1.0 / static_cast<double>(i + 1);
      return t;
    }();
    double u = uniform() * total;
    for (std::size_t i = 0; i < kWordCount; ++i) {
      u -= 1.0 / static_cast<double>(i + 1);
      if (u <= 0) return (i + offset) % kWordCount;
    }
    return offset % kWordCount;
  }

 private:
  std::mt19937_64 engine_;
};

std::string py_list(const std::vector<std::string>& words) {
  std::string out = "[";
  for (std::size_t i = 0; i < words.size(); ++i)
    out += (i ? ", '" : "'") + words[i] + "'";
  return out + "]";
}

std::string file_safe(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return name;
}

double ratio(double a, double b) {
  return b == 0 ? 0.0 : a / b;
}

struct Output {
  std::string line;
  std::size_t config = 0;
  std::string prediction_row;  // empty for failed rows
};

}  // namespace

double SyntheticTotals::vrate() const {
  return ratio(double(valid_rows), double(rows));
}
double SyntheticTotals::accl() const {
  return ratio(double(label_correct), double(masks));
}
double SyntheticTotals::accv() const {
  return ratio(double(vector_correct), double(masks));
}
double SyntheticTotals::f1v() const {
  return ratio(f1_sum, double(valid_masks));
}
double SyntheticTotals::accv2() const {
  return ratio(double(agree) / 10.0, double(valid_masks));
}

SyntheticRun write_synthetic_run(const std::string& dir, const SyntheticSpec& spec) {
  namespace fs = std::filesystem;
  fs::create_directories(fs::path(dir) / "predictions");
  SyntheticRun run;
  run.dir = dir;
  const std::size_t configs = spec.models.size() * spec.variants.size();
  run.totals.resize(configs);
  for (std::size_t m = 0; m < spec.models.size(); ++m)
    for (std::size_t v = 0; v < spec.variants.size(); ++v) {
      run.totals[m * spec.variants.size() + v].model = spec.models[m];
      run.totals[m * spec.variants.size() + v].variant = spec.variants[v];
    }

  Random rng(spec.seed);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> results(
      std::fopen((fs::path(dir) / "results.jsonl").c_str(), "wb"), &std::fclose);
  if (!results) throw std::runtime_error("cannot write results.jsonl");
  std::vector<char> io_buffer(1 << 20);
  std::setvbuf(results.get(), io_buffer.data(), _IOFBF, io_buffer.size());
  std::vector<std::string> predictions(configs);
  for (auto& p : predictions)
    csv::append_record(p, {"segment", "number_of_labels", "labels", "output"});
  std::string dataset;
  csv::append_record(dataset, {"index", "original_ids", "segment", "number_of_labels", "labels"});
  std::vector<Output> buffered;

  std::size_t post = 0;
  double difficulty = 0;
  std::string line;
  for (std::size_t item = 0; item < spec.items; ++item) {
    if (item == 0 || rng.uniform() < 1.0 / spec.items_per_post) {
      ++post;
      difficulty = (rng.uniform() * 2 - 1) * spec.post_spread;
    }
    const std::string item_id = std::to_string(1000 + item);
    const std::string post_id = fmt::format("t3_{:05x}", post * 7919 % 1048573);
    const std::size_t n_masks = 1 + rng.below(spec.max_masks);
    std::vector<std::string> gold;
    for (std::size_t k = 0; k < n_masks; ++k)
      gold.emplace_back(kWords[rng.word(0)].word);
    std::string segment = fmt::format("Post {} said \"it's fine\", yet I felt", post);
    for (std::size_t k = 0; k < n_masks; ++k)
      segment += k ? ", then <mask>" : " <mask>";
    segment += item % 7 == 0 ? ".\nEdit: thanks, all." : ".";
    if (spec.dataset) {
      csv::append_record(dataset,
                         {item_id, post_id, segment, std::to_string(n_masks), py_list(gold)});
    }
    for (std::size_t repeat = 0; repeat < spec.repeats; ++repeat) {
      for (std::size_t c = 0; c < configs; ++c) {
        const std::size_t m = c / spec.variants.size(), v = c % spec.variants.size();
        SyntheticTotals& t = run.totals[c];
        const double u = rng.uniform();
        const bool failed = u < spec.failed_rate;
        const bool invalid = !failed && u < spec.failed_rate + spec.invalid_rate;
        const double skill = spec.base_skill + spec.model_step * double(m) +
                             spec.variant_step * double(v) + difficulty;
        std::vector<std::string> predicted;
        for (std::size_t k = 0; k < n_masks; ++k)
          predicted.emplace_back(rng.uniform() < skill ? gold[k]
                                                       : kWords[rng.word(3 * c + 1)].word);
        json::Writer w(&line);
        line.clear();
        w.begin_object();
        w.field("model", spec.models[m]).field("variant", spec.variants[v]);
        w.field("repeat", repeat).field("item", item_id).field("original_ids", post_id);
        w.field("row", item + 1);
        w.field("outcome", failed ? "failed" : invalid ? "invalid" : "ok");
        // Failed rows carry no labels, prediction or masks (as the run's writer does).
        if (!failed) {
          w.key("labels").begin_array();
          for (const auto& g : gold)
            w.value(g);
          w.end_array();
        }
        std::string output;
        if (failed) {
          w.key("output").null();
        } else if (invalid) {
          output = "I cannot tell from this text.";
          w.field("output", output);
          w.key("predicted").null();
        } else {
          output = py_list(predicted);
          w.field("output", output);
          w.key("predicted").begin_array();
          for (const auto& p : predicted)
            w.value(p);
          w.end_array();
        }
        w.field("valid", !failed && !invalid);
        if (!failed) w.key("masks").begin_array();
        if (failed) {
          ++t.failed;
        } else {
          ++t.rows;
          t.masks += n_masks;
          if (!invalid) {
            ++t.valid_rows;
            t.valid_masks += n_masks;
          }
        }
        if (!failed && !invalid) {
          for (std::size_t k = 0; k < n_masks; ++k) {
            const Word* gw = nullptr;
            const Word* pw = nullptr;
            for (const Word& x : kWords) {
              if (gold[k] == x.word) gw = &x;
              if (predicted[k] == x.word) pw = &x;
            }
            const unsigned g = bits(gw->vector), p = bits(pw->vector);
            const int tp = std::popcount(g & p), fp = std::popcount(~g & p & 0x3FFu),
                      fn = std::popcount(g & ~p & 0x3FFu);
            const int agree = 10 - std::popcount((g ^ p) & 0x3FFu);
            const double f1 = tp + fp + fn == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
            t.label_correct += gold[k] == predicted[k];
            t.vector_correct += g == p;
            t.agree += static_cast<std::uint64_t>(agree);
            t.f1_sum += f1;
            for (unsigned d = 0; d < 10; ++d) {
              const unsigned gb = (g >> d) & 1u, pb = (p >> d) & 1u;
              t.dim_agree[d] += gb == pb;
              t.dim_tp[d] += gb & pb;
              t.dim_fp[d] += pb & !gb;
              t.dim_fn[d] += gb & !pb;
            }
            w.begin_object().field("gold", gold[k]).field("predicted", predicted[k]);
            w.field("gold_vector", gw->vector).field("predicted_vector", pw->vector);
            w.field("label_match", gold[k] == predicted[k]).field("vector_match", g == p);
            w.field("f1", f1).field("agree", agree).end_object();
          }
        }
        if (!failed) w.end_array();
        if (spec.full_records) {
          w.field("cached", false).field("attempts", failed ? 3 : 1);
          w.field("latency_ms", 100.0 + double(item % 50));
          w.field("prompt_tokens", 300).field("completion_tokens", failed ? 0 : 12);
          w.field("cost_usd", 0.00042).field("finish_reason", "stop");
          w.field("key", hash::to_hex(hash::sha256(
                             fmt::format("{}|{}|{}|{}", c, item_id, repeat, spec.seed))));
          if (failed) w.field("error", "permanent error: HTTP 400; provider said: bad request");
        }
        w.end_object();
        line.push_back('\n');
        std::string prediction_row;
        if (spec.predictions && !failed)
          csv::append_record(prediction_row,
                             {segment, std::to_string(n_masks), py_list(gold), output});
        if (spec.shuffle_seed != 0) {
          buffered.push_back({line, c, std::move(prediction_row)});
        } else {
          std::fwrite(line.data(), 1, line.size(), results.get());
          predictions[c] += prediction_row;
        }
      }
    }
  }
  if (spec.shuffle_seed != 0) {
    std::mt19937_64 shuffle(spec.shuffle_seed);
    for (std::size_t i = buffered.size(); i > 1; --i)
      std::swap(buffered[i - 1], buffered[static_cast<std::size_t>(shuffle() % i)]);
    for (const auto& o : buffered) {
      std::fwrite(o.line.data(), 1, o.line.size(), results.get());
      predictions[o.config] += o.prediction_row;
    }
  }
  results.reset();

  if (spec.predictions) {
    for (std::size_t c = 0; c < configs; ++c) {
      std::ofstream(
          fs::path(dir) / "predictions" /
              (file_safe(run.totals[c].model) + "__" + file_safe(run.totals[c].variant) + ".csv"),
          std::ios::binary)
          << predictions[c];
    }
  }
  if (spec.dataset) {
    run.dataset = (fs::path(dir) / "dataset.csv").string();
    std::ofstream(run.dataset, std::ios::binary) << dataset;
  }

  static constexpr const char* kDims[] = {"anger",    "anticipation", "disgust",  "fear",
                                          "joy",      "sadness",      "surprise", "trust",
                                          "positive", "negative"};
  json::Writer s;
  s.begin_array();
  for (const SyntheticTotals& t : run.totals) {
    s.begin_object().field("model", t.model).field("variant", t.variant);
    s.field("rows", t.rows).field("valid_rows", t.valid_rows).field("masks", t.masks);
    s.field("vrate", t.vrate()).field("accl", t.accl()).field("accv", t.accv());
    s.field("f1v", t.f1v()).field("accv2", t.accv2());
    s.key("dimensions").begin_object();
    for (unsigned d = 0; d < 10; ++d) {
      s.key(kDims[d]).begin_object();
      s.field("agreement", ratio(double(t.dim_agree[d]), double(t.valid_masks)));
      s.field("f1", ratio(2.0 * double(t.dim_tp[d]),
                          2.0 * double(t.dim_tp[d]) + double(t.dim_fp[d] + t.dim_fn[d])));
      s.end_object();
    }
    s.end_object();
    s.field("items_planned", spec.items * spec.repeats).field("failed", t.failed);
    s.field("requests", t.rows + t.failed).field("retries", 0).field("rate_limited", 0);
    s.field("cache_hits", 0).field("prompt_tokens", 300 * (t.rows + t.failed));
    s.field("completion_tokens", 12 * t.rows)
        .field("cost_usd", 0.00042 * double(t.rows + t.failed));
    s.end_object();
  }
  s.end_array();
  std::ofstream(fs::path(dir) / "summary.json", std::ios::binary) << s.str() << '\n';
  std::ofstream(fs::path(dir) / "run.json", std::ios::binary)
      << R"({"sweep":"synthetic","status":"finished"})" << '\n';
  return run;
}

}  // namespace emosweep::testing
