#include "express/scoring.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <numeric>

#include "core/json.hpp"
#include "core/text.hpp"

namespace emosweep::express {

std::uint32_t LabelTable::intern(std::string_view label) {
  auto it = ids_.find(label);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(label);
  ids_.emplace(names_.back(), id);
  return id;
}

GoldSegment prepare_gold(std::span<const std::string> labels, const Lexicon& lexicon,
                         LabelTable& table) {
  GoldSegment gold;
  gold.reserve(labels.size());
  for (const auto& raw : labels) {
    GoldMask m;
    m.word = text::python_lower(raw);
    m.vector = lexicon.lookup(m.word);
    m.label = table.intern(m.word);
    gold.push_back(std::move(m));
  }
  return gold;
}

namespace {
// Bit counts of 10-bit vectors: a table, because baseline x86-64 has no POPCNT instruction and
// std::popcount would call into libgcc on every mask.
constexpr std::array<std::uint8_t, 1024> kBits = [] {
  std::array<std::uint8_t, 1024> t{};
  for (unsigned i = 0; i < 1024; ++i)
    t[i] = static_cast<std::uint8_t>(std::popcount(i));
  return t;
}();
}  // namespace

MaskScore score_mask(const GoldMask& gold, std::string_view predicted_word,
                     EmotionVector predicted_vector) {
  MaskScore s;
  s.label_match = gold.word == predicted_word;
  s.vector_match = gold.vector == predicted_vector;
  s.predicted = predicted_vector;
  const unsigned g = gold.vector & 0x3FFu, p = predicted_vector & 0x3FFu;
  s.tp = kBits[g & p];
  s.fp = kBits[~g & p & 0x3FFu];
  s.fn = kBits[g & ~p & 0x3FFu];
  s.agree = static_cast<std::uint8_t>(kDimensionCount - kBits[g ^ p]);
  return s;
}

void Accumulator::add_segment(std::size_t n, bool valid) {
  ++rows;
  masks += n;
  if (valid) {
    ++valid_rows;
    valid_masks += n;
  }
}

void Accumulator::add_invalid_mask(const GoldMask& gold) {
  if (labels.size() <= gold.label) labels.resize(gold.label + 1);
  ++labels[gold.label].masks;
}

void Accumulator::add_mask(const GoldMask& gold, const MaskScore& s) {
  add_mask_totals(gold, s);
  const unsigned g = gold.vector, p = s.predicted;
  for (std::size_t d = 0; d < kDimensionCount; ++d) {
    const unsigned gb = (g >> d) & 1u, pb = (p >> d) & 1u;
    auto& c = dimensions[d];
    c.agree += gb == pb;
    c.tp += gb & pb;
    c.fp += pb & (gb ^ 1u);
    c.fn += gb & (pb ^ 1u);
  }
}

void DimensionTally::flush_into(Accumulator& acc) {
  std::array<std::uint64_t, kDimensionCount> tp{}, fn{}, fp{};
  for (unsigned v = 1; v < both_.size(); ++v) {
    const std::uint64_t b = both_[v], g = gold_only_[v], p = predicted_only_[v];
    if ((b | g | p) == 0) continue;
    for (unsigned bits = v; bits != 0; bits &= bits - 1) {
      const auto d = static_cast<std::size_t>(std::countr_zero(bits));
      tp[d] += b;
      fn[d] += g;
      fp[d] += p;
    }
  }
  for (std::size_t d = 0; d < kDimensionCount; ++d) {
    auto& c = acc.dimensions[d];
    c.tp += tp[d];
    c.fn += fn[d];
    c.fp += fp[d];
    c.agree += masks_ - fn[d] - fp[d];
  }
  *this = DimensionTally{};
}

void Accumulator::add_mask_totals(const GoldMask& gold, const MaskScore& s) {
  label_correct += s.label_match;
  vector_correct += s.vector_match;
  agree_total += s.agree;
  const unsigned denom = 2u * s.tp + s.fp + s.fn;
  // kF1Scale / denom from a table: a 64-bit division per mask was a visible share of scoring.
  static constexpr auto kF1Unit = [] {
    std::array<std::uint64_t, 2 * kDimensionCount + 1> units{};
    for (std::size_t d = 1; d < units.size(); ++d)
      units[d] = kF1Scale / d;
    return units;
  }();
  if (denom != 0) f1_scaled += kF1Unit[denom] * (2u * s.tp);
  if (labels.size() <= gold.label) labels.resize(gold.label + 1);
  auto& lc = labels[gold.label];
  ++lc.masks;
  lc.correct += s.label_match;
}

void Accumulator::add(const GoldSegment& gold, const std::vector<std::string>* predicted,
                      const Lexicon& lexicon) {
  const bool valid = predicted != nullptr && predicted->size() == gold.size();
  add_segment(gold.size(), valid);
  if (!valid) {
    for (const auto& g : gold)
      add_invalid_mask(g);
    return;
  }
  for (std::size_t i = 0; i < gold.size(); ++i) {
    const std::string& word = (*predicted)[i];
    add_mask(gold[i], score_mask(gold[i], word, lexicon.lookup(word)));
  }
}

void Accumulator::merge(const Accumulator& o) {
  rows += o.rows;
  valid_rows += o.valid_rows;
  masks += o.masks;
  valid_masks += o.valid_masks;
  label_correct += o.label_correct;
  vector_correct += o.vector_correct;
  agree_total += o.agree_total;
  f1_scaled += o.f1_scaled;
  for (std::size_t d = 0; d < kDimensionCount; ++d) {
    dimensions[d].agree += o.dimensions[d].agree;
    dimensions[d].tp += o.dimensions[d].tp;
    dimensions[d].fp += o.dimensions[d].fp;
    dimensions[d].fn += o.dimensions[d].fn;
  }
  if (labels.size() < o.labels.size()) labels.resize(o.labels.size());
  for (std::size_t i = 0; i < o.labels.size(); ++i) {
    labels[i].masks += o.labels[i].masks;
    labels[i].correct += o.labels[i].correct;
  }
}

void merge_scores(Accumulator& into, LabelTable& into_labels, const Accumulator& from,
                  const LabelTable& from_labels) {
  Accumulator relabelled = from;
  relabelled.labels.clear();
  for (std::uint32_t id = 0; id < from.labels.size(); ++id) {
    const std::uint32_t to = into_labels.intern(from_labels.name(id));
    if (relabelled.labels.size() <= to) relabelled.labels.resize(to + 1);
    relabelled.labels[to] = from.labels[id];
  }
  into.merge(relabelled);
}

namespace {
double ratio(double num, double den) {
  return den == 0 ? 0.0 : num / den;
}
}  // namespace

Scores Accumulator::scores() const {
  Scores s;
  s.rows = rows;
  s.valid_rows = valid_rows;
  s.masks = masks;
  s.valid_masks = valid_masks;
  s.vrate = ratio(static_cast<double>(valid_rows), static_cast<double>(rows));
  s.accl = ratio(static_cast<double>(label_correct), static_cast<double>(masks));
  s.accv = ratio(static_cast<double>(vector_correct), static_cast<double>(masks));
  s.f1v = ratio(static_cast<double>(f1_scaled),
                static_cast<double>(valid_masks) * static_cast<double>(kF1Scale));
  s.accv2 = ratio(static_cast<double>(agree_total),
                  static_cast<double>(valid_masks) * static_cast<double>(kDimensionCount));
  for (std::size_t d = 0; d < kDimensionCount; ++d) {
    const auto& c = dimensions[d];
    s.dimensions[d].agreement =
        ratio(static_cast<double>(c.agree), static_cast<double>(valid_masks));
    s.dimensions[d].f1 = ratio(2.0 * static_cast<double>(c.tp),
                               2.0 * static_cast<double>(c.tp) + static_cast<double>(c.fp + c.fn));
  }
  return s;
}

void write_scores(json::Writer& w, const Scores& s) {
  w.field("rows", s.rows);
  w.field("valid_rows", s.valid_rows);
  w.field("masks", s.masks);
  w.field("vrate", s.vrate);
  w.field("accl", s.accl);
  w.field("accv", s.accv);
  w.field("f1v", s.f1v);
  w.field("accv2", s.accv2);
  w.key("dimensions").begin_object();
  for (std::size_t d = 0; d < kDimensionCount; ++d) {
    w.key(kDimensions[d]).begin_object();
    w.field("agreement", s.dimensions[d].agreement);
    w.field("f1", s.dimensions[d].f1);
    w.end_object();
  }
  w.end_object();
}

void write_label_accuracy(json::Writer& w, const Accumulator& acc, const LabelTable& table,
                          std::size_t limit) {
  std::vector<std::uint32_t> ids(acc.labels.size());
  std::iota(ids.begin(), ids.end(), 0u);
  std::stable_sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (acc.labels[a].masks != acc.labels[b].masks)
      return acc.labels[a].masks > acc.labels[b].masks;
    return table.name(a) < table.name(b);
  });
  w.begin_array();
  std::size_t n = 0;
  for (auto id : ids) {
    if (acc.labels[id].masks == 0) continue;
    if (n++ == limit) break;
    w.begin_object();
    w.field("label", table.name(id));
    w.field("masks", acc.labels[id].masks);
    w.field("correct", acc.labels[id].correct);
    w.field("accuracy", static_cast<double>(acc.labels[id].correct) /
                            static_cast<double>(acc.labels[id].masks));
    w.end_object();
  }
  w.end_array();
}

}  // namespace emosweep::express
