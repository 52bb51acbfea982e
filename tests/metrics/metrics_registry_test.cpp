// SweepMetrics: every family of DESIGN.md §4 with exactly its labels, values after updates,
// process metrics, bounded and secret-free labels, and the ETA estimator.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metrics/detail/label_policy.hpp"
#include "metrics/detail/process_collector.hpp"
#include "metrics/eta.hpp"
#include "metrics/metrics.hpp"
#include "tests/metrics/exposition.hpp"

namespace emosweep::metrics {
namespace {

using ::testing::Contains;
using testing::Exposition;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::parse_exposition;
using Labels = std::map<std::string, std::string>;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Creates at least one series in every family.
void touch_everything(SweepMetrics& m) {
  m.endpoint("openai");
  m.model("openai", "gpt-4o").requests(RequestCode::http(200));
  m.variant("gpt-4o", "zero-shot").score(ScoreMetric::accv);
  m.budget_usd();
  m.eta_seconds();
}

// The contract of DESIGN.md §4, spelled out here independently of exported_families().
const std::map<std::string, std::set<std::string>>& design_families() {
  static const std::map<std::string, std::set<std::string>> families = {
      {"emosweep_requests_total", {"endpoint", "model", "code"}},
      {"emosweep_request_duration_seconds", {"endpoint", "model"}},
      {"emosweep_inflight_requests", {"endpoint"}},
      {"emosweep_retries_total", {"endpoint", "reason"}},
      {"emosweep_rate_limit_wait_seconds_total", {"endpoint"}},
      {"emosweep_tokens_total", {"endpoint", "model", "kind"}},
      {"emosweep_cost_usd_total", {"model"}},
      {"emosweep_cache_lookups_total", {"result"}},
      {"emosweep_items_planned", {"model", "variant"}},
      {"emosweep_items_done_total", {"model", "variant", "outcome"}},
      {"emosweep_score", {"model", "variant", "metric"}},
      {"emosweep_scoring_queue_depth", {}},
      {"emosweep_eta_seconds", {}},
      {"emosweep_build_info", {"version"}},
  };
  return families;
}

std::string family_of(const std::string& sample, const Exposition& e) {
  if (e.types.count(sample)) return sample;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (sample.size() > s.size() && sample.ends_with(s)) {
      const auto base = sample.substr(0, sample.size() - s.size());
      if (e.types.count(base) && e.types.at(base) == "histogram") return base;
    }
  }
  return {};
}

std::set<std::string> keys(const Labels& labels) {
  std::set<std::string> out;
  for (const auto& [k, v] : labels)
    out.insert(k);
  return out;
}

TEST(SweepMetrics, ExportsEveryDesignFamilyWithExactlyItsLabels) {
  SweepMetrics m("1.2.3");
  touch_everything(m);
  const Exposition e = parse_exposition(m.serialize());
  for (const auto& [name, labels] : design_families()) {
    ASSERT_TRUE(e.types.count(name)) << name << " is not exported";
    bool seen = false;
    for (const auto& s : e.samples) {
      if (family_of(s.name, e) != name) continue;
      seen = true;
      std::set<std::string> expected = labels;
      if (s.name == name + "_bucket") expected.insert("le");
      EXPECT_EQ(keys(s.labels), expected) << s.name;
    }
    EXPECT_TRUE(seen) << name << " has no sample";
  }
  EXPECT_EQ(e.types.at("emosweep_request_duration_seconds"), "histogram");
  EXPECT_EQ(e.types.at("emosweep_requests_total"), "counter");
  EXPECT_EQ(e.types.at("emosweep_score"), "gauge");
}

TEST(SweepMetrics, ExportsExactlyTheDeclaredFamiliesWithTheirTypesAndLabels) {
  SweepMetrics m("1.2.3");
  touch_everything(m);
  const Exposition e = parse_exposition(m.serialize());
  std::set<std::string> exported;
  for (const auto& [name, type] : e.types)
    exported.insert(name);
  const auto declared_names = exported_family_names();
  EXPECT_EQ(exported, std::set<std::string>(declared_names.begin(), declared_names.end()));
  for (const auto& info : exported_families()) {
    const std::string name(info.name);
    ASSERT_TRUE(e.types.count(name)) << name;
    EXPECT_EQ(e.types.at(name), info.type) << name;
    EXPECT_TRUE(name.starts_with("emosweep_") || name.starts_with("process_")) << name;
    EXPECT_FALSE(info.help.empty()) << name;
    EXPECT_EQ(info.type == "counter", name.ends_with("_total")) << name;
    const std::set<std::string> labels(info.labels.begin(), info.labels.end());
    for (const auto& s : e.samples) {
      if (family_of(s.name, e) != name) continue;
      std::set<std::string> expected = labels;
      if (s.name == name + "_bucket") expected.insert("le");
      EXPECT_EQ(keys(s.labels), expected) << s.name;
    }
  }
  for (const auto& [name, labels] : design_families()) {
    EXPECT_THAT(declared_names, Contains(name));
  }
}

TEST(SweepMetrics, SampleNamesIncludeHistogramSeriesAndProcessMetrics) {
  const auto names = exported_sample_names();
  for (const char* n :
       {"emosweep_request_duration_seconds_bucket", "emosweep_request_duration_seconds_sum",
        "emosweep_request_duration_seconds_count", "emosweep_requests_total",
        "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
        "process_max_fds", "process_virtual_memory_bytes", "process_start_time_seconds"}) {
    EXPECT_THAT(names, Contains(std::string(n)));
  }
  EXPECT_THAT(names, Not(Contains(std::string("emosweep_requests_total_bucket"))));
}

TEST(SweepMetrics, DurationBucketsSpanTensOfMillisecondsToMinutes) {
  const auto& b = request_duration_buckets();
  ASSERT_GE(b.size(), 10u);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_EQ(std::adjacent_find(b.begin(), b.end()), b.end());
  EXPECT_LE(b.front(), 0.05);
  EXPECT_GE(b.back(), 120.0);
}

TEST(SweepMetrics, ValuesAfterUpdates) {
  SweepMetrics m("1.2.3");
  auto& h = m.model("openai", "gpt-4o");
  h.requests(RequestCode::http(200)).Increment(3);
  h.requests(RequestCode::http(429)).Increment();
  h.requests(RequestCode::transport(TransportError::timeout)).Increment(2);
  h.request_duration().Observe(0.3);
  h.request_duration().Observe(7);
  h.tokens(TokenKind::prompt).Increment(1200);
  h.tokens(TokenKind::completion).Increment(34);
  h.cost_usd().Increment(0.125);
  auto& e = m.endpoint("openai");
  e.retries(RetryReason::rate_limited).Increment();
  e.rate_limit_wait_seconds().Increment(1.5);
  e.concurrency_limit().Set(48);
  e.stopped(StopReason::quota).Set(1);
  m.cache_lookups(CacheResult::hit).Increment(5);
  m.cache_lookups(CacheResult::miss).Increment(7);
  auto& v = m.variant("gpt-4o", "zero-shot");
  v.planned().Set(100);
  v.item_finished(ItemOutcome::ok);
  v.item_finished(ItemOutcome::ok);
  v.item_finished(ItemOutcome::failed);
  v.score(ScoreMetric::accl).Set(0.25);
  m.scoring_queue_depth().Set(4);
  m.eta_seconds().Set(3600);
  m.budget_usd().Set(20);

  const Exposition x = parse_exposition(m.serialize());
  const Labels em{{"endpoint", "openai"}, {"model", "gpt-4o"}};
  auto with = [](Labels l, const std::string& k, const std::string& v) {
    l[k] = v;
    return l;
  };
  EXPECT_EQ(x.value("emosweep_requests_total", with(em, "code", "200")), 3);
  EXPECT_EQ(x.value("emosweep_requests_total", with(em, "code", "429")), 1);
  EXPECT_EQ(x.value("emosweep_requests_total", with(em, "code", "timeout")), 2);
  EXPECT_EQ(x.value("emosweep_request_duration_seconds_count", em), 2);
  EXPECT_DOUBLE_EQ(*x.value("emosweep_request_duration_seconds_sum", em), 7.3);
  EXPECT_EQ(x.value("emosweep_request_duration_seconds_bucket", with(em, "le", "0.25")), 0);
  EXPECT_EQ(x.value("emosweep_request_duration_seconds_bucket", with(em, "le", "0.5")), 1);
  EXPECT_EQ(x.value("emosweep_request_duration_seconds_bucket", with(em, "le", "5")), 1);
  EXPECT_EQ(x.value("emosweep_request_duration_seconds_bucket", with(em, "le", "10")), 2);
  EXPECT_EQ(x.value("emosweep_request_duration_seconds_bucket", with(em, "le", "+Inf")), 2);
  EXPECT_EQ(x.value("emosweep_tokens_total", with(em, "kind", "prompt")), 1200);
  EXPECT_EQ(x.value("emosweep_tokens_total", with(em, "kind", "completion")), 34);
  EXPECT_EQ(x.value("emosweep_cost_usd_total", {{"model", "gpt-4o"}}), 0.125);
  EXPECT_EQ(x.value("emosweep_retries_total", {{"endpoint", "openai"}, {"reason", "rate_limited"}}),
            1);
  EXPECT_EQ(x.value("emosweep_retries_total", {{"endpoint", "openai"}, {"reason", "timeout"}}), 0);
  EXPECT_EQ(x.value("emosweep_rate_limit_wait_seconds_total", {{"endpoint", "openai"}}), 1.5);
  EXPECT_EQ(x.value("emosweep_concurrency_limit", {{"endpoint", "openai"}}), 48);
  EXPECT_EQ(x.value("emosweep_endpoint_stopped", {{"endpoint", "openai"}, {"reason", "quota"}}), 1);
  EXPECT_EQ(x.value("emosweep_endpoint_stopped", {{"endpoint", "openai"}, {"reason", "budget"}}),
            0);
  EXPECT_EQ(x.value("emosweep_inflight_requests", {{"endpoint", "openai"}}), 0);
  EXPECT_EQ(x.value("emosweep_cache_lookups_total", {{"result", "hit"}}), 5);
  EXPECT_EQ(x.value("emosweep_cache_lookups_total", {{"result", "miss"}}), 7);
  const Labels mv{{"model", "gpt-4o"}, {"variant", "zero-shot"}};
  EXPECT_EQ(x.value("emosweep_items_planned", mv), 100);
  EXPECT_EQ(x.value("emosweep_items_done_total", with(mv, "outcome", "ok")), 2);
  EXPECT_EQ(x.value("emosweep_items_done_total", with(mv, "outcome", "invalid")), 0);
  EXPECT_EQ(x.value("emosweep_items_done_total", with(mv, "outcome", "failed")), 1);
  EXPECT_EQ(x.value("emosweep_score", with(mv, "metric", "accl")), 0.25);
  // Scores appear only once set: no misleading 0 on the leaderboard.
  EXPECT_EQ(x.value("emosweep_score", with(mv, "metric", "accv")), std::nullopt);
  EXPECT_EQ(x.value("emosweep_scoring_queue_depth"), 4);
  EXPECT_EQ(x.value("emosweep_eta_seconds"), 3600);
  EXPECT_EQ(x.value("emosweep_budget_usd"), 20);
  EXPECT_EQ(x.value("emosweep_build_info", {{"version", "1.2.3"}}), 1);
}

TEST(SweepMetrics, OptionalGaugesAreAbsentUntilSet) {
  SweepMetrics m("1.2.3");
  const std::string text = m.serialize();
  EXPECT_THAT(text, Not(HasSubstr("emosweep_budget_usd ")));
  EXPECT_THAT(text, Not(HasSubstr("emosweep_eta_seconds ")));
  EXPECT_THAT(text, HasSubstr("emosweep_build_info{version=\"1.2.3\"} 1\n"));
}

TEST(SweepMetrics, ProgressTimestampStartsAtConstructionAndMovesWithFinishedItems) {
  const double before = unix_now();
  SweepMetrics m("1.2.3");
  const double after = unix_now();
  const double start = m.last_progress_timestamp().Value();
  EXPECT_GE(start, before - 1e-3);
  EXPECT_LE(start, after + 1e-3);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  m.variant("m", "v").item_finished(ItemOutcome::invalid);
  EXPECT_GT(m.last_progress_timestamp().Value(), start);
  EXPECT_EQ(m.items_done("m", "v", ItemOutcome::invalid).Value(), 1);
}

TEST(SweepMetrics, HandlesAreStableAndShared) {
  SweepMetrics m("1.2.3");
  auto& a = m.model("openai", "gpt-4o");
  EXPECT_EQ(&a, &m.model("openai", "gpt-4o"));
  EXPECT_NE(&a, &m.model("azure", "gpt-4o"));
  EXPECT_EQ(&a.requests(RequestCode::http(200)), &a.requests(RequestCode::http(200)));
  EXPECT_EQ(&a.requests(RequestCode::http(200)),
            &m.requests("openai", "gpt-4o", RequestCode::http(200)));
  EXPECT_NE(&a.requests(RequestCode::http(200)), &a.requests(RequestCode::http(500)));
  // One cost counter per model, whichever endpoint serves it.
  EXPECT_EQ(&a.cost_usd(), &m.cost_usd("gpt-4o"));
  EXPECT_EQ(&a.cost_usd(), &m.model("azure", "gpt-4o").cost_usd());
  EXPECT_EQ(&m.endpoint("openai"), &m.endpoint("openai"));
  EXPECT_EQ(&m.endpoint("openai").inflight(), &m.inflight("openai"));
  EXPECT_EQ(&m.variant("gpt-4o", "cot").score(ScoreMetric::f1v),
            &m.score("gpt-4o", "cot", ScoreMetric::f1v));
  EXPECT_EQ(&m.budget_usd(), &m.budget_usd());
  EXPECT_EQ(&m.eta_seconds(), &m.eta_seconds());
}

TEST(SweepMetrics, InflightGuardCountsUntilDestroyedAndMoves) {
  SweepMetrics m("1.2.3");
  auto& e = m.endpoint("vllm");
  {
    auto g1 = e.track_inflight();
    auto g2 = e.track_inflight();
    EXPECT_EQ(e.inflight().Value(), 2);
    auto moved = std::move(g1);
    EXPECT_EQ(e.inflight().Value(), 2);
  }
  EXPECT_EQ(e.inflight().Value(), 0);
}

TEST(SweepMetrics, ConcurrentUpdatesThroughCachedHandlesAreExact) {
  SweepMetrics m("1.2.3");
  constexpr int threads = 4, per_thread = 20000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&m, t] {
      auto& h = m.model("openai", "gpt-4o");  // resolved concurrently too
      for (int i = 0; i < per_thread; ++i) {
        // Each thread also creates codes lazily, racing the others.
        h.requests(RequestCode::http(200 + static_cast<unsigned>(i % 3))).Increment();
        h.tokens(TokenKind::prompt).Increment(2);
        m.variant("gpt-4o", "v" + std::to_string(t % 2)).done(ItemOutcome::ok).Increment();
      }
    });
  }
  for (auto& w : workers)
    w.join();
  auto& h = m.model("openai", "gpt-4o");
  double total = 0;
  for (unsigned code : {200u, 201u, 202u})
    total += h.requests(RequestCode::http(code)).Value();
  EXPECT_EQ(total, threads * per_thread);
  EXPECT_EQ(h.tokens(TokenKind::prompt).Value(), 2.0 * threads * per_thread);
  EXPECT_EQ(m.items_done("gpt-4o", "v0", ItemOutcome::ok).Value(), 2.0 * per_thread);
  EXPECT_EQ(m.items_done("gpt-4o", "v1", ItemOutcome::ok).Value(), 2.0 * per_thread);
}

