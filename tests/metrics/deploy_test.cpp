// The deploy/ files, validated statically: promtool on the Prometheus config, the alert rules
// and their unit tests, and on a real exposition; the Grafana dashboard and provisioning; the
// compose file, the Kubernetes manifests and the Dockerfile (no Docker engine or cluster is
// needed); every PromQL expression parses and names only metrics the binary exports.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include "metrics/metrics.hpp"
#include "tests/metrics/prometheus_server.hpp"
#include "tests/metrics/promql_sources.hpp"
#include "tests/support/process.hpp"

namespace emosweep::metrics {
namespace {

namespace fs = std::filesystem;
using emosweep::testing::run_command;
using emosweep::testing::shell_quote;
using ::testing::Contains;
using ::testing::HasSubstr;

const std::string kSource = EMOSWEEP_SOURCE_DIR;
const std::string kDeploy = kSource + "/deploy";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string promtool(const std::string& args) {
  const auto r = run_command("promtool " + args + " 2>&1");
  return "exit " + std::to_string(r.exit_code) + "\n" + r.out;
}

// --- Prometheus ------------------------------------------------------------------------------

TEST(DeployPrometheus, PromtoolChecksTheConfig) {
  const std::string out =
      promtool("check config " + shell_quote(kDeploy + "/prometheus/prometheus.yml"));
  EXPECT_THAT(out, ::testing::StartsWith("exit 0\n")) << out;
  EXPECT_THAT(out, HasSubstr("1 rule files found")) << out;
}

TEST(DeployPrometheus, PromtoolChecksTheRules) {
  const std::string out =
      promtool("check rules " + shell_quote(kDeploy + "/prometheus/alerts.yml"));
  EXPECT_THAT(out, ::testing::StartsWith("exit 0\n")) << out;
  EXPECT_THAT(out, HasSubstr("SUCCESS: 5 rules found")) << out;
}

TEST(DeployPrometheus, AlertRuleUnitTestsPass) {
  const std::string out =
      promtool("test rules " + shell_quote(kDeploy + "/prometheus/alerts_test.yml"));
  EXPECT_THAT(out, ::testing::StartsWith("exit 0\n")) << out;
  EXPECT_THAT(out, HasSubstr("SUCCESS")) << out;
}

TEST(DeployPrometheus, EveryAlertIsTestedFiringAndNotFiring) {
  const YAML::Node rules = YAML::LoadFile(kDeploy + "/prometheus/alerts.yml");
  const YAML::Node tests = YAML::LoadFile(kDeploy + "/prometheus/alerts_test.yml");
  std::set<std::string> alerts;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"])
      alerts.insert(rule["alert"].as<std::string>());
  }
  EXPECT_EQ(alerts, (std::set<std::string>{"EmosweepSweepStalled", "EmosweepRateLimited",
                                           "EmosweepPermanentFailures", "EmosweepBudgetNearlySpent",
                                           "EmosweepEndpointStopped"}));
  std::set<std::string> fires, stays_quiet;
  for (const auto& test : tests["tests"]) {
    for (const auto& check : test["alert_rule_test"]) {
      const auto name = check["alertname"].as<std::string>();
      (check["exp_alerts"].size() > 0 ? fires : stays_quiet).insert(name);
    }
  }
  EXPECT_EQ(fires, alerts);
  EXPECT_EQ(stays_quiet, alerts);
}

TEST(DeployPrometheus, EveryAlertExplainsItselfAndPointsToItsRunbook) {
  const YAML::Node rules = YAML::LoadFile(kDeploy + "/prometheus/alerts.yml");
  const std::string deploy_md = read_file(kSource + "/docs/DEPLOY.md");
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      const auto name = rule["alert"].as<std::string>();
      EXPECT_TRUE(rule["labels"]["severity"]) << name;
      for (const char* key : {"summary", "description", "runbook"}) {
        ASSERT_TRUE(rule["annotations"][key]) << name << " has no " << key;
        EXPECT_FALSE(rule["annotations"][key].as<std::string>().empty()) << name;
      }
      std::string anchor = name;
      std::transform(anchor.begin(), anchor.end(), anchor.begin(), ::tolower);
      EXPECT_THAT(rule["annotations"]["runbook"].as<std::string>(),
                  HasSubstr("docs/DEPLOY.md#" + anchor));
      EXPECT_THAT(deploy_md, HasSubstr("### " + name)) << "DEPLOY.md has no section for " << name;
    }
  }
}

