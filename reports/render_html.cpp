// One self-contained HTML page: inline CSS and SVG, no scripts, no external resources.
// Colours come from CSS custom properties switched by prefers-color-scheme, so every chart
// follows light and dark mode; every chart is role="img" with a <title> and a <desc> that
// states its content in words, followed by its data as a table.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numbers>

#include <fmt/format.h>

#include "reports/detail/render.hpp"

namespace emosweep::reports::detail {

namespace {

constexpr std::string_view kCss = R"css(
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--grid:#d1d9e0;
--panel:#f6f8fa;--good:#1a7f37;--note:#9a6700;
--s0:#0072b2;--s1:#d55e00;--s2:#009e73;--s3:#cc79a7;--s4:#b07d00;--s5:#56b4e9;--s6:#7f3c8d;--s7:#666666}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--grid:#3d444d;
--panel:#151b23;--good:#3fb950;--note:#d29922;
--s0:#56b4e9;--s1:#ff8c42;--s2:#2bd4a4;--s3:#e08fc6;--s4:#f0c419;--s5:#9ad0f5;--s6:#c39bd3;--s7:#b0b0b0}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1240px;padding:24px;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:26px;margin:0 0 8px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid var(--grid)}
h3{font-size:16px;margin:20px 0 6px}
.meta,.legend,figcaption{color:var(--muted)}
.note{border-left:4px solid var(--note);padding:4px 10px;background:var(--panel)}
.wrap{overflow-x:auto}
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums;font-size:13px}
th,td{border-bottom:1px solid var(--grid);padding:4px 8px;text-align:right;white-space:nowrap}
th{background:var(--panel)}
.t{text-align:left}
td.real{color:var(--good);font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure.chart{margin:0;padding:8px;background:var(--panel);border-radius:6px;width:min-content;
max-width:100%;overflow-x:auto}
figcaption{font-size:13px}
svg text{fill:var(--fg);font-size:12px}
svg text.muted{fill:var(--muted);font-size:11px}
.grid{stroke:var(--grid);stroke-width:1;fill:none}
.axis{stroke:var(--muted);stroke-width:1}
.s0{fill:var(--s0);stroke:var(--s0)}.s1{fill:var(--s1);stroke:var(--s1)}
.s2{fill:var(--s2);stroke:var(--s2)}.s3{fill:var(--s3);stroke:var(--s3)}
.s4{fill:var(--s4);stroke:var(--s4)}.s5{fill:var(--s5);stroke:var(--s5)}
.s6{fill:var(--s6);stroke:var(--s6)}.s7{fill:var(--s7);stroke:var(--s7)}
.bar{fill-opacity:.35;stroke-width:1}
.whisker{fill:none;stroke-width:1.6}
.area{fill-opacity:.10;stroke-width:2}
.gold{fill:none;stroke:var(--fg);stroke-width:2;stroke-dasharray:6 4}
.goldkey{fill:var(--fg)}
details{margin:4px 0 12px}summary{cursor:pointer;color:var(--muted)}
)css";

constexpr std::size_t kPalette = 8;

std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

// Cuts `s` to at most `max` code points, ending with an ellipsis when cut.
std::string ellipsize(std::string_view s, std::size_t max) {
  std::size_t points = 0, i = 0;
  while (i < s.size()) {
    if (points == max) return std::string(s.substr(0, i)) + "…";
    const auto c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++points;
  }
  return std::string(s);
}

double nice_upper(double v) {
  static constexpr double steps[] = {0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.8, 1.0};
  if (!std::isfinite(v)) return 1.0;
  for (double s : steps)
    if (v <= s + 1e-12) return s;
  return std::ceil(v * 10) / 10;
}

double tick_step(double upper) {
  return upper <= 0.3 ? 0.05 : upper <= 0.6 ? 0.1 : 0.2;
}

double share(std::uint64_t count, std::uint64_t total) {
  return total == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(total);
}

std::string variant_name(const ConfigReport& c) {
  return c.label.ends_with(" @ " + c.run) ? c.variant + " @ " + c.run : c.variant;
}

class Html {
 public:
  explicit Html(const Report& r) : r_(r) {
    for (std::size_t g = 0; g < r.models.size(); ++g)
      for (std::size_t c : r.models[g].configs)
        model_of_[c] = g;
    for (const ConfigReport& c : r.configs) {
      const std::string v = variant_name(c);
      if (std::find(variants_.begin(), variants_.end(), v) == variants_.end())
        variants_.push_back(v);
    }
  }

