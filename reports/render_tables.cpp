#include <cmath>

#include <fmt/format.h>

#include "reports/detail/render.hpp"

namespace emosweep::reports::detail {

std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  std::string s = fmt::format("{:.{}f}", v, digits);
  if (s.starts_with("-") && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string signed_fixed(double v, int digits) {
  std::string s = fixed(v, digits);
  if (s == "n/a") return s;
  return s.starts_with("-") ? s : "+" + s;
}

std::string interval(double low, double high, int digits) {
  return fmt::format("[{}, {}]", fixed(low, digits), fixed(high, digits));
}

std::string format_p(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 0.001) return fmt::format("{:.1e}", p);
  return fmt::format("{:.3f}", p);
}

std::string confidence_label(const Report& report) {
  return fmt::format("{:g}%", 100.0 * (1.0 - report.options.alpha));
}

DifferenceEstimate oriented(const Comparison& c, std::size_t metric, std::size_t first) {
  DifferenceEstimate d = c.metrics[metric].difference;
  if (first == c.a) return d;
  return {-d.value, -d.high, -d.low, d.p};
}

std::string verdict(const Comparison& c, std::size_t metric, std::size_t first) {
  const double diff = oriented(c, metric, first).value;
  const char* mark = !c.real(metric) ? "·" : diff > 0 ? "▲" : "▼";
  return fmt::format("{} {}", mark, signed_fixed(diff));
}

std::string methods_sentence(const Report& report) {
  const auto& o = report.options;
  return fmt::format(
      "Intervals: {} percentile bootstrap, {} resamples of posts (original_ids), seed {}. "
      "Paired comparisons on shared items (item and repeat): paired bootstrap for every metric "
      "and McNemar's exact test for accl, Holm-corrected per metric across {} comparison(s); "
      "a difference is real when the corrected p-value is below alpha = {}.",
      confidence_label(report), o.resamples, o.seed, report.comparisons.size(), o.alpha);
}

namespace {

std::string estimate_cell(const Estimate& e) {
  return fmt::format("{} {}", fixed(e.value), interval(e.low, e.high));
}

double share(std::uint64_t count, std::uint64_t total) {
  return total == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(total);
}

std::string variant_name(const ConfigReport& c) {
  return c.label.ends_with(" @ " + c.run) ? c.variant + " @ " + c.run : c.variant;
}

}  // namespace

Table leaderboard_table(const Report& report) {
  Table t;
  t.header = {"Rank", "Model", "Variant", "Run", "Rows", "Failed", "Posts"};
  for (auto m : kMetrics)
    t.header.push_back(fmt::format("{} [{} CI]", m, confidence_label(report)));
  t.text_columns = 4;
  std::size_t rank = 0;
  for (std::size_t i : report.leaderboard) {
    const ConfigReport& c = report.configs[i];
    std::vector<std::string> row = {std::to_string(++rank),
                                    c.model,
                                    c.variant,
                                    c.run,
                                    std::to_string(c.scores.rows),
                                    std::to_string(c.failed),
                                    std::to_string(c.posts)};
    for (const auto& e : c.metrics)
      row.push_back(estimate_cell(e));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table differences_table(const Report& report) {
  Table t;
  t.header = {"A", "B", "Shared items"};
  for (std::size_t m = 0; m < kMetricCount; ++m)
    t.header.push_back(m == kAccl ? "accl (McNemar)" : std::string(kMetrics[m]));
  t.text_columns = 2;
  for (const Comparison& c : report.comparisons) {
    std::vector<std::string> row = {report.configs[c.a].label, report.configs[c.b].label,
                                    std::to_string(c.shared_items)};
    for (std::size_t m = 0; m < kMetricCount; ++m)
      row.push_back(verdict(c, m, c.a));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table comparison_details_table(const Report& report) {
  Table t;
  t.header = {"A",
              "B",
              "Metric",
              "Δ (A − B)",
              fmt::format("{} CI", confidence_label(report)),
              "p (bootstrap)",
              "p (Holm)",
              "Real"};
  t.text_columns = 3;
  for (const Comparison& c : report.comparisons) {
    for (std::size_t m = 0; m < kMetricCount; ++m) {
      const MetricComparison& mc = c.metrics[m];
      t.rows.push_back({report.configs[c.a].label, report.configs[c.b].label,
                        std::string(kMetrics[m]), signed_fixed(mc.difference.value),
                        interval(mc.difference.low, mc.difference.high), format_p(mc.difference.p),
                        format_p(mc.p_holm), mc.real ? "yes" : "no"});
    }
  }
  return t;
}

Table mcnemar_table(const Report& report) {
  Table t;
  t.header = {
      "A",         "B",        "Shared masks", "A right, B wrong", "B right, A wrong", "Δ accl",
      "p (exact)", "p (Holm)", "Real"};
  t.text_columns = 2;
  for (const Comparison& c : report.comparisons) {
    const McNemarComparison& m = c.mcnemar;
    const double diff = m.masks == 0
                            ? 0.0
                            : (static_cast<double>(m.a_only) - static_cast<double>(m.b_only)) /
                                  static_cast<double>(m.masks);
    t.rows.push_back({report.configs[c.a].label, report.configs[c.b].label, std::to_string(m.masks),
                      std::to_string(m.a_only), std::to_string(m.b_only), signed_fixed(diff),
                      format_p(m.p), format_p(m.p_holm), m.real ? "yes" : "no"});
  }
  return t;
}

Table variant_table(const Report& report, const ModelGroup& group) {
  Table t;
  t.header = {"Variant"};
  for (auto m : kMetrics)
    t.header.emplace_back(m);
  const std::size_t baseline = group.configs.front();
  for (std::size_t i : group.configs) {
    const ConfigReport& c = report.configs[i];
    std::vector<std::string> row = {variant_name(c) + (i == baseline ? " (baseline)" : "")};
    for (std::size_t m = 0; m < kMetricCount; ++m) {
      std::string cell = fixed(c.metrics[m].value);
      if (i != baseline) {
        if (const Comparison* cmp = report.find(baseline, i)) {
          const DifferenceEstimate d = oriented(*cmp, m, i);
          cell += fmt::format("; Δ {} {}", verdict(*cmp, m, i), interval(d.low, d.high));
        }
      }
      row.push_back(std::move(cell));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table profile_table(const Report& report) {
  Table t;
  t.header = {"Configuration", "Valid masks"};
  for (auto d : express::kDimensions)
    t.header.emplace_back(d);
  for (const ConfigReport& c : report.configs) {
    std::vector<std::string> row = {c.label, std::to_string(c.scores.valid_masks)};
    for (std::size_t d = 0; d < express::kDimensionCount; ++d) {
      row.push_back(fmt::format("{} / {}",
                                fixed(share(c.predicted_dimensions[d], c.scores.valid_masks), 2),
                                fixed(share(c.gold_dimensions[d], c.scores.valid_masks), 2)));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table substitutions_table(const Report& report) {
  Table t;
  t.header = {"Configuration", "Most frequent substitutions (self-disclosed → predicted: masks)"};
  t.text_columns = 2;
  for (const ConfigReport& c : report.configs) {
    std::string cell;
    for (const Substitution& s : c.substitutions) {
      if (!cell.empty()) cell += "; ";
      cell += fmt::format("{} → {}: {}{}", s.gold, s.predicted, s.error > 0 ? "~" : "", s.count);
    }
    t.rows.push_back({c.label, cell.empty() ? "none" : cell});
  }
  return t;
}

Table labels_table(const Report& report) {
  Table t;
  t.header = {"Self-disclosed label", "Masks (all configurations)"};
  for (const ConfigReport& c : report.configs)
    t.header.push_back(c.label);
  for (std::size_t l = 0; l < report.top_labels.size(); ++l) {
    std::uint64_t masks = 0;
    for (const ConfigReport& c : report.configs)
      masks += c.labels[l].masks;
    std::vector<std::string> row = {report.top_labels[l], std::to_string(masks)};
    for (const ConfigReport& c : report.configs)
      row.push_back(c.labels[l].masks == 0 ? "–" : fixed(c.labels[l].accuracy.value));
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string escape_markdown(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n' || ch == '\r')
      out += ' ';
    else
      out += ch;
  }
  return out;
}

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string to_markdown(const Table& table) {
  std::string out = "|";
  for (const auto& h : table.header)
    out += " " + escape_markdown(h) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < table.header.size(); ++i)
    out += i < table.text_columns ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& cell : row)
      out += " " + escape_markdown(cell) + " |";
    out += "\n";
  }
  return out;
}

std::string to_html(const Table& table) {
  std::string out = "<div class=\"wrap\"><table>\n<thead><tr>";
  for (std::size_t i = 0; i < table.header.size(); ++i)
    out += fmt::format("<th scope=\"col\"{}>{}</th>", i < table.text_columns ? " class=\"t\"" : "",
                       escape_html(table.header[i]));
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string_view cell = row[i];
      std::string cls = i < table.text_columns ? "t" : "";
      if (cell.starts_with("▲") || cell.starts_with("▼") || cell.find("; Δ ▲") != cell.npos ||
          cell.find("; Δ ▼") != cell.npos || cell == "yes")
        cls += cls.empty() ? "real" : " real";
      out += cls.empty() ? "<td>" : fmt::format("<td class=\"{}\">", cls);
      out += escape_html(cell) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  return out;
}

}  // namespace emosweep::reports::detail
