#include "express/task.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/json.hpp"
#include "core/text.hpp"
#include "express/cleaning.hpp"
#include "express/prompts.hpp"

namespace emosweep::express {
namespace {

constexpr std::size_t kPoolSize = 256;

std::vector<std::string> lowered(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const auto& w : words)
    out.push_back(text::python_lower(w));
  return out;
}

class Stream : public orchestrator::ItemStream {
 public:
  Stream(const std::string& path, const Lexicon& lexicon, const LabelTable& labels)
      : reader_(path), lexicon_(lexicon), labels_(labels) {}

  std::shared_ptr<const orchestrator::Item> next() override {
    Segment s;
    if (!reader_.next(s)) return nullptr;
    auto item = std::make_shared<ExpressItem>();
    item->id = std::move(s.index);
    item->group = std::move(s.original_ids);
    item->row = s.row;
    item->text = std::move(s.text);
    item->labels = std::move(s.labels);
    // The table was filled by the constructor's pass, so this only reads it.
    for (const auto& w : lowered(item->labels)) {
      GoldMask m;
      m.vector = lexicon_.lookup(w);
      m.label = lookup_label(w);
      m.word = w;
      item->gold.push_back(std::move(m));
    }
    return item;
  }

 private:
  std::uint32_t lookup_label(const std::string& w) {
    const auto id = labels_.find(w);
    // Every label was interned by the constructor's pass over the same file; a file changed
    // in between is bad input.
    if (!id)
      throw InputError(
          fmt::format("{}: label '{}' appeared after the run started", reader_.path(), w));
    return *id;
  }
  DatasetReader reader_;
  const Lexicon& lexicon_;
  const LabelTable& labels_;
};

enum class Template { zero_shot, few_shot, cot };

class ExpressVariant : public orchestrator::Variant {
 public:
  ExpressVariant(const ExpressTask& task, Template t, std::size_t shots, std::size_t context_words,
                 ParseMode mode, std::uint64_t seed, std::string system)
      : task_(task),
        template_(t),
        shots_(shots),
        context_words_(context_words),
        mode_(mode),
        seed_(seed),
        system_(std::move(system)) {
    // The text around the segment depends only on the mask count: render it once per count
    // (the common 1–15) and splice segments in, instead of substituting placeholders per item.
    if (template_ != Template::few_shot) {
      static constexpr std::string_view kMarker = "\x01segment\x01";
      for (std::size_t n = 1; n < kPrecomputed; ++n) {
        const std::string full = template_ == Template::zero_shot
                                     ? render_zero_shot(kMarker, n)
                                     : render_chain_of_thought(kMarker, n);
        const std::size_t at = full.find(kMarker);
        around_[n] = {full.substr(0, at), full.substr(at + kMarker.size())};
      }
    }
  }

  orchestrator::RenderedPrompt render(const orchestrator::Item& base) const override {
    const auto& item = static_cast<const ExpressItem&>(base);
    std::string trimmed_text;
    if (context_words_ > 0) trimmed_text = trim_context(item.text, context_words_);
    const std::string_view segment =
        context_words_ > 0 ? std::string_view(trimmed_text) : std::string_view(item.text);
    const std::size_t n = item.labels.size();
    orchestrator::RenderedPrompt p;
    p.system = system_;
    std::string text;
    switch (template_) {
      case Template::zero_shot:
      case Template::cot:
        if (n > 0 && n < kPrecomputed) {
          const auto& [before, after] = around_[n];
          text.reserve(before.size() + segment.size() + after.size());
          text.append(before).append(segment).append(after);
        } else {
          text = template_ == Template::zero_shot ? render_zero_shot(segment, n)
                                                  : render_chain_of_thought(segment, n);
        }
        p.template_version = std::string(template_ == Template::zero_shot ? kZeroShotVersion
                                                                          : kChainOfThoughtVersion);
        break;
      case Template::few_shot: {
        std::vector<std::string> trimmed;
        std::vector<Example> examples;
        const auto picks = pick_examples(item);
        trimmed.reserve(picks.size());
        for (const auto* e : picks)
          trimmed.push_back(trim_context(e->text, context_words_));
        for (std::size_t i = 0; i < picks.size(); ++i)
          examples.push_back({trimmed[i], &picks[i]->labels});
        text = render_few_shot(segment, n, examples);
        p.template_version = fmt::format("{}:k={}:seed={}", kFewShotVersion, shots_, seed_);
        break;
      }
    }
    if (context_words_ > 0) p.template_version += fmt::format(":context_words={}", context_words_);
    p.messages.push_back({"user", std::move(text)});
    return p;
  }