TEST(RequestCode, LabelsAndSlots) {
  EXPECT_EQ(RequestCode::http(200).label(), "200");
  EXPECT_EQ(RequestCode::http(429).label(), "429");
  EXPECT_EQ(RequestCode::http(599).label(), "599");
  EXPECT_EQ(RequestCode::http(100).label(), "100");
  EXPECT_EQ(RequestCode::http(99).label(), "invalid_status");
  EXPECT_EQ(RequestCode::http(600).label(), "invalid_status");
  EXPECT_EQ(RequestCode::http(0).label(), "invalid_status");
  EXPECT_EQ(RequestCode::transport(TransportError::timeout).label(), "timeout");
  EXPECT_EQ(RequestCode::transport(TransportError::reset).label(), "reset");
  EXPECT_EQ(RequestCode::transport(TransportError::connect).label(), "connect");
  EXPECT_EQ(RequestCode::transport(TransportError::other).label(), "other");
  std::set<std::size_t> slots;
  std::set<std::string_view> labels;
  for (unsigned s = 100; s <= 599; ++s) {
    slots.insert(RequestCode::http(s).slot());
    labels.insert(RequestCode::http(s).label());
  }
  slots.insert(RequestCode::http(42).slot());
  for (std::size_t e = 0; e < transport_error_count; ++e) {
    const auto code = RequestCode::transport(static_cast<TransportError>(e));
    slots.insert(code.slot());
    labels.insert(code.label());
  }
  EXPECT_EQ(slots.size(), RequestCode::slot_count);
  EXPECT_LT(*slots.rbegin(), RequestCode::slot_count);
  EXPECT_EQ(labels.size(), 500 + transport_error_count);
}

