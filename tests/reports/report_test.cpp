// `emosweep report` end to end on synthetic run directories: the numbers equal summary.json
// (computed independently by the generator), the paired statistics equal an independent
// computation from results.jsonl, the output does not depend on line order or threads, the
// Markdown, CSV and JSON parse back to the same numbers, the HTML is self-contained, and bad
// input fails with one line naming the file and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "reports/report.hpp"
#include "tests/reports/synthetic_run.hpp"

namespace {

namespace fs = std::filesystem;
using emosweep::InputError;
using emosweep::testing::SyntheticSpec;
using emosweep::testing::write_synthetic_run;
using namespace emosweep::reports;
using ::testing::HasSubstr;

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            fmt::format("emosweep_report_test_{}_{}", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
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
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  fs::path root_;
};

ReportOptions fast(std::size_t resamples = 400) {
  ReportOptions o;
  o.resamples = resamples;
  o.seed = 17;
  o.threads = 2;
  return o;
}

// ---- independent reading of results.jsonl (simdjson DOM, no reports code) ----

struct RowInfo {
  std::string post;
  unsigned masks = 0, label_correct = 0;
  std::uint64_t label_bits = 0;
};
using ConfigRows = std::map<std::string, RowInfo>;  // "item|repeat" → row

std::map<std::string, ConfigRows> read_rows(const std::string& results) {
  std::map<std::string, ConfigRows> out;
  simdjson::dom::parser parser;
  std::ifstream in(results);
  std::string line;
  while (std::getline(in, line)) {
    simdjson::dom::element e = parser.parse(line);
    if (std::string_view(e["outcome"]) == "failed") continue;
    const std::string config =
        fmt::format("{}|{}", std::string_view(e["model"]), std::string_view(e["variant"]));
    RowInfo r;
    r.post = std::string(std::string_view(e["original_ids"]));
    r.masks = static_cast<unsigned>(simdjson::dom::array(e["labels"]).size());
    unsigned i = 0;
    for (simdjson::dom::element m : simdjson::dom::array(e["masks"])) {
      if (bool(m["label_match"])) {
        ++r.label_correct;
        r.label_bits |= 1ull << i;
      }
      ++i;
    }
    out[config][fmt::format("{}|{}", std::string_view(e["item"]), int64_t(e["repeat"]))] = r;
  }
  return out;
}

// All posts with a scored row in any configuration: the resampling universe.
std::set<std::string> all_posts(const std::map<std::string, ConfigRows>& rows) {
  std::set<std::string> posts;
  for (const auto& [config, items] : rows)
    for (const auto& [key, r] : items)
      posts.insert(r.post);
  return posts;
}

// Per-post accl clusters over the given keys, over every post of the universe (empty posts
// included), ordered by name — as docs/REPORTS.md defines the resampling.
std::vector<RatioCluster> accl_clusters(const ConfigRows& rows,
                                        const std::vector<std::string>& keys,
                                        const std::set<std::string>& universe) {
  std::map<std::string, RatioCluster> by_post;
  for (const auto& p : universe)
    by_post[p] = {};
  for (const auto& k : keys) {
    const RowInfo& r = rows.at(k);
    by_post[r.post].numerator += r.label_correct;
    by_post[r.post].denominator += r.masks;
  }
  std::vector<RatioCluster> out;
  for (const auto& [post, c] : by_post)
    out.push_back(c);
  return out;
}

std::size_t find_config(const Report& r, const std::string& model, const std::string& variant) {
  for (std::size_t i = 0; i < r.configs.size(); ++i)
    if (r.configs[i].model == model && r.configs[i].variant == variant) return i;
  ADD_FAILURE() << "no configuration " << model << " " << variant;
  return 0;
}

TEST_F(ReportTest, NumbersEqualSummaryJson) {
  SyntheticSpec spec;
  spec.items = 500;
  spec.repeats = 2;
  spec.models = {"gpt-4o", "llama-3.1-8b", "gemma-2-9b"};
  spec.shuffle_seed = 5;
  spec.failed_rate = 0.03;
  spec.invalid_rate = 0.08;
  const auto run = write_synthetic_run(path("run"), spec);
  const Report report = build_report({run.dir}, fast());

  simdjson::dom::parser parser;
  simdjson::dom::array summary = parser.load(run.dir + "/summary.json");
  ASSERT_EQ(report.configs.size(), summary.size());
  std::size_t i = 0;
  for (simdjson::dom::element s : summary) {
    const ConfigReport& c = report.configs[i];  // same order as summary.json
    EXPECT_EQ(c.model, std::string_view(s["model"]));
    EXPECT_EQ(c.variant, std::string_view(s["variant"]));
    EXPECT_EQ(c.scores.rows, uint64_t(s["rows"]));
    EXPECT_EQ(c.scores.valid_rows, uint64_t(s["valid_rows"]));
    EXPECT_EQ(c.scores.masks, uint64_t(s["masks"]));
    EXPECT_EQ(c.failed, uint64_t(s["failed"]));
    EXPECT_GT(c.failed, 0u);
    EXPECT_LT(c.scores.valid_rows, c.scores.rows);
    const double expected[] = {double(s["vrate"]), double(s["accl"]), double(s["accv"]),
                               double(s["f1v"]), double(s["accv2"])};
    for (std::size_t m = 0; m < kMetricCount; ++m) {
      EXPECT_NEAR(c.metrics[m].value, expected[m], 1e-12) << kMetrics[m];
      EXPECT_LE(c.metrics[m].low, c.metrics[m].value) << kMetrics[m];
      EXPECT_GE(c.metrics[m].high, c.metrics[m].value) << kMetrics[m];
      EXPECT_LT(c.metrics[m].low, c.metrics[m].high) << kMetrics[m];
      EXPECT_LT(c.metrics[m].high - c.metrics[m].low, 0.2) << kMetrics[m];
    }
    std::size_t d = 0;
    for (auto dim : emosweep::express::kDimensions) {
      EXPECT_NEAR(c.scores.dimensions[d].agreement, double(s["dimensions"][dim]["agreement"]),
                  1e-12);
      EXPECT_NEAR(c.scores.dimensions[d].f1, double(s["dimensions"][dim]["f1"]), 1e-12);
      ++d;
    }
    EXPECT_EQ(c.items, c.scores.rows);
    ++i;
  }
  // Leaderboard is sorted by accl.
  for (std::size_t k = 1; k < report.leaderboard.size(); ++k)
    EXPECT_GE(report.configs[report.leaderboard[k - 1]].scores.accl,
              report.configs[report.leaderboard[k]].scores.accl);
  EXPECT_EQ(report.comparisons.size(), 15u);  // 6 configurations
  EXPECT_TRUE(report.notes.empty()) << report.notes.front();
}

TEST_F(ReportTest, IndependentOfLineOrderAndThreadCount) {
  SyntheticSpec spec;
  spec.items = 240;
  spec.shuffle_seed = 1;
  const auto a = write_synthetic_run(path("a/run"), spec);
  spec.shuffle_seed = 2;
  const auto b = write_synthetic_run(path("b/run"), spec);
  ASSERT_NE(read(a.dir + "/results.jsonl"), read(b.dir + "/results.jsonl"));
  ReportOptions one = fast();
  one.threads = 1;
  const Report ra = build_report({a.dir}, one);
  const Report rb = build_report({b.dir}, fast());
  // Same numbers to the last bit; only the run's path differs.
  std::string ja = render_report(ra, Format::json), jb = render_report(rb, Format::json);
  const auto strip = [](std::string s, const std::string& dir) {
    for (auto p = s.find(dir); p != std::string::npos; p = s.find(dir))
      s.replace(p, dir.size(), "DIR");
    return s;
  };
  EXPECT_EQ(strip(ja, a.dir), strip(jb, b.dir));
  // A different seed changes the intervals but not the estimates.
  ReportOptions other = fast();
  other.seed = 18;
  const Report rc = build_report({a.dir}, other);
  EXPECT_EQ(rc.configs[0].metrics[kAccl].value, ra.configs[0].metrics[kAccl].value);
  EXPECT_NE(rc.configs[0].metrics[kAccl].low, ra.configs[0].metrics[kAccl].low);
}

// The paired bootstrap and McNemar's test against an independent computation, for pairs
// that share all items (where the report reuses the per-configuration resamples) and pairs
// that do not (failed rows differ).
void check_pairs_independently(const Report& report, const std::string& results,
                               std::size_t resamples, std::uint64_t seed) {
  const auto rows = read_rows(results);
  const auto universe = all_posts(rows);
  for (const Comparison& c : report.comparisons) {
    const ConfigReport& a = report.configs[c.a];
    const ConfigReport& b = report.configs[c.b];
    const ConfigRows& ra = rows.at(a.model + "|" + a.variant);
    const ConfigRows& rb = rows.at(b.model + "|" + b.variant);
    std::vector<std::string> shared;
    std::uint64_t a_only = 0, b_only = 0, masks = 0;
    for (const auto& [key, x] : ra) {
      auto it = rb.find(key);
      if (it == rb.end()) continue;
      shared.push_back(key);
      masks += x.masks;
      for (unsigned i = 0; i < x.masks; ++i) {
        const bool xa = (x.label_bits >> i) & 1, xb = (it->second.label_bits >> i) & 1;
        a_only += xa && !xb;
        b_only += !xa && xb;
      }
    }
    EXPECT_EQ(c.shared_items, shared.size());
    EXPECT_EQ(c.mcnemar.masks, masks);
    EXPECT_EQ(c.mcnemar.a_only, a_only);
    EXPECT_EQ(c.mcnemar.b_only, b_only);
    EXPECT_EQ(c.mcnemar.p, mcnemar_exact_p(a_only, b_only));
    const DifferenceEstimate d =
        paired_bootstrap_ratio(accl_clusters(ra, shared, universe),
                               accl_clusters(rb, shared, universe), {resamples, seed, 0.95, 1});
    const DifferenceEstimate& got = c.metrics[kAccl].difference;
    EXPECT_NEAR(got.value, d.value, 1e-15) << a.label << " vs " << b.label;
    EXPECT_NEAR(got.low, d.low, 1e-15);
    EXPECT_NEAR(got.high, d.high, 1e-15);
    EXPECT_EQ(got.p, d.p);
  }
  // Per configuration: the accl interval is the cluster bootstrap of its posts.
  for (const ConfigReport& c : report.configs) {
    const ConfigRows& r = rows.at(c.model + "|" + c.variant);
    std::vector<std::string> keys;
    for (const auto& [k, v] : r)
      keys.push_back(k);
    const Estimate e =
        bootstrap_ratio(accl_clusters(r, keys, universe), {resamples, seed, 0.95, 1});
    EXPECT_NEAR(c.metrics[kAccl].low, e.low, 1e-15);
    EXPECT_NEAR(c.metrics[kAccl].high, e.high, 1e-15);
    std::set<std::string> own;
    for (const auto& [k, v] : r)
      own.insert(v.post);
    EXPECT_EQ(c.posts, own.size());
  }
}

TEST_F(ReportTest, PairedStatisticsMatchIndependentComputationAllItemsShared) {
  SyntheticSpec spec;
  spec.items = 300;
  spec.failed_rate = 0;  // every configuration scores every item: aligned pairs
  spec.shuffle_seed = 9;
  const auto run = write_synthetic_run(path("run"), spec);
  const Report report = build_report({run.dir}, fast(500));
  for (const Comparison& c : report.comparisons)
    EXPECT_EQ(c.shared_items, 300u);
  check_pairs_independently(report, run.dir + "/results.jsonl", 500, 17);
}

TEST_F(ReportTest, PairedStatisticsMatchIndependentComputationSomeItemsFailed) {
  SyntheticSpec spec;
  spec.items = 300;
  spec.failed_rate = 0.1;
  spec.repeats = 2;
  spec.shuffle_seed = 4;
  const auto run = write_synthetic_run(path("run"), spec);
  const Report report = build_report({run.dir}, fast(500));
  for (const Comparison& c : report.comparisons)
    EXPECT_LT(c.shared_items, 600u);
  check_pairs_independently(report, run.dir + "/results.jsonl", 500, 17);
}

TEST_F(ReportTest, PairedStatisticsMatchIndependentComputationFewItemsShared) {
  SyntheticSpec spec;
  spec.items = 200;
  spec.failed_rate = 0.6;  // most items unshared: the replicates come from the shared posts
  spec.shuffle_seed = 6;
  const auto run = write_synthetic_run(path("run"), spec);
  const Report report = build_report({run.dir}, fast(300));
  check_pairs_independently(report, run.dir + "/results.jsonl", 300, 17);
}

TEST_F(ReportTest, ManyPairsAreBootstrappedInSeveralChunks) {
  // 24 configurations: 276 pairs, more than one chunk of 256 pairs.
  SyntheticSpec spec;
  spec.items = 40;
  spec.models = {"m1", "m2", "m3", "m4", "m5", "m6"};
  spec.variants = {"v1", "v2", "v3", "v4"};
  spec.failed_rate = 0.1;
  const auto run = write_synthetic_run(path("run"), spec);
  const Report report = build_report({run.dir}, fast(200));
  ASSERT_EQ(report.comparisons.size(), 276u);
  check_pairs_independently(report, run.dir + "/results.jsonl", 200, 17);
}

TEST_F(ReportTest, RealDifferencesAreFoundAndEqualConfigurationsAreNot) {
  SyntheticSpec spec;
  spec.items = 1500;
  spec.models = {"strong", "weak"};
  spec.variants = {"v"};
  spec.base_skill = 0.5;  // strong: 0.5, weak: 0.35 (± the post difficulty)
  spec.model_step = -0.15;
  const auto run = write_synthetic_run(path("run"), spec);
  const Report report = build_report({run.dir}, fast(1000));
  ASSERT_EQ(report.comparisons.size(), 1u);
  const Comparison& c = report.comparisons[0];
  EXPECT_TRUE(c.real(kAccl));
  EXPECT_GT(c.metrics[kAccl].difference.value, 0.1);
  EXPECT_GT(c.metrics[kAccl].difference.low, 0.0);
  EXPECT_LT(c.mcnemar.p, 1e-6);

  // The same run twice: identical configurations in two run directories.
  const auto twin = write_synthetic_run(path("twin"), spec);
  const Report both = build_report({run.dir, twin.dir}, fast(300));
  ASSERT_EQ(both.configs.size(), 4u);
  EXPECT_EQ(both.configs[0].label, "strong · v @ run");
  EXPECT_EQ(both.configs[2].label, "strong · v @ twin");
  const Comparison* same = both.find(0, 2);
  ASSERT_NE(same, nullptr);
  EXPECT_EQ(same->mcnemar.a_only + same->mcnemar.b_only, 0u);
  EXPECT_FALSE(same->real(kAccl));
  EXPECT_EQ(same->metrics[kAccl].difference.value, 0.0);
  EXPECT_EQ(same->metrics[kAccl].difference.p, 1.0);
}

TEST_F(ReportTest, RunsWithTheSameBaseNameAreLabelledByPath) {
  SyntheticSpec spec;
  spec.items = 60;
  spec.models = {"m"};
  spec.variants = {"v"};
  const auto a = write_synthetic_run(path("night1/out"), spec);
  const auto b = write_synthetic_run(path("night2/out"), spec);
  const Report r = build_report({a.dir, b.dir}, fast(100));
  ASSERT_EQ(r.configs.size(), 2u);
  EXPECT_EQ(r.run_labels[0], a.dir);
  EXPECT_EQ(r.configs[0].label, "m · v @ " + a.dir);
  EXPECT_EQ(r.configs[1].label, "m · v @ " + b.dir);
  EXPECT_THROW(build_report({a.dir, a.dir + "/"}, fast(100)), InputError);
}

std::vector<std::string> split_row(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(cell.substr(1, cell.size() - 2));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

// The Markdown table that follows `heading`.
std::vector<std::vector<std::string>> markdown_table(const std::string& md,
                                                     const std::string& heading) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(md.substr(md.find(heading)));
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.starts_with("|")) {
      in_table = true;
      if (line.starts_with("|---")) continue;
      rows.push_back(split_row(line));
    } else if (in_table) {
      break;
    }
  }
  return rows;
}

