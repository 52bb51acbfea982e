// `emosweep run --shard I/N` then `emosweep merge`, end to end against a real mock provider
// process: for N = 1, 2, 3 the merged summary.json is byte for byte the unsharded run's, the
// rows and predictions are the same sets, the shards partition the sweep, the merged cache
// holds every entry and replays the whole sweep without a request. Bad inputs exit 2 naming
// the directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "core/csv.hpp"
#include "tests/integration/sweep_fixture.hpp"

namespace emosweep::testing {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// A row without its latency (the only field that depends on timing), for set comparisons.
std::string without_latency(const std::string& row) {
  static const std::regex latency(R"("latency_ms":[-+0-9.eE]+,)");
  return std::regex_replace(row, latency, "");
}

std::multiset<std::string> row_set(const std::string& results) {
  std::multiset<std::string> out;
  for (const auto& line : lines_of(results))
    out.insert(without_latency(line));
  return out;
}

// (model, variant, item, repeat) of every row.
std::vector<std::string> unit_ids(const std::string& results) {
  std::vector<std::string> out;
  simdjson::dom::parser p;
  for (const auto& line : lines_of(results)) {
    simdjson::dom::object o;
    EXPECT_EQ(p.parse(line).get(o), simdjson::SUCCESS) << line;
    out.push_back(std::string(std::string_view(o["model"])) + "/" +
                  std::string(std::string_view(o["variant"])) + "/" +
                  std::string(std::string_view(o["item"])) + "/" +
                  std::to_string(int64_t(o["repeat"])));
  }
  return out;
}

// The records of a predictions CSV (fields joined), sorted; the header first.
std::vector<std::string> csv_records(const std::string& path) {
  auto reader = csv::Reader(path);
  std::vector<std::string> records;
  while (reader.next()) {
    std::string r;
    for (std::size_t i = 0; i < reader.size(); ++i)
      r.append(reader.field(i)).push_back('\x1f');
    records.push_back(std::move(r));
  }
  std::sort(records.begin(), records.end());
  std::string header;
  for (const auto& h : reader.header())
    header += h + ",";
  records.insert(records.begin(), header);
  return records;
}

// Keys of every entry of a cache, via `emosweep cache export`.
std::set<std::string> cache_keys(const std::string& cache_dir) {
  const auto r = run_command(kBin + " cache export --cache " + shell_quote(cache_dir));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> keys;
  simdjson::dom::parser p;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    simdjson::dom::object o;
    EXPECT_EQ(p.parse(line).get(o), simdjson::SUCCESS) << line;
    keys.insert(std::string(std::string_view(o["key"])));
  }
  return keys;
}

CommandResult merge(const std::vector<std::string>& dirs, const std::string& out,
                    const std::string& extra = "") {
  std::string cmd = kBin + " merge";
  for (const auto& d : dirs)
    cmd += " " + shell_quote(d);
  return run_command(cmd + " --out " + shell_quote(out) + " " + extra);
}