TEST(ClosedLabelSets, SpellTheDesignValues) {
  EXPECT_EQ(to_string(TokenKind::prompt), "prompt");
  EXPECT_EQ(to_string(TokenKind::completion), "completion");
  EXPECT_EQ(to_string(CacheResult::hit), "hit");
  EXPECT_EQ(to_string(CacheResult::miss), "miss");
  EXPECT_EQ(to_string(ItemOutcome::ok), "ok");
  EXPECT_EQ(to_string(ItemOutcome::invalid), "invalid");
  EXPECT_EQ(to_string(ItemOutcome::failed), "failed");
  const std::vector<std::string_view> scores = {"vrate", "accl", "accv", "f1v", "accv2"};
  for (std::size_t i = 0; i < score_metric_count; ++i) {
    EXPECT_EQ(to_string(static_cast<ScoreMetric>(i)), scores[i]);
  }
  EXPECT_EQ(to_string(StopReason::quota), "quota");
  EXPECT_EQ(to_string(RetryReason::rate_limited), "rate_limited");
}

// --- No secrets, no text, bounded labels ---------------------------------------------------------

constexpr const char* kApiKey = "sk-test-SECRET0123456789abcdefABCDEF";
constexpr const char* kPrompt =
    "You are an assistant tasked with predicting emotion words masked as <mask> in a given "
    "self-disclosure text from social media. Predict the 1 <mask> token(s) based on the context.";