  std::string render() {
    out_ =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"color-scheme\" content=\"light dark\">\n"
        "<title>EXPRESS benchmark report</title>\n<style>";
    out_ += kCss;
    out_ += "</style>\n</head>\n<body>\n<header>\n<h1>EXPRESS benchmark report</h1>\n";
    std::string runs;
    for (std::size_t i = 0; i < r_.runs.size(); ++i)
      runs += (i ? ", " : "") + std::string("<code>") + escape_html(r_.runs[i]) + "</code>";
    out_ += fmt::format("<p class=\"meta\">Runs: {}. Configurations: {}.</p>\n", runs,
                        r_.configs.size());
    out_ += "<p>" + escape_html(methods_sentence(r_)) + "</p>\n";
    for (const auto& n : r_.notes)
      out_ += "<p class=\"note\">Note: " + escape_html(n) + "</p>\n";
    out_ += "</header>\n<main>\n";
    leaderboard();
    differences();
    variants();
    profiles();
    out_ += fmt::format(
        "</main>\n<footer class=\"meta\"><p>Generated by emosweep {}.</p></footer>\n"
        "</body>\n</html>\n",
        EMOSWEEP_VERSION);
    return std::move(out_);
  }

 private:
  // Opens an accessible SVG; the caller appends the marks and calls close_figure().
  std::string open_svg(int width, int height, std::string_view title, std::string_view desc) {
    const std::string id = fmt::format("chart{}", ++charts_);
    return fmt::format(
        "<figure class=\"chart\">\n<svg role=\"img\" aria-labelledby=\"{0}-t {0}-d\" "
        "viewBox=\"0 0 {1} {2}\" width=\"{1}\" height=\"{2}\">\n<title id=\"{0}-t\">{3}</title>\n"
        "<desc id=\"{0}-d\">{4}</desc>\n",
        id, width, height, escape_html(title), escape_html(desc));
  }
  static std::string close_figure(std::string_view caption, const Table& data) {
    return fmt::format(
        "</svg>\n<figcaption>{}</figcaption>\n<details><summary>Data table</summary>\n{}"
        "</details>\n</figure>\n",
        escape_html(caption), to_html(data));
  }

  void leaderboard() {
    out_ += "<section id=\"leaderboard\">\n<h2>Leaderboard</h2>\n" + to_html(leaderboard_table(r_));
    out_ +=
        "<p class=\"legend\">Sorted by accl. Rows are the scored rows (outcome ok or invalid); "
        "failed rows are left out of every metric. vrate is a share of rows, accl and accv of "
        "all masks (invalid rows count as wrong), f1v and accv2 of the masks of valid rows.</p>\n";
    if (!r_.configs.empty()) {
      out_ += "<div class=\"charts\">\n";
      for (std::size_t m = 0; m < kMetricCount; ++m)
        out_ += error_bar_chart(m);
      out_ += "</div>\n";
    }
    out_ += "</section>\n";
  }

