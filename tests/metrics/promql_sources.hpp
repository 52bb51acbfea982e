// Test support: every PromQL expression the deploy/ files contain (Grafana dashboard, alert
// rules), in a form Prometheus and promtool accept, and the metric names they reference.
#pragma once

#include <string>
#include <vector>

namespace emosweep::metrics::testing {

struct Expression {
  std::string where;  // "emosweep.json: panel 'Latency...' target B", "alerts.yml: Emosweep..."
  std::string promql;
};

// Panel targets and the selectors inside the label_values(...) of query variables, with the
// Grafana variables replaced ($__rate_interval -> 1m, $var / ${var} -> .*).
std::vector<Expression> dashboard_expressions(const std::string& dashboard_json_path);
// The `expr` of every rule in a Prometheus rules file.
std::vector<Expression> rule_expressions(const std::string& rules_yaml_path);
// Both, for the files under deploy/ of `source_dir`.
std::vector<Expression> deploy_expressions(const std::string& source_dir);

// Replaces Grafana's variables so that the expression is plain PromQL.
std::string substitute_grafana_variables(const std::string& expr);

// Every emosweep_* and process_* name an expression mentions.
std::vector<std::string> referenced_metric_names(const std::string& promql);

// A rules file with one recording rule per expression, for `promtool check rules`.
std::string as_recording_rules(const std::vector<Expression>& expressions);

}  // namespace emosweep::metrics::testing