TEST(ScrapeHygiene, NeverShowsAnApiKeyOrAPrompt) {
  SweepMetrics m("1.2.3");
  m.add_secret(kApiKey);
  const std::string key(kApiKey);
  const std::string prompt(kPrompt);
  // Everywhere a careless caller could pass them: names, models, variants, costs.
  m.endpoint(key).inflight().Increment();
  m.endpoint("openai?key=" + key).retries(RetryReason::timeout).Increment();
  m.model(key, prompt).requests(RequestCode::http(200)).Increment();
  m.model("openai", "Bearer " + key).tokens(TokenKind::prompt).Increment(5);
  m.variant(prompt, "zero-shot").planned().Set(1);
  m.variant("gpt-4o", prompt).item_finished(ItemOutcome::ok);
  m.variant("gpt-4o", "I feel <mask>\nand then").score(ScoreMetric::accv).Set(1);
  m.cost_usd(prompt.substr(0, 60)).Increment(1);
  m.endpoint_stopped(key, StopReason::auth).Set(1);
  // An unregistered key-shaped value is caught too.
  m.endpoint("sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123").inflight().Increment();

  const std::string text = m.serialize();
  EXPECT_THAT(text, Not(HasSubstr("SECRET0123456789")));
  EXPECT_THAT(text, Not(HasSubstr("AbCdEfGhIjKlMnOp")));
  EXPECT_THAT(text, Not(HasSubstr("assistant")));
  EXPECT_THAT(text, Not(HasSubstr("self-disclosure")));
  EXPECT_THAT(text, Not(HasSubstr("mask")));
  EXPECT_THAT(text, Not(HasSubstr("You_are")));
  const Exposition x = parse_exposition(text);
  for (const auto& s : x.samples) {
    for (const auto& [k, v] : s.labels) {
      EXPECT_LE(v.size(), detail::LabelPolicy::max_value_bytes) << s.name;
      EXPECT_EQ(v.find(' '), std::string::npos) << s.name << " " << k << "=" << v;
      EXPECT_EQ(v.find('\n'), std::string::npos) << s.name << " " << k;
    }
  }
  EXPECT_EQ(x.value("emosweep_inflight_requests", {{"endpoint", "redacted"}}), 2);
  EXPECT_EQ(x.value("emosweep_requests_total",
                    {{"endpoint", "redacted"}, {"model", "invalid"}, {"code", "200"}}),
            1);
  EXPECT_EQ(
      x.value("emosweep_score", {{"model", "gpt-4o"}, {"variant", "invalid"}, {"metric", "accv"}}),
      1);
}

