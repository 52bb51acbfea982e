// Real peers on loopback: a Prometheus server (Debian's `prometheus`) scraping a MetricsServer
// every second with the deploy/ alert rules loaded, and a Pushgateway receiving a push.
#include <atomic>
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metrics/metrics.hpp"
#include "metrics/server.hpp"
#include "orchestrator/push.hpp"
#include "tests/metrics/exposition.hpp"
#include "tests/metrics/prometheus_server.hpp"
#include "tests/metrics/promql_sources.hpp"

namespace emosweep::metrics {
namespace {

using orchestrator::push_to_gateway;
using orchestrator::PushResult;

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kSource = EMOSWEEP_SOURCE_DIR;

// A sweep in progress, as the orchestrator would report it: traffic on two endpoints, some
// 429s and failures, an endpoint stopped for quota, spend near the budget.
class FakeSweep {
 public:
  explicit FakeSweep(SweepMetrics& m) : m_(m) {
    m_.budget_usd().Set(10);
    m_.eta_seconds().Set(1800);
    m_.endpoint("openai").concurrency_limit().Set(32);
    m_.endpoint("vllm").concurrency_limit().Set(8);
    m_.endpoint_stopped("vllm", StopReason::quota).Set(1);
    for (const char* variant : {"zero-shot", "few-shot"}) {
      m_.items_planned("gpt-4o", variant).Set(1000);
    }
    m_.cost_usd("gpt-4o").Increment(9.5);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeSweep() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    auto& openai = m_.model("openai", "gpt-4o");
    auto& vllm = m_.model("vllm", "gpt-4o");
    auto& zero = m_.variant("gpt-4o", "zero-shot");
    auto& few = m_.variant("gpt-4o", "few-shot");
    auto inflight = m_.endpoint("openai").track_inflight();
    for (int tick = 0; !stop_; ++tick) {
      openai.requests(RequestCode::http(200)).Increment(6);
      openai.requests(RequestCode::http(429)).Increment(4);
      vllm.requests(RequestCode::transport(TransportError::timeout)).Increment();
      m_.retries("openai", RetryReason::rate_limited).Increment(4);
      m_.rate_limit_wait_seconds("openai").Increment(0.5);
      openai.request_duration().Observe(0.4 + 0.1 * (tick % 10));
      openai.tokens(TokenKind::prompt).Increment(3000);
      openai.tokens(TokenKind::completion).Increment(60);
      m_.cache_lookups(CacheResult::hit).Increment(3);
      m_.cache_lookups(CacheResult::miss).Increment(7);
      zero.item_finished(ItemOutcome::ok);
      few.item_finished(tick % 5 == 0 ? ItemOutcome::failed : ItemOutcome::invalid);
      for (std::size_t i = 0; i < score_metric_count; ++i) {
        zero.score(static_cast<ScoreMetric>(i)).Set(0.1 * static_cast<double>(i + 1));
        few.score(static_cast<ScoreMetric>(i)).Set(0.05 * static_cast<double>(i + 1));
      }
      m_.scoring_queue_depth().Set(tick % 7);
      std::this_thread::sleep_for(100ms);
    }
  }
  SweepMetrics& m_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(PrometheusLive, ScrapesSweepMetricsAndEvaluatesEveryDashboardAndAlertExpression) {
  SweepMetrics m("0.1.0");
  FakeSweep sweep(m);
  MetricsServer server("127.0.0.1:0", m);
  testing::PrometheusServer prometheus({.targets = {"127.0.0.1:" + std::to_string(server.port())},
                                        .rule_files = {kSource + "/deploy/prometheus/alerts.yml"}});

  auto info = prometheus.wait_for_samples(R"(emosweep_build_info{job="emosweep"})", 30s);
  auto samples = info.samples();
  ASSERT_EQ(samples.size(), 1u) << info.body() << prometheus.log_tail();
  EXPECT_EQ(samples[0].value, 1);
  EXPECT_EQ(samples[0].labels["version"], "0.1.0");
  EXPECT_EQ(samples[0].labels["instance"], "127.0.0.1:" + std::to_string(server.port()));

  // Rates need two scrapes.
  auto rate =
      prometheus.wait_for_samples(R"(sum(rate(emosweep_requests_total{code="200"}[1m])) > 0)", 30s);
  ASSERT_EQ(rate.samples().size(), 1u) << rate.body();
  EXPECT_GT(rate.samples()[0].value, 0);

  // Every expression of the dashboard and the alert rules parses and evaluates on the real
  // server; every dashboard expression returns data for this sweep.
  for (const auto& e : testing::deploy_expressions(kSource)) {
    const auto r = prometheus.query(e.promql);
    EXPECT_EQ(r.http_status(), 200) << e.where << ": " << r.body();
    EXPECT_EQ(r.status(), "success") << e.where << ": " << r.error();
    if (e.where.starts_with("emosweep.json")) {
      EXPECT_FALSE(r.samples().empty()) << e.where << " returns no data: " << e.promql;
    }
  }

  // The live leaderboard's numbers are the ones the scorer set.
  const auto accv = prometheus.query(
      R"(avg by (model, variant) (emosweep_score{metric="accv", variant="zero-shot"}))");
  ASSERT_EQ(accv.samples().size(), 1u) << accv.body();
  EXPECT_DOUBLE_EQ(accv.samples()[0].value, 0.3);

  // The alert rules, fed with real metrics: stopped endpoint and budget fire at once; the 429
  // ratio (40%) and failures (10% of few-shot) are pending their 5 minutes; no stall.
  const std::map<std::string, std::string> expected = {{"EmosweepEndpointStopped", "firing"},
                                                       {"EmosweepBudgetNearlySpent", "firing"},
                                                       {"EmosweepRateLimited", "pending"},
                                                       {"EmosweepPermanentFailures", "pending"},
                                                       {"EmosweepSweepStalled", "inactive"}};
  std::map<std::string, std::string> states;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (states != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    states.clear();
    const auto rules = prometheus.get("/api/v1/rules");
    ASSERT_EQ(rules.status(), "success") << rules.body();
    for (simdjson::dom::element group : rules.data()["groups"].get_array()) {
      for (simdjson::dom::element rule : group["rules"].get_array()) {
        std::string_view name, state, health;
        ASSERT_EQ(rule["name"].get(name), simdjson::SUCCESS);
        ASSERT_EQ(rule["health"].get(health), simdjson::SUCCESS);
        EXPECT_NE(health, "err") << name;
        if (rule["state"].get(state) == simdjson::SUCCESS) {
          states[std::string(name)] = std::string(state);
        }
      }
    }
  }
  EXPECT_EQ(states, expected);
}

TEST(PrometheusLive, PushgatewayReceivesTheFinalState) {
  SweepMetrics m("0.1.0");
  m.items_done("gpt-4o", "zero-shot", ItemOutcome::ok).Increment(7);
  m.score("gpt-4o", "zero-shot", ScoreMetric::accl).Set(0.625);

  testing::ScratchDir dir("emosweep-pushgateway");
  std::unique_ptr<testing::ChildProcess> gateway;
  std::uint16_t port = 0;
  for (int attempt = 0; attempt < 3 && !gateway; ++attempt) {
    port = testing::free_loopback_port();
    gateway = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{"prometheus-pushgateway",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port)},
        dir.path() + "/pushgateway.log");
    if (!testing::wait_until_ready(*gateway, port, "/-/ready", 30s)) gateway.reset();
  }
  ASSERT_TRUE(gateway) << "prometheus-pushgateway did not start";

  const auto result = push_to_gateway(m, "http://127.0.0.1:" + std::to_string(port), "emosweep",
                                      {{"instance", "shard-0"}});
  ASSERT_TRUE(result.ok()) << result.describe() << "\n" << gateway->log_tail();

  const auto scrape = testing::http_get(port, "/metrics");
  ASSERT_EQ(scrape.status, 200);
  const auto x = testing::parse_exposition(scrape.body);
  EXPECT_EQ(x.value("emosweep_items_done_total", {{"instance", "shard-0"},
                                                  {"job", "emosweep"},
                                                  {"model", "gpt-4o"},
                                                  {"variant", "zero-shot"},
                                                  {"outcome", "ok"}}),
            7);
  EXPECT_EQ(x.value("emosweep_score", {{"instance", "shard-0"},
                                       {"job", "emosweep"},
                                       {"model", "gpt-4o"},
                                       {"variant", "zero-shot"},
                                       {"metric", "accl"}}),
            0.625);
  EXPECT_THAT(
      scrape.body,
      HasSubstr(R"(emosweep_build_info{instance="shard-0",job="emosweep",version="0.1.0"} 1)"));
}

}  // namespace
}  // namespace emosweep::metrics