  std::string error_bar_chart(std::size_t m) {
    const auto& order = r_.leaderboard;
    constexpr int label_w = 200, x0 = 210, plot_w = 240, top = 16, row_h = 22;
    const int rows = static_cast<int>(order.size());
    const int width = x0 + plot_w + 60, height = top + rows * row_h + 34;
    double hi = 0;
    for (std::size_t i : order)
      hi = std::max(hi, r_.configs[i].metrics[m].high);
    const double upper = nice_upper(hi);
    const auto x = [&](double v) { return x0 + plot_w * std::clamp(v / upper, 0.0, 1.0); };
    const ConfigReport& best = r_.configs[order.front()];
    const ConfigReport& worst = r_.configs[order.back()];
    const std::string metric(kMetrics[m]);
    std::string desc = fmt::format(
        "{} of {} configuration(s) with {} bootstrap intervals, in leaderboard order (by accl). "
        "{}: {} {}; {}: {} {}.",
        metric, rows, confidence_label(r_), best.label, fixed(best.metrics[m].value),
        interval(best.metrics[m].low, best.metrics[m].high), worst.label,
        fixed(worst.metrics[m].value), interval(worst.metrics[m].low, worst.metrics[m].high));
    std::string s = open_svg(
        width, height, metric + " with " + confidence_label(r_) + " confidence intervals", desc);
    const int bottom = top + rows * row_h;
    for (double t = 0; t <= upper + 1e-9; t += tick_step(upper)) {
      s += fmt::format(
          "<line class=\"grid\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
          "<text class=\"muted\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
          num(x(t)), top - 4, bottom, bottom + 14, fixed(t, 2));
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x0 + plot_w / 2,
                     bottom + 30, metric);
    for (int row = 0; row < rows; ++row) {
      const std::size_t i = order[static_cast<std::size_t>(row)];
      const ConfigReport& c = r_.configs[i];
      const Estimate& e = c.metrics[m];
      const double y = top + row * row_h + row_h / 2.0;
      const std::string cls = fmt::format("s{}", model_of_.at(i) % kPalette);
      s += fmt::format("<g><title>{}: {} {}</title>", escape_html(c.label), fixed(e.value),
                       interval(e.low, e.high));
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", label_w, num(y + 4),
                       escape_html(ellipsize(c.label, 30)));
      s += fmt::format("<rect class=\"{} bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\"/>", cls,
                       x0, num(y - 6), num(x(e.value) - x0));
      s += fmt::format("<path class=\"{} whisker\" d=\"M{} {}V{}M{} {}H{}M{} {}V{}\"/>", cls,
                       num(x(e.low)), num(y - 5), num(y + 5), num(x(e.low)), num(y), num(x(e.high)),
                       num(x(e.high)), num(y - 5), num(y + 5));
      s += fmt::format("<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"3.5\"/>", cls, num(x(e.value)),
                       num(y));
      s += fmt::format("<text class=\"muted\" x=\"{}\" y=\"{}\">{}</text></g>\n",
                       num(x(e.high) + 6), num(y + 4), fixed(e.value));
    }
    Table data;
    data.header = {"Configuration", metric, fmt::format("{} CI low", confidence_label(r_)),
                   fmt::format("{} CI high", confidence_label(r_))};
    for (std::size_t i : order) {
      const Estimate& e = r_.configs[i].metrics[m];
      data.rows.push_back({r_.configs[i].label, fixed(e.value), fixed(e.low), fixed(e.high)});
    }
    return s + close_figure(metric + ": points are estimates, whiskers the " +
                                confidence_label(r_) + " bootstrap intervals.",
                            data);
  }

  void differences() {
    out_ += "<section id=\"differences\">\n<h2>Which differences are real</h2>\n";
    if (r_.comparisons.empty()) {
      out_ += "<p>One configuration only: nothing to compare.</p>\n</section>\n";
      return;
    }
    out_ += fmt::format(
        "<p class=\"legend\">Δ = A − B on the items both scored. ▲ A is higher, ▼ A is lower, with "
        "a Holm-adjusted p-value below {} (accl: McNemar's exact test; other metrics: paired "
        "bootstrap); · no difference the data can show.</p>\n",
        r_.options.alpha);
    out_ += to_html(differences_table(r_));
    out_ += "<details><summary>Paired bootstrap, every metric</summary>\n" +
            to_html(comparison_details_table(r_)) + "</details>\n";
    out_ += "<details><summary>McNemar's exact test on accl</summary>\n" +
            to_html(mcnemar_table(r_)) + "</details>\n</section>\n";
  }

  void variants() {
    out_ += "<section id=\"variants\">\n<h2>Prompt variants per model</h2>\n";
    const bool any = std::any_of(r_.models.begin(), r_.models.end(),
                                 [](const ModelGroup& g) { return g.configs.size() > 1; });
    if (!any) {
      out_ += "<p>Every model was run with one prompt variant.</p>\n</section>\n";
      return;
    }
    out_ += "<div class=\"charts\">\n";
    for (std::size_t m = 0; m < kMetricCount; ++m)
      out_ += grouped_bars(m);
    out_ += "</div>\n";
    for (const ModelGroup& g : r_.models) {
      if (g.configs.size() < 2) continue;
      out_ += "<h3>" + escape_html(g.model) + "</h3>\n" + to_html(variant_table(r_, g));
    }
    out_ +=
        "<p class=\"legend\">Δ = variant − baseline (the model's first variant), with its "
        "interval; markers as above.</p>\n</section>\n";
  }

