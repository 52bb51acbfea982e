// `emosweep score` end to end: the contract's JSON keys, exit codes and one-line errors, and
// agreement with an independent plain-Python implementation of the metrics.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <simdjson.h>

#include "tests/support/process.hpp"

namespace {

using emosweep::testing::run_command;
using emosweep::testing::shell_quote;

const std::string kBin = EMOSWEEP_BIN;
const std::string kDemo = EMOSWEEP_DEMO_DIR;
const std::string kSource = EMOSWEEP_SOURCE_DIR;
const std::string kShared = std::string(EMOSWEEP_SHARED_DIR) + "/data/express/";

class ScoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("emosweep_score_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    const auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::filesystem::path dir_;
};

// Compares emosweep's JSON with the Python reference's on the same files.
void expect_same_scores(const std::string& predictions, const std::string& lexicon) {
  const auto ours = run_command(kBin + " score " + shell_quote(predictions) + " --lexicon " +
                                shell_quote(lexicon) + " --format json");
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  const auto ref = run_command("python3 " + shell_quote(kSource + "/bench/reference_score.py") +
                               " " + shell_quote(predictions) + " " + shell_quote(lexicon));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  simdjson::dom::parser p1, p2;
  simdjson::dom::element a, b;
  ASSERT_EQ(p1.parse(ours.out).get(a), simdjson::SUCCESS) << ours.out;
  ASSERT_EQ(p2.parse(ref.out).get(b), simdjson::SUCCESS) << ref.out;
  for (const char* key : {"rows", "valid_rows", "masks"})
    EXPECT_EQ(int64_t(a[key]), int64_t(b[key])) << key;
  for (const char* key : {"vrate", "accl", "accv", "f1v", "accv2"})
    EXPECT_NEAR(double(a[key]), double(b[key]), 1e-12) << key;
  for (const char* dim : {"anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise",
                          "trust", "positive", "negative"}) {
    EXPECT_NEAR(double(a["dimensions"][dim]["agreement"]),
                double(b["dimensions"][dim]["agreement"]), 1e-12);
    EXPECT_NEAR(double(a["dimensions"][dim]["f1"]), double(b["dimensions"][dim]["f1"]), 1e-12);
  }
}

TEST_F(ScoreCli, DemoPredictionsMatchThePythonReference) {
  expect_same_scores(kDemo + "/demo-predictions.csv", kDemo + "/demo-lexicon.csv");
}

// Random outputs over the real sample, through every cleaning branch.
TEST_F(ScoreCli, RealSampleWithRandomOutputsMatchesThePythonReference) {
  if (!std::filesystem::exists(kShared + "express-sample.csv")) GTEST_SKIP() << "no ../shared";
  const std::string script = R"PY(
import csv, random, sys
random.seed(7)
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
words = sorted({w for r in rows for w in eval(r['labels'])})
with open(sys.argv[2], 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['segment', 'number_of_labels', 'labels', 'output'])
    for r in rows:
        n = int(r['number_of_labels'])
        pick = [random.choice(words) if random.random() < 0.6 else g for g in eval(r['labels'])]
        k = random.random()
        if k < 0.5: out = repr(pick)
        elif k < 0.6: out = '[' + ', '.join(x.upper() for x in pick) + ']'
        elif k < 0.7: out = pick[0].title()
        elif k < 0.75: out = 'Invalid Output'
        elif k < 0.8: out = ' ' + repr(pick)
        elif k < 0.85: out = repr(pick[:-1])
        elif k < 0.9: out = "['" + pick[0] + "', 3]"
        elif k < 0.95: out = repr([p.capitalize() for p in pick])
        else:  # gold and output spelled differently, non-ASCII letters included
            gold = [g.title() + '\u00e9' for g in eval(r['labels'])]
            out = repr([g.upper() for g in gold])
            w.writerow([r['segment'], n, repr(gold), out])
            continue
        w.writerow([r['segment'], n, r['labels'], out])
)PY";
  const auto gen = write("gen.py", script);
  const auto pred = (dir_ / "random.csv").string();
  ASSERT_EQ(
      run_command("python3 " + gen + " " + shell_quote(kShared + "express-sample.csv") + " " + pred)
          .exit_code,
      0);
  expect_same_scores(pred, kShared + "lexicon-decomposition.csv");
}

TEST_F(ScoreCli, JsonHasExactlyTheContractKeys) {
  const auto r = run_command(kBin + " score " + kDemo + "/demo-predictions.csv --lexicon " + kDemo +
                             "/demo-lexicon.csv");
  ASSERT_EQ(r.exit_code, 0);
  simdjson::dom::parser p;
  simdjson::dom::object obj;
  ASSERT_EQ(p.parse(r.out).get(obj), simdjson::SUCCESS);
  std::vector<std::string> keys;
  for (auto [k, v] : obj)
    keys.emplace_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"rows", "valid_rows", "masks", "vrate", "accl", "accv",
                                            "f1v", "accv2", "dimensions"}));
}

TEST_F(ScoreCli, TableAndFormattedColumn) {
  auto r = run_command(kBin + " score " + kDemo + "/demo-predictions.csv --lexicon " + kDemo +
                       "/demo-lexicon.csv --format table");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("accv2"), std::string::npos);
  const auto f = write("formatted.csv",
                       "labels,output_formatted\n\"['sad', 'happy']\",\"['Sad', 'happy']\"\n"
                       "['sad'],invalid output\n");
  r = run_command(kBin + " score " + f + " --lexicon " + kDemo + "/demo-lexicon.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser p;
  simdjson::dom::element e;
  ASSERT_EQ(p.parse(r.out).get(e), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(e["valid_rows"]), 1);
  EXPECT_DOUBLE_EQ(double(e["accl"]), 2.0 / 3.0);
}

TEST_F(ScoreCli, BadInputExitsTwoWithOneLineNamingTheCulprit) {
  const std::string lex = " --lexicon " + kDemo + "/demo-lexicon.csv";
  struct Case {
    std::string args, expected;
  };
  const auto bad_labels = write("bad_labels.csv", "labels,output\n['a'],x\n\"['a', 1]\",x\n");
  const auto no_output = write("no_output.csv", "labels,answer\n['a'],x\n");
  const auto bad_lex = write("bad_lex.csv",
                             "word,anger,anticipation,disgust,fear,joy,sadness,surprise,trust,"
                             "positive,negative\nsad,0,0,0,0,0,1,0,0,0,2\n");
  const Case cases[] = {
      {(dir_ / "missing.csv").string() + lex, "missing.csv: cannot open"},
      {no_output + lex, "no_output.csv: missing column 'output' (or 'output_formatted')"},
      {bad_labels + lex,
       "bad_labels.csv: row 2 (line 3): column 'labels' is not a list of strings"},
      {kDemo + "/demo-predictions.csv --lexicon " + bad_lex,
       "bad_lex.csv: line 2: column 'negative' is '2', expected 0 or 1"},
      {kDemo + "/demo-predictions.csv" + lex + " --format xml", "--format"},
      {kDemo + "/demo-predictions.csv", "--lexicon"},
  };
  for (const auto& c : cases) {
    const auto r = run_command(kBin + " score " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const auto r = run_command(kBin + " score " + bad_labels + lex);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, VersionHelpAndUsage) {
  auto r = run_command(kBin + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("emosweep ", 0), 0u) << r.out;
  r = run_command(kBin + " --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("score"), std::string::npos);
  r = run_command(kBin + " frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  r = run_command(kBin);
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
