#include <gtest/gtest.h>

#include <map>
#include <random>

#include "core/json.hpp"
#include "express/scoring.hpp"

namespace emosweep::express {
namespace {

constexpr EmotionVector bit(std::size_t d) {
  return static_cast<EmotionVector>(1u << d);
}
// anger=0 anticipation=1 disgust=2 fear=3 joy=4 sadness=5 surprise=6 trust=7 positive=8 negative=9
const std::string kHeader =
    "word,anger,anticipation,disgust,fear,joy,sadness,surprise,trust,positive,negative\n";

Lexicon small_lexicon() {
  return Lexicon::from_csv_string(kHeader +
                                  "happy,0,0,0,0,1,0,0,1,1,0\n"    // joy trust positive
                                  "glad,0,0,0,0,1,0,0,0,1,0\n"     // joy positive
                                  "sad,0,0,0,0,0,1,0,0,0,1\n"      // sadness negative
                                  "angry,1,0,1,0,0,0,0,0,0,1\n"    // anger disgust negative
                                  "furious,1,0,1,0,0,0,0,0,0,1\n"  // same vector as angry
                                  "meh,0,0,0,0,0,0,0,0,0,0\n");
}

TEST(ScoreMask, HandComputedValues) {
  const auto lex = small_lexicon();
  LabelTable table;
  const auto gold = prepare_gold(std::vector<std::string>{"HAPPY"}, lex, table);
  ASSERT_EQ(gold[0].word, "happy");
  // happy (joy trust positive) vs glad (joy positive): tp 2, fp 0, fn 1 -> F1 = 4/5.
  auto s = score_mask(gold[0], "glad", lex.lookup("glad"));
  EXPECT_FALSE(s.label_match);
  EXPECT_FALSE(s.vector_match);
  EXPECT_EQ(s.tp, 2);
  EXPECT_EQ(s.fp, 0);
  EXPECT_EQ(s.fn, 1);
  EXPECT_EQ(s.agree, 9);
  EXPECT_DOUBLE_EQ(s.f1(), 0.8);
  // happy vs sad: disjoint -> F1 0, 5 dimensions differ.
  s = score_mask(gold[0], "sad", lex.lookup("sad"));
  EXPECT_DOUBLE_EQ(s.f1(), 0.0);
  EXPECT_EQ(s.agree, 5);
}

TEST(ScoreMask, F1ZeroCaseTwoZeroVectors) {
  const auto lex = small_lexicon();
  LabelTable table;
  const auto gold = prepare_gold(std::vector<std::string>{"meh"}, lex, table);
  // Both all-zero: the vectors are equal (accv counts it) but F1 is 0 by the paper's rule.
  const auto s = score_mask(gold[0], "unknownword", lex.lookup("unknownword"));
  EXPECT_TRUE(s.vector_match);
  EXPECT_EQ(s.agree, 10);
  EXPECT_DOUBLE_EQ(s.f1(), 0.0);
}

TEST(Accumulator, EveryMetricOnAHandComputedExample) {
  const auto lex = small_lexicon();
  LabelTable table;
  Accumulator acc;
  // Segment 1: gold [happy, sad], predicted [happy, angry] (valid).
  //   mask 1: exact -> label 1, vector 1, F1 1, agree 10
  //   mask 2: sad (sadness,negative) vs angry (anger,disgust,negative): tp1 fp2 fn1 -> F1 2/5,
  //           agree 10-3 = 7
  const auto g1 = prepare_gold(std::vector<std::string>{"happy", "sad"}, lex, table);
  const std::vector<std::string> p1{"happy", "angry"};
  acc.add(g1, &p1, lex);
  // Segment 2: gold [angry], predicted [furious] (valid): label 0, vector 1, F1 1, agree 10.
  const auto g2 = prepare_gold(std::vector<std::string>{"angry"}, lex, table);
  const std::vector<std::string> p2{"furious"};
  acc.add(g2, &p2, lex);
  // Segment 3: gold [glad, sad, meh], invalid output: 3 masks, all wrong, not in f1v/accv2.
  const auto g3 = prepare_gold(std::vector<std::string>{"glad", "sad", "meh"}, lex, table);
  acc.add(g3, nullptr, lex);
  // Segment 4: gold [meh], predicted [meh]: label 1, vector 1, F1 0 (zero vectors), agree 10.
  const auto g4 = prepare_gold(std::vector<std::string>{"meh"}, lex, table);
  const std::vector<std::string> p4{"meh"};
  acc.add(g4, &p4, lex);

  const Scores s = acc.scores();
  EXPECT_EQ(s.rows, 4u);
  EXPECT_EQ(s.valid_rows, 3u);
  EXPECT_EQ(s.masks, 7u);
  EXPECT_EQ(s.valid_masks, 4u);
  EXPECT_DOUBLE_EQ(s.vrate, 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(s.accl, 2.0 / 7.0);  // happy, meh
  EXPECT_DOUBLE_EQ(s.accv, 3.0 / 7.0);  // happy, furious~angry, meh
  EXPECT_DOUBLE_EQ(s.f1v, (1.0 + 0.4 + 1.0 + 0.0) / 4.0);
  EXPECT_DOUBLE_EQ(s.accv2, (1.0 + 0.7 + 1.0 + 1.0) / 4.0);
  // Dimension anger (0): gold [0,0,1,0], pred [0,1,1,0] -> agree 3/4, tp1 fp1 fn0 -> F1 2/3.
  EXPECT_DOUBLE_EQ(s.dimensions[0].agreement, 0.75);
  EXPECT_DOUBLE_EQ(s.dimensions[0].f1, 2.0 / 3.0);
  // Dimension surprise (6): never present -> agreement 1, F1 0 (no positives at all).
  EXPECT_DOUBLE_EQ(s.dimensions[6].agreement, 1.0);
  EXPECT_DOUBLE_EQ(s.dimensions[6].f1, 0.0);
  // Per-gold-label accuracy: sad appears twice (once valid-wrong, once invalid).
  const auto sad = table.intern("sad");
  EXPECT_EQ(acc.labels[sad].masks, 2u);
  EXPECT_EQ(acc.labels[sad].correct, 0u);
  const auto happy = table.intern("happy");
  EXPECT_EQ(acc.labels[happy].masks, 1u);
  EXPECT_EQ(acc.labels[happy].correct, 1u);
}

TEST(Accumulator, EmptyIsAllZeroNotNan) {
  const Scores s = Accumulator{}.scores();
  EXPECT_EQ(s.vrate, 0.0);
  EXPECT_EQ(s.f1v, 0.0);
}

TEST(Accumulator, JsonHasTheContractKeys) {
  json::Writer w;
  w.begin_object();
  write_scores(w, Accumulator{}.scores());
  w.end_object();
  for (const char* key : {"\"rows\"", "\"valid_rows\"", "\"masks\"", "\"vrate\"", "\"accl\"",
                          "\"accv\"", "\"f1v\"", "\"accv2\"", "\"dimensions\"", "\"negative\""})
    EXPECT_NE(w.str().find(key), std::string::npos) << key;
}

// A naive re-implementation (doubles, maps, no bit tricks) to compare against.
struct Naive {
  double rows = 0, valid = 0, masks = 0, vmasks = 0, lab = 0, vec = 0, f1 = 0, agree = 0;
  std::array<double, 10> dim_agree{}, tp{}, fp{}, fn{};
  std::map<std::string, std::pair<int, int>> per_label;
};

void naive_add(Naive& n, const std::map<std::string, std::array<int, 10>>& lex,
               const std::vector<std::string>& gold, const std::vector<std::string>* pred) {
  auto vec = [&](const std::string& w) {
    auto it = lex.find(w);
    return it == lex.end() ? std::array<int, 10>{} : it->second;
  };
  n.rows += 1;
  n.masks += static_cast<double>(gold.size());
  const bool valid = pred && pred->size() == gold.size();
  for (std::size_t i = 0; i < gold.size(); ++i) {
    n.per_label[gold[i]].first += 1;
    if (valid && (*pred)[i] == gold[i]) n.per_label[gold[i]].second += 1;
  }
  if (!valid) return;
  n.valid += 1;
  n.vmasks += static_cast<double>(gold.size());
  for (std::size_t i = 0; i < gold.size(); ++i) {
    const auto g = vec(gold[i]), p = vec((*pred)[i]);
    n.lab += gold[i] == (*pred)[i];
    n.vec += g == p;
    int tp = 0, fp = 0, fn = 0, ag = 0;
    for (int d = 0; d < 10; ++d) {
      tp += g[d] && p[d];
      fp += !g[d] && p[d];
      fn += g[d] && !p[d];
      ag += g[d] == p[d];
      n.dim_agree[d] += g[d] == p[d];
      n.tp[d] += g[d] && p[d];
      n.fp[d] += !g[d] && p[d];
      n.fn[d] += g[d] && !p[d];
    }
    n.f1 += tp + fp + fn == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
    n.agree += ag / 10.0;
  }
}

// The histogram tally gives exactly the per-dimension counts of add_mask, also when flushed
// several times into the same accumulator.
TEST(DimensionTally, EqualsPerMaskCounts) {
  std::mt19937 rng(11);
  Accumulator direct, tallied;
  DimensionTally tally;
  for (int i = 0; i < 5000; ++i) {
    GoldMask gold;
    gold.vector = static_cast<EmotionVector>(rng() % 1024);
    // Often equal or all-zero vectors, as in real data.
    const auto predicted =
        static_cast<EmotionVector>(i % 5 == 0 ? gold.vector : (i % 7 == 0 ? 0 : rng() % 1024));
    const MaskScore score = score_mask(gold, "", predicted);
    direct.add_mask(gold, score);
    tallied.add_mask_totals(gold, score);
    tally.add(gold.vector, predicted);
    if (i % 1000 == 999) tally.flush_into(tallied);
  }
  tally.flush_into(tallied);
  tally.flush_into(tallied);  // flushing an empty tally adds nothing
  EXPECT_EQ(tallied.dimensions, direct.dimensions);
  EXPECT_EQ(tallied, direct);
  EXPECT_GT(direct.dimensions[0].tp, 0u);
  EXPECT_GT(direct.dimensions[9].fp, 0u);
}

TEST(Accumulator, PropertyMatchesNaiveAndMergeEqualsWhole) {
  std::mt19937_64 rng(20261125);
  // A random lexicon over a small vocabulary (some words absent, some all-zero).
  std::vector<std::string> vocab;
  for (int i = 0; i < 40; ++i)
    vocab.push_back(std::string("w").append(std::to_string(i)));
  std::map<std::string, std::array<int, 10>> naive_lex;
  std::string csv = kHeader;
  for (int i = 0; i < 32; ++i) {
    std::array<int, 10> v{};
    csv += vocab[i];
    for (int d = 0; d < 10; ++d) {
      v[d] = (i % 7 == 0) ? 0 : static_cast<int>(rng() % 3 == 0);
      csv += v[d] ? ",1" : ",0";
    }
    csv += "\n";
    naive_lex[vocab[i]] = v;
  }
  const auto lex = Lexicon::from_csv_string(csv);
  LabelTable table;
  Naive naive;
  Accumulator whole;
  std::array<Accumulator, 3> parts;
  for (int seg = 0; seg < 5000; ++seg) {
    const std::size_t n = 1 + rng() % 5;
    std::vector<std::string> gold, pred;
    for (std::size_t i = 0; i < n; ++i)
      gold.push_back(vocab[rng() % vocab.size()]);
    for (std::size_t i = 0; i < n; ++i)
      pred.push_back(rng() % 4 == 0 ? gold[i] : vocab[rng() % vocab.size()]);
    const int kind = static_cast<int>(rng() % 10);
    if (kind == 0) pred.pop_back();  // wrong length -> invalid
    const std::vector<std::string>* p = kind == 1 ? nullptr : &pred;
    const auto g = prepare_gold(gold, lex, table);
    whole.add(g, p, lex);
    parts[rng() % parts.size()].add(g, p, lex);
    naive_add(naive, naive_lex, gold, p);
  }
  const Scores s = whole.scores();
  EXPECT_EQ(s.rows, naive.rows);
  EXPECT_EQ(s.valid_rows, naive.valid);
  EXPECT_EQ(s.masks, naive.masks);
  EXPECT_NEAR(s.vrate, naive.valid / naive.rows, 1e-12);
  EXPECT_NEAR(s.accl, naive.lab / naive.masks, 1e-12);
  EXPECT_NEAR(s.accv, naive.vec / naive.masks, 1e-12);
  EXPECT_NEAR(s.f1v, naive.f1 / naive.vmasks, 1e-12);
  EXPECT_NEAR(s.accv2, naive.agree / naive.vmasks, 1e-12);
  for (int d = 0; d < 10; ++d) {
    EXPECT_NEAR(s.dimensions[d].agreement, naive.dim_agree[d] / naive.vmasks, 1e-12);
    const double den = 2 * naive.tp[d] + naive.fp[d] + naive.fn[d];
    EXPECT_NEAR(s.dimensions[d].f1, den == 0 ? 0.0 : 2 * naive.tp[d] / den, 1e-12);
  }
  for (const auto& [label, counts] : naive.per_label) {
    const auto id = table.intern(label);
    EXPECT_EQ(whole.labels[id].masks, static_cast<std::uint64_t>(counts.first)) << label;
    EXPECT_EQ(whole.labels[id].correct, static_cast<std::uint64_t>(counts.second)) << label;
  }
  // Sum of parts == whole, exactly, in any order.
  Accumulator merged;
  merged.merge(parts[2]);
  merged.merge(parts[0]);
  merged.merge(parts[1]);
  EXPECT_EQ(merged.rows, whole.rows);
  EXPECT_EQ(merged.f1_scaled, whole.f1_scaled);
  EXPECT_EQ(merged.dimensions, whole.dimensions);
  merged.labels.resize(whole.labels.size());
  EXPECT_TRUE(merged == whole);
  EXPECT_EQ(merged.scores().f1v, whole.scores().f1v);
}

}  // namespace
}  // namespace emosweep::express
