// Sweep files (YAML, DESIGN.md §4): parsed and validated in full before anything is sent.
// Unknown keys and wrong types are errors naming file, line and column (with a "did you mean"
// for near misses); missing API-key environment variables are reported up front; relative
// paths resolve against the sweep file's folder.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/task.hpp"
#include "providers/types.hpp"

namespace emosweep::orchestrator {

struct EndpointLimits {
  std::uint32_t concurrency = 64;  // in-flight requests; adaptive control stays below it
  double rpm = 0;                  // requests per minute; 0: none (learned from headers)
  double tpm = 0;                  // tokens per minute; 0: none (learned from headers)
};

struct RetryPolicy {
  std::uint32_t max_attempts = 8;  // including the first
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{60'000};
  double budget_ratio = 0.5;      // retries may be at most this share of first attempts ...
  std::uint32_t budget_min = 20;  // ... plus this many (so a cold start can retry)
};

struct EndpointTimeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds request{180'000};
  std::chrono::milliseconds idle{60'000};
};

// An in-process mock provider to sweep against (demo and tests): no base_url needed.
struct MockSpec {
  std::string latency = "none";
  std::uint64_t rpm = 0, tpm = 0, seed = 0;
  std::string faults;
  std::string answers;  // resolved path or empty
  unsigned threads = 1;
};

struct EndpointConfig {
  std::string name;
  providers::Dialect dialect = providers::Dialect::openai;
  std::string base_url;
  std::string api_key_env;
  std::string api_key;  // resolved from the environment; never written anywhere
  std::string api_version;
  std::string ca_file;
  bool insecure_skip_verify = false;
  providers::Headers headers;
  EndpointLimits limits;
  RetryPolicy retries;
  EndpointTimeouts timeouts;
  std::optional<MockSpec> mock;
};

struct Price {
  double prompt_per_mtok = 0;      // USD per million prompt tokens
  double completion_per_mtok = 0;  // USD per million completion tokens
};

struct ModelConfig {
  std::string name;          // the sweep's name for it (results, metrics, file names)
  std::size_t endpoint = 0;  // index into SweepConfig::endpoints
  std::string model;         // the provider's model id
  providers::GenerationParams params;
  std::string system;
  std::optional<Price> price;
};

struct DatasetConfig {
  std::string path;
  std::uint64_t limit = 0;   // first N items; 0: all
  std::uint64_t sample = 0;  // N items drawn by seed; 0: all
  std::uint64_t seed = 0;
};

struct SweepConfig {
  std::string file;  // the sweep file, as given
  std::string name;
  DatasetConfig dataset;
  std::string lexicon;
  std::string cache_dir;
  std::string output_dir;
  std::uint32_t repeats = 1;
  double budget_usd = 0;  // 0: no budget
  std::uint64_t seed = 0;
  std::vector<EndpointConfig> endpoints;
  std::vector<ModelConfig> models;
  std::vector<VariantSpec> prompts;
};

// Loads and validates; throws InputError ("FILE:LINE:COL: key: problem"). With
// `resolve_keys` false (dry runs), missing API-key variables are not an error.
SweepConfig load_sweep(const std::string& path, bool resolve_keys = true);

// The edit distance used for "did you mean" (exposed for tests).
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace emosweep::orchestrator
