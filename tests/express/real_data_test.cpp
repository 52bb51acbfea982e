// Tests on the real EXPRESS sample in ../shared/data/express.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "express/dataset.hpp"
#include "express/predictions.hpp"
#include "express/scoring.hpp"

namespace emosweep::express {
namespace {

const std::string kData = std::string(EMOSWEEP_SHARED_DIR) + "/data/express/";

class RealData : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kData + "express-sample.csv")) GTEST_SKIP() << "no ../shared";
  }
};

TEST_F(RealData, SampleHasTheDocumentedShape) {
  DatasetReader reader(kData + "express-sample.csv");
  Segment s;
  std::size_t rows = 0, masks = 0, multiline = 0;
  std::set<std::string> labels;
  while (reader.next(s)) {
    ++rows;
    masks += s.labels.size();
    multiline += s.text.find('\n') != std::string::npos;
    labels.insert(s.labels.begin(), s.labels.end());
    EXPECT_EQ(count_masks(s.text), s.labels.size());
  }
  EXPECT_EQ(rows, 1695u);
  EXPECT_EQ(masks, 2773u);
  EXPECT_EQ(labels.size(), 197u);
  EXPECT_EQ(multiline, 1599u);
}

// Scored against itself: vrate = accl = accv = accv2 = 1, and f1v equals the share of gold
// masks whose lexicon vector is non-zero, computed here independently of the library.
TEST_F(RealData, SampleScoredAgainstItself) {
  // Independent lexicon reading: which words have any 1.0 (first row wins).
  std::unordered_map<std::string, bool> nonzero;
  {
    std::ifstream in(kData + "lexicon-decomposition.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      const auto comma = line.find(',');
      const std::string word = line.substr(0, comma);
      if (!nonzero.count(word)) nonzero[word] = line.find("1.0", comma) != std::string::npos;
    }
  }
  // Write a predictions file whose output is the gold label list, and count non-zero masks
  // from the segment labels parsed naively (the sample's labels are simple quoted words).
  const auto dir =
      std::filesystem::temp_directory_path() / ("emosweep_self_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto pred_path = (dir / "self.csv").string();
  std::size_t masks = 0, nonzero_masks = 0;
  {
    DatasetReader reader(kData + "express-sample.csv");
    std::ofstream out(pred_path);
    out << "labels,output\n";
    Segment s;
    while (reader.next(s)) {
      std::string literal = "[";
      for (std::size_t i = 0; i < s.labels.size(); ++i) {
        literal += (i ? ", '" : "'") + s.labels[i] + "'";
        ++masks;
        nonzero_masks += nonzero[s.labels[i]];
      }
      literal += "]";
      out << '"' << literal << "\",\"" << literal << "\"\n";
    }
  }
  const auto lexicon = Lexicon::load(kData + "lexicon-decomposition.csv");
  const auto result = score_predictions(pred_path, lexicon, ParseMode::paper);
  const Scores s = result.accumulator.scores();
  EXPECT_EQ(s.rows, 1695u);
  EXPECT_EQ(s.masks, masks);
  EXPECT_EQ(s.vrate, 1.0);
  EXPECT_EQ(s.accl, 1.0);
  EXPECT_EQ(s.accv, 1.0);
  EXPECT_EQ(s.accv2, 1.0);
  EXPECT_DOUBLE_EQ(s.f1v, static_cast<double>(nonzero_masks) / static_cast<double>(masks));
  EXPECT_LT(s.f1v, 1.0);  // some gold labels are absent from the lexicon or all-zero
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace emosweep::express
