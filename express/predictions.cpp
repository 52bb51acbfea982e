#include "express/predictions.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/lines.hpp"
#include "express/pylist.hpp"

namespace emosweep::express {
namespace {

bool is_jsonl(std::string_view path) {
  return path.ends_with(".jsonl") || path.ends_with(".ndjson") || path.ends_with(".json");
}

void score_row(PredictionsScore& out, const Lexicon& lexicon, ParseMode mode,
               const std::vector<std::string>& gold_words, std::string_view prediction,
               bool formatted, std::vector<std::string>& words) {
  const GoldSegment gold = prepare_gold(gold_words, lexicon, out.labels);
  const CleanStatus status = formatted ? clean_formatted(prediction, gold.size(), words)
                                       : clean_output(prediction, gold.size(), mode, words);
  out.accumulator.add(gold, status == CleanStatus::valid ? &words : nullptr, lexicon);
}

// Rows cross from the CSV reader (this thread) to a scoring thread in batches, so that scanning
// the file and parsing and scoring its rows overlap on two cores. Only the two small columns
// are copied; the segment text stays in the reader.
struct RowBatch {
  struct Row {
    std::string labels, output;
    std::size_t row = 0, offset = 0;
  };
  std::vector<Row> rows;
  std::size_t used = 0;
};

class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}
  void push(std::unique_ptr<RowBatch> b) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || stopped_; });
    if (stopped_) return;
    queue_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  std::unique_ptr<RowBatch> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_ || stopped_; });
    if (queue_.empty() || stopped_) return nullptr;
    auto b = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return b;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }
  // The consumer gave up (bad input): producers stop waiting.
  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  bool stopped() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::unique_ptr<RowBatch>> queue_;
  std::size_t capacity_;
  bool closed_ = false, stopped_ = false;
};

PredictionsScore score_csv(const std::string& path, const Lexicon& lexicon, ParseMode mode) {
  PredictionsScore out;
  csv::Reader reader(path);
  const std::size_t labels_col = reader.require_column("labels");
  std::size_t output_col;
  if (auto c = reader.column("output")) {
    output_col = *c;
  } else if (auto f = reader.column("output_formatted")) {
    output_col = *f;
    out.used_formatted = true;
  } else {
    throw InputError(fmt::format("{}: missing column 'output' (or 'output_formatted')", path));
  }
  constexpr std::size_t kBatch = 512;
  BatchQueue queue(8);
  // The scoring thread: the first bad `labels` literal stops everything, naming its row.
  std::size_t bad_row = 0, bad_offset = 0;
  std::string bad_error;
  std::thread scorer([&] {
    std::vector<std::string> gold_words, words;
    std::string err;
    while (auto batch = queue.pop()) {
      for (std::size_t i = 0; i < batch->used; ++i) {
        const auto& r = batch->rows[i];
        if (!parse_python_list(r.labels, gold_words, &err)) {
          bad_row = r.row;
          bad_offset = r.offset;
          bad_error = err;
          queue.stop();
          return;
        }
        score_row(out, lexicon, mode, gold_words, r.output, out.used_formatted, words);
      }
    }
  });
  try {
    auto batch = std::make_unique<RowBatch>();
    batch->rows.resize(kBatch);
    while (reader.next()) {
      auto& r = batch->rows[batch->used++];
      r.labels.assign(reader.field(labels_col));
      r.output.assign(reader.field(output_col));
      r.row = reader.row();
      r.offset = reader.offset();
      if (batch->used == kBatch) {
        queue.push(std::move(batch));
        if (queue.stopped()) break;
        batch = std::make_unique<RowBatch>();
        batch->rows.resize(kBatch);
      }
    }
    if (batch->used > 0) queue.push(std::move(batch));
  } catch (...) {
    queue.stop();
    scorer.join();
    throw;
  }
  queue.close();
  scorer.join();
  if (bad_row != 0) {
    throw InputError(
        fmt::format("{}: row {} (line {}): column 'labels' is not a list of strings ({})",
                    reader.name(), bad_row, reader.line_at(bad_offset), bad_error));
  }
  return out;
}

PredictionsScore score_jsonl(const std::string& path, const Lexicon& lexicon, ParseMode mode) {
  PredictionsScore out;
  LineReader lines(path);
  simdjson::ondemand::parser parser;
  std::string_view line;
  std::size_t row = 0;
  std::vector<std::string> gold_words, words;
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
    std::string prediction;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
      prediction.assign(s);
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
      const GoldSegment gold = prepare_gold(gold_words, lexicon, out.labels);
      const bool valid = clean_words(words, gold.size()) == CleanStatus::valid;
      out.accumulator.add(gold, valid ? &words : nullptr, lexicon);
      continue;
    }
    score_row(out, lexicon, mode, gold_words, prediction, formatted, words);
  }
  return out;
}

}  // namespace

PredictionsScore score_predictions(const std::string& path, const Lexicon& lexicon,
                                   ParseMode mode) {
  return is_jsonl(path) ? score_jsonl(path, lexicon, mode) : score_csv(path, lexicon, mode);
}

}  // namespace emosweep::express