TEST(DeployPrometheus, PromtoolAcceptsARealExposition) {
  SweepMetrics m("0.1.0");
  auto& h = m.model("openai", "gpt-4o");
  h.requests(RequestCode::http(200)).Increment();
  h.request_duration().Observe(1.5);
  m.variant("gpt-4o", "zero-shot").score(ScoreMetric::accv).Set(0.4);
  m.endpoint("openai");
  m.budget_usd().Set(10);
  m.eta_seconds().Set(60);
  testing::ScratchDir dir;
  const std::string file = dir.path() + "/metrics.txt";
  write_file(file, m.serialize());
  const std::string out = promtool("check metrics < " + shell_quote(file));
  // promtool prints one line per lint problem; none is expected.
  EXPECT_EQ(out, "exit 0\n");
  // ...and it does complain about a badly named family (the check can fail).
  write_file(file,
             "# HELP bad_seconds_total x\n# TYPE bad_seconds_total gauge\nbad_seconds_total 1\n");
  EXPECT_THAT(promtool("check metrics < " + shell_quote(file)),
              ::testing::Not(::testing::StartsWith("exit 0")));
}

// --- PromQL in the dashboard and the alerts ----------------------------------------------------

TEST(DeployPromql, EveryExpressionParses) {
  const auto expressions = testing::deploy_expressions(kSource);
  ASSERT_GE(expressions.size(), 30u);
  testing::ScratchDir dir;
  const std::string file = dir.path() + "/expressions.yml";
  write_file(file, testing::as_recording_rules(expressions));
  const std::string out = promtool("check rules " + shell_quote(file));
  EXPECT_THAT(out, ::testing::StartsWith("exit 0\n")) << out;
  EXPECT_THAT(out, HasSubstr(std::to_string(expressions.size()) + " rules found")) << out;
  // The same check rejects a broken expression.
  write_file(file, testing::as_recording_rules({{"broken", "sum by (model (emosweep_score)"}}));
  EXPECT_THAT(promtool("check rules " + shell_quote(file)),
              ::testing::Not(::testing::StartsWith("exit 0")));
}

TEST(DeployPromql, EveryReferencedMetricIsExported) {
  const auto exported = exported_sample_names();
  std::set<std::string> used;
  for (const auto& e : testing::deploy_expressions(kSource)) {
    const auto names = testing::referenced_metric_names(e.promql);
    EXPECT_FALSE(names.empty()) << e.where << ": " << e.promql;
    for (const auto& name : names) {
      EXPECT_THAT(exported, Contains(name)) << e.where << " uses " << name;
      used.insert(name);
    }
  }
  // And the other way round: every emosweep family shows up on the dashboard or in an alert.
  for (const auto& f : exported_families()) {
    const std::string name(f.name);
    if (!name.starts_with("emosweep_")) continue;
    const bool seen = used.count(name) || used.count(name + "_bucket");
    EXPECT_TRUE(seen) << name << " is exported but neither charted nor alerted on";
  }
}

TEST(DeployPromql, MetricNameExtractionIgnoresLabelValues) {
  EXPECT_EQ(testing::referenced_metric_names(
                R"(sum by (job) (rate(emosweep_requests_total{job="emosweep_x",code="429"}[5m])))"),
            std::vector<std::string>{"emosweep_requests_total"});
  EXPECT_EQ(testing::substitute_grafana_variables(
                R"(rate(x{a=~"$model", b=~"${endpoint}"}[$__rate_interval]))"),
            R"(rate(x{a=~".*", b=~".*"}[1m]))");
}

// --- Grafana -----------------------------------------------------------------------------------

class DeployDashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(parser_.load(kDeploy + "/grafana/dashboards/emosweep.json").get(root_),
              simdjson::SUCCESS);
  }
  std::string str(simdjson::dom::element e, const char* key) {
    std::string_view s;
    return e[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
  }
  // Panels by title.
  std::map<std::string, simdjson::dom::element> panels() {
    std::map<std::string, simdjson::dom::element> out;
    for (simdjson::dom::element p : root_["panels"].get_array())
      out[str(p, "title")] = p;
    return out;
  }
  std::vector<std::string> exprs(simdjson::dom::element panel) {
    std::vector<std::string> out;
    for (simdjson::dom::element t : panel["targets"].get_array())
      out.push_back(str(t, "expr"));
    return out;
  }
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

TEST_F(DeployDashboard, IsAWellFormedGrafanaModel) {
  int64_t schema = 0;
  ASSERT_EQ(root_["schemaVersion"].get(schema), simdjson::SUCCESS);
  EXPECT_GE(schema, 36);
  EXPECT_LE(schema, 41);
  EXPECT_FALSE(str(root_, "uid").empty());
  EXPECT_FALSE(str(root_, "title").empty());
  // A datasource variable, used by every panel and target.
  bool has_datasource_variable = false;
  for (simdjson::dom::element v : root_["templating"]["list"].get_array()) {
    if (str(v, "type") == "datasource" && str(v, "name") == "datasource") {
      has_datasource_variable = str(v, "query") == "prometheus";
    }
  }
  EXPECT_TRUE(has_datasource_variable);
  std::set<int64_t> ids;
  for (simdjson::dom::element p : root_["panels"].get_array()) {
    const std::string title = str(p, "title");
    int64_t id = 0, x = 0, y = 0, w = 0, h = 0;
    ASSERT_EQ(p["id"].get(id), simdjson::SUCCESS) << title;
    EXPECT_TRUE(ids.insert(id).second) << "duplicate panel id " << id;
    ASSERT_EQ(p["gridPos"]["x"].get(x), simdjson::SUCCESS) << title;
    ASSERT_EQ(p["gridPos"]["y"].get(y), simdjson::SUCCESS) << title;
    ASSERT_EQ(p["gridPos"]["w"].get(w), simdjson::SUCCESS) << title;
    ASSERT_EQ(p["gridPos"]["h"].get(h), simdjson::SUCCESS) << title;
    EXPECT_GT(w, 0) << title;
    EXPECT_GT(h, 0) << title;
    EXPECT_LE(x + w, 24) << title;
    EXPECT_FALSE(str(p, "type").empty()) << title;
    EXPECT_EQ(str(p["datasource"], "uid"), "${datasource}") << title;
    std::set<std::string> refs;
    simdjson::dom::array targets;
    ASSERT_EQ(p["targets"].get(targets), simdjson::SUCCESS) << title;
    EXPECT_GT(targets.size(), 0u) << title;
    for (simdjson::dom::element t : targets) {
      EXPECT_TRUE(refs.insert(str(t, "refId")).second) << title;
      EXPECT_FALSE(str(t, "expr").empty()) << title;
      EXPECT_EQ(str(t["datasource"], "uid"), "${datasource}") << title;
    }
  }
}

TEST_F(DeployDashboard, ShowsWhatTheIssueAsksFor) {
  const auto p = panels();
  const auto has = [&](const std::string& title) { return p.count(title) == 1; };
  for (const char* title : {"Progress per model × variant", "Requests/s by endpoint and code",
                            "Latency p50 / p95 / p99 by endpoint", "In-flight requests",
                            "429 ratio by endpoint", "Retries/s by reason", "Cache hit ratio",
                            "Tokens/s", "Spend and budget", "ETA", "Leaderboard (live scores)"}) {
    EXPECT_TRUE(has(title)) << "no panel '" << title << "'";
  }
  // Latency: the three quantiles over the rate of the histogram's buckets, per endpoint.
  const auto latency = exprs(p.at("Latency p50 / p95 / p99 by endpoint"));
  ASSERT_EQ(latency.size(), 3u);
  const std::vector<std::string> quantiles = {"0.5", "0.95", "0.99"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_THAT(latency[i], ::testing::StartsWith("histogram_quantile(" + quantiles[i] + ","));
    EXPECT_THAT(latency[i], HasSubstr("sum by (endpoint, le) (rate("));
    EXPECT_THAT(latency[i], HasSubstr("emosweep_request_duration_seconds_bucket"));
  }
  // Leaderboard: one column per score, rows per model × variant.
  const auto leaderboard = exprs(p.at("Leaderboard (live scores)"));
  ASSERT_EQ(leaderboard.size(), 5u);
  for (const char* metric : {"vrate", "accl", "accv", "f1v", "accv2"}) {
    EXPECT_EQ(std::count_if(leaderboard.begin(), leaderboard.end(),
                            [&](const std::string& e) {
                              return e.find("metric=\"" + std::string(metric) + "\"") !=
                                         std::string::npos &&
                                     e.find("by (model, variant)") != std::string::npos;
                            }),
              1)
        << metric;
  }
  EXPECT_THAT(exprs(p.at("429 ratio by endpoint"))[0], HasSubstr("code=\"429\""));
  EXPECT_THAT(exprs(p.at("Cache hit ratio"))[0], HasSubstr("result=\"hit\""));
  EXPECT_THAT(exprs(p.at("Spend and budget"))[1], HasSubstr("emosweep_budget_usd"));
}

TEST(DeployGrafana, ProvisioningMatchesTheDashboardAndCompose) {
  const YAML::Node ds =
      YAML::LoadFile(kDeploy + "/grafana/provisioning/datasources/prometheus.yml");
  ASSERT_EQ(ds["datasources"].size(), 1u);
  EXPECT_EQ(ds["datasources"][0]["type"].as<std::string>(), "prometheus");
  EXPECT_EQ(ds["datasources"][0]["url"].as<std::string>(), "http://prometheus:9090");
  const auto uid = ds["datasources"][0]["uid"].as<std::string>();
  // The dashboard's default datasource is this one.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.load(kDeploy + "/grafana/dashboards/emosweep.json").get(root),
            simdjson::SUCCESS);
  std::string_view current;
  ASSERT_EQ(root["templating"]["list"].at(0)["current"]["value"].get(current), simdjson::SUCCESS);
  EXPECT_EQ(current, uid);

  const YAML::Node dashboards =
      YAML::LoadFile(kDeploy + "/grafana/provisioning/dashboards/emosweep.yml");
  const auto path = dashboards["providers"][0]["options"]["path"].as<std::string>();
  const YAML::Node compose = YAML::LoadFile(kDeploy + "/docker-compose.yml");
  std::set<std::string> grafana_mounts;
  for (const auto& v : compose["services"]["grafana"]["volumes"]) {
    grafana_mounts.insert(v.as<std::string>());
  }
  EXPECT_TRUE(grafana_mounts.count("./grafana/dashboards:" + path + ":ro")) << path;
  EXPECT_TRUE(grafana_mounts.count("./grafana/provisioning:/etc/grafana/provisioning:ro"));
}

