// `emosweep run` end to end against a real mock provider process: outputs agree with
// `emosweep score`, reruns send nothing, kill -9 loses at most what was in flight, rate limits
// are kept, faults are survived, and nothing wrong is cached.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "tests/integration/sweep_fixture.hpp"

namespace emosweep::testing {
namespace {

std::string sweep_yaml(const std::string& name, const Dataset& d, const std::string& origin,
                       const std::string& dir, const std::string& endpoint_extra,
                       const std::string& models, const std::string& prompts,
                       const std::string& top_extra = "") {
  return "name: " + name + "\n" + "dataset:\n  path: " + d.path + "\n" + top_extra +
         "lexicon: " + d.lexicon + "\n" + "cache: " + dir + "/cache\n" + "output: " + dir +
         "/out\n" +
         "endpoints:\n"
         "  - name: oa\n    dialect: openai\n    base_url: " +
         origin + "/v1\n" + endpoint_extra +
         "  - name: an\n    dialect: anthropic\n    base_url: " + origin + "\n" + endpoint_extra +
         "models:\n" + models + "prompts:\n" + prompts;
}

const std::string kTwoModels =
    "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { temperature: 0, max_tokens: 64 } "
    "}\n"
    "  - { name: claude, endpoint: an, model: claude-3-5-haiku, params: { temperature: 0, "
    "max_tokens: 64 } }\n";
const std::string kThreePrompts =
    "  - { name: zero, template: express-zero-shot }\n"
    "  - { name: few, template: express-few-shot, shots: 2 }\n"
    "  - { name: cot, template: express-cot }\n";

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& text) {
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(text).get(e), simdjson::SUCCESS) << text.substr(0, 300);
  return e;
}

TEST(RunEndToEnd, SummaryEqualsScoreOnPredictionsAndRerunSendsNothing) {
  TempDir dir("e2e");
  MockProcess mock(dir, {"--seed", "7"});
  ASSERT_NE(mock.port(), 0);
  const Dataset d = sample_or_demo();
  const std::string sweep = dir / "sweep.yaml";
  write(sweep, sweep_yaml("e2e", d, mock.origin(), dir.path().string(),
                          "    limits: { concurrency: 32 }\n", kTwoModels, kThreePrompts));
  auto r = run_sweep(sweep);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::int64_t sent = mock.requests();
  const std::string summary1 = read_text(dir / "out/summary.json");
  simdjson::dom::parser p;
  auto summary = parse(p, summary1);
  simdjson::dom::array configs = summary;
  ASSERT_EQ(configs.size(), 6u);
  std::int64_t rows_total = 0;
  for (auto c : configs) {
    const std::string model{std::string_view(c["model"])}, variant{std::string_view(c["variant"])};
    rows_total += int64_t(c["rows"]);
    EXPECT_EQ(int64_t(c["failed"]), 0);
    // `emosweep score` on the written predictions gives the same numbers.
    const std::string pred = dir / ("out/predictions/" + model + "__" + variant + ".csv");
    const auto s =
        run_command(kBin + " score " + shell_quote(pred) + " --lexicon " + shell_quote(d.lexicon) +
                    (variant == "cot" ? " --parse lenient" : ""));
    ASSERT_EQ(s.exit_code, 0) << s.err;
    simdjson::dom::parser p2;
    auto scored = parse(p2, s.out);
    for (const char* k : {"rows", "valid_rows", "masks"})
      EXPECT_EQ(int64_t(c[k]), int64_t(scored[k])) << model << variant << k;
    for (const char* k : {"vrate", "accl", "accv", "f1v", "accv2"})
      EXPECT_NEAR(double(c[k]), double(scored[k]), 1e-12) << model << " " << variant << " " << k;
    EXPECT_GT(int64_t(c["requests"]), 0);
    EXPECT_EQ(int64_t(c["cache_hits"]), 0);
  }
  // Nothing was sent twice: identical prompts (the sample repeats a few segments) were sent
  // once and shared (single flight), every other unit cost exactly one request.
  auto stats = mock.stats();
  EXPECT_EQ(int64_t(stats["max_per_prompt"]), 1) << r.err;
  EXPECT_EQ(sent, int64_t(stats["prompts"]));
  EXPECT_LE(sent, rows_total);
  EXPECT_GE(sent, rows_total * 99 / 100);

  // The second run replays everything: zero requests, identical summary.
  r = run_sweep(sweep);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mock.requests(), sent);
  EXPECT_EQ(read_text(dir / "out/summary.json"), summary1);
  EXPECT_NE(r.out.find("0 request(s) sent"), std::string::npos) << r.out;
}

