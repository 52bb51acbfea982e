#include "reports/report.hpp"

#include <algorithm>
#include <bit>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "reports/detail/bootstrap.hpp"
#include "reports/detail/render.hpp"
#include "reports/detail/resampling.hpp"
#include "reports/detail/runs.hpp"

namespace emosweep::reports {

namespace {

using detail::ConfigData;
using detail::ItemRecord;
using MetricValues = std::array<double, kMetricCount>;

using detail::Fields;
using detail::PostList;

void add_item(Fields& f, const ItemRecord& r) {
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  f[detail::kRows] += 1;
  f[detail::kMasks] += r.masks;
  f[detail::kLabelCorrect] += r.label_correct;
  f[detail::kVectorCorrect] += r.vector_correct;
  if (r.valid) {
    f[detail::kValidRows] += 1;
    f[detail::kValidMasks] += r.masks;
    f[detail::kAgree] += r.agree;
    f[detail::kF1Scaled] += d(r.f1_scaled);
  }
}

Fields total(const PostList& list) {
  Fields t{};
  for (const auto& e : list)
    for (std::size_t f = 0; f < detail::kFieldCount; ++f)
      t[f] += e.fields[f];
  return t;
}

Fields minus(const Fields& a, const Fields& b) {
  Fields d{};
  for (std::size_t f = 0; f < detail::kFieldCount; ++f)
    d[f] = a[f] - b[f];
  return d;
}

MetricValues metric_values(const express::Scores& s) {
  return {s.vrate, s.accl, s.accv, s.f1v, s.accv2};
}

// Groups item records by post into a PostList, with scratch memory sized to the post
// universe that is reused for every list (so building a list costs O(items), not O(posts)).
class PostGrouper {
 public:
  explicit PostGrouper(std::size_t posts) : slots_(posts), used_(posts, 0) {}

  void add(std::uint32_t post, const ItemRecord& r) {
    if (!used_[post]) {
      used_[post] = 1;
      touched_.push_back(post);
    }
    add_item(slots_[post], r);
  }
  PostList take() {
    std::sort(touched_.begin(), touched_.end());
    PostList list;
    list.reserve(touched_.size());
    for (std::uint32_t p : touched_) {
      list.push_back({p, slots_[p]});
      slots_[p] = Fields{};
      used_[p] = 0;
    }
    touched_.clear();
    return list;
  }

 private:
  std::vector<Fields> slots_;
  std::vector<std::uint8_t> used_;
  std::vector<std::uint32_t> touched_;
};

// Calls fn(a, b) for every item both configurations scored with the same number of masks,
// and unshared(a_or_null, b_or_null) for the others. Both vectors are sorted by item.
template <typename Shared, typename Unshared>
void merge_items(const std::vector<ItemRecord>& a, const std::vector<ItemRecord>& b,
                 Shared&& shared, Unshared&& unshared) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].item < b[j].item)) {
      unshared(&a[i++], nullptr);
    } else if (i == a.size() || b[j].item < a[i].item) {
      unshared(nullptr, &b[j++]);
    } else {
      if (a[i].masks == b[j].masks) {
        shared(a[i], b[j]);
      } else {
        unshared(&a[i], nullptr);
        unshared(nullptr, &b[j]);
      }
      ++i;
      ++j;
    }
  }
}

// How a pair's paired replicates are computed from the shared resamples: directly from the
// shared items' posts, or as the per-configuration sums minus the posts of the items that
// are not shared (usually a handful of failed rows) — whichever streams fewer posts.
struct PairPlan {
  std::size_t comparison = 0;  // index into Report::comparisons
  std::size_t a = 0, b = 0;
  bool direct = true;
  PostList a_list, b_list;
  MetricValues observed{};
  std::vector<double> replicates;  // [resample * kMetricCount + metric]
  std::size_t entries() const { return a_list.size() + b_list.size(); }
};

double confidence(const ReportOptions& o) {
  return 1.0 - o.alpha;
}

class Analysis {
 public:
  // Pair plans are built and bootstrapped in chunks of at most this many post entries, which
  // bounds the extra memory when many pairs share few items.
  static constexpr std::size_t kChunkEntries = std::size_t{1} << 20;
  static constexpr std::size_t kChunkPairs = 256;

  Analysis(detail::Corpus& corpus, const ReportOptions& options)
      : corpus_(corpus), options_(options), grouper_(corpus.post_count) {}

  Report run() {
    Report report;
    report.options = options_;
    for (const auto& r : corpus_.runs) {
      report.runs.push_back(r.dir);
      report.run_labels.push_back(r.label);
    }
    report.notes = corpus_.notes;
    describe_configs(report);
    label_accuracy(report);
    compare_pairs(report);
    correct_for_multiplicity(report);
    group_models(report);
    return report;
  }