  orchestrator::RowOutcome score(const orchestrator::Item& base, std::string_view output,
                                 orchestrator::Aggregate& aggregate, json::Writer& row,
                                 std::string& csv) const override {
    const auto& item = static_cast<const ExpressItem&>(base);
    auto& acc = static_cast<ExpressAggregate&>(aggregate).accumulator;
    std::vector<std::string_view> words;  // views into the output: copied only to lower-case
    std::vector<std::string> storage, lowered;
    const CleanStatus status = clean_output_views(output, item.gold.size(), mode_, words, storage);
    lower_views(words, lowered);
    const bool valid = status == CleanStatus::valid;
    acc.add_segment(item.gold.size(), valid);
    row.key("labels").begin_array();
    for (const auto& g : item.gold)
      row.value(g.word);
    row.end_array();
    row.field("output", output);
    row.key("predicted");
    if (status == CleanStatus::unparsable) {
      row.null();
    } else {
      row.begin_array();
      for (const auto& w : words)
        row.value(w);
      row.end_array();
    }
    row.field("valid", valid);
    row.key("masks").begin_array();
    for (std::size_t i = 0; i < item.gold.size(); ++i) {
      const GoldMask& g = item.gold[i];
      if (!valid) {
        acc.add_invalid_mask(g);
        continue;
      }
      const EmotionVector pv = task_.lexicon().lookup(words[i]);
      const MaskScore s = score_mask(g, words[i], pv);
      acc.add_mask(g, s);
      row.begin_object();
      row.field("gold", g.word);
      row.field("predicted", words[i]);
      row.field("gold_vector", bits(g.vector));
      row.field("predicted_vector", bits(pv));
      row.field("label_match", s.label_match);
      row.field("vector_match", s.vector_match);
      row.field("f1", s.f1());
      row.field("agree", static_cast<unsigned>(s.agree));
      row.end_object();
    }
    row.end_array();
    // The authors' CSV shape: segment, number_of_labels, labels, output.
    csv::append_record(csv, {item.text, std::to_string(item.labels.size()),
                             python_list_repr(item.labels), output});
    return valid ? orchestrator::RowOutcome::ok : orchestrator::RowOutcome::invalid;
  }

  std::uint64_t estimate_prompt_tokens(const orchestrator::Item& base) const override {
    const auto& item = static_cast<const ExpressItem&>(base);
    // ~4 characters per token; the template adds ~90 tokens, each example its own text.
    std::uint64_t chars = std::min<std::uint64_t>(
        item.text.size(), context_words_ ? context_words_ * 6 : item.text.size());
    if (template_ == Template::few_shot) chars *= 1 + shots_;
    return chars / 4 + 90 + system_.size() / 4;
  }

 private:
  static std::string bits(EmotionVector v) {
    std::string s(kDimensionCount, '0');
    for (std::size_t d = 0; d < kDimensionCount; ++d)
      if ((v >> d) & 1u) s[d] = '1';
    return s;
  }

  // Deterministic by seed: candidates from other posts ordered by a stable hash.
  std::vector<const ExpressTask::PoolEntry*> pick_examples(const ExpressItem& item) const {
    const auto& pool = task_.few_shot_pool();
    std::vector<std::pair<std::uint64_t, const ExpressTask::PoolEntry*>> ranked;
    ranked.reserve(pool.size());
    for (const auto& e : pool) {
      if (e.group == item.group) continue;
      ranked.emplace_back(hash::stable64(e.id + '\x1f' + item.id, seed_), &e);
    }
    const std::size_t k = std::min(shots_, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), ranked.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const ExpressTask::PoolEntry*> out;
    for (std::size_t i = 0; i < k; ++i)
      out.push_back(ranked[i].second);
    return out;
  }