// --- Compose -------------------------------------------------------------------------------------

std::string joined(const YAML::Node& sequence) {
  std::string out;
  for (const auto& item : sequence)
    out += (out.empty() ? "" : " ") + item.as<std::string>();
  return out;
}

TEST(DeployCompose, RunsTheDemoWithPrometheusAndGrafana) {
  const YAML::Node compose = YAML::LoadFile(kDeploy + "/docker-compose.yml");
  const YAML::Node services = compose["services"];
  ASSERT_TRUE(services["emosweep"] && services["prometheus"] && services["grafana"]);
  const YAML::Node emosweep = services["emosweep"];
  const std::string command = joined(emosweep["command"]);
  EXPECT_THAT(command, ::testing::StartsWith("run configs/demo.yaml"));
  EXPECT_THAT(command, HasSubstr("--metrics-addr 0.0.0.0:9464"));
  EXPECT_THAT(command, HasSubstr("--metrics-linger 3600"));
  // The build points at this repository and its Dockerfile.
  const fs::path context = fs::path(kDeploy) / emosweep["build"]["context"].as<std::string>();
  EXPECT_TRUE(fs::exists(context / "CMakeLists.txt"));
  EXPECT_TRUE(fs::exists(context / emosweep["build"]["dockerfile"].as<std::string>()));
  // Prometheus scrapes the service name and port that compose gives emosweep.
  const YAML::Node prometheus_yml = YAML::LoadFile(kDeploy + "/prometheus/prometheus.yml");
  bool scrapes_emosweep = false;
  for (const auto& job : prometheus_yml["scrape_configs"]) {
    if (job["job_name"].as<std::string>() != "emosweep") continue;
    EXPECT_EQ(job["scrape_interval"].as<std::string>(), "5s");
    scrapes_emosweep = job["static_configs"][0]["targets"][0].as<std::string>() == "emosweep:9464";
  }
  EXPECT_TRUE(scrapes_emosweep);
  // Every bind mount exists; Prometheus gets its config and the rules next to it.
  for (const auto& [name, service] :
       std::map<std::string, YAML::Node>{{"emosweep", emosweep},
                                         {"prometheus", services["prometheus"]},
                                         {"grafana", services["grafana"]}}) {
    for (const auto& v : service["volumes"]) {
      const auto spec = v.as<std::string>();
      if (!spec.starts_with(".")) continue;  // named volume
      const auto source = spec.substr(0, spec.find(':'));
      EXPECT_TRUE(fs::exists(fs::path(kDeploy) / source)) << name << ": " << spec;
    }
    // Published ports are local only.
    for (const auto& p : service["ports"]) {
      EXPECT_THAT(p.as<std::string>(), ::testing::StartsWith("127.0.0.1:")) << name;
    }
  }
  const std::string prometheus_volumes = joined(services["prometheus"]["volumes"]);
  EXPECT_THAT(prometheus_volumes,
              HasSubstr("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml"));
  EXPECT_THAT(prometheus_volumes, HasSubstr("./prometheus/alerts.yml:/etc/prometheus/alerts.yml"));
  // Keys are passed through from the environment, never written in the file.
  for (const auto& env : emosweep["environment"]) {
    EXPECT_THAT(env.second.as<std::string>(), ::testing::MatchesRegex(R"(\$\{[A-Z_]+:-\})"));
  }
}

