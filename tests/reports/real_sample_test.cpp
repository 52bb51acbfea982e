// The real EXPRESS sample (../shared/data/express, read in place): a run directory built from
// its 1,695 segments and the authors' lexicon, with predictions of known quality. The report's
// numbers must equal `emosweep score`'s (express::score_predictions) on the same predictions
// in the authors' CSV shape, and the human-evaluation sheet must quote the real segments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "core/csv.hpp"
#include "core/json.hpp"
#include "express/dataset.hpp"
#include "express/lexicon.hpp"
#include "express/predictions.hpp"
#include "express/scoring.hpp"
#include "reports/humaneval.hpp"
#include "reports/report.hpp"

namespace {

namespace fs = std::filesystem;
using namespace emosweep;

const std::string kData = std::string(EMOSWEEP_SHARED_DIR) + "/data/express/";

std::string vector_string(express::EmotionVector v) {
  std::string s(express::kDimensionCount, '0');
  for (std::size_t d = 0; d < s.size(); ++d)
    if (v & (1u << d)) s[d] = '1';
  return s;
}

std::string py_list(const std::vector<std::string>& words) {
  std::string out = "[";
  for (std::size_t i = 0; i < words.size(); ++i)
    out += (i ? ", '" : "'") + words[i] + "'";
  return out + "]";
}

class RealSample : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("emosweep_real_sample_{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "run" / "predictions");
    lexicon_ = express::Lexicon::load(kData + "lexicon-decomposition.csv");
    segments_ = express::read_dataset(kData + "express-sample.csv");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One configuration: every `keep`-th segment predicted right, every 7th unparsable, and the
  // others with each word replaced by the next segment's first label.
  void write_config(std::ofstream& results, const std::string& model, std::size_t keep) {
    std::string csv;
    csv::append_record(csv, {"segment", "number_of_labels", "labels", "output"});
    express::LabelTable table;
    std::string line;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const auto& seg = segments_[i];
      const express::GoldSegment gold = express::prepare_gold(seg.labels, lexicon_, table);
      std::vector<std::string> labels;
      for (const auto& g : gold)
        labels.push_back(g.word);
      const bool invalid = i % 7 == 3;
      std::vector<std::string> predicted = labels;
      if (i % keep != 0) {
        const auto& next = segments_[(i + 1) % segments_.size()].labels.front();
        for (auto& w : predicted)
          w = text_lower(next);
      }
      const std::string output = invalid ? "Invalid output" : py_list(predicted);
      json::Writer w(&line);
      line.clear();
      w.begin_object().field("model", model).field("variant", "zero-shot").field("repeat", 0);
      w.field("item", seg.index).field("original_ids", seg.original_ids).field("row", seg.row);
      w.field("outcome", invalid ? "invalid" : "ok");
      w.key("labels").begin_array();
      for (const auto& l : labels)
        w.value(l);
      w.end_array();
      w.field("output", output);
      w.key("masks").begin_array();
      if (!invalid) {
        for (std::size_t k = 0; k < gold.size(); ++k) {
          const auto pv = lexicon_.lookup(predicted[k]);
          const auto s = express::score_mask(gold[k], predicted[k], pv);
          w.begin_object().field("gold", gold[k].word).field("predicted", predicted[k]);
          w.field("gold_vector", vector_string(gold[k].vector));
          w.field("predicted_vector", vector_string(pv));
          w.field("label_match", s.label_match).field("vector_match", s.vector_match);
          w.field("f1", s.f1()).field("agree", int{s.agree}).end_object();
        }
      }
      w.end_array();
      if (invalid)
        w.key("predicted").null();
      else {
        w.key("predicted").begin_array();
        for (const auto& p : predicted)
          w.value(p);
        w.end_array();
      }
      w.field("valid", !invalid).end_object();
      results << line << '\n';
      csv::append_record(
          csv, {seg.text, std::to_string(seg.labels.size()), py_list(seg.labels), output});
    }
    std::ofstream(dir_ / "run" / "predictions" / (model + "__zero-shot.csv"), std::ios::binary)
        << csv;
  }
  static std::string text_lower(std::string s) {
    for (char& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  fs::path dir_;
  express::Lexicon lexicon_;
  std::vector<express::Segment> segments_;
};

TEST_F(RealSample, ReportEqualsEmosweepScoreOnTheSamePredictions) {
  ASSERT_EQ(segments_.size(), 1695u);
  {
    std::ofstream results(dir_ / "run" / "results.jsonl", std::ios::binary);
    write_config(results, "good", 2);
    write_config(results, "poor", 5);
  }
  reports::ReportOptions options;
  options.resamples = 1000;
  const reports::Report report = reports::build_report({(dir_ / "run").string()}, options);
  ASSERT_EQ(report.configs.size(), 2u);
  for (const auto& c : report.configs) {
    const auto scored = express::score_predictions(
        (dir_ / "run" / "predictions" / (c.model + "__zero-shot.csv")).string(), lexicon_,
        express::ParseMode::paper);
    const express::Scores s = scored.accumulator.scores();
    EXPECT_EQ(c.scores.rows, 1695u);
    EXPECT_EQ(c.scores.masks, 2773u);  // the sample's masks (DESIGN.md §1)
    EXPECT_EQ(c.scores.valid_rows, s.valid_rows) << c.model;
    EXPECT_EQ(c.scores.vrate, s.vrate) << c.model;
    EXPECT_EQ(c.scores.accl, s.accl) << c.model;
    EXPECT_EQ(c.scores.accv, s.accv) << c.model;
    EXPECT_EQ(c.scores.f1v, s.f1v) << c.model;
    EXPECT_EQ(c.scores.accv2, s.accv2) << c.model;
    for (std::size_t d = 0; d < express::kDimensionCount; ++d)
      EXPECT_EQ(c.scores.dimensions[d].f1, s.dimensions[d].f1) << c.model << " " << d;
    // Posts, not segments, are resampled: fewer clusters than segments.
    EXPECT_LT(c.posts, 1695u);
    EXPECT_GT(c.posts, 100u);
  }
  EXPECT_GT(report.configs[0].scores.accl, report.configs[1].scores.accl);
  ASSERT_EQ(report.comparisons.size(), 1u);
  EXPECT_TRUE(report.comparisons[0].real(reports::kAccl));
  EXPECT_EQ(report.comparisons[0].shared_items, 1695u);
}

TEST_F(RealSample, HumanEvalSheetQuotesTheRealSegments) {
  {
    std::ofstream results(dir_ / "run" / "results.jsonl", std::ios::binary);
    write_config(results, "good", 2);
  }
  std::map<std::string, std::string> text;
  for (const auto& s : segments_)
    text[s.index] = s.text;
  for (const bool with_dataset : {true, false}) {
    reports::ExportOptions o;
    o.run_dir = (dir_ / "run").string();
    o.model = "good";
    o.variant = "zero-shot";
    o.n = 200;
    o.seed = 3;
    o.out = (dir_ / "sheet.csv").string();
    if (with_dataset) o.dataset = kData + "express-sample.csv";
    const auto result = reports::export_sheet(o);
    EXPECT_EQ(result.rows, 200u);
    csv::Reader sheet(o.out), key(result.key_path);
    std::size_t rows = 0;
    while (sheet.next() && key.next()) {
      EXPECT_EQ(sheet.field(1), text.at(std::string(key.field(1))));
      EXPECT_NE(sheet.field(1).find("<mask>"), std::string_view::npos);
      ++rows;
    }
    EXPECT_EQ(rows, 200u);
  }
}

}  // namespace