  static constexpr std::size_t kPrecomputed = 16;
  std::array<std::pair<std::string, std::string>, kPrecomputed> around_;
  const ExpressTask& task_;
  Template template_;
  std::size_t shots_;
  std::size_t context_words_;
  ParseMode mode_;
  std::uint64_t seed_;
  std::string system_;
};

std::size_t parse_count(const std::map<std::string, std::string>& options, const std::string& key,
                        std::size_t fallback, const std::string& where) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  std::size_t pos = 0;
  long long v = -1;
  try {
    v = std::stoll(it->second, &pos);
  } catch (...) {
  }
  if (v < 0 || pos != it->second.size())
    throw InputError(
        fmt::format("{}: '{}' must be a non-negative integer, got '{}'", where, key, it->second));
  return static_cast<std::size_t>(v);
}

// The inverse of ExpressVariant::bits: ten '0'/'1' characters, dimension 0 first.
EmotionVector vector_from_bits(std::string_view bits, std::string_view key) {
  if (bits.size() != kDimensionCount)
    throw InputError(
        fmt::format("'{}' must have {} characters, got '{}'", key, kDimensionCount, bits));
  EmotionVector v = 0;
  for (std::size_t d = 0; d < kDimensionCount; ++d) {
    if (bits[d] == '1') {
      v = static_cast<EmotionVector>(v | (1u << d));
    } else if (bits[d] != '0') {
      throw InputError(fmt::format("'{}' must be 0s and 1s, got '{}'", key, bits));
    }
  }
  return v;
}

template <typename T>
T row_field(const simdjson::dom::object& o, std::string_view key) {
  T value{};
  if (o[key].get(value) != simdjson::SUCCESS)
    throw InputError(fmt::format("missing or mistyped '{}'", key));
  return value;
}

}  // namespace

ExpressTask::ExpressTask(std::string dataset_path, std::string lexicon_path)
    : dataset_path_(std::move(dataset_path)), lexicon_(Lexicon::load(lexicon_path)) {
  DatasetReader reader(dataset_path_);
  Segment s;
  while (reader.next(s)) {
    ++item_count_;
    if (const auto bad = text::first_invalid_utf8(s.text); bad != std::string::npos) {
      throw InputError(fmt::format("{}: row {}: segment is not valid UTF-8 (byte {})",
                                   dataset_path_, s.row, bad));
    }
    for (const auto& w : lowered(s.labels))
      labels_.intern(w);
    if (pool_.size() < kPoolSize) pool_.push_back({s.index, s.original_ids, s.text, s.labels});
  }
}

ExpressTask::~ExpressTask() = default;

std::unique_ptr<orchestrator::ItemStream> ExpressTask::items() const {
  return std::make_unique<Stream>(dataset_path_, lexicon_, labels_);
}

std::unique_ptr<orchestrator::Variant> ExpressTask::prepare(const orchestrator::VariantSpec& spec,
                                                            const std::string& where) const {
  Template t;
  if (spec.template_name == "express-zero-shot") {
    t = Template::zero_shot;
  } else if (spec.template_name == "express-few-shot") {
    t = Template::few_shot;
  } else if (spec.template_name == "express-cot") {
    t = Template::cot;
  } else {
    throw InputError(fmt::format(
        "{}: unknown template '{}' (built-ins: express-zero-shot, express-few-shot, express-cot)",
        where, spec.template_name));
  }
  for (const auto& [key, value] : spec.options) {
    if (key != "shots" && key != "context_words" && key != "parse" && key != "seed")
      throw InputError(
          fmt::format("{}: unknown option '{}' for template '{}'", where, key, spec.template_name));
    if (key == "shots" && t != Template::few_shot)
      throw InputError(fmt::format("{}: 'shots' only applies to express-few-shot", where));
  }
  const std::size_t shots = parse_count(spec.options, "shots", 3, where);
  if (t == Template::few_shot && shots == 0)
    throw InputError(fmt::format("{}: 'shots' must be at least 1", where));
  const std::size_t context_words = parse_count(spec.options, "context_words", 0, where);
  const std::uint64_t seed = parse_count(spec.options, "seed", 0, where);
  ParseMode mode = t == Template::cot ? ParseMode::lenient : ParseMode::paper;
  if (auto it = spec.options.find("parse"); it != spec.options.end()) {
    if (it->second != "paper" && it->second != "lenient")
      throw InputError(
          fmt::format("{}: 'parse' must be paper or lenient, got '{}'", where, it->second));
    mode = parse_mode_from_string(it->second);
  }
  return std::make_unique<ExpressVariant>(*this, t, shots, context_words, mode, seed, spec.system);
}

