// `emosweep report` and `emosweep humaneval` through the real binary: exit codes (0, and 2
// with one error line naming the file and line), output formats and files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/csv.hpp"
#include "tests/reports/synthetic_run.hpp"
#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;
using emosweep::testing::run_command;
using emosweep::testing::shell_quote;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kBin = EMOSWEEP_BIN;

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("emosweep_report_cli_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    emosweep::testing::SyntheticSpec spec;
    spec.items = 150;
    run_ = emosweep::testing::write_synthetic_run(path("run"), spec).dir;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  emosweep::testing::CommandResult emosweep(const std::string& args) {
    return run_command(kBin + " " + args);
  }
  static std::size_t lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  fs::path dir_;
  std::string run_;
};

TEST_F(ReportCli, WritesEveryFormat) {
  const auto json =
      emosweep("report " + shell_quote(run_) + " --format json --resamples 200 --seed 5");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json.out).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(simdjson::dom::array(doc["configurations"]).size(), 4u);
  EXPECT_EQ(uint64_t(doc["bootstrap"]["resamples"]), 200u);
  EXPECT_EQ(uint64_t(doc["bootstrap"]["seed"]), 5u);

  const auto md = emosweep("report " + shell_quote(run_) + " --resamples 200");
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_THAT(md.out, StartsWith("# EXPRESS benchmark report"));
  EXPECT_THAT(md.out, HasSubstr("200 resamples of posts (original_ids), seed 1"));

  // The format follows --out's extension; the file is written, stdout stays empty.
  const auto html = emosweep("report " + shell_quote(run_) + " --resamples 200 --out " +
                             shell_quote(path("r.html")));
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_EQ(html.out, "");
  EXPECT_THAT(read(path("r.html")), StartsWith("<!DOCTYPE html>"));
  const auto csv = emosweep("report " + shell_quote(run_) + " --resamples 200 --out " +
                            shell_quote(path("r.csv")));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(read(path("r.csv")), StartsWith("section,model,variant,run,"));
  // The same seed gives the same report.
  const auto again =
      emosweep("report " + shell_quote(run_) + " --format json --resamples 200 --seed 5");
  EXPECT_EQ(again.out, json.out);
}

TEST_F(ReportCli, BadInputExitsTwoWithOneLine) {
  const auto missing = emosweep("report " + shell_quote(path("nope")));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "emosweep: error: " + path("nope") + ": no such run directory\n");

  std::ofstream(path("run/results.jsonl"), std::ios::app) << "{\"model\": oops\n";
  const auto malformed = emosweep("report " + shell_quote(run_));
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(lines(malformed.err), 1u) << malformed.err;
  EXPECT_THAT(malformed.err,
              HasSubstr(path("run/results.jsonl") + ": line 601: not a JSON object"));
  EXPECT_EQ(malformed.out, "");

  const auto format = emosweep("report " + shell_quote(run_) + " --format pdf");
  EXPECT_EQ(format.exit_code, 2);
  const auto resamples = emosweep("report " + shell_quote(run_) + " --resamples 0");
  EXPECT_EQ(resamples.exit_code, 2);
  const auto none = emosweep("report");
  EXPECT_EQ(none.exit_code, 2);
}

TEST_F(ReportCli, HumanEvalRoundTrip) {
  const auto out = emosweep("humaneval export " + shell_quote(run_) +
                            " --model model-a --variant zero-shot --n 30 --seed 4 --out " +
                            shell_quote(path("sheet.csv")));
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_THAT(out.err, HasSubstr("wrote 30 item(s)"));
  ASSERT_TRUE(fs::exists(path("sheet.key.csv")));
  // Two coders: one always picks option 1, the other always "neither".
  for (const std::string coder : {"ann", "ben"}) {
    auto reader = emosweep::csv::Reader(path("sheet.csv"));
    std::string text;
    emosweep::csv::append_record(text, {"id", "segment", "option_1", "option_2", "choice"});
    while (reader.next())
      emosweep::csv::append_record(text, {reader.field(0), reader.field(1), reader.field(2),
                                          reader.field(3), coder == "ann" ? "1" : "neither"});
    std::ofstream(path(coder + ".csv"), std::ios::binary) << text;
  }
  const auto in = emosweep("humaneval import " + shell_quote(path("ann.csv")) + " " +
                           shell_quote(path("ben.csv")) + " --key " +
                           shell_quote(path("sheet.key.csv")) + " --resamples 200");
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_THAT(in.out, HasSubstr("# Human evaluation"));
  EXPECT_THAT(in.out, HasSubstr("| ann | ben | 30 | 0 | 0.000 |"));
  EXPECT_THAT(in.out, HasSubstr("Fleiss' kappa: "));
  const auto json = emosweep("humaneval import " + shell_quote(path("ann.csv")) + " --key " +
                             shell_quote(path("sheet.key.csv")) + " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json.out).get(doc), simdjson::SUCCESS);
  const double model = doc["pooled"]["model"]["rate"]["value"];
  const double self = doc["pooled"]["self_disclosed"]["rate"]["value"];
  EXPECT_NEAR(model + self, 1.0, 1e-12);  // option 1 is the model about half the time
  EXPECT_GT(model, 0.2);
  EXPECT_LT(model, 0.8);

  std::ofstream(path("bad.csv")) << "id,choice\n1,maybe\n";
  const auto bad = emosweep("humaneval import " + shell_quote(path("bad.csv")) + " --key " +
                            shell_quote(path("sheet.key.csv")));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(lines(bad.err), 1u);
  EXPECT_THAT(bad.err, HasSubstr(path("bad.csv") + ": row 1"));
  const auto no_model =
      emosweep("humaneval export " + shell_quote(run_) +
               " --model nobody --variant zero-shot --out " + shell_quote(path("x.csv")));
  EXPECT_EQ(no_model.exit_code, 2);
  EXPECT_THAT(no_model.err, HasSubstr("no scored rows for model 'nobody'"));
}

}  // namespace