TEST(LabelPolicy, KeepsOrdinaryNamesAndReplacesTheRest) {
  detail::LabelPolicy p;
  using detail::Dimension;
  EXPECT_EQ(p.sanitise(Dimension::model, "meta-llama/Llama-3.1-8B-Instruct"),
            "meta-llama/Llama-3.1-8B-Instruct");
  EXPECT_EQ(p.sanitise(Dimension::model, "qwen2.5:7b"), "qwen2.5:7b");
  EXPECT_EQ(p.sanitise(Dimension::model, "gpt-4o@2024-08-06+x"), "gpt-4o@2024-08-06+x");
  EXPECT_EQ(p.sanitise(Dimension::variant, "few shot"), "few_shot");
  EXPECT_EQ(p.sanitise(Dimension::variant, "k=5,t=0.7"), "k_5_t_0.7");
  EXPECT_EQ(p.sanitise(Dimension::variant, "émotion"), "__motion");
  EXPECT_EQ(p.sanitise(Dimension::variant, ""), "unknown");
  EXPECT_EQ(p.sanitise(Dimension::variant, "a b c d"), "invalid");
  EXPECT_EQ(p.sanitise(Dimension::variant, "tab\there"), "tab_here");
  EXPECT_EQ(p.sanitise(Dimension::variant, "line\nbreak"), "invalid");
  EXPECT_EQ(p.sanitise(Dimension::variant, std::string(97, 'x')), "invalid");
  EXPECT_EQ(p.sanitise(Dimension::variant, std::string(96, 'x')), std::string(96, 'x'));
  EXPECT_EQ(p.sanitise(Dimension::endpoint, "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"), "redacted");
  EXPECT_EQ(p.sanitise(Dimension::endpoint, "AIzaSyA1234567890abcdefghijklmnop"), "redacted");
  EXPECT_EQ(p.sanitise(Dimension::endpoint, "sk-short"), "sk-short");  // too short to be a key
  p.add_secret("short");  // ignored: would match innocent names
  EXPECT_EQ(p.sanitise(Dimension::endpoint, "shortlist"), "shortlist");
  p.add_secret("tenant-42-private");
  EXPECT_EQ(p.sanitise(Dimension::endpoint, "https://tenant-42-private.example.com"), "redacted");
}

