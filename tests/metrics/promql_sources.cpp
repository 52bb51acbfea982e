#include "tests/metrics/promql_sources.hpp"

#include <regex>
#include <set>
#include <stdexcept>

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

namespace emosweep::metrics::testing {
namespace {

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

// The string at `r`, or "" when absent or not a string.
std::string_view string_or_empty(simdjson::simdjson_result<simdjson::dom::element> r) {
  std::string_view s;
  return r.get(s) == simdjson::SUCCESS ? s : std::string_view();
}

}  // namespace

std::string substitute_grafana_variables(const std::string& expr) {
  static const std::regex interval(R"(\$__(rate_)?interval|\$\{__(rate_)?interval\})");
  static const std::regex range(R"(\$__range|\$\{__range\})");
  static const std::regex variable(R"(\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)");
  std::string out = std::regex_replace(expr, interval, "1m");
  out = std::regex_replace(out, range, "1h");
  return std::regex_replace(out, variable, ".*");
}

std::vector<Expression> dashboard_expressions(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.load(path).get(root) != simdjson::SUCCESS) {
    throw std::runtime_error(path + ": not valid JSON");
  }
  std::vector<Expression> out;
  simdjson::dom::array panels;
  if (root["panels"].get(panels) == simdjson::SUCCESS) {
    for (simdjson::dom::element panel : panels) {
      const std::string_view title = string_or_empty(panel["title"]);
      simdjson::dom::array targets;
      if (panel["targets"].get(targets) != simdjson::SUCCESS) continue;
      for (simdjson::dom::element target : targets) {
        std::string_view expr;
        if (target["expr"].get(expr) != simdjson::SUCCESS) continue;
        const std::string_view ref = string_or_empty(target["refId"]);
        out.push_back(
            {"emosweep.json: panel '" + std::string(title) + "' target " + std::string(ref),
             substitute_grafana_variables(std::string(expr))});
      }
    }
  }
  simdjson::dom::array variables;
  if (root["templating"]["list"].get(variables) == simdjson::SUCCESS) {
    static const std::regex label_values(R"(^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$)");
    for (simdjson::dom::element var : variables) {
      std::string_view definition;
      if (string_or_empty(var["type"]) != "query") continue;
      const std::string_view name = string_or_empty(var["name"]);
      if (var["definition"].get(definition) != simdjson::SUCCESS) continue;
      std::smatch m;
      const std::string def(definition);
      if (!std::regex_match(def, m, label_values)) {
        throw std::runtime_error(path + ": variable " + std::string(name) +
                                 " is not label_values(SELECTOR, LABEL)");
      }
      out.push_back({"emosweep.json: variable " + std::string(name),
                     substitute_grafana_variables(m[1].str())});
    }
  }
  return out;
}

std::vector<Expression> rule_expressions(const std::string& path) {
  const YAML::Node root = YAML::LoadFile(path);
  std::vector<Expression> out;
  for (const auto& group : root["groups"]) {
    for (const auto& rule : group["rules"]) {
      const std::string name =
          rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>();
      out.push_back({"alerts.yml: " + name, rule["expr"].as<std::string>()});
    }
  }
  return out;
}

std::vector<Expression> deploy_expressions(const std::string& source_dir) {
  auto out = dashboard_expressions(source_dir + "/deploy/grafana/dashboards/emosweep.json");
  auto rules = rule_expressions(source_dir + "/deploy/prometheus/alerts.yml");
  out.insert(out.end(), rules.begin(), rules.end());
  return out;
}

std::vector<std::string> referenced_metric_names(const std::string& promql) {
  // Label values are quoted, so strip strings first ("emosweep" as a job name is no metric).
  static const std::regex quoted(R"("(\\.|[^"\\])*"|'(\\.|[^'\\])*')");
  static const std::regex name(R"(\b(emosweep_[a-z0-9_]+|process_[a-z0-9_]+)\b)");
  const std::string unquoted = std::regex_replace(promql, quoted, "\"\"");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(unquoted.begin(), unquoted.end(), name);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1].str());
  }
  return {names.begin(), names.end()};
}

std::string as_recording_rules(const std::vector<Expression>& expressions) {
  std::string out = "groups:\n  - name: deploy_expressions\n    rules:\n";
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    out += "      - record: deploy_expression_" + std::to_string(i) + "\n";
    out += "        expr: " + yaml_quote(expressions[i].promql) + "\n";
  }
  return out;
}

}  // namespace emosweep::metrics::testing