 private:
  void describe_configs(Report& report) {
    lists_.resize(corpus_.configs.size());
    for (std::size_t c = 0; c < corpus_.configs.size(); ++c) {
      const ConfigData& data = corpus_.configs[c];
      ConfigReport& out = report.configs.emplace_back();
      out.model = data.model;
      out.variant = data.variant;
      out.run_index = data.run;
      out.run = corpus_.runs[data.run].label;
      const auto occurrences = std::count_if(
          corpus_.configs.begin(), corpus_.configs.end(),
          [&](const ConfigData& o) { return o.model == data.model && o.variant == data.variant; });
      out.label = data.model + " · " + data.variant + (occurrences > 1 ? " @ " + out.run : "");
      out.scores = data.totals.scores();
      out.failed = data.failed;
      out.items = data.items.size();
      for (const auto& r : data.items)
        grouper_.add(r.post, r);
      lists_[c] = grouper_.take();
      out.posts = lists_[c].size();
      const MetricValues values = metric_values(out.scores);
      for (std::size_t m = 0; m < kMetricCount; ++m)
        out.metrics[m] = {values[m], values[m], values[m]};
      for (std::size_t d = 0; d < express::kDimensionCount; ++d) {
        const auto& dim = data.totals.dimensions[d];
        out.predicted_dimensions[d] = dim.tp + dim.fp;
        out.gold_dimensions[d] = dim.tp + dim.fn;
      }
      for (const auto& e : data.substitutions.top(options_.top_substitutions)) {
        const auto sep = e.key.find('\x1f');
        out.substitutions.push_back(
            {e.key.substr(0, sep), e.key.substr(sep + 1), e.count, e.error});
      }
      out.substitutions_exact = data.substitutions.exact();
    }
    report.leaderboard.resize(report.configs.size());
    std::iota(report.leaderboard.begin(), report.leaderboard.end(), std::size_t{0});
    std::stable_sort(report.leaderboard.begin(), report.leaderboard.end(),
                     [&](std::size_t a, std::size_t b) {
                       const auto& x = report.configs[a];
                       const auto& y = report.configs[b];
                       if (x.scores.accl != y.scores.accl) return x.scores.accl > y.scores.accl;
                       return x.label < y.label;
                     });
  }

