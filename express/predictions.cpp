#include "express/predictions.hpp"

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
  std::vector<std::string> gold_words, words;
  std::string err;
  while (reader.next()) {
    if (!parse_python_list(reader.field(labels_col), gold_words, &err)) {
      throw InputError(
          fmt::format("{}: column 'labels' is not a list of strings ({})", reader.where(), err));
    }
    score_row(out, lexicon, mode, gold_words, reader.field(output_col), out.used_formatted, words);
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