TEST(RunEndToEnd, KillNineAtRandomPointsLosesAtMostWhatWasInFlight) {
  TempDir dir("kill");
  MockProcess mock(dir, {"--latency", "fixed:15", "--seed", "3"});
  ASSERT_NE(mock.port(), 0);
  const Dataset d = sample_or_demo();
  const int concurrency = 8;
  const std::string limits = "    limits: { concurrency: " + std::to_string(concurrency) + " }\n";
  const std::string one_model =
      "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { temperature: 0 } }\n";
  const std::string prompts = "  - { name: zero, template: express-zero-shot }\n";
  const std::string limit = "  limit: 600\n";
  // The reference: an uninterrupted run with its own cache.
  TempDir ref("kill_ref");
  write(ref / "sweep.yaml", sweep_yaml("killtest", d, mock.origin(), ref.path().string(), limits,
                                       one_model, prompts, limit));
  auto r = run_sweep(ref / "sweep.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string reference = read_text(ref / "out/summary.json");
  const std::int64_t distinct_prompts = int64_t(mock.stats()["prompts"]);
  mock.reset();

  const std::string sweep = dir / "sweep.yaml";
  write(sweep, sweep_yaml("killtest", d, mock.origin(), dir.path().string(), limits, one_model,
                          prompts, limit));
  std::mt19937 rng(12345);
  const int kills = 3;
  for (int k = 0; k < kills; ++k) {
    Child run({kBin, "run", sweep, "--metrics-addr", "off", "--progress", "none"}, dir / "run.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(250 + rng() % 400));
    run.signal(SIGKILL);
    run.wait(std::chrono::seconds(10));
  }
  r = run_sweep(sweep);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir / "out/summary.json"), reference);
  // Every prompt was requested; duplicates only for what was in flight at each kill.
  auto stats = mock.stats(true);
  std::int64_t total = 0, distinct = 0;
  for (auto [key, count] : simdjson::dom::object(stats["per_prompt"])) {
    total += int64_t(count);
    ++distinct;
  }
  EXPECT_EQ(distinct, distinct_prompts);
  EXPECT_LE(total - distinct, kills * concurrency) << "total " << total;
}