double parse_double(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_EQ(ec, std::errc()) << s;
  return v;
}

TEST_F(ReportTest, MarkdownParsesBack) {
  SyntheticSpec spec;
  spec.items = 200;
  spec.models = {"gpt|4o", "llama"};  // a pipe must be escaped in Markdown
  const auto run = write_synthetic_run(path("run"), spec);
  const Report r = build_report({run.dir}, fast(321));
  const std::string md = render_report(r, Format::markdown);
  EXPECT_THAT(md, HasSubstr("321 resamples"));
  EXPECT_THAT(md, HasSubstr("seed 17"));
  const auto board = markdown_table(md, "## Leaderboard");
  ASSERT_EQ(board.size(), 1 + r.configs.size());
  EXPECT_EQ(board[0][0], "Rank");
  EXPECT_EQ(board[0][8], "accl [95% CI]");
  for (std::size_t k = 0; k < r.leaderboard.size(); ++k) {
    const auto& row = board[k + 1];
    const ConfigReport& c = r.configs[r.leaderboard[k]];
    ASSERT_EQ(row.size(), 12u);
    EXPECT_EQ(row[0], std::to_string(k + 1));
    EXPECT_EQ(row[1], c.model);
    EXPECT_EQ(row[2], c.variant);
    EXPECT_EQ(row[4], std::to_string(c.scores.rows));
    EXPECT_EQ(row[5], std::to_string(c.failed));
    for (std::size_t m = 0; m < kMetricCount; ++m) {
      // "0.412 [0.398, 0.427]"
      const std::string& cell = row[7 + m];
      const auto open = cell.find(" ["), comma = cell.find(", "), close = cell.find(']');
      ASSERT_NE(close, std::string::npos) << cell;
      EXPECT_NEAR(parse_double(cell.substr(0, open)), c.metrics[m].value, 0.0005 + 1e-12);
      EXPECT_EQ(cell.substr(0, open), fmt::format("{:.3f}", c.metrics[m].value));
      EXPECT_EQ(cell.substr(open + 2, comma - open - 2), fmt::format("{:.3f}", c.metrics[m].low));
      EXPECT_EQ(cell.substr(comma + 2, close - comma - 2),
                fmt::format("{:.3f}", c.metrics[m].high));
    }
  }
  const auto real = markdown_table(md, "## Which differences are real");
  ASSERT_EQ(real.size(), 1 + r.comparisons.size());
  for (std::size_t k = 0; k < r.comparisons.size(); ++k) {
    const Comparison& c = r.comparisons[k];
    EXPECT_EQ(real[k + 1][0], r.configs[c.a].label);
    EXPECT_EQ(real[k + 1][2], std::to_string(c.shared_items));
    const std::string& accl = real[k + 1][4];
    const std::string mark =
        c.real(kAccl) ? (c.metrics[kAccl].difference.value > 0 ? "▲" : "▼") : "·";
    EXPECT_TRUE(accl.starts_with(mark)) << accl;
    EXPECT_NEAR(parse_double(accl.substr(mark.size() + 1 + (accl[mark.size() + 1] == '+'))),
                c.metrics[kAccl].difference.value, 0.0005 + 1e-12);
  }
  const auto profile = markdown_table(md, "## Emotion profile");
  ASSERT_EQ(profile.size(), 1 + r.configs.size());
  EXPECT_EQ(profile[0].size(), 12u);
}

