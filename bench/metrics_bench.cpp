// Hot-path cost of metric updates (issue 5: "updating metrics costs nothing measurable").
// Every figure is reported as a ratio to a relaxed std::atomic add measured in the same run,
// plus the share of one 25 ms LLM request (the smallest latency bucket) that a whole
// request's worth of updates costs. Run: build/bench/metrics_bench (docs/PERFORMANCE.md).
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "metrics/metrics.hpp"

namespace {

using emosweep::metrics::CacheResult;
using emosweep::metrics::ItemOutcome;
using emosweep::metrics::RequestCode;
using emosweep::metrics::ScoreMetric;
using emosweep::metrics::SweepMetrics;
using emosweep::metrics::TokenKind;

SweepMetrics& metrics() {
  static SweepMetrics m("bench");
  return m;
}

// --- the reference ------------------------------------------------------------------------------

std::atomic<std::uint64_t> reference_counter{0};

void BM_AtomicAddRelaxed(benchmark::State& state) {
  for (auto _ : state)
    reference_counter.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(BM_AtomicAddRelaxed);
BENCHMARK(BM_AtomicAddRelaxed)->Threads(2);

// --- cached handles (what the hot path does) ----------------------------------------------------

void BM_CounterIncrement(benchmark::State& state) {
  auto& counter = metrics().model("openai", "gpt-4o").requests(RequestCode::http(200));
  for (auto _ : state)
    counter.Increment();
}
BENCHMARK(BM_CounterIncrement);
BENCHMARK(BM_CounterIncrement)->Threads(2);

void BM_RequestsByCode(benchmark::State& state) {
  // Keeps the ModelHandles and picks the code's series per request (an atomic load).
  auto& handles = metrics().model("openai", "gpt-4o");
  unsigned status = 200;
  for (auto _ : state) {
    handles.requests(RequestCode::http(status)).Increment();
    status = status == 200 ? 429 : 200;
  }
}
BENCHMARK(BM_RequestsByCode);

void BM_HistogramObserve(benchmark::State& state) {
  auto& histogram = metrics().model("openai", "gpt-4o").request_duration();
  double seconds = 0.01;
  for (auto _ : state) {
    histogram.Observe(seconds);
    seconds = seconds > 200 ? 0.01 : seconds * 1.7;
  }
}
BENCHMARK(BM_HistogramObserve);
BENCHMARK(BM_HistogramObserve)->Threads(2);

void BM_GaugeSet(benchmark::State& state) {
  auto& gauge = metrics().variant("gpt-4o", "zero-shot").score(ScoreMetric::accv);
  double v = 0;
  for (auto _ : state)
    gauge.Set(v += 1e-6);
}
BENCHMARK(BM_GaugeSet);

void BM_InflightGuard(benchmark::State& state) {
  auto& endpoint = metrics().endpoint("openai");
  for (auto _ : state) {
    auto guard = endpoint.track_inflight();
    benchmark::DoNotOptimize(&guard);
  }
}
BENCHMARK(BM_InflightGuard);

// Everything one request updates: in-flight, cache miss, status, latency, two token counts,
// cost, the finished item (with its timestamp) and the five live scores.
void BM_PerRequestUpdates(benchmark::State& state) {
  auto& m = metrics();
  auto& endpoint = m.endpoint("openai");
  auto& model = m.model("openai", "gpt-4o");
  auto& variant = m.variant("gpt-4o", "zero-shot");
  auto& miss = m.cache_lookups(CacheResult::miss);
  for (auto _ : state) {
    auto guard = endpoint.track_inflight();
    miss.Increment();
    model.requests(RequestCode::http(200)).Increment();
    model.request_duration().Observe(0.8);
    model.tokens(TokenKind::prompt).Increment(310);
    model.tokens(TokenKind::completion).Increment(12);
    model.cost_usd().Increment(0.00091);
    variant.item_finished(ItemOutcome::ok);
    for (std::size_t i = 0; i < emosweep::metrics::score_metric_count; ++i) {
      variant.score(static_cast<ScoreMetric>(i)).Set(0.5);
    }
  }
}
BENCHMARK(BM_PerRequestUpdates);

// --- lookups by name (why handles are cached) ---------------------------------------------------

void BM_LookupByName(benchmark::State& state) {
  auto& m = metrics();
  for (auto _ : state)
    m.requests("openai", "gpt-4o", RequestCode::http(200)).Increment();
}
BENCHMARK(BM_LookupByName);

void BM_PrometheusFamilyAdd(benchmark::State& state) {
  // prometheus-cpp's own lookup: hash the label map under the family's mutex.
  auto& family =
      prometheus::BuildCounter().Name("bench_lookup_total").Register(metrics().registry());
  const std::map<std::string, std::string> labels{
      {"endpoint", "openai"}, {"model", "gpt-4o"}, {"code", "200"}};
  for (auto _ : state)
    family.Add(labels).Increment();
}
BENCHMARK(BM_PrometheusFamilyAdd);

// --- off the hot path: one scrape of a large sweep ---------------------------------------------

void BM_ScrapeLargeSweep(benchmark::State& state) {
  static SweepMetrics big("bench");
  static const bool filled = [] {
    // 4 endpoints x 20 models x 6 variants, a dozen status codes: ~3,000 series.
    for (int e = 0; e < 4; ++e) {
      for (int mo = 0; mo < 20; ++mo) {
        const std::string model = fmt::format("model-{}", mo);
        auto& h = big.model(fmt::format("endpoint-{}", e), model);
        for (unsigned code : {200u, 400u, 401u, 404u, 429u, 500u, 502u, 503u, 529u}) {
          h.requests(RequestCode::http(code)).Increment();
        }
        h.request_duration().Observe(1);
        for (int v = 0; v < 6; ++v) {
          big.variant(model, fmt::format("variant-{}", v)).score(ScoreMetric::accv).Set(0.5);
        }
      }
    }
    return true;
  }();
  benchmark::DoNotOptimize(filled);
  std::size_t bytes = 0;
  for (auto _ : state)
    bytes = big.serialize().size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ScrapeLargeSweep)->Unit(benchmark::kMicrosecond);

// --- ratios ------------------------------------------------------------------------------------

// Collects per-iteration times (ns) while printing the usual console table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const double ns =
          run.GetAdjustedRealTime() * (run.time_unit == benchmark::kMicrosecond ? 1e3 : 1.0);
      ns_per_op_[run.benchmark_name()] = ns;
    }
  }
  const std::map<std::string, double>& ns_per_op() const { return ns_per_op_; }

 private:
  std::map<std::string, double> ns_per_op_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto& t = reporter.ns_per_op();
  const auto find = [&](const std::string& name) {
    const auto it = t.find(name);
    return it == t.end() ? 0.0 : it->second;
  };
  const double reference = find("BM_AtomicAddRelaxed");
  const double reference_mt = find("BM_AtomicAddRelaxed/threads:2");
  if (reference <= 0) return 0;  // filtered out: nothing to compare with
  fmt::print(
      "\nRatios to a relaxed std::atomic add measured in this run ({:.2f} ns; "
      "2 threads on one counter: {:.2f} ns):\n",
      reference, reference_mt);
  for (const auto& [name, ns] : t) {
    if (name.starts_with("BM_AtomicAddRelaxed") || name.starts_with("BM_ScrapeLargeSweep")) {
      continue;
    }
    const bool mt = name.ends_with("/threads:2");
    const double base = mt && reference_mt > 0 ? reference_mt : reference;
    fmt::print("  {:<36} {:>9.2f} ns  {:>6.1f}x atomic{}\n", name, ns, ns / base,
               mt ? " (2 threads)" : "");
  }
  const double per_request = find("BM_PerRequestUpdates");
  if (per_request > 0) {
    constexpr double fastest_llm_request_ns = 25e6;  // 25 ms, the smallest latency bucket
    fmt::print(
        "\nAll updates of one request: {:.0f} ns = {:.1e} of a 25 ms LLM request "
        "({:.4f}%)\n",
        per_request, per_request / fastest_llm_request_ns,
        100 * per_request / fastest_llm_request_ns);
  }
  const double lookup = find("BM_LookupByName");
  const double cached = find("BM_CounterIncrement");
  if (lookup > 0 && cached > 0) {
    fmt::print("Lookup by name instead of a cached handle: {:.1f}x the cached increment\n",
               lookup / cached);
  }
  const double scrape = find("BM_ScrapeLargeSweep");
  if (scrape > 0) {
    fmt::print("One scrape of ~3,000 series: {:.2f} ms (on the exposer's thread, every 5 s)\n",
               scrape / 1e6);
  }
  return 0;
}
