// Shared fixture of the end-to-end tests: a real `emosweep mock-provider` child on an
// ephemeral loopback port, sweep files written per test, and `emosweep run` as a child.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include "tests/support/child.hpp"
#include "tests/support/process.hpp"

namespace emosweep::testing {

inline const std::string kBin = EMOSWEEP_BIN;
inline const std::string kDemoDir = EMOSWEEP_DEMO_DIR;
inline const std::string kSharedData = std::string(EMOSWEEP_SHARED_DIR) + "/data/express/";

inline bool have_shared() {
  return std::filesystem::exists(kSharedData + "express-sample.csv");
}

// A mock provider process; its port is read from --port-file.
class MockProcess {
 public:
  MockProcess(const TempDir& dir, const std::vector<std::string>& extra,
              const std::string& tag = "mock") {
    const std::string port_file = dir / (tag + ".port");
    std::vector<std::string> argv = {kBin,          "mock-provider", "--listen",  "127.0.0.1:0",
                                     "--port-file", port_file,       "--threads", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = std::make_unique<Child>(argv, dir / (tag + ".log"));
    const std::string text = wait_for_file(port_file, std::chrono::seconds(20));
    port_ = static_cast<std::uint16_t>(std::atoi(text.c_str()));
  }
  std::uint16_t port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // GET /stats?summary=1 (or the full one) parsed into `doc`.
  simdjson::dom::element stats(bool full = false) {
    body_ = http_request(port_, "GET", full ? "/stats" : "/stats?summary=1").body;
    simdjson::dom::element e;
    if (parser_.parse(body_).get(e) != simdjson::SUCCESS) ADD_FAILURE() << "bad /stats: " << body_;
    return e;
  }
  std::int64_t requests() { return int64_t(stats()["requests"]); }
  void reset() { http_request(port_, "POST", "/stats/reset"); }

 private:
  std::unique_ptr<Child> child_;
  std::uint16_t port_ = 0;
  simdjson::dom::parser parser_;
  std::string body_;
};

struct Dataset {
  std::string path, lexicon;
};

inline Dataset sample_or_demo() {
  if (have_shared())
    return {kSharedData + "express-sample.csv", kSharedData + "lexicon-decomposition.csv"};
  return {kDemoDir + "/demo-dataset.csv", kDemoDir + "/demo-lexicon.csv"};
}

// Runs `emosweep run` to completion and returns its exit code.
inline CommandResult run_sweep(const std::string& sweep, const std::string& extra = "") {
  return run_command(kBin + " run " + shell_quote(sweep) + " --metrics-addr off --progress none " +
                     extra);
}

inline std::string read_text(const std::string& path) {
  return slurp(path);
}

}  // namespace emosweep::testing