// --- Kubernetes ----------------------------------------------------------------------------------

class DeployKubernetes : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& entry : fs::directory_iterator(kDeploy + "/k8s")) {
      if (entry.path().extension() != ".yaml") continue;
      for (const auto& doc : YAML::LoadAllFromFile(entry.path().string())) {
        ASSERT_TRUE(doc["apiVersion"] && doc["kind"] && doc["metadata"]["name"]) << entry.path();
        objects_[doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>()] =
            doc;
      }
    }
  }
  YAML::Node get(const std::string& key) {
    EXPECT_TRUE(objects_.count(key)) << key << " missing";
    return objects_.count(key) ? objects_.at(key) : YAML::Node();
  }
  std::map<std::string, YAML::Node> objects_;
};

TEST_F(DeployKubernetes, ShardsAreAnIndexedJobWithAVolumePerShard) {
  const YAML::Node job = get("Job/emosweep-shards");
  ASSERT_TRUE(job);
  EXPECT_EQ(job["spec"]["completionMode"].as<std::string>(), "Indexed");
  const int shards = job["spec"]["completions"].as<int>();
  EXPECT_GE(shards, 2);
  EXPECT_LE(job["spec"]["parallelism"].as<int>(), shards);
  const YAML::Node pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"].as<std::string>(), "Never");
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
  const YAML::Node c = pod["containers"][0];
  const std::string args = joined(c["args"]);
  EXPECT_THAT(args, ::testing::StartsWith("run /config/sweep.yaml"));
  EXPECT_THAT(args, HasSubstr("--shard $(JOB_COMPLETION_INDEX)/" + std::to_string(shards)));
  EXPECT_THAT(args, HasSubstr("--metrics-addr 0.0.0.0:9464"));
  // The index is an env var (downward API), so that subPathExpr can expand it.
  bool index_env = false;
  for (const auto& e : c["env"]) {
    if (e["name"].as<std::string>() == "JOB_COMPLETION_INDEX") {
      index_env = e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>() ==
                  "metadata.annotations['batch.kubernetes.io/job-completion-index']";
    }
  }
  EXPECT_TRUE(index_env);
  std::map<std::string, YAML::Node> mounts;
  for (const auto& m : c["volumeMounts"])
    mounts.emplace(m["mountPath"].as<std::string>(), m);
  ASSERT_TRUE(mounts.count("/data"));
  EXPECT_EQ(mounts["/data"]["subPathExpr"].as<std::string>(), "shard-$(JOB_COMPLETION_INDEX)");
  ASSERT_TRUE(mounts.count("/config"));
  // Outputs and cache live on the shard's own volume.
  EXPECT_THAT(args, HasSubstr("--out /data"));
  EXPECT_THAT(args, HasSubstr("--cache /data/cache"));
  // Every volume it mounts is defined, and the claims and config maps exist.
  std::map<std::string, YAML::Node> volumes;
  for (const auto& v : pod["volumes"])
    volumes.emplace(v["name"].as<std::string>(), v);
  for (const auto& [path, m] : mounts) {
    ASSERT_TRUE(volumes.count(m["name"].as<std::string>())) << path;
  }
  EXPECT_TRUE(get("PersistentVolumeClaim/" +
                  volumes.at("data")["persistentVolumeClaim"]["claimName"].as<std::string>()));
  const YAML::Node config_map =
      get("ConfigMap/" + volumes.at("sweep")["configMap"]["name"].as<std::string>());
  ASSERT_TRUE(config_map["data"]["sweep.yaml"]);
  // API keys: from the Secret, through the environment, and the sweep names them.
  const YAML::Node secret = get("Secret/" + c["envFrom"][0]["secretRef"]["name"].as<std::string>());
  const YAML::Node sweep = YAML::Load(config_map["data"]["sweep.yaml"].as<std::string>());
  for (const auto& endpoint : sweep["endpoints"]) {
    if (!endpoint["api_key_env"]) continue;
    EXPECT_TRUE(secret["stringData"][endpoint["api_key_env"].as<std::string>()])
        << endpoint["api_key_env"].as<std::string>();
  }
  EXPECT_TRUE(sweep["models"] && sweep["prompts"] && sweep["dataset"]["path"]);
}