  std::size_t variant_color(const ConfigReport& c) const {
    return static_cast<std::size_t>(std::find(variants_.begin(), variants_.end(), variant_name(c)) -
                                    variants_.begin()) %
           kPalette;
  }

  std::string legend(int x, int y, int width,
                     const std::vector<std::pair<std::string, std::string>>& items, int& height) {
    std::string s;
    int cx = x, cy = y;
    for (const auto& [cls, name] : items) {
      const std::string label = ellipsize(name, 28);
      const int w = 22 + 7 * static_cast<int>(label.size() > 28 ? 28 : label.size()) + 14;
      if (cx + w > x + width && cx > x) {
        cx = x;
        cy += 18;
      }
      if (cls == "gold")
        s += fmt::format("<path class=\"gold\" d=\"M{} {}H{}\"/>", cx, cy - 4, cx + 16);
      else
        s += fmt::format("<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"14\" height=\"10\"/>", cls,
                         cx, cy - 9);
      s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", cx + 20, cy, escape_html(label));
      cx += w;
    }
    height = cy - y + 18;
    return s;
  }

  std::string grouped_bars(std::size_t m) {
    constexpr int left = 48, top = 28, plot_h = 180, bar_w = 16, gap = 3, group_gap = 28;
    int plot_w = 0;
    for (const ModelGroup& g : r_.models)
      plot_w += static_cast<int>(g.configs.size()) * (bar_w + gap) + group_gap;
    const int width = std::max(360, left + plot_w + 16);
    std::vector<std::pair<std::string, std::string>> keys;
    for (std::size_t v = 0; v < variants_.size(); ++v)
      keys.emplace_back(fmt::format("s{}", v % kPalette), variants_[v]);
    int legend_h = 0;
    const std::string legend_marks = legend(left, top + plot_h + 38, width - left, keys, legend_h);
    const int height = top + plot_h + 38 + legend_h;
    double hi = 0;
    for (const ConfigReport& c : r_.configs)
      hi = std::max(hi, c.metrics[m].high);
    const double upper = nice_upper(hi);
    const auto y = [&](double v) { return top + plot_h * (1 - std::clamp(v / upper, 0.0, 1.0)); };
    const std::string metric(kMetrics[m]);
    std::string desc = fmt::format(
        "Grouped bars of {} per model (groups) and prompt variant (bars), "
        "with {} bootstrap intervals.",
        metric, confidence_label(r_));
    for (const ModelGroup& g : r_.models) {
      desc += " " + g.model + ":";
      for (std::size_t i : g.configs)
        desc += fmt::format(" {} {};", variant_name(r_.configs[i]),
                            fixed(r_.configs[i].metrics[m].value));
    }
    std::string s = open_svg(width, height, metric + " by model and prompt variant", desc);
    for (double t = 0; t <= upper + 1e-9; t += tick_step(upper)) {
      s += fmt::format(
          "<line class=\"grid\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>"
          "<text class=\"muted\" x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>\n",
          left, left + plot_w, num(y(t)), left - 6, num(y(t) + 4), fixed(t, 2));
    }
    s +=
        fmt::format("<text x=\"{}\" y=\"14\" text-anchor=\"start\">{}</text>\n", left - 40, metric);
    int gx = left + group_gap / 2;
    for (const ModelGroup& g : r_.models) {
      const int group_w = static_cast<int>(g.configs.size()) * (bar_w + gap);
      for (std::size_t k = 0; k < g.configs.size(); ++k) {
        const ConfigReport& c = r_.configs[g.configs[k]];
        const Estimate& e = c.metrics[m];
        const int bx = gx + static_cast<int>(k) * (bar_w + gap);
        const std::string cls = fmt::format("s{}", variant_color(c));
        const double cx = bx + bar_w / 2.0;
        s += fmt::format("<g><title>{}: {} {}</title>", escape_html(c.label), fixed(e.value),
                         interval(e.low, e.high));
        s += fmt::format("<rect class=\"{} bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                         cls, bx, num(y(e.value)), bar_w, num(top + plot_h - y(e.value)));
        s += fmt::format("<path class=\"{} whisker\" d=\"M{} {}H{}M{} {}V{}M{} {}H{}\"/></g>\n",
                         cls, num(cx - 4), num(y(e.high)), num(cx + 4), num(cx), num(y(e.high)),
                         num(y(e.low)), num(cx - 4), num(y(e.low)), num(cx + 4));
      }
      const std::size_t room = static_cast<std::size_t>((group_w + group_gap) / 7);
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       num(gx + group_w / 2.0), top + plot_h + 16,
                       escape_html(ellipsize(g.model, std::max<std::size_t>(room, 4))));
      gx += group_w + group_gap;
    }
    s += fmt::format("<line class=\"axis\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>\n", left,
                     left + plot_w, top + plot_h);
    s += legend_marks;
    Table data;
    data.header = {"Model", "Variant", metric, fmt::format("{} CI low", confidence_label(r_)),
                   fmt::format("{} CI high", confidence_label(r_))};
    data.text_columns = 2;
    for (const ModelGroup& g : r_.models)
      for (std::size_t i : g.configs) {
        const Estimate& e = r_.configs[i].metrics[m];
        data.rows.push_back(
            {g.model, variant_name(r_.configs[i]), fixed(e.value), fixed(e.low), fixed(e.high)});
      }
    return s + close_figure(metric + " per prompt variant, grouped by model; whiskers are the " +
                                confidence_label(r_) + " bootstrap intervals.",
                            data);
  }

