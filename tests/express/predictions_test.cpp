// Scoring a predictions file in parallel parts gives exactly the sequential result, also when
// a guessed part start is wrong, and errors name the same row either way.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "express/predictions.hpp"
#include "tests/support/child.hpp"

namespace emosweep::express {
namespace {

const std::string kDemo = EMOSWEEP_DEMO_DIR;

// A predictions file in a temporary directory of its own.
class PredictionsFile {
 public:
  explicit PredictionsFile(const std::string& content) {
    std::ofstream(path_, std::ios::binary) << content;
  }
  const std::string& path() const { return path_; }

 private:
  emosweep::testing::TempDir dir_{"predictions"};
  std::string path_ = dir_ / "predictions.csv";
};

// The demo predictions, field by field.
std::vector<std::vector<std::string>> demo_records() {
  csv::Reader reader(kDemo + "/demo-predictions.csv");
  std::vector<std::vector<std::string>> rows;
  while (reader.next()) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < reader.size(); ++i)
      row.emplace_back(reader.field(i));
    rows.push_back(row);
  }
  return rows;
}

std::size_t demo_rows() {
  return demo_records().size();
}

// The demo predictions repeated with shuffled outputs, so that parts differ from each other.
std::string many_demo_rows(int copies) {
  const auto rows = demo_records();
  std::mt19937 rng(7);
  std::string out = "segment,number_of_labels,labels,output\n";
  for (int c = 0; c < copies; ++c) {
    for (const auto& r : rows) {
      const auto& other = rows[rng() % rows.size()];
      const std::string& output = rng() % 3 == 0 ? other[3] : r[3];
      csv::append_record(out, {r[0], r[1], r[2], output});
    }
  }
  return out;
}

std::string label_json(const PredictionsScore& s) {
  json::Writer w;
  write_label_accuracy(w, s.accumulator, s.labels, 1000);
  return w.str();
}

void expect_same(const PredictionsScore& a, const PredictionsScore& b) {
  EXPECT_EQ(a.accumulator.rows, b.accumulator.rows);
  EXPECT_EQ(a.accumulator.valid_rows, b.accumulator.valid_rows);
  EXPECT_EQ(a.accumulator.label_correct, b.accumulator.label_correct);
  EXPECT_EQ(a.accumulator.f1_scaled, b.accumulator.f1_scaled);
  EXPECT_EQ(a.accumulator.dimensions, b.accumulator.dimensions);
  EXPECT_EQ(label_json(a), label_json(b));
  EXPECT_EQ(a.used_formatted, b.used_formatted);
}

const Lexicon& demo_lexicon() {
  static const Lexicon lexicon = Lexicon::load(kDemo + "/demo-lexicon.csv");
  return lexicon;
}

TEST(ScorePredictions, PartsInParallelGiveExactlyTheSequentialResult) {
  const PredictionsFile file(many_demo_rows(300));
  const auto sequential =
      score_predictions(file.path(), demo_lexicon(), ParseMode::paper, {.threads = 1});
  EXPECT_EQ(sequential.accumulator.rows, 300u * demo_rows());
  EXPECT_GT(sequential.accumulator.valid_rows, 0u);
  EXPECT_LT(sequential.accumulator.label_correct, sequential.accumulator.masks);
  for (std::size_t threads : {2u, 3u, 7u}) {
    SCOPED_TRACE(threads);
    const auto parallel = score_predictions(file.path(), demo_lexicon(), ParseMode::paper,
                                            {.threads = threads, .min_part_bytes = 1});
    expect_same(parallel, sequential);
  }
}

// Segments whose lines look like records of the right width: a guessed part start inside one
// is plausible but wrong. The part before it runs past it, and reading goes on from there.
TEST(ScorePredictions, AWrongPartStartFallsBackToReadingOnExactly) {
  std::string content = "segment,labels,output\n";
  for (int i = 0; i < 200; ++i) {
    std::string segment = "I felt <mask> when\n";
    for (int k = 0; k < 40; ++k)
      segment += "p,q,r\n";
    csv::append_record(content, {segment, "['happy']", i % 2 ? "['happy']" : "['sad']"});
  }
  const PredictionsFile file(content);
  const auto sequential =
      score_predictions(file.path(), demo_lexicon(), ParseMode::paper, {.threads = 1});
  EXPECT_EQ(sequential.accumulator.rows, 200u);
  EXPECT_EQ(sequential.accumulator.label_correct, 100u);
  const auto parallel = score_predictions(file.path(), demo_lexicon(), ParseMode::paper,
                                          {.threads = 4, .min_part_bytes = 1});
  expect_same(parallel, sequential);
}

