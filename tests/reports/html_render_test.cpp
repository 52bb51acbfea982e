// The HTML report rendered by a real headless Chromium (Debian `chromium`, started here with
// a fresh profile, no network, bounded in time, its process group killed afterwards): a PNG
// of the page in light and dark mode without console errors, and the DOM it built.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "reports/report.hpp"
#include "tests/reports/synthetic_run.hpp"

namespace {

namespace fs = std::filesystem;
using namespace emosweep::reports;
using ::testing::HasSubstr;
using ::testing::Not;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs argv in its own process group with stdout and stderr redirected to files; kills the
// whole group when it is done or after `limit`. Returns the exit status (-1 on timeout).
int run_bounded(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
                std::chrono::seconds limit) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    FILE* o = std::freopen(out.c_str(), "w", stdout);
    FILE* e = std::freopen(err.c_str(), "w", stderr);
    if (!o || !e) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  int result = -1;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid, SIGKILL);  // Chromium's helper processes, if any survived
  return result;
}

struct Png {
  std::uint32_t width = 0, height = 0;
  std::array<unsigned, 3> first_pixel{};
};

// Reads the size and the top-left pixel of an 8-bit RGB(A) PNG. For the first pixel of the
// first row every PNG filter predicts 0, so the raw bytes are the pixel.
Png decode_png(const std::string& data) {
  Png png;
  if (data.size() < 33 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return png;
  const auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(data[at])) << 24) |
           (std::uint32_t(std::uint8_t(data[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(data[at + 2])) << 8) |
           std::uint32_t(std::uint8_t(data[at + 3]));
  };
  png.width = be32(16);
  png.height = be32(20);
  std::string idat;
  for (std::size_t at = 8; at + 8 <= data.size();) {
    const std::uint32_t length = be32(at);
    if (data.compare(at + 4, 4, "IDAT") == 0) idat.append(data, at + 8, length);
    at += 12 + length;
  }
  unsigned char row[16];
  z_stream z{};
  inflateInit(&z);
  z.next_in = reinterpret_cast<Bytef*>(idat.data());
  z.avail_in = static_cast<uInt>(idat.size());
  z.next_out = row;
  z.avail_out = sizeof row;
  inflate(&z, Z_SYNC_FLUSH);
  inflateEnd(&z);
  png.first_pixel = {row[1], row[2], row[3]};
  return png;
}

class HtmlRender : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("emosweep_html_render_{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    emosweep::testing::SyntheticSpec spec;
    spec.items = 300;
    spec.models = {"gpt-4o", "llama-3.1-8b", "gemma-2-9b"};
    spec.variants = {"zero-shot", "few-shot", "cot"};
    const auto run = emosweep::testing::write_synthetic_run((dir_ / "run").string(), spec);
    ReportOptions options;
    options.resamples = 500;
    html_ = dir_ / "report.html";
    std::ofstream(html_, std::ios::binary)
        << render_report(build_report({run.dir}, options), Format::html);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int chromium(const std::vector<std::string>& extra, const std::string& name) {
    std::vector<std::string> argv = {"chromium",
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-quic",
                                     "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--enable-logging=stderr",
                                     "--v=0",
                                     "--user-data-dir=" + (dir_ / ("profile-" + name)).string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("file://" + html_.string());
    return run_bounded(argv, dir_ / (name + ".out"), dir_ / (name + ".err"),
                       std::chrono::seconds(120));
  }
  std::string console_problems(const std::string& name) {
    std::string problems;
    std::istringstream err(read(dir_ / (name + ".err")));
    for (std::string line; std::getline(err, line);)
      if (line.find("CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos ||
          line.find("Refused to") != std::string::npos ||
          line.find("net::ERR") != std::string::npos)
        problems += line + "\n";
    return problems;
  }

  fs::path dir_, html_;
};

TEST_F(HtmlRender, ScreenshotInLightAndDarkModeWithoutConsoleErrors) {
  for (const bool dark : {false, true}) {
    const std::string name = dark ? "dark" : "light";
    const fs::path png = dir_ / (name + ".png");
    std::vector<std::string> extra = {"--screenshot=" + png.string(), "--window-size=1200,3000"};
    if (dark) extra.push_back("--force-dark-mode");
    ASSERT_EQ(chromium(extra, name), 0) << read(dir_ / (name + ".err"));
    EXPECT_EQ(console_problems(name), "");
    const std::string data = read(png);
    ASSERT_GT(data.size(), 20'000u) << name;  // a page of tables and charts, not a blank image
    const Png image = decode_png(data);
    EXPECT_EQ(image.width, 1200u);
    EXPECT_EQ(image.height, 3000u);
    // The page background follows prefers-color-scheme: #ffffff, or #0d1117 in dark mode.
    const std::array<unsigned, 3> expected =
        dark ? std::array<unsigned, 3>{13, 17, 23} : std::array<unsigned, 3>{255, 255, 255};
    EXPECT_EQ(image.first_pixel, expected) << name;
  }
}

TEST_F(HtmlRender, DomHasEveryChartWithItsTextAlternative) {
  ASSERT_EQ(chromium({"--dump-dom"}, "dom"), 0) << read(dir_ / "dom.err");
  EXPECT_EQ(console_problems("dom"), "");
  const std::string dom = read(dir_ / "dom.out");
  const auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto p = dom.find(needle); p != std::string::npos; p = dom.find(needle, p + 1))
      ++n;
    return n;
  };
  // Five leaderboard charts, five grouped-bar charts, one radar chart per model.
  EXPECT_EQ(count("<svg role=\"img\""), 13u);
  EXPECT_EQ(count("<desc id=\"chart"), 13u);
  EXPECT_EQ(count("<polygon class=\"gold\""), 3u);
  EXPECT_THAT(dom, HasSubstr("Emotion profile of llama-3.1-8b"));
  EXPECT_THAT(dom, HasSubstr("500 resamples"));
  EXPECT_THAT(dom, Not(HasSubstr("<script")));
}

}  // namespace