TEST_F(DeployKubernetes, MergeJobCombinesEveryShard) {
  const YAML::Node job = get("Job/emosweep-merge");
  ASSERT_TRUE(job);
  const YAML::Node pod = job["spec"]["template"]["spec"];
  const YAML::Node c = pod["containers"][0];
  EXPECT_EQ(joined(c["command"]) + " " + joined(c["args"]),
            "/bin/sh -c exec emosweep merge /data/shard-* --out /data/merged");
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"].as<std::string>(), "/data");
  EXPECT_FALSE(c["volumeMounts"][0]["subPathExpr"]);
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"].as<std::string>(),
            get("Job/emosweep-shards")["spec"]["template"]["spec"]["volumes"][0]
                                      ["persistentVolumeClaim"]["claimName"]
                                          .as<std::string>());
}

// --- Dockerfile ----------------------------------------------------------------------------------

struct Instruction {
  std::string keyword;
  std::string args;
};

// Dockerfile instructions with continuation lines joined and comments dropped.
std::vector<Instruction> parse_dockerfile(const std::string& text) {
  std::vector<Instruction> out;
  std::istringstream in(text);
  std::string line, pending;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (line.ends_with("\\")) {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    pending += line;
    const auto start = pending.find_first_not_of(" \t");
    const auto space = pending.find(' ', start);
    out.push_back({pending.substr(start, space - start), pending.substr(space + 1)});
    pending.clear();
  }
  return out;
}