std::unique_ptr<orchestrator::Aggregate> ExpressTask::new_aggregate() const {
  return std::make_unique<ExpressAggregate>(labels_);
}

std::string ExpressTask::predictions_csv_header() const {
  return "segment,number_of_labels,labels,output\n";
}

void ExpressTask::accumulate_row(const simdjson::dom::object& row,
                                 orchestrator::Aggregate& aggregate) const {
  auto& acc = static_cast<ExpressAggregate&>(aggregate).accumulator;
  const auto labels = row_field<simdjson::dom::array>(row, "labels");
  const bool valid = row_field<bool>(row, "valid");
  GoldSegment gold;
  gold.reserve(labels.size());
  for (simdjson::dom::element e : labels) {
    std::string_view word;
    if (e.get(word) != simdjson::SUCCESS) throw InputError("'labels' must hold strings");
    const auto id = labels_.find(word);
    if (!id)
      throw InputError(
          fmt::format("gold label '{}' is not in the dataset {}", word, dataset_path_));
    gold.push_back({std::string(word), 0, *id});
  }
  if (!valid) {
    acc.add_segment(gold.size(), false);
    for (const auto& g : gold)
      acc.add_invalid_mask(g);
    return;
  }
  const auto masks = row_field<simdjson::dom::array>(row, "masks");
  if (masks.size() != gold.size())
    throw InputError(
        fmt::format("'masks' has {} entries for {} labels", masks.size(), gold.size()));
  // Check every mask before adding any, so that a bad row leaves the aggregate untouched.
  std::vector<MaskScore> scores;
  scores.reserve(gold.size());
  std::size_t i = 0;
  for (simdjson::dom::element e : masks) {
    simdjson::dom::object m;
    if (e.get(m) != simdjson::SUCCESS) throw InputError("'masks' must hold objects");
    GoldMask& g = gold[i++];
    if (row_field<std::string_view>(m, "gold") != g.word)
      throw InputError(fmt::format("masks[{}].gold differs from labels[{}]", i - 1, i - 1));
    g.vector = vector_from_bits(row_field<std::string_view>(m, "gold_vector"), "gold_vector");
    const EmotionVector pv =
        vector_from_bits(row_field<std::string_view>(m, "predicted_vector"), "predicted_vector");
    const MaskScore s = score_mask(g, row_field<std::string_view>(m, "predicted"), pv);
    // The stored judgements must be the ones the vectors and words imply.
    if (s.label_match != row_field<bool>(m, "label_match") ||
        s.vector_match != row_field<bool>(m, "vector_match") ||
        s.agree != row_field<std::uint64_t>(m, "agree"))
      throw InputError(fmt::format(
          "masks[{}]: label_match, vector_match or agree contradict the words and vectors", i - 1));
    scores.push_back(s);
  }
  acc.add_segment(gold.size(), true);
  for (std::size_t k = 0; k < gold.size(); ++k)
    acc.add_mask(gold[k], scores[k]);
}

void ExpressAggregate::merge(const orchestrator::Aggregate& other) {
  accumulator.merge(static_cast<const ExpressAggregate&>(other).accumulator);
}

std::vector<std::pair<std::string, double>> ExpressAggregate::headline() const {
  const Scores s = accumulator.scores();
  return {
      {"vrate", s.vrate}, {"accl", s.accl}, {"accv", s.accv}, {"f1v", s.f1v}, {"accv2", s.accv2}};
}

void ExpressAggregate::write_summary(json::Writer& w) const {
  write_scores(w, accumulator.scores());
}

}  // namespace emosweep::express
