#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.hpp"
#include "express/task.hpp"
#include "orchestrator/plan.hpp"

namespace emosweep::orchestrator {
namespace {

const std::string kDemo = EMOSWEEP_DEMO_DIR;

SweepConfig demo_config() {
  SweepConfig c;
  c.name = "t";
  c.dataset.path = kDemo + "/demo-dataset.csv";
  c.lexicon = kDemo + "/demo-lexicon.csv";
  c.endpoints.resize(2);
  c.endpoints[0].name = "a";
  c.endpoints[1].name = "b";
  c.models.resize(3);
  c.models[0].name = "m0";
  c.models[0].endpoint = 0;
  c.models[1].name = "m1";
  c.models[1].endpoint = 1;
  c.models[2].name = "m2";
  c.models[2].endpoint = 0;
  c.prompts.resize(2);
  c.prompts[0].name = "v0";
  c.prompts[1].name = "v1";
  c.repeats = 2;
  return c;
}

TEST(Shard, ParseAndPartition) {
  EXPECT_EQ(parse_shard("2/5").index, 2u);
  EXPECT_THROW(parse_shard("5/5"), InputError);
  EXPECT_THROW(parse_shard("x"), InputError);
  EXPECT_THROW(parse_shard("1/0"), InputError);
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  for (std::uint32_t n : {1u, 2u, 3u}) {
    std::multiset<std::string> seen;
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      DatasetConfig d;
      ItemSelection sel(task, d, Shard{i, n});
      total += sel.selected();
      auto stream = task.items();
      std::size_t ordinal = 0;
      while (auto item = stream->next())
        if (sel.includes(ordinal++, *item)) seen.insert(item->id);
    }
    EXPECT_EQ(total, 36u) << n;
    EXPECT_EQ(seen.size(), 36u) << n;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 36u)
        << "overlap with n=" << n;
  }
}

TEST(ItemSelection, LimitAndSeededSample) {
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  DatasetConfig d;
  d.limit = 10;
  EXPECT_EQ(ItemSelection(task, d, Shard{}).selected(), 10u);
  d.limit = 0;
  d.sample = 7;
  d.seed = 3;
  ItemSelection a(task, d, Shard{}), b(task, d, Shard{});
  EXPECT_EQ(a.selected(), 7u);
  std::vector<std::string> ids_a, ids_b;
  auto s = task.items();
  std::size_t i = 0;
  while (auto item = s->next()) {
    if (a.includes(i, *item)) ids_a.push_back(item->id);
    if (b.includes(i, *item)) ids_b.push_back(item->id);
    ++i;
  }
  EXPECT_EQ(ids_a, ids_b);
  d.seed = 4;
  ItemSelection c(task, d, Shard{});
  std::vector<std::string> ids_c;
  s = task.items();
  i = 0;
  while (auto item = s->next())
    if (c.includes(i++, *item)) ids_c.push_back(item->id);
  EXPECT_EQ(ids_c.size(), 7u);
  EXPECT_NE(ids_a, ids_c);
}

TEST(EndpointPlan, InterleavesModelsVariantsAndRepeatsPerItem) {
  const auto c = demo_config();
  express::ExpressTask task(c.dataset.path, c.lexicon);
  ItemSelection sel(task, c.dataset, Shard{});
  EndpointPlan plan(task, c, 0, sel);
  EXPECT_EQ(plan.total(), 36u * 2 * 2 * 2);
  WorkUnit u;
  std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t, std::uint32_t>> first;
  std::map<std::tuple<std::string, std::uint32_t, std::uint32_t, std::uint32_t>, int> count;
  std::uint64_t n = 0;
  while (plan.next(u)) {
    if (first.size() < 9) first.emplace_back(u.item->id, u.model, u.variant, u.repeat);
    ++count[{u.item->id, u.model, u.variant, u.repeat}];
    EXPECT_NE(u.model, 1u);  // m1 belongs to endpoint b
    ++n;
  }
  EXPECT_EQ(n, plan.total());
  EXPECT_EQ(count.size(), n);  // every unit exactly once
  // The first item's 8 units come before the second item's.
  EXPECT_EQ(std::get<0>(first[7]), "100");
  EXPECT_EQ(std::get<0>(first[8]), "101");
  EXPECT_EQ(first[0], std::make_tuple(std::string("100"), 0u, 0u, 0u));
  EXPECT_EQ(first[1], std::make_tuple(std::string("100"), 0u, 0u, 1u));
  EXPECT_EQ(first[2], std::make_tuple(std::string("100"), 2u, 0u, 0u));
}

TEST(ExpressTaskVariants, ValidatesOptions) {
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  VariantSpec v;
  v.name = "x";
  v.template_name = "express-zero-shot";
  EXPECT_NO_THROW(task.prepare(v, "s.yaml: prompts[0]"));
  v.template_name = "express-one-shot";
  try {
    task.prepare(v, "s.yaml: prompts[0]");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("s.yaml: prompts[0]: unknown template 'express-one-shot'"),
              std::string::npos);
  }
  v.template_name = "express-zero-shot";
  v.options["shots"] = "3";
  EXPECT_THROW(task.prepare(v, "w"), InputError);
}

TEST(ExpressTaskVariants, FewShotExamplesComeFromOtherPostsDeterministically) {
  express::ExpressTask task(kDemo + "/demo-dataset.csv", kDemo + "/demo-lexicon.csv");
  VariantSpec v;
  v.name = "few";
  v.template_name = "express-few-shot";
  v.options["shots"] = "3";
  auto variant = task.prepare(v, "w");
  auto s = task.items();
  auto item = s->next();  // post p01
  const auto p1 = variant->render(*item);
  const auto p2 = variant->render(*item);
  EXPECT_EQ(p1.messages[0].content, p2.messages[0].content);
  const std::string& text = p1.messages[0].content;
  // 3 examples + the question = 4 "Text:" blocks; the other segment of p01 is not an example.
  std::size_t blocks = 0;
  for (std::size_t pos = text.find("Text:\n"); pos != std::string::npos;
       pos = text.find("Text:\n", pos + 1))
    ++blocks;
  EXPECT_EQ(blocks, 4u);
  EXPECT_EQ(text.find("Then the contract arrived"), std::string::npos);
  v.options["seed"] = "9";
  EXPECT_NE(task.prepare(v, "w")->render(*item).messages[0].content, text);
}

}  // namespace
}  // namespace emosweep::orchestrator
