#include "express/predictions.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <latch>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/lines.hpp"
#include "core/text.hpp"
#include "express/pylist.hpp"

namespace emosweep::express {
namespace {

bool is_jsonl(std::string_view path) {
  return path.ends_with(".jsonl") || path.ends_with(".ndjson") || path.ends_with(".json");
}

// Scores rows into one PredictionsScore. The words of a file come from a small vocabulary
// (the emotion terms), so every distinct lower-cased word is decomposed and interned once and
// then found in a small, hot table: per mask that replaces lower-casing into a new string,
// the lexicon lookup and the label-table lookup of Accumulator::add with one probe. The
// counts are exactly those of Accumulator::add (the tests compare both).
class RowScorer {
 public:
  RowScorer(PredictionsScore& out, const Lexicon& lexicon, ParseMode mode)
      : out_(&out), lexicon_(lexicon), mode_(mode) {}

  // Scores into another result from now on; the words already decomposed are kept (a thread
  // scoring several parts of a file looks each word up once), their label ids are not.
  void rebind(PredictionsScore& out) {
    finish();
    out_ = &out;
    for (auto& e : entries_)
      e.label = kNoLabel;
  }

  // Adds what is still tallied to the result: call after the last row.
  void finish() { tally_.flush_into(out_->accumulator); }

  // `gold_words` as parsed from the labels column, `prediction` raw (or already cleaned).
  void row(const std::vector<std::string_view>& gold_words, std::string_view prediction,
           bool formatted) {
    gold_.clear();
    for (const auto w : gold_words)
      gold_.push_back(gold_entry(w));
    const CleanStatus status =
        formatted ? clean_formatted_views(prediction, gold_.size(), words_, storage_)
                  : clean_output_views(prediction, gold_.size(), mode_, words_, storage_);
    add(status == CleanStatus::valid);
  }
  // An already-cleaned list of words (a JSON array in `output_formatted`).
  void row_cleaned(const std::vector<std::string_view>& gold_words,
                   const std::vector<std::string>& words) {
    gold_.clear();
    for (const auto w : gold_words)
      gold_.push_back(gold_entry(w));
    words_.assign(words.begin(), words.end());
    add(words_.size() == gold_.size());
  }

 private:
  static constexpr std::uint32_t kNoLabel = static_cast<std::uint32_t>(-1);

  void add(bool valid) {
    auto& acc = out_->accumulator;
    acc.add_segment(gold_.size(), valid);
    if (!valid) {
      for (auto g : gold_)
        acc.add_invalid_mask(entries_[g]);
      return;
    }
    for (std::size_t i = 0; i < gold_.size(); ++i) {
      // entry() may grow entries_: take the gold reference after it.
      const std::uint32_t predicted = entry(words_[i]);
      const GoldMask& gold = entries_[gold_[i]];
      MaskScore score = score_mask(gold, {}, entries_[predicted].vector);
      score.label_match = predicted == gold_[i];  // same entry = same lower-cased word
      acc.add_mask_totals(gold, score);
      tally_.add(gold.vector, score.predicted);
    }
  }

  // The entry of a word as written: every spelling seen maps to the entry of its lower-cased
  // form (Python's str.lower()), so that a word is lower-cased once, not at every sight.
  std::uint32_t entry(std::string_view word) {
    if (auto it = ids_.find(word); it != ids_.end()) return it->second;
    if (text::is_lower_ascii(word)) return add_entry(word);
    const std::string lower = text::python_lower(word);
    const auto it = ids_.find(lower);
    const std::uint32_t id = it != ids_.end() ? it->second : add_entry(lower);
    ids_.emplace(std::string(word), id);
    return id;
  }
  std::uint32_t add_entry(std::string_view lower) {
    const auto id = static_cast<std::uint32_t>(entries_.size());
    GoldMask e;
    e.word = std::string(lower);
    e.vector = lexicon_.lookup(lower);
    e.label = kNoLabel;
    entries_.push_back(std::move(e));
    ids_.emplace(entries_.back().word, id);
    return id;
  }
  // A gold label's entry, interned in the label table.
  std::uint32_t gold_entry(std::string_view raw) {
    const std::uint32_t id = entry(raw);
    GoldMask& e = entries_[id];
    if (e.label == kNoLabel) e.label = out_->labels.intern(e.word);
    return id;
  }