// One sweep, run once unsharded; every test shards and merges it.
class ShardMerge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("shard_merge");
    // Seeded 500s: faults depend only on the request and how often it was sent since the last
    // stats reset, so every run (reset before it) retries the same requests the same number
    // of times and the request counts of the summaries can be compared exactly.
    mock_ = new MockProcess(*dir_, {"--seed", "5", "--fault", "500=0.03"});
    const Dataset d = sample_or_demo();
    sweep_ = *dir_ / "sweep.yaml";
    write(
        sweep_,
        "name: shard-merge\n"
        "dataset: { path: " +
            d.path +
            ", limit: 300 }\n"
            "lexicon: " +
            d.lexicon +
            "\n"
            "cache: cache\noutput: out\n"
            "endpoints:\n"
            "  - name: oa\n    dialect: openai\n    base_url: " +
            mock_->origin() +
            "/v1\n"
            "    limits: { concurrency: 16 }\n    retries: { base_delay: 0.01, max_delay: 0.05 }\n"
            "  - name: an\n    dialect: anthropic\n    base_url: " +
            mock_->origin() +
            "\n"
            "    limits: { concurrency: 16 }\n    retries: { base_delay: 0.01, max_delay: 0.05 }\n"
            "models:\n"
            "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { temperature: 0, "
            "max_tokens: 64 },"
            " price: { prompt: 0.15, completion: 0.6 } }\n"
            "  - { name: claude, endpoint: an, model: claude-3-5-haiku, params: { temperature: 0, "
            "max_tokens: 64 },"
            " price: { prompt: 0.8, completion: 4 } }\n"
            "prompts:\n"
            "  - { name: zero, template: express-zero-shot }\n"
            "  - { name: few, template: express-few-shot, shots: 2 }\n");
    // The real sample (first 300 segments) or, without it, the whole demo dataset.
    csv::Reader reader(d.path);
    while (items_ < 300 && reader.next())
      ++items_;
    run_unsharded_ = run("whole", "");
  }
  static void TearDownTestSuite() {
    delete mock_;
    delete dir_;
  }

  // Runs the sweep into DIR/<tag> with its own cache DIR/<tag>/cache; returns the exit code.
  static int run(const std::string& tag, const std::string& extra) {
    mock_->reset();
    const std::string out = *dir_ / tag;
    const auto r = run_sweep(sweep_, "--out " + shell_quote(out) + " --cache " +
                                         shell_quote(out + "/cache") + " " + extra);
    if (r.exit_code != 0)
      ADD_FAILURE() << tag << ": exit " << r.exit_code << "\n" << r.err << r.out;
    return r.exit_code;
  }

  // Runs the N shards; returns their directories.
  static std::vector<std::string> run_shards(unsigned n) {
    std::vector<std::string> dirs;
    for (unsigned i = 0; i < n; ++i) {
      const std::string tag = "shard-" + std::to_string(i) + "-of-" + std::to_string(n);
      EXPECT_EQ(run(tag, "--shard " + std::to_string(i) + "/" + std::to_string(n)), 0);
      dirs.push_back(*dir_ / tag);
    }
    return dirs;
  }

  void check_merge(unsigned n) {
    ASSERT_EQ(run_unsharded_, 0);
    const std::string whole = *dir_ / "whole";
    const auto shards = run_shards(n);
    const std::string merged = *dir_ / ("merged-" + std::to_string(n));
    const auto m = merge(shards, merged);
    ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
    EXPECT_EQ(m.err, "") << "no warnings expected for a complete set of finished shards";

    // The summary, byte for byte.
    const std::string summary = slurp(whole + "/summary.json");
    EXPECT_GT(summary.size(), 100u);
    EXPECT_EQ(slurp(merged + "/summary.json"), summary);
    simdjson::dom::parser p;
    simdjson::dom::array configs;
    ASSERT_EQ(p.parse(summary).get(configs), simdjson::SUCCESS);
    ASSERT_EQ(configs.size(), 4u);
    std::int64_t retries = 0;
    for (auto c : configs) {
      EXPECT_EQ(int64_t(c["items_planned"]), int64_t(items_));
      EXPECT_EQ(int64_t(c["rows"]), int64_t(items_));
      EXPECT_GT(double(c["cost_usd"]), 0);
      retries += int64_t(c["retries"]);
    }
    EXPECT_GT(retries, 0) << "the seeded 500s should have caused retries";

    // Shards are disjoint and together are the whole sweep; the merged rows are its rows.
    const auto whole_units = unit_ids(whole + "/results.jsonl");
    ASSERT_EQ(whole_units.size(), 4 * items_);
    std::set<std::string> seen;
    std::size_t shard_rows = 0;
    for (const auto& s : shards) {
      for (const auto& u : unit_ids(s + "/results.jsonl")) {
        EXPECT_TRUE(seen.insert(u).second) << u << " is in two shards";
        ++shard_rows;
      }
      if (n > 1) {
        EXPECT_LT(lines_of(s + "/results.jsonl").size(), 4 * items_) << s;
      }
    }
    EXPECT_EQ(shard_rows, whole_units.size());
    EXPECT_EQ(seen, std::set<std::string>(whole_units.begin(), whole_units.end()));
    EXPECT_EQ(row_set(merged + "/results.jsonl"), row_set(whole + "/results.jsonl"));

    for (const char* file :
         {"gpt__zero.csv", "gpt__few.csv", "claude__zero.csv", "claude__few.csv"}) {
      EXPECT_EQ(csv_records(merged + "/predictions/" + file),
                csv_records(whole + "/predictions/" + file))
          << file;
    }

    // run.json names the shards.
    simdjson::dom::parser rp;
    simdjson::dom::object run;
    ASSERT_EQ(rp.parse(slurp(merged + "/run.json")).get(run), simdjson::SUCCESS);
    EXPECT_EQ(std::string_view(run["status"]), "merged");
    EXPECT_EQ(std::string_view(run["name"]), "shard-merge");
    EXPECT_EQ(simdjson::dom::array(run["shards"]).size(), n);
    EXPECT_EQ(int64_t(run["done"]), int64_t(4 * items_));

    // The merged cache holds every entry the unsharded run stored...
    const auto whole_keys = cache_keys(whole + "/cache");
    EXPECT_GT(whole_keys.size(), 3 * items_) << "about one entry per unit (a few prompts repeat)";
    EXPECT_EQ(cache_keys(merged + "/cache"), whole_keys);
    // ... and the unsharded sweep replays from it without a single request.
    mock_->reset();
    const std::string rerun = *dir_ / ("rerun-" + std::to_string(n));
    const auto r = run_sweep(
        sweep_, "--out " + shell_quote(rerun) + " --cache " + shell_quote(merged + "/cache"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(mock_->requests(), 0);
    simdjson::dom::parser sp;
    simdjson::dom::array rerun_configs;
    ASSERT_EQ(sp.parse(slurp(rerun + "/summary.json")).get(rerun_configs), simdjson::SUCCESS);
    for (auto c : rerun_configs) {
      EXPECT_EQ(int64_t(c["rows"]), int64_t(items_));
      // Entries stored by another run count as cache hits; shard 0/1 has the unsharded run's
      // identity, so its entries replay as that run's own (a resume: stored attempts count).
      if (n > 1) {
        EXPECT_EQ(int64_t(c["requests"]), 0);
        EXPECT_EQ(int64_t(c["cache_hits"]), int64_t(items_));
      }
    }
    EXPECT_EQ(slurp(rerun + "/summary.json") == summary, n == 1);
  }

  static TempDir* dir_;
  static MockProcess* mock_;
  static std::string sweep_;
  static int run_unsharded_;
  static std::size_t items_;  // items in the sweep; 4 units each (2 models x 2 variants)
};

TempDir* ShardMerge::dir_ = nullptr;
MockProcess* ShardMerge::mock_ = nullptr;
std::string ShardMerge::sweep_;
int ShardMerge::run_unsharded_ = -1;
std::size_t ShardMerge::items_ = 0;

TEST_F(ShardMerge, OneShardMergedEqualsTheUnshardedRun) {
  check_merge(1);
}
TEST_F(ShardMerge, TwoShardsMergedEqualTheUnshardedRun) {
  check_merge(2);
}
TEST_F(ShardMerge, ThreeShardsMergedEqualTheUnshardedRun) {
  check_merge(3);
}

// Copies a run directory (without its cache) so that a test can damage the copy.
std::string copy_run(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const char* f : {"run.json", "summary.json", "results.jsonl"})
    fs::copy_file(fs::path(from) / f, fs::path(to) / f);
  fs::copy(fs::path(from) / "predictions", fs::path(to) / "predictions",
           fs::copy_options::recursive);
  return to;
}