std::string error_of(const std::string& path, std::size_t threads) {
  try {
    score_predictions(path, demo_lexicon(), ParseMode::paper,
                      {.threads = threads, .min_part_bytes = 1});
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ScorePredictions, ABadRowInALaterPartIsNamedAsInSequentialReading) {
  std::string content = many_demo_rows(100);
  csv::append_record(content, {"A\nmulti-line <mask>", "1", "['happy'", "['happy']"});
  const std::string tail = many_demo_rows(1);
  content += tail.substr(tail.find('\n') + 1);
  const PredictionsFile file(content);
  const std::string sequential = error_of(file.path(), 1);
  const std::string row = fmt::format("row {} (line ", 100 * demo_rows() + 1);
  EXPECT_NE(sequential.find(row), std::string::npos) << sequential;
  EXPECT_NE(sequential.find("column 'labels'"), std::string::npos) << sequential;
  EXPECT_EQ(error_of(file.path(), 2), sequential);
  EXPECT_EQ(error_of(file.path(), 5), sequential);
}

// A lexicon still loading on another thread: the same result as a loaded one, the source is
// asked once, and a bad lexicon is reported before a bad predictions file.
TEST(ScorePredictions, ALexiconLoadingMeanwhileGivesTheSameResultAndErrorsFirst) {
  const PredictionsFile file(many_demo_rows(200));
  const auto loaded = score_predictions(file.path(), demo_lexicon(), ParseMode::paper,
                                        {.threads = 2, .min_part_bytes = 1});
  for (std::size_t threads : {1u, 2u, 4u}) {
    SCOPED_TRACE(threads);
    auto loading = std::async(std::launch::async, [] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // still loading meanwhile
      return Lexicon::load(kDemo + "/demo-lexicon.csv");
    });
    std::optional<Lexicon> lexicon;
    int calls = 0;
    const auto scored =
        score_predictions(file.path(),
                          [&]() -> const Lexicon& {
                            ++calls;
                            lexicon.emplace(loading.get());
                            return *lexicon;
                          },
                          ParseMode::paper, {.threads = threads, .min_part_bytes = 1});
    EXPECT_EQ(calls, 1);
    expect_same(scored, loaded);
  }
  std::string bad_rows = many_demo_rows(50);
  csv::append_record(bad_rows, {"x <mask>", "1", "['happy'", "['happy']"});
  const PredictionsFile bad_file(bad_rows);
  const PredictionsFile no_labels("segment,output\nx,['a']\n");
  for (const auto* path : {&bad_file.path(), &no_labels.path()}) {
    int calls = 0;
    const LexiconSource broken = [&]() -> const Lexicon& {
      ++calls;
      throw InputError("lex.csv: line 2: broken");
    };
    for (std::size_t threads : {1u, 3u}) {
      calls = 0;
      try {
        score_predictions(*path, broken, ParseMode::paper,
                          {.threads = threads, .min_part_bytes = 1});
        ADD_FAILURE() << *path;
      } catch (const InputError& e) {
        EXPECT_STREQ(e.what(), "lex.csv: line 2: broken");
      }
      EXPECT_EQ(calls, 1);
    }
  }
  // With a good lexicon the file's own error comes out.
  try {
    score_predictions(
        no_labels.path(), [&]() -> const Lexicon& { return demo_lexicon(); }, ParseMode::paper);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing column 'labels'"), std::string::npos) << e.what();
  }
}

TEST(ScorePredictions, MergingPartsReinternsTheirGoldLabels) {
  // Two parts that met their labels in different orders.
  LabelTable left_labels, right_labels;
  Accumulator left, right;
  const auto lexicon = Lexicon::from_csv_string(
      "word,anger,anticipation,disgust,fear,joy,sadness,surprise,trust,positive,negative\n"
      "happy,0,0,0,0,1,0,0,0,1,0\nsad,0,0,0,0,0,1,0,0,0,1\n");
  const std::vector<std::string> happy{"happy"}, sad{"sad"};
  left.add(prepare_gold(happy, lexicon, left_labels), &happy, lexicon);
  right.add(prepare_gold(sad, lexicon, right_labels), &happy, lexicon);
  right.add(prepare_gold(happy, lexicon, right_labels), &sad, lexicon);
  merge_scores(left, left_labels, right, right_labels);
  ASSERT_EQ(left_labels.size(), 2u);
  const auto happy_id = *left_labels.find("happy");
  const auto sad_id = *left_labels.find("sad");
  EXPECT_EQ(left.labels[happy_id].masks, 2u);
  EXPECT_EQ(left.labels[happy_id].correct, 1u);
  EXPECT_EQ(left.labels[sad_id].masks, 1u);
  EXPECT_EQ(left.labels[sad_id].correct, 0u);
  EXPECT_EQ(left.rows, 3u);
  EXPECT_EQ(left.label_correct, 1u);
}

}  // namespace
}  // namespace emosweep::express