TEST_F(ReportTest, CsvParsesBack) {
  SyntheticSpec spec;
  spec.items = 200;
  spec.models = {"a,comma", "b\"quote"};
  const auto run = write_synthetic_run(path("run"), spec);
  const Report r = build_report({run.dir}, fast(250));
  auto reader = emosweep::csv::Reader::from_string(render_report(r, Format::csv), "report.csv");
  EXPECT_THAT(reader.header(),
              ::testing::ElementsAre("section", "model", "variant", "run", "model_b", "variant_b",
                                     "run_b", "name", "value", "ci_low", "ci_high", "p_value",
                                     "p_holm", "significant", "n"));
  std::map<std::string, std::size_t> sections;
  bool saw_resamples = false, saw_seed = false;
  while (reader.next()) {
    const std::string section(reader.field(0));
    ++sections[section];
    const std::string name(reader.field(7));
    if (section == "meta" && name == "resamples") saw_resamples = reader.field(8) == "250";
    if (section == "meta" && name == "seed") saw_seed = reader.field(8) == "17";
    if (section == "leaderboard") {
      const std::size_t c =
          find_config(r, std::string(reader.field(1)), std::string(reader.field(2)));
      const std::size_t m = static_cast<std::size_t>(
          std::find(kMetrics.begin(), kMetrics.end(), name) - kMetrics.begin());
      ASSERT_LT(m, kMetricCount);
      EXPECT_EQ(parse_double(reader.field(8)),
                r.configs[c].metrics[m].value);  // round-trips exactly
      EXPECT_EQ(parse_double(reader.field(9)), r.configs[c].metrics[m].low);
      EXPECT_EQ(parse_double(reader.field(10)), r.configs[c].metrics[m].high);
    }
    if (section == "comparison" && name == "accl") {
      const std::size_t a =
          find_config(r, std::string(reader.field(1)), std::string(reader.field(2)));
      const std::size_t b =
          find_config(r, std::string(reader.field(4)), std::string(reader.field(5)));
      const Comparison* c = r.find(a, b);
      ASSERT_NE(c, nullptr);
      EXPECT_EQ(parse_double(reader.field(8)), c->metrics[kAccl].difference.value);
      EXPECT_EQ(parse_double(reader.field(11)), c->metrics[kAccl].difference.p);
      EXPECT_EQ(parse_double(reader.field(12)), c->metrics[kAccl].p_holm);
      EXPECT_EQ(reader.field(14), std::to_string(c->shared_items));
    }
  }
  EXPECT_TRUE(saw_resamples);
  EXPECT_TRUE(saw_seed);
  EXPECT_EQ(sections["leaderboard"], r.configs.size() * kMetricCount);
  EXPECT_EQ(sections["comparison"], r.comparisons.size() * kMetricCount);
  EXPECT_EQ(sections["mcnemar"], r.comparisons.size() * 3);
  EXPECT_EQ(sections["profile_predicted"], r.configs.size() * 10);
  EXPECT_EQ(sections["label_accuracy"], r.configs.size() * r.top_labels.size());
}