  void profiles() {
    out_ +=
        "<section id=\"profile\">\n<h2>Emotion profile</h2>\n"
        "<p class=\"legend\">Share of the masks of valid rows whose predicted word carries each "
        "of the 10 dimensions, against the self-disclosed words of the same masks (dashed).</p>\n"
        "<div class=\"charts\">\n";
    for (const ModelGroup& g : r_.models)
      out_ += radar(g);
    out_ += "</div>\n<h3>Profile table</h3>\n<p class=\"legend\">predicted / self-disclosed</p>\n" +
            to_html(profile_table(r_));
    out_ += "<h3>Substitutions</h3>\n" + to_html(substitutions_table(r_));
    out_ +=
        "<h3>Per-label accuracy</h3>\n<p class=\"legend\">accl of the most frequent "
        "self-disclosed labels (all masks, invalid rows count as wrong).</p>\n" +
        to_html(labels_table(r_));
    out_ += "</section>\n";
  }

  std::string radar(const ModelGroup& g) {
    constexpr double cx = 230, cy = 190, radius = 135;
    constexpr std::size_t dims = express::kDimensionCount;
    std::array<std::uint64_t, dims> gold{};
    std::uint64_t valid = 0;
    double hi = 0;
    for (std::size_t i : g.configs) {
      const ConfigReport& c = r_.configs[i];
      valid += c.scores.valid_masks;
      for (std::size_t d = 0; d < dims; ++d) {
        gold[d] += c.gold_dimensions[d];
        hi = std::max(hi, share(c.predicted_dimensions[d], c.scores.valid_masks));
      }
    }
    std::array<double, dims> gold_share{};
    for (std::size_t d = 0; d < dims; ++d) {
      gold_share[d] = share(gold[d], valid);
      hi = std::max(hi, gold_share[d]);
    }
    const double upper = nice_upper(hi);
    const auto point = [&](std::size_t d, double v) {
      const double angle =
          -std::numbers::pi / 2 + 2 * std::numbers::pi * static_cast<double>(d) / dims;
      const double rr = radius * std::clamp(v / upper, 0.0, 1.0);
      return std::pair{cx + rr * std::cos(angle), cy + rr * std::sin(angle)};
    };
    const auto polygon = [&](const auto& values) {
      std::string pts;
      for (std::size_t d = 0; d < dims; ++d) {
        const auto [px, py] = point(d, values[d]);
        pts += fmt::format("{}{},{}", d ? " " : "", num(px), num(py));
      }
      return pts;
    };
    std::vector<std::pair<std::string, std::string>> keys = {{"gold", "self-disclosed"}};
    for (std::size_t i : g.configs)
      keys.emplace_back(fmt::format("s{}", variant_color(r_.configs[i])),
                        variant_name(r_.configs[i]));
    int legend_h = 0;
    const std::string legend_marks =
        legend(20, static_cast<int>(cy + radius + 44), 420, keys, legend_h);
    const int height = static_cast<int>(cy + radius + 44) + legend_h;

    std::string desc = fmt::format(
        "Radar chart of {}: for each of the 10 emotion dimensions, the share of masks whose "
        "predicted word carries it, per prompt variant, against the self-disclosed words (dashed).",
        g.model);
    for (std::size_t i : g.configs) {
      const ConfigReport& c = r_.configs[i];
      std::size_t worst = 0;
      double gap = -1;
      for (std::size_t d = 0; d < dims; ++d) {
        const double diff = std::abs(share(c.predicted_dimensions[d], c.scores.valid_masks) -
                                     share(c.gold_dimensions[d], c.scores.valid_masks));
        if (diff > gap) {
          gap = diff;
          worst = d;
        }
      }
      const double p = share(c.predicted_dimensions[worst], c.scores.valid_masks);
      const double s = share(c.gold_dimensions[worst], c.scores.valid_masks);
      desc += fmt::format(" {}: largest gap on {}, predicted {} vs self-disclosed {}.",
                          variant_name(c), express::kDimensions[worst], fixed(p, 2), fixed(s, 2));
    }
    std::string s = open_svg(460, height, "Emotion profile of " + g.model, desc);
    for (int ring = 1; ring <= 4; ++ring) {
      std::array<double, dims> level;
      level.fill(upper * ring / 4.0);
      s += fmt::format("<polygon class=\"grid\" points=\"{}\"/>", polygon(level));
      // Ring values sit between the first two axes, clear of the dimension names.
      const double between = -std::numbers::pi / 2 + std::numbers::pi / dims;
      s += fmt::format("<text class=\"muted\" x=\"{}\" y=\"{}\">{}</text>\n",
                       num(cx + radius * ring / 4.0 * std::cos(between) + 2),
                       num(cy + radius * ring / 4.0 * std::sin(between) - 2),
                       fixed(upper * ring / 4.0, 2));
    }
    for (std::size_t d = 0; d < dims; ++d) {
      const auto [ex, ey] = point(d, upper);
      s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(cx),
                       num(cy), num(ex), num(ey));
      const auto [lx, ly] = point(d, upper * (radius + 14) / radius);
      const char* anchor = lx > cx + 5 ? "start" : lx < cx - 5 ? "end" : "middle";
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>\n", num(lx),
                       num(ly + 4), anchor, express::kDimensions[d]);
    }
    for (std::size_t i : g.configs) {
      const ConfigReport& c = r_.configs[i];
      std::array<double, dims> values;
      for (std::size_t d = 0; d < dims; ++d)
        values[d] = share(c.predicted_dimensions[d], c.scores.valid_masks);
      s += fmt::format("<polygon class=\"s{} area\" points=\"{}\"><title>{}</title></polygon>\n",
                       variant_color(c), polygon(values), escape_html(c.label));
    }
    s += fmt::format(
        "<polygon class=\"gold\" points=\"{}\"><title>self-disclosed</title></polygon>\n",
        polygon(gold_share));
    s += legend_marks;
    Table data;
    data.header = {"Dimension", "self-disclosed"};
    for (std::size_t i : g.configs)
      data.header.push_back(variant_name(r_.configs[i]));
    for (std::size_t d = 0; d < dims; ++d) {
      std::vector<std::string> row = {std::string(express::kDimensions[d]), fixed(gold_share[d])};
      for (std::size_t i : g.configs) {
        const ConfigReport& c = r_.configs[i];
        row.push_back(fixed(share(c.predicted_dimensions[d], c.scores.valid_masks)));
      }
      data.rows.push_back(std::move(row));
    }
    return s +
           close_figure("Emotion profile of " + g.model + " (share of masks per dimension).", data);
  }

  const Report& r_;
  std::string out_;
  int charts_ = 0;
  std::map<std::size_t, std::size_t> model_of_;
  std::vector<std::string> variants_;
};

}  // namespace

std::string render_html(const Report& report) {
  return Html(report).render();
}

}  // namespace emosweep::reports::detail