TEST(RunEndToEnd, FaultsAreSurvivedAndNothingWrongIsCached) {
  TempDir dir("faults");
  MockProcess faulty(dir, {"--fault", "500=0.05,503=0.02,drop=0.02,malformed=0.03", "--seed", "11"},
                     "faulty");
  MockProcess clean(dir, {"--seed", "11"}, "clean");
  const Dataset d = sample_or_demo();
  const std::string models =
      "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { temperature: 0 } }\n"
      "  - { name: claude, endpoint: an, model: claude-3-5-haiku, params: { temperature: 0 } }\n";
  const std::string prompts = "  - { name: zero, template: express-zero-shot }\n";
  const std::string limits =
      "    limits: { concurrency: 16 }\n    retries: { base_delay: 0.01, max_delay: 0.2 }\n";
  TempDir a("faults_a"), b("faults_b");
  write(a / "sweep.yaml", sweep_yaml("faults", d, faulty.origin(), a.path().string(), limits,
                                     models, prompts, "  limit: 400\n"));
  write(b / "sweep.yaml", sweep_yaml("faults", d, clean.origin(), b.path().string(), limits, models,
                                     prompts, "  limit: 400\n"));
  auto r = run_sweep(a / "sweep.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  simdjson::dom::parser p;
  for (auto c : simdjson::dom::array(parse(p, read_text(a / "out/summary.json")))) {
    EXPECT_EQ(int64_t(c["failed"]), 0);
    EXPECT_EQ(int64_t(c["rows"]), 400);
    EXPECT_GT(int64_t(c["retries"]), 0);
  }
  ASSERT_EQ(run_sweep(b / "sweep.yaml").exit_code, 0);
  // Every stored answer is exactly what the fault-free mock answers for the same unit: nothing
  // broken (a truncated or malformed body) was stored. Keys differ between the two runs (the
  // base URLs differ), so units are matched through results.jsonl.
  auto outputs = [&](const TempDir& t) {
    std::map<std::string, std::string> by_unit, by_key;
    std::stringstream ss(read_text(t / "out/results.jsonl"));
    std::string line;
    simdjson::dom::parser lp;
    while (std::getline(ss, line)) {
      auto row = parse(lp, line);
      const std::string unit = std::string(std::string_view(row["model"])) + "|" +
                               std::string(std::string_view(row["variant"])) + "|" +
                               std::string(std::string_view(row["item"]));
      by_unit[unit] = std::string(std::string_view(row["output"]));
      by_key[std::string(std::string_view(row["key"]))] =
          std::string(std::string_view(row["output"]));
    }
    return std::make_pair(by_unit, by_key);
  };
  const auto [units_a, keys_a] = outputs(a);
  const auto [units_b, keys_b] = outputs(b);
  EXPECT_EQ(units_a.size(), 800u);
  EXPECT_EQ(units_a, units_b);
  const auto e = run_command(kBin + " cache export --cache " + shell_quote(a / "cache"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::stringstream ss(e.out);
  std::string line;
  simdjson::dom::parser lp;
  std::size_t entries = 0;
  while (std::getline(ss, line)) {
    auto obj = parse(lp, line);
    const std::string key{std::string_view(obj["key"])};
    ASSERT_TRUE(keys_a.count(key)) << key;
    EXPECT_EQ(std::string(std::string_view(obj["text"])), keys_a.at(key));
    ++entries;
  }
  EXPECT_EQ(entries, keys_a.size());
}

TEST(RunEndToEnd, ConfiguredRateLimitIsUsedWithoutTripping429s) {
  TempDir dir("ratelimit");
  // 1,200 requests per minute = 20/s, enforced over a one-second window so that bursts trip it.
  MockProcess mock(dir, {"--rpm", "1200", "--rate-window-ms", "1000", "--seed", "5"});
  const Dataset d = sample_or_demo();
  const std::string model =
      "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { temperature: 0 } }\n";
  const std::string prompts = "  - { name: zero, template: express-zero-shot }\n";
  write(dir / "sweep.yaml", sweep_yaml("rl", d, mock.origin(), dir.path().string(),
                                       "    limits: { concurrency: 32, rpm: 1200 }\n", model,
                                       prompts, "  limit: 160\n"));
  const auto start = std::chrono::steady_clock::now();
  auto r = run_sweep(dir / "sweep.yaml");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto stats = mock.stats();
  const std::int64_t total = int64_t(stats["requests"]);
  std::int64_t r429 = 0;
  if (auto v = stats["responses_by_status"]["429"]; v.error() == simdjson::SUCCESS)
    r429 = int64_t(v.value());
  EXPECT_LE(r429 * 100, total) << r429 << " of " << total;  // <= 1% 429s
  // >= 95% of the limit: 160 requests at 20/s take 8 s; allow 5% plus start-up.
  EXPECT_LE(seconds, 160 / 20.0 / 0.95 + 1.5) << "took " << seconds << " s";
}

TEST(RunEndToEnd, UnconfiguredRateLimitStillFinishesWithAdaptiveControl) {
  TempDir dir("adaptive");
  MockProcess mock(dir, {"--rpm", "1200", "--rate-window-ms", "1000", "--seed", "5"});
  const Dataset d = sample_or_demo();
  const std::string model =
      "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { temperature: 0 } }\n";
  const std::string prompts = "  - { name: zero, template: express-zero-shot }\n";
  write(dir / "sweep.yaml",
        sweep_yaml("ad", d, mock.origin(), dir.path().string(), "    limits: { concurrency: 64 }\n",
                   model, prompts, "  limit: 120\n"));
  auto r = run_sweep(dir / "sweep.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser p;
  auto c = simdjson::dom::array(parse(p, read_text(dir / "out/summary.json"))).at(0);
  EXPECT_EQ(int64_t(c["failed"]), 0);
  EXPECT_EQ(int64_t(c["rows"]), 120);
  // The limit was really hit (so adaptive control was exercised), and every 429 was retried.
  auto stats = mock.stats();
  EXPECT_GT(int64_t(stats["responses_by_status"]["429"]), 0);
  EXPECT_GT(int64_t(c["retries"]), 0);
}

TEST(RunEndToEnd, BadSweepExitsTwoAndSendsNothing) {
  TempDir dir("badsweep");
  MockProcess mock(dir, {});
  const Dataset d = sample_or_demo();
  std::string text =
      sweep_yaml("bad", d, mock.origin(), dir.path().string(), "",
                 "  - { name: gpt, endpoint: oa, model: m, params: { temprature: 0 } }\n",
                 "  - { name: zero, template: express-zero-shot }\n");
  write(dir / "sweep.yaml", text);
  auto r = run_sweep(dir / "sweep.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("models[0].params.temprature: unknown key (did you mean 'temperature'?)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // A missing API key variable is reported before anything is sent.
  text = sweep_yaml("bad", d, mock.origin(), dir.path().string(),
                    "    api_key_env: EMOSWEEP_E2E_NO_SUCH_KEY\n",
                    "  - { name: gpt, endpoint: oa, model: m }\n",
                    "  - { name: zero, template: express-zero-shot }\n");
  write(dir / "sweep.yaml", text);
  r = run_sweep(dir / "sweep.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("EMOSWEEP_E2E_NO_SUCH_KEY"), std::string::npos) << r.err;
  // A bad dataset row is named, and nothing is sent either.
  std::ofstream(dir / "bad.csv")
      << "index,original_ids,segment,number_of_labels,labels\n1,a,<mask>,2,['x']\n";
  text = sweep_yaml("bad", Dataset{dir / "bad.csv", d.lexicon}, mock.origin(), dir.path().string(),
                    "", "  - { name: gpt, endpoint: oa, model: m }\n",
                    "  - { name: zero, template: express-zero-shot }\n");
  write(dir / "sweep.yaml", text);
  r = run_sweep(dir / "sweep.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.csv: row 1 (line 2): number_of_labels is 2"), std::string::npos)
      << r.err;
  EXPECT_EQ(mock.requests(), 0);
}

TEST(RunEndToEnd, PermanentFailuresExitThreeAndQuotaStopsOnlyThatEndpoint) {
  TempDir dir("permanent");
  // Every request to this mock fails for quota; the other mock answers.
  MockProcess broke(dir, {"--fault", "quota=1"}, "broke");
  MockProcess fine(dir, {}, "fine");
  const Dataset d = sample_or_demo();
  const std::string text = "name: perm\ndataset: { path: " + d.path +
                           ", limit: 50 }\nlexicon: " + d.lexicon + "\ncache: " + (dir / "cache") +
                           "\noutput: " + (dir / "out") +
                           "\nendpoints:\n"
                           "  - { name: broke, dialect: openai, base_url: " +
                           broke.origin() +
                           "/v1 }\n"
                           "  - { name: fine, dialect: anthropic, base_url: " +
                           fine.origin() +
                           " }\n"
                           "models:\n  - { name: a, endpoint: broke, model: gpt-4o }\n  - { name: "
                           "b, endpoint: fine, model: claude }\n"
                           "prompts:\n  - { name: zero, template: express-zero-shot }\n";
  write(dir / "sweep.yaml", text);
  auto r = run_sweep(dir / "sweep.yaml");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("endpoint stopped: quota exhausted"), std::string::npos) << r.err;
  simdjson::dom::parser p;
  auto configs = simdjson::dom::array(parse(p, read_text(dir / "out/summary.json")));
  EXPECT_EQ(int64_t(configs.at(0)["failed"]), 50);
  EXPECT_EQ(int64_t(configs.at(1)["failed"]), 0);
  EXPECT_EQ(int64_t(configs.at(1)["rows"]), 50);
  // The quota was not hammered: a stopped endpoint gets no more requests.
  EXPECT_LE(broke.requests(), 50);
  // The failures carry the provider's own message in results.jsonl.
  const std::string results = read_text(dir / "out/results.jsonl");
  EXPECT_NE(results.find("\"outcome\":\"failed\""), std::string::npos);
  EXPECT_NE(results.find("insufficient_quota"), std::string::npos);
}

TEST(RunEndToEnd, BudgetStopsNewRequestsAndAHigherBudgetContinuesWithoutRebuying) {
  TempDir dir("budget");
  MockProcess mock(dir, {"--latency", "fixed:5"});
  const Dataset d = sample_or_demo();
  auto sweep = [&](double budget) {
    return "name: budget\ndataset: { path: " + d.path + ", limit: 100 }\nlexicon: " + d.lexicon +
           "\ncache: " + (dir / "cache") + "\noutput: " + (dir / "out") +
           "\nbudget_usd: " + fmt::format("{}", budget) +
           "\nprices: { gpt-4o-mini: { prompt: 100, completion: 100 } }\n"
           "endpoints:\n  - { name: oa, dialect: openai, base_url: " +
           mock.origin() +
           "/v1, limits: { concurrency: 4 } }\n"
           "models:\n  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { max_tokens: 16 } "
           "}\n"
           "prompts:\n  - { name: zero, template: express-zero-shot }\n";
  };
  // The dry run's estimate of the whole sweep (its row: endpoint, model, requests, cached,
  // prompt tokens, completion tokens, cost, time) sets a budget of about 20 requests.
  write(dir / "sweep.yaml", sweep(0));
  auto dry = run_sweep(dir / "sweep.yaml", "--dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  std::int64_t items = 0;
  double estimate = 0;
  {
    std::istringstream lines(dry.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream cols(line);
      std::string endpoint, model, cached, prompt, completion;
      if (cols >> endpoint >> model && endpoint == "oa" && model == "gpt")
        cols >> items >> cached >> prompt >> completion >> estimate;
    }
  }
  ASSERT_GT(items, 30) << dry.out;
  const double per_request = estimate / static_cast<double>(items);
  const double budget = per_request * 20.5;
  write(dir / "sweep.yaml", sweep(budget));
  auto r = run_sweep(dir / "sweep.yaml");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("budget_usd"), std::string::npos) << r.err;
  simdjson::dom::parser p;
  auto state = parse(p, read_text(dir / "out/run.json"));
  const double spent = double(state["spent_usd"]);
  const std::int64_t sent = mock.requests();
  // Spending stops near the budget (estimates are upper bounds: completions are shorter than
  // max_tokens) and never passes it by more than the requests in flight.
  EXPECT_GT(spent, budget * 0.5) << "budget " << budget;
  EXPECT_LE(spent, budget + 4 * per_request) << "budget " << budget;
  EXPECT_GE(sent, 10);
  EXPECT_LT(sent, items);
  EXPECT_EQ(int64_t(state["requests_sent"]), sent);
  simdjson::dom::parser p2;
  auto configs = simdjson::dom::array(parse(p2, read_text(dir / "out/summary.json")));
  const std::int64_t rows = int64_t(configs.at(0)["rows"]),
                     failed = int64_t(configs.at(0)["failed"]);
  EXPECT_EQ(rows + failed, items);
  EXPECT_GT(failed, 0);
  EXPECT_NE(read_text(dir / "out/results.jsonl").find("reached"), std::string::npos);

  // A higher budget continues: only the rest is bought, nothing twice.
  write(dir / "sweep.yaml", sweep(budget * 100));
  r = run_sweep(dir / "sweep.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto stats = mock.stats();
  EXPECT_EQ(int64_t(stats["max_per_prompt"]), 1);
  EXPECT_EQ(int64_t(stats["requests"]), int64_t(stats["prompts"]));
  simdjson::dom::parser p3;
  auto final_configs = simdjson::dom::array(parse(p3, read_text(dir / "out/summary.json")));
  EXPECT_EQ(int64_t(final_configs.at(0)["rows"]), items);
  EXPECT_EQ(int64_t(final_configs.at(0)["failed"]), 0);
}

TEST(RunEndToEnd, SigintDrainsExitsOneThirtyAndARerunFinishes) {
  TempDir dir("sigint");
  MockProcess mock(dir, {"--latency", "fixed:100"});
  const Dataset d = sample_or_demo();
  write(dir / "sweep.yaml",
        sweep_yaml("sigint", d, mock.origin(), dir.path().string(),
                   "    limits: { concurrency: 8 }\n",
                   "  - { name: gpt, endpoint: oa, model: gpt-4o-mini }\n",
                   "  - { name: zero, template: express-zero-shot }\n", "  limit: 200\n"));
  Child run({kBin, "run", dir / "sweep.yaml", "--metrics-addr", "off", "--progress", "none"},
            dir / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  run.signal(SIGINT);
  const auto code = run.wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130) << read_text(dir / "run.log");
  simdjson::dom::parser p;
  auto state = parse(p, read_text(dir / "out/run.json"));
  EXPECT_EQ(std::string_view(state["status"]), "interrupted");
  const std::int64_t done_before = int64_t(state["done"]);
  EXPECT_GT(done_before, 0);
  EXPECT_LT(done_before, 200);
  // Whatever was answered was stored: the rerun asks only for the rest.
  const std::int64_t sent_before = mock.requests();
  auto r = run_sweep(dir / "sweep.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mock.requests() - sent_before + done_before, 200) << "sent before " << sent_before;
}

TEST(RunEndToEnd, DryRunAndStatus) {
  TempDir dir("dryrun");
  MockProcess mock(dir, {});
  const Dataset d = sample_or_demo();
  write(dir / "sweep.yaml",
        sweep_yaml("dry", d, mock.origin(), dir.path().string(), "    limits: { rpm: 600 }\n",
                   "  - { name: gpt, endpoint: oa, model: gpt-4o-mini, params: { max_tokens: 100 "
                   "}, price: { prompt: 1, completion: 2 } }\n",
                   "  - { name: zero, template: express-zero-shot }\n", "  limit: 30\n"));
  auto r = run_command(kBin + " run " + shell_quote(dir / "sweep.yaml") + " --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("oa"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gpt"), std::string::npos);
  EXPECT_NE(r.out.find("3s"), std::string::npos) << r.out;  // 30 requests at 600 rpm
  EXPECT_EQ(mock.requests(), 0);
  ASSERT_EQ(run_sweep(dir / "sweep.yaml").exit_code, 0);
  r = run_command(kBin + " run " + shell_quote(dir / "sweep.yaml") + " --dry-run");
  EXPECT_NE(r.out.find("30        30"), std::string::npos) << r.out;  // all cached now
  r = run_command(kBin + " status " + shell_quote(dir / "out") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser p;
  auto st = parse(p, r.out);
  EXPECT_EQ(std::string_view(st["status"]), "finished");
  EXPECT_EQ(int64_t(st["done"]), 30);
  EXPECT_EQ(int64_t(st["cache_entries"]), 30);
  r = run_command(kBin + " status " + shell_quote(dir.path().string()));
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace emosweep::testing