TEST_F(ReportTest, JsonParsesBack) {
  SyntheticSpec spec;
  spec.items = 150;
  const auto run = write_synthetic_run(path("run"), spec);
  const Report r = build_report({run.dir}, fast(300));
  const std::string text = render_report(r, Format::json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(uint64_t(doc["bootstrap"]["resamples"]), 300u);
  EXPECT_EQ(uint64_t(doc["bootstrap"]["seed"]), 17u);
  simdjson::dom::array configs = doc["configurations"];
  ASSERT_EQ(configs.size(), r.configs.size());
  std::size_t i = 0;
  for (simdjson::dom::element c : configs) {
    for (std::size_t m = 0; m < kMetricCount; ++m) {
      EXPECT_EQ(double(c["metrics"][kMetrics[m]]["value"]), r.configs[i].metrics[m].value);
      EXPECT_EQ(double(c["metrics"][kMetrics[m]]["low"]), r.configs[i].metrics[m].low);
    }
    EXPECT_EQ(uint64_t(c["rows"]), r.configs[i].scores.rows);
    ++i;
  }
  EXPECT_EQ(simdjson::dom::array(doc["comparisons"]).size(), r.comparisons.size());
}

TEST_F(ReportTest, HtmlIsSelfContainedAndEveryChartHasATextAlternative) {
  SyntheticSpec spec;
  spec.items = 150;
  spec.models = {"<b>model</b>", "m2", "m3"};
  const auto run = write_synthetic_run(path("run"), spec);
  const Report r = build_report({run.dir}, fast(200));
  const std::string html = render_report(r, Format::html);
  for (const char* banned : {"<script", "http://", "https://", "url(", "@import", "<link", "<img",
                             "@font-face", "<b>model</b>"})
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;model&lt;/b&gt;"));
  EXPECT_THAT(html, HasSubstr("@media (prefers-color-scheme:dark)"));
  EXPECT_THAT(html, HasSubstr("color-scheme"));
  const auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto p = html.find(needle); p != std::string::npos; p = html.find(needle, p + 1))
      ++n;
    return n;
  };
  // 5 leaderboard charts, 5 grouped-bar charts, one radar per model.
  EXPECT_EQ(count("<svg "), 5u + 5u + 3u);
  EXPECT_EQ(count("<svg role=\"img\" aria-labelledby="), count("<svg "));
  EXPECT_EQ(count("<desc id="), count("<svg "));
  EXPECT_EQ(count("<summary>Data table</summary>"), count("<svg "));
  EXPECT_EQ(count("Emotion profile of "), 3u * 2);  // title and caption
  EXPECT_THAT(html, HasSubstr("200 resamples"));
  EXPECT_THAT(html, HasSubstr("seed 17"));
}

