// `emosweep mock-provider --listen HOST:PORT [...]`: runs the mock LLM provider
// (providers/mock_server.hpp) until SIGINT or SIGTERM, then stops cleanly and exits 0.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include <pthread.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "providers/mock_server.hpp"

namespace emosweep::cli {
namespace {

struct MockCommandOptions {
  std::string listen = "127.0.0.1:0";
  std::string dialect = "all";
  std::string latency = "none";
  std::string faults;
  unsigned threads = 0;
  std::uint64_t rpm = 0, tpm = 0, seed = 0, default_max_tokens = 256;
  std::int64_t slow_ms = 2000, idle_timeout_ms = 60000, rate_window_ms = 60000;
  std::size_t max_body_bytes = 16u << 20;
  std::string answers, port_file;
  bool require_key = false;
};

int run_mock_provider(const MockCommandOptions& c) {
  providers::MockOptions o;
  providers::parse_listen(c.listen, o);
  o.threads = c.threads;
  o.dialects = providers::parse_mock_dialects(c.dialect);
  o.require_key = c.require_key;
  o.latency = providers::parse_latency(c.latency);
  o.rpm = c.rpm;
  o.tpm = c.tpm;
  o.rate_window = std::chrono::milliseconds(c.rate_window_ms);
  o.faults = providers::parse_faults(c.faults);
  o.slow_body = std::chrono::milliseconds(c.slow_ms);
  o.seed = c.seed;
  o.answers_file = c.answers;
  o.port_file = c.port_file;
  o.default_max_tokens = c.default_max_tokens;
  o.idle_timeout = std::chrono::milliseconds(c.idle_timeout_ms);
  o.max_body_bytes = c.max_body_bytes;

  // Block the stop signals before the server's threads exist (they inherit the mask), then
  // wait for one here: no handler, no global flag.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  providers::MockServer server(o);
  server.start();
  const bool v6 = o.host.find(':') != std::string::npos;
  fmt::print("mock-provider listening on {}{}{}:{}\n", v6 ? "[" : "", o.host, v6 ? "]" : "",
             server.port());
  std::fflush(stdout);
  int signal = 0;
  while (sigwait(&stop_signals, &signal) != 0) {
  }
  server.stop();
  return 0;
}

}  // namespace

void add_mock_provider_command(CLI::App& app, Action& action) {
  auto c = std::make_shared<MockCommandOptions>();
  auto* cmd = app.add_subcommand(
      "mock-provider",
      "Run a mock LLM provider (OpenAI, Azure OpenAI, Anthropic and Gemini APIs) for tests, "
      "demos and benchmarks; stops on SIGINT/SIGTERM");
  cmd->add_option("--listen", c->listen, "HOST:PORT to listen on (port 0: an ephemeral port)")
      ->capture_default_str();
  cmd->add_option("--threads", c->threads, "Worker threads (0: one per hardware thread)")
      ->capture_default_str();
  cmd->add_option("--dialect", c->dialect,
                  "Which API answers: openai (with Azure paths), anthropic, gemini or all; the "
                  "others get 404")
      ->capture_default_str();
  cmd->add_flag("--require-key", c->require_key,
                "Answer 401 unless the dialect's API key header is present (keys are never "
                "logged or echoed)");
  cmd->add_option("--latency", c->latency,
                  "Added latency: none, fixed:MS, uniform:LO:HI or lognormal:MEDIAN_MS:SIGMA")
      ->capture_default_str();
  cmd->add_option("--rpm", c->rpm, "Requests per minute before 429 (0: unlimited)")
      ->capture_default_str();
  cmd->add_option("--tpm", c->tpm,
                  "Tokens per minute before 429, charging prompt + max_tokens per request; tokens "
                  "are ceil(characters / 4) (0: unlimited)")
      ->capture_default_str();
  cmd->add_option("--rate-window-ms", c->rate_window_ms,
                  "Burst tolerance of --rpm/--tpm: the buckets refill at the per-minute rate but "
                  "hold only rate × window / 60 s (1 to 60000)")
      ->capture_default_str();
  cmd->add_option("--fault", c->faults,
                  "Fault rates, e.g. 500=0.05,503=0.02,529=0.01,drop=0.01,malformed=0.01,"
                  "slow=0.01,quota=0,safety=0.01 (also 502, 504, 429)");
  cmd->add_option("--slow-ms", c->slow_ms, "How long a 'slow' fault takes to send its body")
      ->capture_default_str();
  cmd->add_option("--seed", c->seed, "Seed of answers, faults and latency")->capture_default_str();
  cmd->add_option("--answers", c->answers,
                  "JSONL of {\"prompt\"|\"segment\": ..., \"answer\": ..., \"model\"?: ...}");
  cmd->add_option("--port-file", c->port_file, "Write the bound port to this file");
  cmd->add_option("--default-max-tokens", c->default_max_tokens,
                  "max_tokens charged to the token limit when a request sets none")
      ->capture_default_str();
  cmd->add_option("--idle-timeout-ms", c->idle_timeout_ms,
                  "Close keep-alive connections idle for this long")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", c->max_body_bytes, "Larger requests get 413")
      ->capture_default_str();
  cmd->callback([c, &action] { action = [c] { return run_mock_provider(*c); }; });
}

}  // namespace emosweep::cli
