// The scoring stage under concurrent producers equals scoring the same answers directly.
#include <gtest/gtest.h>
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <simdjson.h>

#include "core/csv.hpp"
#include "express/predictions.hpp"
#include "express/task.hpp"
#include "orchestrator/scoring_stage.hpp"
#include "tests/orchestrator/thread_policies.hpp"

namespace emosweep::orchestrator {
namespace {

const std::string kDemo = EMOSWEEP_DEMO_DIR;

TEST(ScoringStage, ConcurrentProducersGiveExactlyTheDirectScores) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("emosweep_scoring_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  SweepConfig c;
  c.name = "t";
  c.models.resize(2);
  c.models[0].name = "m/0";
  c.models[1].name = "m1";
  c.prompts.resize(1);
  c.prompts[0].name = "zero";
  c.prompts[0].template_name = "express-zero-shot";
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  std::vector<std::unique_ptr<Variant>> variants;
  variants.push_back(task.prepare(c.prompts[0], "test"));
  // Answers: the demo predictions' outputs, for both models.
  std::vector<std::shared_ptr<const Item>> items;
  auto s = task.items();
  while (auto it = s->next())
    items.push_back(it);
  std::vector<std::string> outputs;
  {
    csv::Reader r(kDemo + "/demo-predictions.csv");
    while (r.next())
      outputs.emplace_back(r.field(r.require_column("output")));
  }
  ASSERT_EQ(outputs.size(), items.size());

  ScoringStage stage(task, c, variants, dir.string(), nullptr, 16);
  stage.set_planned(0, items.size());
  stage.set_planned(1, items.size());
  stage.start(2);
  // Scorers are throughput threads: their wake-ups never preempt the network thread.
  EXPECT_EQ(testing::policies_of_started_threads("es-scorer", 2),
            (std::vector<int>{SCHED_BATCH, SCHED_BATCH}));
  std::vector<std::thread> producers;
  for (std::uint32_t m = 0; m < 2; ++m) {
    producers.emplace_back([&, m] {
      for (std::size_t i = 0; i < items.size(); ++i) {
        auto comp = std::make_unique<Completion>();
        comp->unit.item = items[i];
        comp->unit.model = m;
        comp->output = outputs[i];
        comp->attempts = 1;
        comp->prompt_tokens = 10;
        if (m == 1 && i == 3) {
          comp->failed = true;
          comp->error = "HTTP 400";
        }
        while (!stage.try_push(comp))
          std::this_thread::yield();
      }
    });
  }
  for (auto& t : producers)
    t.join();
  stage.finish();
  EXPECT_EQ(stage.scored(), 2 * items.size());
  EXPECT_EQ(stage.failed_items(), 1u);

  // Model 0 saw every answer: same as `emosweep score` on the demo predictions.
  const auto lexicon = express::Lexicon::load(kDemo + "/demo-lexicon.csv");
  const auto direct = express::score_predictions(kDemo + "/demo-predictions.csv", lexicon,
                                                 express::ParseMode::paper);
  const auto& agg = static_cast<const express::ExpressAggregate&>(stage.aggregate(0)).accumulator;
  EXPECT_EQ(agg.rows, direct.accumulator.rows);
  EXPECT_EQ(agg.label_correct, direct.accumulator.label_correct);
  EXPECT_EQ(agg.f1_scaled, direct.accumulator.f1_scaled);
  EXPECT_EQ(agg.dimensions, direct.accumulator.dimensions);
  // Model 1 lost one row to a failure: not scored, counted as failed.
  EXPECT_EQ(stage.aggregate(1).rows(), items.size() - 1);
  EXPECT_EQ(stage.counters(1).failed, 1u);
  EXPECT_EQ(stage.counters(0).requests, items.size());
  EXPECT_EQ(stage.counters(0).prompt_tokens, 10 * items.size());

  // The predictions CSV of model 0 scores the same with `score` (file name made safe).
  const auto pred = (dir / "predictions" / "m_0__zero.csv").string();
  ASSERT_TRUE(std::filesystem::exists(pred));
  const auto again = express::score_predictions(pred, lexicon, express::ParseMode::paper);
  EXPECT_TRUE(again.accumulator.rows == direct.accumulator.rows &&
              again.accumulator.f1_scaled == direct.accumulator.f1_scaled &&
              again.accumulator.label_correct == direct.accumulator.label_correct);

  // results.jsonl: one valid JSON object per line, 2 × items.
  std::ifstream in(dir / "results.jsonl");
  std::string line;
  std::size_t lines = 0, failed = 0;
  simdjson::dom::parser parser;
  while (std::getline(in, line)) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    std::string_view outcome = e["outcome"];
    failed += outcome == "failed";
    ++lines;
  }
  EXPECT_EQ(lines, 2 * items.size());
  EXPECT_EQ(failed, 1u);
  simdjson::dom::element summary;
  const std::string json = stage.summary_json();
  ASSERT_EQ(parser.parse(json).get(summary), simdjson::SUCCESS);
  EXPECT_EQ(simdjson::dom::array(summary).size(), 2u);
  EXPECT_EQ(std::string_view(summary.at(0)["model"]), "m/0");
  EXPECT_DOUBLE_EQ(double(summary.at(0)["accl"]), direct.accumulator.scores().accl);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace emosweep::orchestrator