TEST_F(ReportTest, BadInputNamesTheFileAndLine) {
  const auto message = [&](const std::vector<std::string>& dirs) -> std::string {
    try {
      build_report(dirs, fast(10));
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
      return e.what();
    }
    ADD_FAILURE() << "no InputError";
    return {};
  };
  EXPECT_THAT(message({path("missing")}), HasSubstr(path("missing") + ": no such run directory"));
  fs::create_directories(path("empty"));
  EXPECT_THAT(message({path("empty")}), HasSubstr("no results.jsonl"));

  SyntheticSpec spec;
  spec.items = 5;
  spec.models = {"m"};
  spec.variants = {"v"};
  spec.failed_rate = 0;
  spec.invalid_rate = 0;
  const auto run = write_synthetic_run(path("run"), spec);
  const std::string results = run.dir + "/results.jsonl";
  std::string good = read(results);
  std::vector<std::string> lines;
  std::istringstream in(good);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  const auto with_line = [&](std::size_t index, const std::string& replacement) {
    std::string text;
    for (std::size_t k = 0; k < lines.size(); ++k)
      text += (k == index ? replacement : lines[k]) + "\n";
    write(results, text);
  };
  with_line(1, "{\"model\": \"m\", oops");
  EXPECT_THAT(message({run.dir}), HasSubstr(results + ": line 2: not a JSON object"));
  with_line(2, R"({"model":"m","variant":"v"})");
  EXPECT_THAT(message({run.dir}), HasSubstr(results + ": line 3: missing key 'outcome'"));
  std::string bad_vector = lines[0];
  bad_vector.replace(bad_vector.find("\"gold_vector\":\"") + 15, 3, "012");
  with_line(0, bad_vector);
  EXPECT_THAT(message({run.dir}), HasSubstr(results + ": line 1: masks[0].gold_vector must be"));
  std::string bad_outcome = lines[3];
  bad_outcome.replace(bad_outcome.find("\"ok\""), 4, "\"fine\"");
  with_line(3, bad_outcome);
  EXPECT_THAT(message({run.dir}), HasSubstr("line 4: key 'outcome' is 'fine'"));
  std::string no_masks = lines[4];
  no_masks.replace(no_masks.find("\"masks\":["), 9, "\"masks\":[],\"x\":[");
  with_line(4, no_masks);
  EXPECT_THAT(message({run.dir}), HasSubstr("line 5: outcome is ok but 'masks' has 0 entries"));
  // A repeated (model, variant, item, repeat): both lines are named.
  write(results, good + "\n" + lines[1] + "\n");
  EXPECT_THAT(message({run.dir}),
              HasSubstr(fmt::format("{}: line 7: model 'm' variant 'v' item", results)));
  EXPECT_THAT(message({run.dir}), HasSubstr("already appeared on line 2"));

  write(results, good + "\n\n");  // blank lines are fine
  EXPECT_EQ(build_report({run.dir}, fast(10)).configs.at(0).scores.rows, 5u);
  ReportOptions bad = fast(10);
  bad.resamples = 0;
  EXPECT_THROW(build_report({run.dir}, bad), InputError);
  bad = fast(10);
  bad.alpha = 1.5;
  EXPECT_THROW(build_report({run.dir}, bad), InputError);
  EXPECT_THROW(format_from_string("pdf"), InputError);
  EXPECT_EQ(format_from_path("x/report.HTML"), Format::html);
}

