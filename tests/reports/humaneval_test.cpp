// Human evaluation: the blinded sheet and its key (sampling, blinding, segment texts from
// the dataset or the predictions CSV), and the analysis of filled-in sheets (unblinding,
// preference rates, pairwise agreement, Fleiss' kappa), with its one-line errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "reports/humaneval.hpp"
#include "tests/reports/synthetic_run.hpp"

namespace {

namespace fs = std::filesystem;
using emosweep::InputError;
using emosweep::csv::Reader;
using emosweep::testing::SyntheticSpec;
using emosweep::testing::write_synthetic_run;
using namespace emosweep::reports;
using ::testing::HasSubstr;

class HumanEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            fmt::format("emosweep_humaneval_test_{}_{}", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    SyntheticSpec spec;
    spec.items = 400;
    spec.repeats = 2;
    spec.shuffle_seed = 3;
    spec_ = spec;
    run_ = write_synthetic_run(path("run"), spec);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string path(const std::string& name) const { return (root_ / name).string(); }
  static std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void write(const std::string& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  ExportOptions export_options(std::size_t n = 60) const {
    ExportOptions o;
    o.run_dir = run_.dir;
    o.model = "model-b";
    o.variant = "few-shot";
    o.n = n;
    o.seed = 11;
    o.out = path("sheet.csv");
    return o;
  }
  // Writes a coder's sheet: the exported sheet with `choose(id, model_option)` filled in.
  std::string coder_sheet(const std::string& name,
                          const std::function<std::string(int, int)>& choose) {
    std::map<std::string, int> model_option;
    Reader key(path("sheet.key.csv"));
    while (key.next())
      model_option[std::string(key.field(0))] = key.field(7) == "1" ? 1 : 2;
    Reader sheet(path("sheet.csv"));
    std::string out;
    emosweep::csv::append_record(out, {"id", "segment", "option_1", "option_2", "choice"});
    while (sheet.next()) {
      const std::string id(sheet.field(0));
      const std::string choice = choose(std::stoi(id), model_option.at(id));
      emosweep::csv::append_record(out,
                                   {id, sheet.field(1), sheet.field(2), sheet.field(3), choice});
    }
    const std::string p = path(name + ".csv");
    write(p, out);
    return p;
  }
  fs::path root_;
  SyntheticSpec spec_;
  emosweep::testing::SyntheticRun run_;
};

std::vector<std::vector<std::string>> rows_of(const std::string& file) {
  std::vector<std::vector<std::string>> rows;
  Reader r(file);
  rows.push_back(r.header());
  while (r.next()) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < r.size(); ++i)
      row.emplace_back(r.field(i));
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST_F(HumanEvalTest, ExportWritesABlindedSheetAndAKey) {
  auto o = export_options();
  o.dataset = run_.dataset;
  const ExportResult result = export_sheet(o);
  EXPECT_EQ(result.rows, 60u);
  EXPECT_GT(result.candidates, 200u);
  EXPECT_EQ(result.key_path, path("sheet.key.csv"));
  const auto sheet = rows_of(path("sheet.csv"));
  const auto key = rows_of(path("sheet.key.csv"));
  ASSERT_EQ(sheet.size(), 61u);
  ASSERT_EQ(key.size(), 61u);
  EXPECT_THAT(sheet[0], ::testing::ElementsAre("id", "segment", "option_1", "option_2", "choice"));
  EXPECT_THAT(key[0],
              ::testing::ElementsAre("id", "item", "repeat", "original_ids", "row", "model",
                                     "variant", "model_option", "self_disclosed", "prediction"));
  // The dataset, to check segments and labels independently.
  std::map<std::string, std::pair<std::string, std::string>> dataset;  // index → (segment, labels)
  {
    Reader d(run_.dataset);
    while (d.next())
      dataset[std::string(d.field(0))] = {std::string(d.field(2)), std::string(d.field(4))};
  }
  std::set<std::string> items;
  int model_first = 0;
  for (std::size_t i = 1; i < sheet.size(); ++i) {
    EXPECT_EQ(sheet[i][0], std::to_string(i));
    EXPECT_EQ(key[i][0], sheet[i][0]);
    EXPECT_EQ(sheet[i][4], "");
    EXPECT_TRUE(items.insert(key[i][1]).second) << "each item once";
    EXPECT_TRUE(key[i][2] == "0" || key[i][2] == "1") << key[i][2];
    EXPECT_EQ(key[i][5], "model-b");
    EXPECT_EQ(key[i][6], "few-shot");
    const bool first = key[i][7] == "1";
    model_first += first;
    EXPECT_EQ(sheet[i][first ? 2 : 3], key[i][9]);
    EXPECT_EQ(sheet[i][first ? 3 : 2], key[i][8]);
    EXPECT_NE(key[i][8], key[i][9]) << "identical options are never shown";
    EXPECT_EQ(sheet[i][1], dataset.at(key[i][1]).first);
    // "happy, sad" in the sheet vs "['happy', 'sad']" in the dataset.
    std::string expected_labels = "[";
    std::istringstream words(key[i][8]);
    for (std::string w; std::getline(words, w, ',');) {
      if (w.starts_with(" ")) w.erase(0, 1);
      expected_labels += (expected_labels.size() > 1 ? ", '" : "'") + w + "'";
    }
    EXPECT_EQ(dataset.at(key[i][1]).second, expected_labels + "]");
  }
  EXPECT_GT(model_first, 15);  // random order, about half and half
  EXPECT_LT(model_first, 45);
  // Blinded: nothing in the sheet names the model or the variant.
  const std::string text = read(path("sheet.csv"));
  EXPECT_EQ(text.find("model-b"), std::string::npos);
  EXPECT_EQ(text.find("few-shot"), std::string::npos);
}

TEST_F(HumanEvalTest, ExportIsDeterministicAndIndependentOfLineOrderAndSource) {
  auto o = export_options();
  o.dataset = run_.dataset;
  export_sheet(o);
  const std::string from_dataset = read(path("sheet.csv"));
  const std::string key = read(path("sheet.key.csv"));
  // Segments from the predictions CSV instead of the dataset: the same sheet.
  o.dataset.clear();
  export_sheet(o);
  EXPECT_EQ(read(path("sheet.csv")), from_dataset);
  EXPECT_EQ(read(path("sheet.key.csv")), key);
  // The same run in a different completion order.
  SyntheticSpec spec = spec_;
  spec.shuffle_seed = 99;
  const auto other = write_synthetic_run(path("other"), spec);
  o.run_dir = other.dir;
  o.out = path("other.csv");
  export_sheet(o);
  EXPECT_EQ(read(path("other.csv")), from_dataset);
  // Another seed, another sample.
  o.seed = 12;
  export_sheet(o);
  EXPECT_NE(read(path("other.csv")), from_dataset);
  // Asking for more than there is: every candidate, once.
  o.n = 100000;
  const auto all = export_sheet(o);
  std::set<std::string> differing;  // items with a valid prediction that differs, counted here
  std::size_t rows = 0;
  simdjson::dom::parser parser;
  std::ifstream in(other.dir + "/results.jsonl");
  for (std::string line; std::getline(in, line);) {
    simdjson::dom::element e = parser.parse(line);
    if (std::string_view(e["model"]) != "model-b" || std::string_view(e["variant"]) != "few-shot" ||
        std::string_view(e["outcome"]) != "ok")
      continue;
    bool same = true;
    for (simdjson::dom::element m : simdjson::dom::array(e["masks"]))
      same = same && bool(m["label_match"]);
    if (same) continue;
    ++rows;
    differing.insert(std::string(std::string_view(e["item"])));
  }
  EXPECT_EQ(all.candidates, rows);
  EXPECT_EQ(all.rows, differing.size());
  EXPECT_LT(all.rows, all.candidates);
}

TEST_F(HumanEvalTest, ExportErrors) {
  auto o = export_options();
  o.model = "nobody";
  EXPECT_THAT([&] { export_sheet(o); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("no scored rows for model 'nobody'")));
  o = export_options();
  o.run_dir = path("missing");
  EXPECT_THROW(export_sheet(o), InputError);
  // A predictions CSV that does not line up with results.jsonl is refused.
  o = export_options();
  const std::string csv = run_.dir + "/predictions/model-b__few-shot.csv";
  std::string shifted;  // the CSV without its first record
  {
    Reader r(csv);
    std::vector<std::string_view> header(r.header().begin(), r.header().end());
    emosweep::csv::append_record(shifted, header);
    r.next();
    while (r.next())
      emosweep::csv::append_record(shifted, {r.field(0), r.field(1), r.field(2), r.field(3)});
  }
  write(csv, shifted);
  EXPECT_THAT([&] { export_sheet(o); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("pass --dataset")));
  o.dataset = path("missing.csv");
  EXPECT_THROW(export_sheet(o), InputError);
}

TEST_F(HumanEvalTest, ImportUnblindsAndMeasuresAgreement) {
  export_sheet(export_options(40));
  // Coder A always prefers the model; B prefers the model on even ids and says "both" on odd
  // ones; C prefers the self-disclosed labels on ids ≤ 10 and otherwise agrees with A, and
  // leaves id 40 blank.
  const auto a = coder_sheet("alice", [](int, int model) { return std::to_string(model); });
  const auto b = coder_sheet("bob", [](int id, int model) {
    return id % 2 == 0 ? fmt::format("Option {}", model) : std::string("BOTH");
  });
  const auto c = coder_sheet("carol", [](int id, int model) {
    if (id == 40) return std::string("");
    return id <= 10 ? std::to_string(3 - model) : std::to_string(model);
  });
  ImportOptions o;
  o.sheets = {a, b, c};
  o.key = path("sheet.key.csv");
  o.resamples = 500;
  const HumanEvalResult r = import_sheets(o);
  EXPECT_EQ(r.key_items, 40u);
  ASSERT_EQ(r.coders.size(), 3u);
  EXPECT_EQ(r.coders[0].name, "alice");
  EXPECT_EQ(r.coders[0].judged, 40u);
  EXPECT_EQ(r.coders[0].counts[0], 40u);
  EXPECT_DOUBLE_EQ(r.coders[0].rates[0].value, 1.0);
  EXPECT_NEAR(r.coders[0].rates[0].low, wilson_interval(40, 40).low, 1e-15);
  EXPECT_EQ(r.coders[1].counts[0], 20u);
  EXPECT_EQ(r.coders[1].counts[2], 20u);
  EXPECT_EQ(r.coders[2].judged, 39u);
  EXPECT_EQ(r.coders[2].blank, 1u);
  EXPECT_EQ(r.coders[2].counts[1], 10u);
  EXPECT_EQ(r.coders[2].counts[0], 29u);
  EXPECT_NEAR(r.coders[2].model_preferred.value, 29.0 / 39.0, 1e-15);
  // Pooled: 119 judgments, 89 model, 10 self-disclosed, 20 both.
  EXPECT_EQ(r.judgments, 119u);
  EXPECT_EQ(r.counts[0], 89u);
  EXPECT_EQ(r.counts[1], 10u);
  EXPECT_EQ(r.counts[2], 20u);
  EXPECT_EQ(r.counts[3], 0u);
  EXPECT_NEAR(r.rates[0].value, 89.0 / 119.0, 1e-15);
  EXPECT_LT(r.rates[0].low, r.rates[0].value);
  EXPECT_GT(r.rates[0].high, r.rates[0].value);
  EXPECT_NEAR(r.model_preferred.value, 89.0 / 99.0, 1e-15);
  // Agreement: A–B agree on even ids (20/40); A–C on ids 11..39 (29/39); B–C on even ids > 10
  // except 40 (14/39).
  ASSERT_EQ(r.agreement.size(), 3u);
  EXPECT_EQ(r.agreement[0].items, 40u);
  EXPECT_EQ(r.agreement[0].agreed, 20u);
  EXPECT_EQ(r.agreement[1].items, 39u);
  EXPECT_EQ(r.agreement[1].agreed, 29u);
  EXPECT_EQ(r.agreement[2].agreed, 14u);
  EXPECT_NEAR(r.mean_agreement, (20.0 / 40 + 29.0 / 39 + 14.0 / 39) / 3, 1e-15);
  // Fleiss' kappa over the 39 items all three judged, checked against the formula directly.
  ASSERT_TRUE(r.kappa.has_value());
  EXPECT_EQ(r.kappa->subjects, 39u);
  std::vector<std::vector<std::uint32_t>> table;
  for (int id = 1; id <= 39; ++id) {
    std::vector<std::uint32_t> row(4, 0);
    row[0] += 1;                    // alice: model
    row[id % 2 == 0 ? 0 : 2] += 1;  // bob
    row[id <= 10 ? 1 : 0] += 1;     // carol
    table.push_back(row);
  }
  EXPECT_NEAR(r.kappa->kappa, fleiss_kappa(table).kappa, 1e-12);

  const std::string md = render_humaneval(r, Format::markdown);
  EXPECT_THAT(md, HasSubstr("Fleiss' kappa: "));
  EXPECT_THAT(md, HasSubstr("500 resamples, seed 1"));
  EXPECT_THAT(md, HasSubstr("| alice | bob | 40 | 20 | 0.500 |"));
  const std::string json = render_humaneval(r, Format::json);
  EXPECT_THAT(json, HasSubstr("\"fleiss_kappa\":{\"kappa\":"));
  EXPECT_THAT(render_humaneval(r, Format::csv), HasSubstr("pooled,,,model,"));
  EXPECT_THROW(render_humaneval(r, Format::html), InputError);
}

TEST_F(HumanEvalTest, ImportErrorsNameFileRowAndColumn) {
  export_sheet(export_options(10));
  const auto bad = coder_sheet("dave", [](int id, int) { return id == 3 ? "maybe" : "1"; });
  ImportOptions o;
  o.sheets = {bad};
  o.key = path("sheet.key.csv");
  EXPECT_THAT([&] { import_sheets(o); },
              ::testing::ThrowsMessage<InputError>(HasSubstr(bad + ": row 3")));
  EXPECT_THAT([&] { import_sheets(o); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("column 'choice' is 'maybe'")));
  write(path("eve.csv"), "id,choice\n1,1\n77,2\n");
  o.sheets = {path("eve.csv")};
  EXPECT_THAT([&] { import_sheets(o); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("id '77' is not in the key")));
  write(path("eve.csv"), "id,choice\n1,1\n1,2\n");
  EXPECT_THAT([&] { import_sheets(o); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("appears twice")));
  write(path("eve.csv"), "id,verdict\n1,1\n");
  EXPECT_THAT([&] { import_sheets(o); }, ::testing::ThrowsMessage<InputError>(HasSubstr("choice")));
  // One coder: rates, no agreement.
  write(path("eve.csv"), "id,choice\n1,1\n2,neither\n3,\n");
  const auto single = import_sheets(o);
  EXPECT_EQ(single.coders[0].judged, 2u);
  EXPECT_EQ(single.coders[0].blank, 1u);
  EXPECT_TRUE(single.agreement.empty());
  EXPECT_FALSE(single.kappa.has_value());
  EXPECT_EQ(default_key_path("x/sheet.CSV"), "x/sheet.key.csv");
  EXPECT_EQ(default_key_path("sheet"), "sheet.key.csv");
}

}  // namespace