  void label_accuracy(Report& report) {
    const std::size_t n = corpus_.labels.size();
    std::vector<std::uint64_t> totals(n, 0);
    for (const auto& c : corpus_.configs)
      for (std::size_t id = 0; id < c.totals.labels.size(); ++id)
        totals[id] += c.totals.labels[id].masks;
    std::vector<std::uint32_t> ids(n);
    std::iota(ids.begin(), ids.end(), 0u);
    std::sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (totals[a] != totals[b]) return totals[a] > totals[b];
      return corpus_.labels.name(a) < corpus_.labels.name(b);
    });
    for (std::uint32_t id : ids) {
      if (report.top_labels.size() == options_.top_labels || totals[id] == 0) break;
      report.top_labels.emplace_back(corpus_.labels.name(id));
      for (std::size_t c = 0; c < corpus_.configs.size(); ++c) {
        const auto& counts = corpus_.configs[c].totals.labels;
        LabelAccuracy acc;
        acc.label = corpus_.labels.name(id);
        if (id < counts.size()) {
          acc.masks = counts[id].masks;
          acc.correct = counts[id].correct;
        }
        acc.accuracy = wilson_interval(acc.correct, acc.masks, confidence(options_));
        report.configs[c].labels.push_back(std::move(acc));
      }
    }
  }

  // McNemar counts and the bootstrap plan of every pair; the plans are bootstrapped in
  // chunks, the first chunk together with the configurations.
  void compare_pairs(Report& report) {
    config_sums_.assign(corpus_.configs.size(), std::vector<Fields>(options_.resamples));
    std::vector<PairPlan> chunk;
    std::size_t entries = 0;
    bool configs_done = false;
    const auto flush = [&] {
      bootstrap(report, chunk, !configs_done);
      configs_done = true;
      chunk.clear();
      entries = 0;
    };
    const std::size_t n = corpus_.configs.size();
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = a + 1; b < n; ++b) {
        std::optional<PairPlan> plan;
        report.comparisons.push_back(plan_pair(a, b, plan));
        if (!plan) continue;  // nothing shared: nothing to resample
        plan->comparison = report.comparisons.size() - 1;
        entries += plan->entries();
        chunk.push_back(std::move(*plan));
        if (entries >= kChunkEntries || chunk.size() >= kChunkPairs) flush();
      }
    }
    if (!chunk.empty() || !configs_done) flush();
    config_sums_.clear();
  }

  Comparison plan_pair(std::size_t a, std::size_t b, std::optional<PairPlan>& out_plan) {
    Comparison out;
    out.a = a;
    out.b = b;
    const auto& ia = corpus_.configs[a].items;
    const auto& ib = corpus_.configs[b].items;
    McNemarComparison& mc = out.mcnemar;
    merge_items(
        ia, ib,
        [&](const ItemRecord& x, const ItemRecord& y) {
          const std::uint64_t all =
              x.masks == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << x.masks) - 1;
          ++out.shared_items;
          mc.masks += x.masks;
          mc.a_only +=
              static_cast<std::uint64_t>(std::popcount(x.label_bits & ~y.label_bits & all));
          mc.b_only +=
              static_cast<std::uint64_t>(std::popcount(~x.label_bits & y.label_bits & all));
          grouper_.add(x.post, x);
        },
        [](const ItemRecord*, const ItemRecord*) {});
    mc.p = mcnemar_exact_p(mc.a_only, mc.b_only);
    PostList shared_a = grouper_.take();
    out.shared_posts = shared_a.size();
    if (out.shared_items == 0) return out;

    PairPlan& plan = out_plan.emplace();
    plan.a = a;
    plan.b = b;
    // The posts of the items only one side scored (each side separately).
    merge_items(
        ia, ib, [](const ItemRecord&, const ItemRecord&) {},
        [&](const ItemRecord* x, const ItemRecord*) {
          if (x) grouper_.add(x->post, *x);
        });
    PostList only_a = grouper_.take();
    merge_items(
        ia, ib, [](const ItemRecord&, const ItemRecord&) {},
        [&](const ItemRecord*, const ItemRecord* y) {
          if (y) grouper_.add(y->post, *y);
        });
    PostList only_b = grouper_.take();
    const Fields shared_a_total = minus(total(lists_[a]), total(only_a));
    const Fields shared_b_total = minus(total(lists_[b]), total(only_b));
    const auto va = detail::metrics_of(shared_a_total), vb = detail::metrics_of(shared_b_total);
    for (std::size_t m = 0; m < kMetricCount; ++m)
      plan.observed[m] = va[m] - vb[m];
    if (only_a.size() + only_b.size() <= 2 * shared_a.size()) {
      plan.direct = false;
      plan.a_list = std::move(only_a);
      plan.b_list = std::move(only_b);
    } else {
      // B's shared items are grouped under A's post ids, like A's.
      merge_items(
          ia, ib, [&](const ItemRecord& x, const ItemRecord& y) { grouper_.add(x.post, y); },
          [](const ItemRecord*, const ItemRecord*) {});
      plan.a_list = std::move(shared_a);
      plan.b_list = grouper_.take();
    }
    return out;
  }

  void bootstrap(Report& report, std::vector<PairPlan>& chunk, bool configs) {
    const std::size_t resamples = options_.resamples;
    for (auto& plan : chunk)
      plan.replicates.assign(resamples * kMetricCount, 0.0);
    detail::for_each_block(
        corpus_.post_count, resamples, options_.seed, options_.threads,
        [&](const detail::ResampleBlock& block) {
          std::array<Fields, detail::kBlock> sums;
          if (configs) {
            for (std::size_t c = 0; c < lists_.size(); ++c) {
              sums.fill(Fields{});
              block.accumulate(lists_[c], sums);
              for (std::size_t k = 0; k < block.size; ++k)
                config_sums_[c][block.first + k] = sums[k];
            }
          }
          std::array<Fields, detail::kBlock> other;
          for (auto& plan : chunk) {
            sums.fill(Fields{});
            other.fill(Fields{});
            block.accumulate(plan.a_list, sums);
            block.accumulate(plan.b_list, other);
            for (std::size_t k = 0; k < block.size; ++k) {
              const std::size_t r = block.first + k;
              const Fields fa = plan.direct ? sums[k] : minus(config_sums_[plan.a][r], sums[k]);
              const Fields fb = plan.direct ? other[k] : minus(config_sums_[plan.b][r], other[k]);
              const auto ma = detail::metrics_of(fa), mb = detail::metrics_of(fb);
              for (std::size_t m = 0; m < kMetricCount; ++m)
                plan.replicates[r * kMetricCount + m] = ma[m] - mb[m];
            }
          }
        });
    if (configs) {
      std::vector<double> col(resamples);
      for (std::size_t c = 0; c < lists_.size(); ++c) {
        if (lists_[c].empty()) continue;
        for (std::size_t m = 0; m < kMetricCount; ++m) {
          for (std::size_t r = 0; r < resamples; ++r)
            col[r] = detail::metrics_of(config_sums_[c][r])[m];
          report.configs[c].metrics[m] = detail::percentile_interval(
              col, report.configs[c].metrics[m].value, confidence(options_));
        }
      }
    }
    std::vector<double> col(resamples);
    for (auto& plan : chunk) {
      Comparison& cmp = report.comparisons[plan.comparison];
      for (std::size_t m = 0; m < kMetricCount; ++m) {
        for (std::size_t r = 0; r < resamples; ++r)
          col[r] = plan.replicates[r * kMetricCount + m];
        cmp.metrics[m].difference =
            detail::difference_interval(col, plan.observed[m], confidence(options_));
      }
      plan.replicates.clear();
      plan.replicates.shrink_to_fit();
    }
  }

  void correct_for_multiplicity(Report& report) {
    auto& cmp = report.comparisons;
    if (cmp.empty()) return;
    std::vector<double> p(cmp.size());
    for (std::size_t m = 0; m < kMetricCount; ++m) {
      for (std::size_t i = 0; i < cmp.size(); ++i)
        p[i] = cmp[i].metrics[m].difference.p;
      const auto adjusted = holm_adjust(p);
      for (std::size_t i = 0; i < cmp.size(); ++i) {
        cmp[i].metrics[m].p_holm = adjusted[i];
        cmp[i].metrics[m].real = cmp[i].shared_items > 0 && adjusted[i] < options_.alpha;
      }
    }
    for (std::size_t i = 0; i < cmp.size(); ++i)
      p[i] = cmp[i].mcnemar.p;
    const auto adjusted = holm_adjust(p);
    for (std::size_t i = 0; i < cmp.size(); ++i) {
      cmp[i].mcnemar.p_holm = adjusted[i];
      cmp[i].mcnemar.real = adjusted[i] < options_.alpha;
    }
    const double smallest =
        static_cast<double>(cmp.size()) / static_cast<double>(options_.resamples + 1);
    if (smallest >= options_.alpha) {
      report.notes.push_back(fmt::format(
          "with {} comparisons and {} resamples the smallest Holm-adjusted bootstrap p-value is "
          "{:.3g}, not below alpha = {}: no bootstrap difference can be declared real; use "
          "--resamples well above {}",
          cmp.size(), options_.resamples, smallest, options_.alpha,
          static_cast<std::size_t>(static_cast<double>(cmp.size()) / options_.alpha)));
    }
  }

  void group_models(Report& report) {
    for (std::size_t c = 0; c < report.configs.size(); ++c) {
      const std::string& model = report.configs[c].model;
      auto it = std::find_if(report.models.begin(), report.models.end(),
                             [&](const ModelGroup& g) { return g.model == model; });
      if (it == report.models.end()) {
        report.models.push_back({model, {}});
        it = std::prev(report.models.end());
      }
      it->configs.push_back(c);
    }
  }

  detail::Corpus& corpus_;
  const ReportOptions& options_;
  PostGrouper grouper_;
  std::vector<PostList> lists_;                   // per configuration
  std::vector<std::vector<Fields>> config_sums_;  // [configuration][resample]
};

}  // namespace

