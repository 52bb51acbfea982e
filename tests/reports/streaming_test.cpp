// A 1,000,000-row results.jsonl reports with bounded memory: the peak resident set of the
// whole test process (generator included) stays under 200 MB although the file is ~700 MB.
// No timing threshold here (2 shared cores); the timings are in docs/PERFORMANCE.md.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "reports/report.hpp"
#include "tests/reports/synthetic_run.hpp"

namespace {

namespace fs = std::filesystem;
using namespace emosweep::reports;

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

TEST(Streaming, MillionRowsInBoundedMemory) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("emosweep_streaming_{}", ::getpid());
  fs::remove_all(dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{dir};  // ~700 MB: removed even when a step throws
  emosweep::testing::SyntheticSpec spec;
  spec.models = {"m1", "m2", "m3", "m4"};
  spec.variants = {"zero-shot", "few-shot"};
  spec.items = 125'000;  // × 8 configurations = 1,000,000 rows
  spec.predictions = false;
  spec.dataset = false;
  const auto start = std::chrono::steady_clock::now();
  const auto run = emosweep::testing::write_synthetic_run(dir.string(), spec);
  const auto generated = std::chrono::steady_clock::now();
  const auto size = fs::file_size(dir / "results.jsonl");

  ReportOptions options;  // the defaults: 2,000 resamples
  options.threads = 2;
  const Report report = build_report({dir.string()}, options);
  const std::string html = render_report(report, Format::html);
  const auto done = std::chrono::steady_clock::now();
  const long rss = peak_rss_kib();
  std::printf(
      "results.jsonl: %.0f MB; generate %.2f s; report %.2f s; peak RSS %.1f MB\n",
      static_cast<double>(size) / 1e6, std::chrono::duration<double>(generated - start).count(),
      std::chrono::duration<double>(done - generated).count(), static_cast<double>(rss) / 1024);
  fs::remove_all(dir);  // before the assertions: free the disk space early

  std::uint64_t rows = 0;
  ASSERT_EQ(report.configs.size(), 8u);
  for (std::size_t i = 0; i < report.configs.size(); ++i) {
    const auto& c = report.configs[i];
    const auto& t = run.totals[i];
    EXPECT_EQ(c.model, t.model);
    EXPECT_EQ(c.scores.rows, t.rows);
    EXPECT_EQ(c.failed, t.failed);
    EXPECT_NEAR(c.scores.accl, t.accl(), 1e-12);
    EXPECT_NEAR(c.scores.f1v, t.f1v(), 1e-12);
    EXPECT_LT(c.metrics[kAccl].high - c.metrics[kAccl].low, 0.02);  // many posts: narrow
    rows += c.scores.rows + c.failed;
  }
  EXPECT_EQ(rows, 1'000'000u);
  EXPECT_EQ(report.comparisons.size(), 28u);
  EXPECT_FALSE(html.empty());
  EXPECT_GT(size, 500'000'000u);  // the file is far larger than the memory bound
  EXPECT_LT(rss, 200 * 1024) << "peak RSS " << rss << " KiB";
}

}  // namespace