TEST_F(ReportTest, SummaryDisagreementIsNotedAndFailedOnlyConfigurationsReported) {
  SyntheticSpec spec;
  spec.items = 40;
  spec.models = {"m"};
  spec.variants = {"v"};
  const auto run = write_synthetic_run(path("run"), spec);
  std::string summary = read(run.dir + "/summary.json");
  const auto pos = summary.find("\"rows\":");
  summary.replace(pos, 7, "\"rows\":1");  // rows 1xx: wrong
  write(run.dir + "/summary.json", summary);
  std::string results = read(run.dir + "/results.jsonl");
  results +=
      R"({"model":"down","variant":"v","repeat":0,"item":"1","original_ids":"p","outcome":"failed","labels":["sad"],"output":null,"predicted":null,"valid":false,"masks":[],"error":"quota"})";
  results += "\n";
  write(run.dir + "/results.jsonl", results);
  const Report r = build_report({run.dir}, fast(50));
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_THAT(r.notes[0], HasSubstr("summary.json: model 'm' variant 'v' says rows 1"));
  ASSERT_EQ(r.configs.size(), 2u);
  EXPECT_EQ(r.configs[1].model, "down");  // not in summary.json: after it
  EXPECT_EQ(r.configs[1].scores.rows, 0u);
  EXPECT_EQ(r.configs[1].failed, 1u);
  EXPECT_EQ(r.comparisons[0].shared_items, 0u);
  EXPECT_FALSE(r.comparisons[0].real(kAccl));
  for (Format f : {Format::markdown, Format::csv, Format::json, Format::html})
    EXPECT_FALSE(render_report(r, f).empty());
  EXPECT_THAT(render_report(r, Format::markdown), HasSubstr("says rows 1"));
}

TEST_F(ReportTest, PValueResolutionIsExplained) {
  SyntheticSpec spec;
  spec.items = 40;
  spec.models = {"a", "b", "c", "d"};
  const auto run = write_synthetic_run(path("run"), spec);
  const Report r = build_report({run.dir}, fast(100));  // 28 comparisons, 100 resamples
  ASSERT_FALSE(r.notes.empty());
  EXPECT_THAT(r.notes.back(), HasSubstr("28 comparisons and 100 resamples"));
  for (const Comparison& c : r.comparisons)
    for (std::size_t m = 0; m < kMetricCount; ++m)
      if (m != kAccl) {
        EXPECT_FALSE(c.real(m));
      }
}

}  // namespace