  PredictionsScore* out_;
  const Lexicon& lexicon_;
  ParseMode mode_;
  std::vector<GoldMask> entries_;  // label is kNoLabel until the word is seen as gold
  boost::unordered_flat_map<std::string, std::uint32_t, hash::TableHash, hash::TableEqual> ids_;
  std::vector<std::uint32_t> gold_;
  std::vector<std::string_view> words_;
  std::vector<std::string> storage_;  // list items that needed unescaping
  DimensionTally tally_;              // the per-dimension counts, added up by finish()
};

struct Columns {
  std::size_t labels = 0, output = 0;
  bool formatted = false;  // `output_formatted` (already cleaned) instead of `output`
};

// Scores records until the reader stops or the file ends. A bad `labels` literal is an error
// naming its row.
void score_records(csv::Reader& reader, const Columns& columns, RowScorer& scorer) {
  std::vector<std::string_view> gold_words;
  std::vector<std::string> storage;
  std::string err;
  while (reader.next()) {
    if (!parse_python_list(reader.field(columns.labels), gold_words, storage, &err)) {
      throw InputError(
          fmt::format("{}: column 'labels' is not a list of strings ({})", reader.where(), err));
    }
    scorer.row(gold_words, reader.field(columns.output), columns.formatted);
  }
  scorer.finish();
}

// A mapped file is split between threads at guessed record starts (quotes make a record start
// undecidable without reading everything before it). The part before a guess must end exactly
// there, which proves the guess: a part is only counted when it is proven, and reading goes
// on sequentially from the last proven point otherwise. The result is exactly the sequential
// one: accumulators hold integer counts and merge exactly.
struct Part {
  std::optional<csv::Reader> reader;
  PredictionsScore score;
  std::exception_ptr error;
  bool ends_at_next = false;  // stopped exactly where the next part starts
};

PredictionsScore score_csv_parts(const std::string& path, const LexiconSource& lexicon_source,
                                 ParseMode mode, const ScoreThreads& threads) {
  csv::Reader reader(path);
  Columns columns;
  columns.labels = reader.require_column("labels");
  if (auto c = reader.column("output")) {
    columns.output = *c;
  } else if (auto f = reader.column("output_formatted")) {
    columns.output = *f;
    columns.formatted = true;
  } else {
    throw InputError(fmt::format("{}: missing column 'output' (or 'output_formatted')", path));
  }
  reader.only_columns({columns.labels, columns.output});
  PredictionsScore out;
  out.used_formatted = columns.formatted;

  const auto input = reader.whole_input();
  const std::size_t workers =
      threads.threads != 0 ? threads.threads : std::max(1u, std::thread::hardware_concurrency());
  // A few parts per thread, taken in turn, so that a thread slowed down by anything else on
  // the machine does not hold up the end.
  const std::size_t wanted_parts =
      input ? std::clamp<std::size_t>(
                  input->size() / std::max<std::size_t>(threads.min_part_bytes, 1), 1,
                  workers == 1 ? 1 : workers * 16)
            : 1;
  std::vector<std::size_t> starts{reader.position()};
  for (std::size_t i = 1; i < wanted_parts; ++i) {
    const auto guess = reader.guess_record_start(input->size() / wanted_parts * i);
    if (guess && *guess > starts.back()) starts.push_back(*guess);
  }
  if (starts.size() == 1) {
    RowScorer scorer(out, lexicon_source(), mode);
    score_records(reader, columns, scorer);
    return out;
  }

  std::vector<Part> parts(starts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    parts[i].reader.emplace(i == 0 ? std::move(reader) : parts[0].reader->resume_at(starts[i], 0));
    if (i + 1 < parts.size()) parts[i].reader->stop_at(starts[i + 1]);
  }
  const auto run = [&](std::size_t i, RowScorer& scorer) {
    Part& part = parts[i];
    try {
      scorer.rebind(part.score);
      score_records(*part.reader, columns, scorer);
      part.reader->release_read();
      part.ends_at_next = i + 1 == parts.size() || part.reader->stopped_exactly_at(starts[i + 1]);
    } catch (...) {
      part.error = std::current_exception();
    }
  };
  const Lexicon* lexicon = nullptr;
  {
    std::atomic<std::size_t> next{0};
    // Helpers start before the lexicon is there: until it is, they claim parts and map them.
    std::latch lexicon_ready(1);
    const auto work = [&](bool helper) {
      std::vector<std::size_t> claimed;
      // A couple of parts at most: claimed parts are this thread's alone to score.
      while (helper && claimed.size() < 2 && !lexicon_ready.try_wait()) {
        const std::size_t i = next++;
        if (i >= parts.size()) break;
        claimed.push_back(i);
        parts[i].reader->map_ahead(starts[i], i + 1 < parts.size() ? starts[i + 1] : SIZE_MAX);
      }
      lexicon_ready.wait();
      if (!lexicon) return;                   // it failed to load: the calling thread reports it
      RowScorer scorer(out, *lexicon, mode);  // one per thread: each word decomposed once
      for (const std::size_t i : claimed)
        run(i, scorer);
      for (std::size_t i = next++; i < parts.size(); i = next++)
        run(i, scorer);
    };
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < std::min(workers, parts.size()); ++t)
      helpers.emplace_back(work, true);
    try {
      lexicon = &lexicon_source();
    } catch (...) {
      lexicon_ready.count_down();
      throw;
    }
    lexicon_ready.count_down();
    work(false);
  }