Format format_from_string(std::string_view name) {
  const std::string lower = text::python_lower(name);
  if (lower == "md" || lower == "markdown") return Format::markdown;
  if (lower == "csv") return Format::csv;
  if (lower == "json") return Format::json;
  if (lower == "html") return Format::html;
  throw InputError(fmt::format("--format: '{}' is not one of md, csv, json, html", name));
}

std::optional<Format> format_from_path(std::string_view path) {
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string ext = text::python_lower(path.substr(dot + 1));
  if (ext == "md" || ext == "markdown") return Format::markdown;
  if (ext == "csv") return Format::csv;
  if (ext == "json") return Format::json;
  if (ext == "html" || ext == "htm") return Format::html;
  return std::nullopt;
}

const Comparison* Report::find(std::size_t a, std::size_t b) const {
  if (a > b) std::swap(a, b);
  for (const auto& c : comparisons)
    if (c.a == a && c.b == b) return &c;
  return nullptr;
}

Report build_report(const std::vector<std::string>& run_dirs, const ReportOptions& options) {
  if (options.resamples == 0) throw InputError("--resamples: must be at least 1");
  if (!(options.alpha > 0 && options.alpha < 1))
    throw InputError(fmt::format("--alpha: {} is not between 0 and 1", options.alpha));
  detail::Corpus corpus = detail::read_runs(run_dirs);
  return Analysis(corpus, options).run();
}

std::string render_report(const Report& report, Format format) {
  switch (format) {
    case Format::markdown:
      return detail::render_markdown(report);
    case Format::csv:
      return detail::render_csv(report);
    case Format::json:
      return detail::render_json(report);
    case Format::html:
      return detail::render_html(report);
  }
  return {};
}

}  // namespace emosweep::reports