TEST(LabelPolicy, CapsTheNumberOfDistinctValuesPerDimension) {
  SweepMetrics m("1.2.3");
  // A caller passing per-item data as the variant: 1000 distinct values.
  for (int i = 0; i < 1000; ++i)
    m.variant("gpt-4o", "item-" + std::to_string(i)).planned().Set(1);
  const Exposition x = parse_exposition(m.serialize());
  std::set<std::string> variants;
  for (const auto& s : x.samples) {
    if (s.name == "emosweep_items_planned") variants.insert(s.labels.at("variant"));
  }
  EXPECT_EQ(variants.size(), detail::LabelPolicy::max_values_per_dimension + 1);
  EXPECT_TRUE(variants.count("other"));
  EXPECT_TRUE(variants.count("item-0"));
  EXPECT_FALSE(variants.count("item-999"));
  // Other dimensions are counted separately.
  EXPECT_EQ(&m.model("e", "gpt-4o"), &m.model("e", "gpt-4o"));
  EXPECT_EQ(parse_exposition(m.serialize()).value("emosweep_cost_usd_total", {{"model", "gpt-4o"}}),
            0);
}

// --- Process metrics -------------------------------------------------------------------------

TEST(ProcessMetrics, PresentAndPlausible) {
  SweepMetrics m("1.2.3");
  const Exposition x = parse_exposition(m.serialize());
  const auto rss = x.value("process_resident_memory_bytes");
  const auto vsz = x.value("process_virtual_memory_bytes");
  const auto fds = x.value("process_open_fds");
  const auto max_fds = x.value("process_max_fds");
  const auto start = x.value("process_start_time_seconds");
  const auto cpu = x.value("process_cpu_seconds_total");
  ASSERT_TRUE(rss && vsz && fds && max_fds && start && cpu);
  EXPECT_GT(*rss, 1024 * 1024);
  EXPECT_GE(*vsz, *rss);
  EXPECT_GE(*fds, 3);
  EXPECT_LE(*fds, *max_fds);
  EXPECT_GE(*cpu, 0);
  EXPECT_LE(*start, unix_now() + 1);
  EXPECT_GT(*start, unix_now() - 24 * 3600);
  EXPECT_EQ(x.types.at("process_cpu_seconds_total"), "counter");
  EXPECT_EQ(x.types.at("process_resident_memory_bytes"), "gauge");
}

