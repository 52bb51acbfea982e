// A real `emosweep run` watched by a real Prometheus: the sweep runs ~10 s against mock
// provider processes (latency, seeded 429s and 500s, the mock's RPM limit, and one endpoint
// that stops for quota) with /metrics on a free loopback port and --metrics-linger, while a
// Prometheus on loopback scrapes it every second. Then, through Prometheus' HTTP API, every
// PromQL expression of the Grafana dashboard and the alert rules evaluates and every dashboard
// query returns data; `promtool check metrics` accepts a real scrape; and neither the API key
// nor the prompts (a marker in every segment) ever show in a scrape, run.json, results, the
// logs or the cache.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/csv.hpp"
#include "tests/integration/sweep_fixture.hpp"
#include "tests/metrics/prometheus_server.hpp"
#include "tests/metrics/promql_sources.hpp"

namespace emosweep::testing {
namespace {

namespace fs = std::filesystem;
namespace mt = emosweep::metrics::testing;
using namespace std::chrono_literals;

const std::string kSource = EMOSWEEP_SOURCE_DIR;
// Recognisable, so that any leak is found by a plain substring search.
const std::string kApiKey = "sk-emosweep-FAKE-0a1b2c3d4e5f-secret";
const std::string kKeyVariable = "EMOSWEEP_PROM_TEST_API_KEY";
const std::string kMarker = "zqxprompt7731marker";

// The first `rows` segments of the real sample (or the demo data), each with the marker added
// to its text.
void write_marked_dataset(const std::string& from, const std::string& to, std::size_t rows) {
  csv::Reader in(from);
  const std::size_t index = in.require_column("index"), ids = in.require_column("original_ids"),
                    segment = in.require_column("segment"),
                    count = in.require_column("number_of_labels"),
                    labels = in.require_column("labels");
  std::string out = "index,original_ids,segment,number_of_labels,labels\n";
  for (std::size_t n = 0; n < rows && in.next(); ++n) {
    const std::string text = std::string(in.field(segment)) + " " + kMarker;
    csv::append_record(out,
                       {in.field(index), in.field(ids), text, in.field(count), in.field(labels)});
  }
  std::ofstream(to) << out;
}

std::string run_status(const std::string& run_json) {
  simdjson::dom::parser p;
  simdjson::dom::object o;
  std::string_view status;
  const std::string text = slurp(run_json);
  if (p.parse(text).get(o) != simdjson::SUCCESS || o["status"].get(status) != simdjson::SUCCESS)
    return "";
  return std::string(status);
}

void expect_no_secret(const std::string& text, const std::string& where) {
  EXPECT_EQ(text.find(kApiKey), std::string::npos) << where << " shows the API key";
  EXPECT_EQ(text.find(kMarker), std::string::npos) << where << " shows a prompt";
}

TEST(PrometheusSweep, DashboardAndAlertsWorkOnALiveSweepAndNoSecretIsExposed) {
  TempDir dir("prom_sweep");
  // Seeded faults: spurious 429s and 500s (retried); an RPM limit whose rate-limit headers the
  // client paces itself by; --require-key makes the key travel in every request.
  MockProcess mock(dir,
                   {"--seed", "9", "--latency", "uniform:60:140", "--rpm", "900", "--fault",
                    "429=0.05,500=0.03", "--require-key"},
                   "mock");
  MockProcess broke(dir, {"--seed", "1", "--fault", "quota=1"}, "mock-quota");
  ASSERT_NE(mock.port(), 0);
  ASSERT_NE(broke.port(), 0);

  const Dataset source = sample_or_demo();
  const std::string dataset = dir / "marked.csv";
  write_marked_dataset(source.path, dataset, 60);
  const std::string sweep = dir / "sweep.yaml";
  const std::string endpoint_extra = "    api_key_env: " + kKeyVariable +
                                     "\n    limits: { concurrency: 2 }\n"
                                     "    retries: { base_delay: 0.05, max_delay: 0.5 }\n";
  std::ofstream(sweep)
      << "name: prometheus-sweep\n"
         "dataset: { path: " +
             dataset +
             " }\n"
             "lexicon: " +
             source.lexicon +
             "\n"
             "cache: cache\noutput: out\n"
             "budget_usd: 1000\n"
             "endpoints:\n"
             "  - name: oa\n    dialect: openai\n    base_url: " +
             mock.origin() + "/v1\n" + endpoint_extra +
             "  - name: an\n    dialect: anthropic\n    base_url: " + mock.origin() + "\n" +
             endpoint_extra +
             "  - name: broke\n    dialect: openai\n    base_url: " + broke.origin() + "/v1\n" +
             endpoint_extra +
             "models:\n"
             "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { max_tokens: 64 },"
             " price: { prompt: 0.15, completion: 0.6 } }\n"
             "  - { name: claude, endpoint: an, model: claude-3-5-haiku, params: { max_tokens: 64 "
             "},"
             " price: { prompt: 0.8, completion: 4 } }\n"
             "  - { name: poor, endpoint: broke, model: gpt-4o, params: { max_tokens: 64 } }\n"
             "prompts:\n"
             "  - { name: zero, template: express-zero-shot }\n"
             "  - { name: few, template: express-few-shot, shots: 2 }\n";

  const std::uint16_t metrics_port = mt::free_loopback_port();
  const std::string target = "127.0.0.1:" + std::to_string(metrics_port);
  mt::PrometheusServer prometheus(
      {.targets = {target}, .rule_files = {kSource + "/deploy/prometheus/alerts.yml"}});

  const std::string out = dir / "out";
  const std::string log = dir / "run.log";
  Child run({kBin, "run", sweep, "--out", out, "--cache", dir / "cache", "--metrics-addr", target,
             "--metrics-linger", "15", "--progress", "log"},
            log, {kKeyVariable + "=" + kApiKey});

  // Scrape while the sweep runs: never a key or a prompt.
  int scrapes = 0;
  std::string last_scrape;
  const auto run_deadline = std::chrono::steady_clock::now() + 120s;
  auto finished = [&] {
    const std::string s = run_status(out + "/run.json");
    return !s.empty() && s != "running";
  };
  while (!finished() && std::chrono::steady_clock::now() < run_deadline) {
    ASSERT_TRUE(run.running()) << "the run ended early:\n" << slurp(log);
    try {
      const auto scrape = mt::http_get(metrics_port, "/metrics", 2s);
      if (scrape.status == 200) {
        ++scrapes;
        expect_no_secret(scrape.body, "a /metrics scrape during the sweep");
        last_scrape = scrape.body;
      }
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(300ms);
  }
  ASSERT_EQ(run_status(out + "/run.json"), "finished_with_failures") << slurp(log);
  EXPECT_GE(scrapes, 5) << "the sweep should last long enough to be scraped several times";
  EXPECT_NE(last_scrape.find("emosweep_requests_total{"), std::string::npos);

  // The sweep saw what the dashboard shows: 429s, retries, a stopped endpoint.
  auto rate_limited =
      prometheus.wait_for_samples(R"(sum(emosweep_requests_total{code="429"}) > 0)", 20s);
  EXPECT_EQ(rate_limited.samples().size(), 1u) << rate_limited.body() << prometheus.log_tail();
  auto retried = prometheus.wait_for_samples(R"(sum(emosweep_retries_total) > 0)", 20s);
  EXPECT_EQ(retried.samples().size(), 1u) << retried.body();

  // Every expression of the dashboard and the alert rules parses and evaluates on the real
  // server; every dashboard query returns data (polled: rates need two scrapes, and the
  // final values arrive with the scrapes of the linger period).
  const auto expressions = mt::deploy_expressions(kSource);
  ASSERT_GT(expressions.size(), 30u);
  std::set<std::string> pending;
  for (const auto& e : expressions)
    if (e.where.starts_with("emosweep.json")) pending.insert(e.where);
  const auto query_deadline = std::chrono::steady_clock::now() + 12s;
  std::map<std::string, std::string> last_answer;
  for (bool first = true;
       first || (!pending.empty() && std::chrono::steady_clock::now() < query_deadline);
       first = false) {
    for (const auto& e : expressions) {
      if (!first && !pending.count(e.where)) continue;
      const auto r = prometheus.query(e.promql);
      if (first) {
        EXPECT_EQ(r.http_status(), 200) << e.where << ": " << r.body();
        EXPECT_EQ(r.status(), "success") << e.where << ": " << r.error() << "\n" << e.promql;
      }
      if (!r.samples().empty()) pending.erase(e.where);
      last_answer[e.where] = r.body();
    }
    if (!pending.empty()) std::this_thread::sleep_for(500ms);
  }
  for (const auto& where : pending)
    ADD_FAILURE() << where << " returns no data: " << last_answer[where];

  // promtool accepts a real scrape of the finished run (still lingering).
  const auto final_scrape = mt::http_get(metrics_port, "/metrics");
  ASSERT_EQ(final_scrape.status, 200);
  expect_no_secret(final_scrape.body, "the final /metrics scrape");
  EXPECT_NE(
      final_scrape.body.find("emosweep_endpoint_stopped{endpoint=\"broke\",reason=\"quota\"} 1"),
      std::string::npos);
  const std::string scrape_file = dir / "metrics.txt";
  std::ofstream(scrape_file) << final_scrape.body;
  const auto promtool =
      run_command("promtool check metrics < " + shell_quote(scrape_file) + " 2>&1");
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out;
  EXPECT_EQ(promtool.out, "") << "promtool lint problems";

  // The run ends after its linger: exit 3 (the quota endpoint's items failed).
  const auto code = run.wait(60s);
  ASSERT_TRUE(code.has_value()) << "the run did not exit after its linger";
  EXPECT_EQ(*code, 3) << slurp(log);

  // Nothing else shows a key or a prompt either.
  expect_no_secret(slurp(log), "the run's stdout/stderr");
  expect_no_secret(slurp(out + "/run.json"), "run.json");
  expect_no_secret(slurp(out + "/summary.json"), "summary.json");
  const std::string results = slurp(out + "/results.jsonl");
  expect_no_secret(results, "results.jsonl");
  EXPECT_NE(results.find("\"error\":"), std::string::npos) << "the quota rows carry an error";
  const auto exported = run_command(kBin + " cache export --cache " + shell_quote(dir / "cache"));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_GT(exported.out.size(), 1000u);
  expect_no_secret(exported.out, "the cache export");
  // The marker is really in the prompts (the check above can fail): the predictions CSV
  // carries the segments by design.
  EXPECT_NE(slurp(out + "/predictions/gpt__zero.csv").find(kMarker), std::string::npos);
}

}  // namespace
}  // namespace emosweep::testing
