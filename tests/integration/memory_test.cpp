// Memory is bounded by concurrency and queue sizes, not by the size of the sweep (DESIGN.md §5,
// issue 4 "Must show"): a 1,000,000-item sweep against a real `emosweep mock-provider` child
// (instant answers, 256 requests in flight) runs to completion with a peak RSS under 300 MB,
// and so does its fully cached rerun. The peak is the child's own ru_maxrss (wait4), checked
// against /proc/PID/status VmHWM polled while it runs. No timing is asserted; the throughput
// is printed for the record.
#include <gtest/gtest.h>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/sweep_fixture.hpp"

namespace emosweep::testing {
namespace {

constexpr std::int64_t kItems = 1'000'000;
constexpr std::int64_t kLimitBytes = 300'000'000;  // 300 MB
// Generous: the sweep takes one to a few minutes here; this only stops a hung run.
constexpr auto kRunDeadline = std::chrono::minutes(30);

// A synthetic EXPRESS CSV: short distinct segments (so that no two prompts are identical and
// every item costs one request) with 1-3 <mask> tokens and gold labels in mask order.
void write_dataset(const std::string& path, std::int64_t items) {
  static const std::array<const char*, 8> kLabels = {"happy",  "sad",   "angry",    "afraid",
                                                     "lonely", "proud", "grateful", "anxious"};
  static const std::array<const char*, 12> kWords = {
      "today", "I", "went", "back", "to", "the", "place", "where", "it", "all", "started", "again"};
  std::ofstream out(path, std::ios::binary);
  std::string row;
  out << "index,original_ids,segment,number_of_labels,labels\n";
  for (std::int64_t i = 0; i < items; ++i) {
    const int masks = 1 + static_cast<int>(i % 3);
    row = "s" + std::to_string(i) + ",p" + std::to_string(i / 4) + ",Story " + std::to_string(i) +
          ":";
    for (int w = 0; w < 24; ++w) {
      row += ' ';
      // Masks at fixed word positions 5, 12 and 19.
      row +=
          (w % 7 == 5 && w / 7 < masks) ? "<mask>" : kWords[static_cast<std::size_t>((i + w) % 12)];
    }
    row += ".," + std::to_string(masks) + ",\"[";
    for (int m = 0; m < masks; ++m) {
      if (m) row += ", ";
      row += '\'';
      row += kLabels[static_cast<std::size_t>((i * 3 + m) % 8)];
      row += '\'';
    }
    row += "]\"\n";
    out << row;
  }
  ASSERT_TRUE(out.good()) << path;
}

// Resident-set high-water mark of a live process, in bytes (0 when it is gone).
std::int64_t vm_hwm_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  return 0;
}

struct Measured {
  int exit_code = -1;
  std::int64_t peak_rss_bytes = 0;  // max of ru_maxrss and the polled VmHWM
  double seconds = 0;
};

// Runs `emosweep run SWEEP` as a child (output to `log`) and measures its own peak RSS.
Measured run_measured(const std::string& sweep, const std::string& log) {
  Measured m;
  const std::vector<std::string> argv = {kBin,  "run",        sweep, "--metrics-addr",
                                         "off", "--progress", "log"};
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test, even when the test is killed
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (pid < 0) return m;
  std::int64_t polled = 0;
  for (;;) {
    int status = 0;
    rusage usage{};
    const pid_t r = ::wait4(pid, &status, WNOHANG, &usage);
    if (r == pid) {
      m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      m.peak_rss_bytes =
          std::max<std::int64_t>(polled, static_cast<std::int64_t>(usage.ru_maxrss) * 1024);
      break;
    }
    if (std::chrono::steady_clock::now() - start > kRunDeadline) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &usage);
      ADD_FAILURE() << "emosweep run did not finish within the deadline; see " << log;
      break;
    }
    polled = std::max(polled, vm_hwm_bytes(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return m;
}

std::int64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(1 << 20);
  std::int64_t lines = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    lines += std::count(buffer.data(), buffer.data() + in.gcount(), '\n');
  }
  return lines;
}

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& text) {
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(text).get(e), simdjson::SUCCESS) << text.substr(0, 300);
  return e;
}