TEST(DeployDockerfile, MultiStageDebianNonRootWithHealthcheck) {
  const auto instructions = parse_dockerfile(read_file(kDeploy + "/Dockerfile"));
  static const std::set<std::string> known = {"FROM", "RUN",    "COPY",        "WORKDIR",
                                              "USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT",
                                              "CMD",  "ENV",    "ARG",         "LABEL"};
  std::vector<std::vector<Instruction>> stages;
  for (const auto& i : instructions) {
    EXPECT_TRUE(known.count(i.keyword)) << i.keyword;
    if (i.keyword == "FROM") stages.emplace_back();
    ASSERT_FALSE(stages.empty()) << "instruction before FROM";
    stages.back().push_back(i);
  }
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0][0].args, "debian:12 AS build");
  EXPECT_EQ(stages[1][0].args, "debian:12-slim AS runtime");
  const auto find_all = [](const std::vector<Instruction>& stage, const std::string& keyword) {
    std::vector<std::string> out;
    for (const auto& i : stage) {
      if (i.keyword == keyword) out.push_back(i.args);
    }
    return out;
  };
  // Build stage: installs with scripts/bootstrap (the one dependency list), builds emosweep.
  const auto build_copies = find_all(stages[0], "COPY");
  EXPECT_THAT(build_copies, Contains(HasSubstr("scripts/bootstrap")));
  const auto build_runs = find_all(stages[0], "RUN");
  EXPECT_THAT(build_runs, Contains(HasSubstr("emosweep-bootstrap")));
  EXPECT_THAT(build_runs, Contains(HasSubstr("--target emosweep")));
  EXPECT_THAT(build_runs, Contains(HasSubstr("deploy/runtime-packages.sh build/emosweep")));
  // Every COPY from the context names something that exists.
  for (const auto& args : build_copies) {
    const auto source = args.substr(0, args.find(' '));
    if (source != ".") {
      EXPECT_TRUE(fs::exists(kSource + "/" + source)) << source;
    }
  }
  // Runtime stage: only what the binary links (+ CA certificates, curl for the health check).
  const auto runtime_runs = find_all(stages[1], "RUN");
  EXPECT_THAT(runtime_runs,
              Contains(HasSubstr("xargs -a /tmp/runtime-packages.txt apt-get install")));
  for (const auto& run : runtime_runs) {
    EXPECT_THAT(run, ::testing::Not(HasSubstr("-dev")));
    EXPECT_THAT(run, ::testing::Not(HasSubstr("emosweep-bootstrap")));
  }
  const auto users = find_all(stages[1], "USER");
  ASSERT_EQ(users.size(), 1u);
  EXPECT_THAT(users[0],
              ::testing::Not(::testing::AnyOf(HasSubstr("root"), ::testing::StartsWith("0"))));
  const auto healthcheck = find_all(stages[1], "HEALTHCHECK");
  ASSERT_EQ(healthcheck.size(), 1u);
  EXPECT_THAT(healthcheck[0], HasSubstr("CMD curl -fsS"));
  EXPECT_THAT(healthcheck[0], HasSubstr("http://127.0.0.1:9464/metrics"));
  EXPECT_EQ(find_all(stages[1], "ENTRYPOINT"), std::vector<std::string>{"[\"emosweep\"]"});
  EXPECT_THAT(find_all(stages[1], "COPY"),
              Contains("--from=build /src/build/emosweep /usr/local/bin/emosweep"));
  // The build context leaves build trees out.
  const std::string ignore = read_file(kDeploy + "/Dockerfile.dockerignore");
  EXPECT_THAT(ignore, HasSubstr("\nbuild-*\n"));
  EXPECT_THAT(ignore, HasSubstr("\n.git\n"));
}

TEST(DeployDockerfile, RuntimePackagesAreTheInstalledProvidersOfTheBinarysLibraries) {
  const std::string script = shell_quote(kDeploy + "/runtime-packages.sh");
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const auto r = run_command(script + " " + shell_quote(self));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> packages;
  std::istringstream in(r.out);
  for (std::string p; std::getline(in, p);)
    packages.push_back(p);
  // This test links prometheus-cpp (as emosweep does), libstdc++ and libc.
  EXPECT_THAT(packages, Contains("libprometheus-cpp-core1.0"));
  EXPECT_THAT(packages, Contains("libstdc++6"));
  EXPECT_THAT(packages, Contains("libc6"));
  for (const auto& p : packages) {
    EXPECT_EQ(run_command("dpkg-query -W -f='${Status}' " + shell_quote(p)).out,
              "install ok installed")
        << p;
    EXPECT_FALSE(p.ends_with("-dev")) << p;
  }
  // A library no package provides is an error, not a silent omission: shadow prometheus-cpp
  // with a copy outside dpkg's knowledge.
  const auto ldd = run_command("ldd " + shell_quote(self));
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(ldd.out, m, std::regex(R"((libprometheus-cpp-core\.so\S*) => (\S+))")))
      << ldd.out;
  testing::ScratchDir dir;
  fs::copy_file(m[2].str(), dir.path() + "/" + m[1].str());
  const auto bad = run_command("LD_LIBRARY_PATH=" + shell_quote(dir.path()) + " " + script + " " +
                               shell_quote(self));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("no Debian package provides " + dir.path() + "/" + m[1].str()));
}

}  // namespace
}  // namespace emosweep::metrics