TEST(ProcessMetrics, OpenFdsFollowTheProcess) {
  const double before = *detail::read_process_sample().open_fds;
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i)
    fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const double during = *detail::read_process_sample().open_fds;
  for (int fd : fds)
    ::close(fd);
  EXPECT_EQ(during - before, 8);
}

TEST(ProcessMetrics, CpuSecondsGrowWithWork) {
  const double before = *detail::read_process_sample().cpu_seconds;
  // Spin until the kernel has charged us a tick (10 ms); the bound only stops a broken reader.
  volatile double sink = 0;
  double after = before;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (after <= before && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 100000; ++i)
      sink = sink + std::sqrt(sink + 1.0);
    after = *detail::read_process_sample().cpu_seconds;
  }
  EXPECT_GT(after, before);
}

TEST(ProcParsers, Stat) {
  // Field 2 may hold spaces and parentheses; utime=150, stime=50 ticks, starttime=1000 ticks,
  // vsize=123456789.
  const std::string stat =
      "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 1000 "
      "123456789 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  const auto f = detail::parse_proc_stat(stat, 100);
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->cpu_seconds, 2.0);
  EXPECT_DOUBLE_EQ(f->start_ticks, 1000);
  EXPECT_DOUBLE_EQ(f->virtual_bytes, 123456789);
  EXPECT_FALSE(detail::parse_proc_stat("4242 (x) S 1 2", 100));
  EXPECT_FALSE(detail::parse_proc_stat("garbage", 100));
}

TEST(ProcParsers, StatusLimitsAndBootTime) {
  const std::string status =
      "Name:\tx\nVmPeak:\t  9000 kB\nVmSize:\t  8000 kB\nVmRSS:\t  2048 kB\n";
  EXPECT_EQ(detail::parse_status_kb(status, "VmRSS"), 2048.0 * 1024);
  EXPECT_EQ(detail::parse_status_kb(status, "VmSize"), 8000.0 * 1024);
  EXPECT_EQ(detail::parse_status_kb(status, "VmSwap"), std::nullopt);
  const std::string limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 524288               files     \n";
  EXPECT_EQ(detail::parse_max_open_files(limits), 1024);
  EXPECT_EQ(detail::parse_max_open_files(
                "Max open files            unlimited            unlimited            files\n"),
            std::nullopt);
  EXPECT_EQ(detail::parse_boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000);
  EXPECT_EQ(detail::parse_boot_time("cpu  1 2 3\n"), std::nullopt);
}

// --- ETA ---------------------------------------------------------------------------------------

TEST(EtaEstimator, FromTheRateOverTheWindow) {
  using namespace std::chrono_literals;
  EtaEstimator eta(300s);
  const EtaEstimator::Clock::time_point t0{};
  EXPECT_EQ(eta.eta_seconds(), std::nullopt);
  eta.observe(t0, 0, 100);
  EXPECT_EQ(eta.eta_seconds(), std::nullopt);  // no rate yet
  eta.observe(t0 + 10s, 10, 100);
  ASSERT_TRUE(eta.eta_seconds());
  EXPECT_DOUBLE_EQ(*eta.eta_seconds(), 90.0);  // 1 item/s, 90 left
  eta.observe(t0 + 20s, 30, 100);
  EXPECT_DOUBLE_EQ(*eta.eta_seconds(), 70.0 / 1.5);  // 30 items in 20 s
  eta.observe(t0 + 30s, 100, 100);
  EXPECT_EQ(eta.eta_seconds(), 0.0);
}

TEST(EtaEstimator, ForgetsBurstsOlderThanTheWindow) {
  using namespace std::chrono_literals;
  EtaEstimator eta(60s);
  const EtaEstimator::Clock::time_point t0{};
  // A burst of cache hits: 500 items in the first 5 seconds...
  eta.observe(t0, 0, 1000);
  eta.observe(t0 + 5s, 500, 1000);
  // ...then 1 item/s for three minutes.
  std::uint64_t done = 500;
  for (int s = 6; s <= 185; ++s)
    eta.observe(t0 + std::chrono::seconds(s), ++done, 1000);
  ASSERT_TRUE(eta.eta_seconds());
  EXPECT_NEAR(*eta.eta_seconds(), static_cast<double>(1000 - done), 2.0);
  // No progress for longer than the window: no estimate rather than a stale one.
  eta.observe(t0 + 300s, done, 1000);
  EXPECT_EQ(eta.eta_seconds(), std::nullopt);
}

}  // namespace
}  // namespace emosweep::metrics