void expect_complete_run(const TempDir& dir, std::int64_t requests_expected) {
  simdjson::dom::parser p;
  const std::string run_text = read_text(dir / "out/run.json");
  auto run = parse(p, run_text);
  EXPECT_EQ(std::string_view(run["status"]), "finished");
  EXPECT_EQ(int64_t(run["planned"]), kItems);
  EXPECT_EQ(int64_t(run["done"]), kItems);
  EXPECT_EQ(int64_t(run["failed"]), 0);
  EXPECT_EQ(int64_t(run["requests_sent"]), requests_expected);
  EXPECT_EQ(int64_t(run["cache_replays"]), kItems - requests_expected);
  EXPECT_EQ(int64_t(run["cache_stores"]), requests_expected);
  simdjson::dom::parser p2;
  const std::string summary_text = read_text(dir / "out/summary.json");
  auto summary = parse(p2, summary_text);
  simdjson::dom::array configs = summary;
  ASSERT_EQ(configs.size(), 1u);
  auto c = configs.at(0).value();
  EXPECT_EQ(int64_t(c["items_planned"]), kItems);
  EXPECT_EQ(int64_t(c["rows"]), kItems);
  EXPECT_EQ(int64_t(c["failed"]), 0);
  EXPECT_EQ(count_lines(dir / "out/results.jsonl"), kItems);
  // The header and one record per item (segments hold no newline).
  EXPECT_EQ(count_lines(dir / "out/predictions/mock-gpt__zero-shot.csv"), kItems + 1);
}

TEST(RunMemory, MillionItemSweepAndItsCachedRerunPeakUnder300MB) {
  TempDir dir("memory");
  ASSERT_NO_FATAL_FAILURE(write_dataset(dir / "million.csv", kItems));
  MockProcess mock(dir, {"--seed", "3"});
  ASSERT_NE(mock.port(), 0);
  const std::string sweep = dir / "sweep.yaml";
  std::ofstream(sweep) << "name: memory\n"
                       << "dataset: { path: " + (dir / "million.csv") + " }\n"
                       << "lexicon: " + sample_or_demo().lexicon + "\n"
                       << "cache: " + (dir / "cache") + "\n"
                       << "output: " + (dir / "out") + "\n"
                       << "endpoints:\n"
                       << "  - name: mock\n"
                       << "    dialect: openai\n"
                       << "    base_url: " + mock.origin() + "/v1\n"
                       << "    limits: { concurrency: 256 }\n"
                       << "models:\n"
                       << "  - { name: mock-gpt, endpoint: mock, model: gpt-4o-mini,"
                       << " params: { temperature: 0, max_tokens: 16 } }\n"
                       << "prompts:\n"
                       << "  - { name: zero-shot, template: express-zero-shot }\n";

  const Measured cold = run_measured(sweep, dir / "run-cold.log");
  ASSERT_EQ(cold.exit_code, 0) << slurp(dir / "run-cold.log");
  std::cout << "cold: " << kItems << " items in " << cold.seconds << " s (" << kItems / cold.seconds
            << " items/s), peak RSS " << cold.peak_rss_bytes / 1e6 << " MB\n";
  EXPECT_GT(cold.peak_rss_bytes, 20'000'000) << "the measurement itself failed";
  EXPECT_LT(cold.peak_rss_bytes, kLimitBytes);
  EXPECT_EQ(mock.requests(), kItems);
  expect_complete_run(dir, kItems);

  // The rerun replays everything from the cache: the read path (block cache, scoring queue)
  // must be bounded as well.
  mock.reset();
  const Measured replay = run_measured(sweep, dir / "run-replay.log");
  ASSERT_EQ(replay.exit_code, 0) << slurp(dir / "run-replay.log");
  std::cout << "replay: " << kItems << " items in " << replay.seconds << " s ("
            << kItems / replay.seconds << " items/s), peak RSS " << replay.peak_rss_bytes / 1e6
            << " MB\n";
  EXPECT_GT(replay.peak_rss_bytes, 20'000'000) << "the measurement itself failed";
  EXPECT_LT(replay.peak_rss_bytes, kLimitBytes);
  EXPECT_EQ(mock.requests(), 0);
  expect_complete_run(dir, 0);
}

}  // namespace
}  // namespace emosweep::testing
