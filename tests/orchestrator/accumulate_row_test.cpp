// Task::accumulate_row (how `emosweep merge` rebuilds scores from results.jsonl) gives exactly
// the aggregate that scoring the answers did, and rejects rows whose judgements were altered.
#include <gtest/gtest.h>

#include <cctype>

#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/text.hpp"
#include "express/task.hpp"

namespace emosweep::orchestrator {
namespace {

const std::string kDemo = EMOSWEEP_DEMO_DIR;

struct Scored {
  std::vector<std::string> rows;  // results.jsonl objects, one per item
  std::unique_ptr<Aggregate> direct;
};

Scored score_demo(const express::ExpressTask& task, bool upper_case = false) {
  VariantSpec spec;
  spec.name = "zero";
  spec.template_name = "express-zero-shot";
  auto variant = task.prepare(spec, "test");
  std::vector<std::string> outputs;
  csv::Reader r(kDemo + "/demo-predictions.csv");
  while (r.next()) {
    outputs.emplace_back(r.field(r.require_column("output")));
    if (upper_case)
      for (auto& c : outputs.back())
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  Scored s;
  s.direct = task.new_aggregate();
  auto items = task.items();
  std::size_t i = 0;
  std::string csv;
  while (auto item = items->next()) {
    json::Writer w;
    w.begin_object();
    variant->score(*item, outputs.at(i++), *s.direct, w, csv);
    w.end_object();
    s.rows.push_back(w.str());
  }
  return s;
}

const express::Accumulator& acc(const Aggregate& a) {
  return static_cast<const express::ExpressAggregate&>(a).accumulator;
}

TEST(AccumulateRow, RebuildsExactlyTheScoredAggregate) {
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  const Scored s = score_demo(task);
  ASSERT_EQ(s.rows.size(), task.item_count());
  auto rebuilt = task.new_aggregate();
  simdjson::dom::parser parser;
  std::size_t invalid = 0;
  for (const auto& line : s.rows) {
    simdjson::dom::object row;
    ASSERT_EQ(parser.parse(line).get(row), simdjson::SUCCESS) << line;
    if (!bool(row["valid"])) ++invalid;
    task.accumulate_row(row, *rebuilt);
  }
  // The demo answers include formatting slips: both branches were exercised.
  EXPECT_GT(invalid, 0u);
  EXPECT_LT(invalid, s.rows.size());
  EXPECT_GT(acc(*s.direct).label_correct, 0u);
  EXPECT_TRUE(acc(*rebuilt) == acc(*s.direct));
  EXPECT_EQ(rebuilt->headline(), s.direct->headline());
}

// Outputs are lower-cased as Python's str.lower() does: the same answers in capitals score
// the same, and results.jsonl shows the lower-cased words.
TEST(AccumulateRow, CapitalisedAnswersScoreTheSame) {
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  const Scored plain = score_demo(task);
  const Scored upper = score_demo(task, true);
  EXPECT_TRUE(acc(*upper.direct) == acc(*plain.direct));
  EXPECT_GT(acc(*upper.direct).label_correct, 0u);
  simdjson::dom::parser parser;
  std::size_t words = 0;
  for (const auto& line : upper.rows) {
    simdjson::dom::object row;
    ASSERT_EQ(parser.parse(line).get(row), simdjson::SUCCESS) << line;
    simdjson::dom::array predicted;
    if (row["predicted"].get(predicted) != simdjson::SUCCESS) continue;  // null: unparsable
    for (auto w : predicted) {
      const std::string_view word = w.get_string().value();
      EXPECT_EQ(word, emosweep::text::python_lower(word)) << line;
      ++words;
    }
  }
  EXPECT_GT(words, 30u);
}

TEST(AccumulateRow, RejectsAlteredJudgementsAndLeavesTheAggregateUntouched) {
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  const Scored s = score_demo(task);
  // The first valid row with a mask that is not a label match: claim it was one.
  std::string tampered;
  for (const auto& line : s.rows) {
    const auto at = line.find("\"label_match\":false");
    if (line.find("\"valid\":true") != std::string::npos && at != std::string::npos) {
      tampered = line;
      tampered.replace(at, 19, "\"label_match\":true");
      break;
    }
  }
  ASSERT_FALSE(tampered.empty());
  auto aggregate = task.new_aggregate();
  simdjson::dom::parser parser;
  simdjson::dom::object good;
  ASSERT_EQ(parser.parse(s.rows.front()).get(good), simdjson::SUCCESS);
  task.accumulate_row(good, *aggregate);
  const express::Accumulator before = acc(*aggregate);
  simdjson::dom::parser parser2;
  simdjson::dom::object bad;
  ASSERT_EQ(parser2.parse(tampered).get(bad), simdjson::SUCCESS);
  EXPECT_THROW(task.accumulate_row(bad, *aggregate), InputError);
  EXPECT_TRUE(acc(*aggregate) == before);

  // A gold label the dataset does not have is refused too.
  std::string foreign = s.rows.front();
  const auto labels = foreign.find("\"labels\":[\"");
  ASSERT_NE(labels, std::string::npos);
  foreign.insert(labels + 11, "zz-not-a-label");
  simdjson::dom::parser parser3;
  simdjson::dom::object alien;
  ASSERT_EQ(parser3.parse(foreign).get(alien), simdjson::SUCCESS);
  EXPECT_THROW(task.accumulate_row(alien, *aggregate), InputError);
  EXPECT_TRUE(acc(*aggregate) == before);
}

}  // namespace
}  // namespace emosweep::orchestrator