  // The first part starts at a real record, so its errors are exact. A part counts only when
  // the merged text before it ended exactly at its start; otherwise (a wrong guess, or bad
  // input in the part) this thread reads on from the last proven record boundary up to the
  // next part start it lands on exactly, numbering rows exactly.
  if (parts[0].error) std::rethrow_exception(parts[0].error);
  out.accumulator = std::move(parts[0].score.accumulator);
  out.labels = std::move(parts[0].score.labels);
  bool exact = parts[0].ends_at_next;
  std::size_t at = parts[0].reader->position();
  std::size_t next = 1;
  while (next < parts.size()) {
    if (exact && !parts[next].error) {
      merge_scores(out.accumulator, out.labels, parts[next].score.accumulator,
                   parts[next].score.labels);
      exact = parts[next].ends_at_next;
      at = parts[next].reader->position();
      ++next;
      continue;
    }
    const std::size_t from = exact ? starts[next] : at;
    std::size_t until = next;
    while (until < parts.size() && starts[until] <= from)
      ++until;
    csv::Reader rest = parts[0].reader->resume_at(from, out.accumulator.rows);
    if (until < parts.size()) rest.stop_at(starts[until]);
    RowScorer scorer(out, *lexicon, mode);
    score_records(rest, columns, scorer);
    if (until == parts.size()) break;
    exact = rest.stopped_exactly_at(starts[until]);
    at = rest.position();
    next = until;
  }
  return out;
}

PredictionsScore score_csv(const std::string& path, const LexiconSource& lexicon_source,
                           ParseMode mode, const ScoreThreads& threads) {
  bool requested = false;
  const LexiconSource once = [&]() -> const Lexicon& {
    requested = true;
    return lexicon_source();
  };
  try {
    return score_csv_parts(path, once, mode, threads);
  } catch (const InputError&) {
    if (!requested) lexicon_source();  // a bad lexicon is reported before a bad file
    throw;
  }
}

PredictionsScore score_jsonl(const std::string& path, const Lexicon& lexicon, ParseMode mode) {
  PredictionsScore out;
  LineReader lines(path);
  simdjson::ondemand::parser parser;
  std::string_view line;
  std::size_t row = 0;
  std::vector<std::string> gold_words, words;
  std::vector<std::string_view> gold_views;
  RowScorer scorer(out, lexicon, mode);
  bool decided = false;
  while (lines.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++row;
    const std::string where = fmt::format("{}: row {} (line {})", path, row, lines.line_number());
    simdjson::padded_string buffer(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    if (parser.iterate(buffer).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(obj) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: not a JSON object", where));
    simdjson::ondemand::value labels;
    if (obj.find_field_unordered("labels").get(labels) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: missing field 'labels'", where));
    gold_words.clear();
    simdjson::ondemand::array arr;
    std::string_view s;
    std::string err;
    if (labels.get_array().get(arr) == simdjson::SUCCESS) {
      for (auto e : arr) {
        if (e.get_string().get(s) != simdjson::SUCCESS)
          throw InputError(fmt::format("{}: field 'labels' must hold only strings", where));
        gold_words.emplace_back(s);
      }
    } else if (labels.get_string().get(s) != simdjson::SUCCESS ||
               !parse_python_list(s, gold_words, &err)) {
      throw InputError(fmt::format("{}: field 'labels' is not a list of strings {}", where, err));
    }
    gold_views.assign(gold_words.begin(), gold_words.end());
    simdjson::ondemand::value v;
    bool formatted = false;
    if (obj.find_field_unordered("output").get(v) != simdjson::SUCCESS) {
      if (obj.find_field_unordered("output_formatted").get(v) != simdjson::SUCCESS)
        throw InputError(fmt::format("{}: missing field 'output' (or 'output_formatted')", where));
      formatted = true;
    }
    if (!decided) {
      out.used_formatted = formatted;
      decided = true;
    }
    if (v.get_string().get(s) == simdjson::SUCCESS) {
      scorer.row(gold_views, s, formatted);
    } else {
      simdjson::ondemand::array list;
      if (!formatted || v.get_array().get(list) != simdjson::SUCCESS)
        throw InputError(fmt::format("{}: field '{}' must be a string", where,
                                     formatted ? "output_formatted" : "output"));
      // An already-cleaned JSON array of words.
      words.clear();
      for (auto e : list) {
        if (e.get_string().get(s) != simdjson::SUCCESS)
          throw InputError(fmt::format("{}: field 'output_formatted' must hold strings", where));
        words.emplace_back(s);
      }
      scorer.row_cleaned(gold_views, words);
    }
  }
  scorer.finish();
  return out;
}

}  // namespace

PredictionsScore score_predictions(const std::string& path, const Lexicon& lexicon, ParseMode mode,
                                   const ScoreThreads& threads) {
  return score_predictions(
      path, [&lexicon]() -> const Lexicon& { return lexicon; }, mode, threads);
}

PredictionsScore score_predictions(const std::string& path, const LexiconSource& lexicon,
                                   ParseMode mode, const ScoreThreads& threads) {
  return is_jsonl(path) ? score_jsonl(path, lexicon(), mode)
                        : score_csv(path, lexicon, mode, threads);
}

}  // namespace emosweep::express