void replace_in(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = slurp(path);
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  text.replace(at, from.size(), to);
  write(path, text);
}

TEST_F(ShardMerge, BadInputsExitTwoNamingTheDirectory) {
  ASSERT_EQ(run_unsharded_, 0);
  const std::string a = *dir_ / "bad-0-of-2", b = *dir_ / "bad-1-of-2";
  ASSERT_EQ(run("bad-0-of-2", "--shard 0/2"), 0);
  ASSERT_EQ(run("bad-1-of-2", "--shard 1/2"), 0);
  const std::string out = *dir_ / "bad-merged";
  auto expect_rejected = [&](const std::vector<std::string>& dirs, const std::string& named,
                             const std::string& says) {
    const auto r = merge(dirs, out);
    EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_FALSE(fs::exists(out + "/summary.json")) << "nothing merged after " << says;
  };

  const std::string missing = *dir_ / "no-such-shard";
  expect_rejected({a, missing}, missing, "not a directory");
  expect_rejected({a, a}, a, "shards overlap");
  expect_rejected({a, *dir_ / "whole"}, *dir_ / "whole", "different N");

  const std::string other = copy_run(b, *dir_ / "bad-other-sweep");
  replace_in(other + "/run.json", R"("name":"shard-merge")", R"("name":"another-sweep")");
  expect_rejected({a, other}, other, "a different sweep");

  const std::string reconfigured = copy_run(b, *dir_ / "bad-other-models");
  replace_in(reconfigured + "/summary.json", R"("model":"claude")", R"("model":"claude-2")");
  expect_rejected({a, reconfigured}, reconfigured, "a different sweep");

  // A row of shard 0 inside shard 1's results: the inputs overlap.
  const std::string overlapping = copy_run(b, *dir_ / "bad-overlap");
  {
    std::ofstream(overlapping + "/results.jsonl", std::ios::app)
        << lines_of(a + "/results.jsonl").front() << "\n";
  }
  expect_rejected({a, overlapping}, overlapping, "shards overlap");

  // A truncated results file disagrees with its summary.
  const std::string truncated = copy_run(b, *dir_ / "bad-truncated");
  {
    auto rows = lines_of(b + "/results.jsonl");
    rows.pop_back();
    std::ofstream f(truncated + "/results.jsonl", std::ios::trunc);
    for (const auto& r : rows)
      f << r << "\n";
  }
  expect_rejected({a, truncated}, truncated, "summary.json says");

  const std::string unfinished = copy_run(b, *dir_ / "bad-running");
  replace_in(unfinished + "/run.json", R"("status":"finished")", R"("status":"running")");
  expect_rejected({a, unfinished}, unfinished, "has not finished");

  // An incomplete set of shards merges, with a warning, and the cache of a shard that lost it
  // is a warning too.
  const std::string cacheless = copy_run(b, *dir_ / "cacheless");
  replace_in(cacheless + "/run.json", b + "/cache", *dir_ / "gone-cache");
  const auto partial = merge({cacheless}, out);
  EXPECT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_NE(partial.err.find("missing 0/2"), std::string::npos) << partial.err;
  EXPECT_NE(partial.err.find("gone-cache is missing"), std::string::npos) << partial.err;

  // Kubernetes: a shard pod wrote its cache to /data/cache, which the merge pod (mounting the
  // whole volume) sees as /data/shard-I/cache: the cache is found inside the shard directory.
  const std::string moved = copy_run(b, *dir_ / "moved");
  fs::copy(b + "/cache", moved + "/cache", fs::copy_options::recursive);
  replace_in(moved + "/run.json", b + "/cache", "/nonexistent-volume/cache");
  const std::string moved_out = *dir_ / "moved-merged";
  const auto found = merge({moved}, moved_out);
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.err.find("cache"), std::string::npos) << found.err;
  const auto shard_keys = cache_keys(b + "/cache");
  EXPECT_GT(shard_keys.size(), 0u);
  EXPECT_EQ(cache_keys(moved_out + "/cache"), shard_keys);
}

}  // namespace
}  // namespace emosweep::testing
