// Rendering of a Report. The tables are built once (render_tables.cpp) and written as
// Markdown or HTML; CSV and JSON are written from the Report directly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reports/report.hpp"

namespace emosweep::reports::detail {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t text_columns = 1;  // the first columns are text (left-aligned), the rest numbers
};

// Number formats shared by every human-readable format.
std::string fixed(double v, int digits = 3);
std::string signed_fixed(double v, int digits = 3);
std::string interval(double low, double high, int digits = 3);
std::string format_p(double p);
std::string confidence_label(const Report& report);  // "95%"
// Difference and interval oriented as configs[first] − configs[second].
DifferenceEstimate oriented(const Comparison& c, std::size_t metric, std::size_t first);
// "▲ +0.031", "▼ −0.020" or "· +0.004": the verdict of the "which differences are real" table.
std::string verdict(const Comparison& c, std::size_t metric, std::size_t first);
std::string methods_sentence(const Report& report);

Table leaderboard_table(const Report& report);
Table differences_table(const Report& report);
Table comparison_details_table(const Report& report);
Table mcnemar_table(const Report& report);
Table variant_table(const Report& report, const ModelGroup& group);
Table profile_table(const Report& report);
Table substitutions_table(const Report& report);
Table labels_table(const Report& report);

std::string to_markdown(const Table& table);
std::string to_html(const Table& table);
std::string escape_markdown(std::string_view s);
std::string escape_html(std::string_view s);

std::string render_markdown(const Report& report);
std::string render_csv(const Report& report);
std::string render_json(const Report& report);
std::string render_html(const Report& report);

}  // namespace emosweep::reports::detail
