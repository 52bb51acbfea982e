#include "orchestrator/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "providers/dialect.hpp"

namespace emosweep::orchestrator {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

namespace fs = std::filesystem;

// Validation context: the file for messages and its folder for relative paths.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {
    dir_ = fs::path(file_).parent_path();
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& what) const {
    const YAML::Mark m = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (m.is_null()) throw InputError(fmt::format("{}: {}: {}", file_, path, what));
    throw InputError(fmt::format("{}:{}:{}: {}: {}", file_, m.line + 1, m.column + 1, path, what));
  }

  static std::string suggestion(std::string_view key,
                                std::initializer_list<std::string_view> allowed) {
    std::string_view best;
    std::size_t best_d = 3;
    for (auto a : allowed) {
      const std::size_t d = edit_distance(key, a);
      if (d < best_d) {
        best_d = d;
        best = a;
      }
    }
    return best.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", best);
  }

  void require_map(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) fail(node, path, "expected a mapping");
  }

  void check_keys(const YAML::Node& node, const std::string& path,
                  std::initializer_list<std::string_view> allowed) const {
    require_map(node, path);
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed)
          list += (list.empty() ? "" : ", ") + std::string(a);
        fail(kv.first, join(path, key),
             fmt::format("unknown key{} (allowed: {})", suggestion(key, allowed), list));
      }
    }
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  std::string str(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) fail(node, path, "expected a string");
    return node.as<std::string>();
  }

  double number(const YAML::Node& node, const std::string& path, double min = -1e300) const {
    if (!node.IsScalar()) fail(node, path, "expected a number");
    double v;
    try {
      v = node.as<double>();
    } catch (const YAML::Exception&) {
      fail(node, path, fmt::format("expected a number, got '{}'", node.Scalar()));
    }
    if (!std::isfinite(v) || v < min) fail(node, path, fmt::format("must be a number >= {}", min));
    return v;
  }

  std::uint64_t count(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) fail(node, path, "expected a non-negative integer");
    const std::string& s = node.Scalar();
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
      fail(node, path, fmt::format("expected a non-negative integer, got '{}'", s));
    try {
      return std::stoull(s);
    } catch (...) {
      fail(node, path, fmt::format("integer out of range: '{}'", s));
    }
  }

  std::int64_t integer(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) fail(node, path, "expected an integer");
    try {
      std::size_t pos = 0;
      const long long v = std::stoll(node.Scalar(), &pos);
      if (pos != node.Scalar().size()) throw 0;
      return v;
    } catch (...) {
      fail(node, path, fmt::format("expected an integer, got '{}'", node.Scalar()));
    }
  }

  bool boolean(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) fail(node, path, "expected true or false");
    try {
      return node.as<bool>();
    } catch (const YAML::Exception&) {
      fail(node, path, fmt::format("expected true or false, got '{}'", node.Scalar()));
    }
  }

  std::chrono::milliseconds seconds(const YAML::Node& node, const std::string& path) const {
    const double s = number(node, path, 0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(s * 1000)));
  }

  // Relative paths resolve against the sweep file's folder.
  std::string path_of(const YAML::Node& node, const std::string& path) const {
    const std::string p = str(node, path);
    if (p.empty()) fail(node, path, "empty path");
    const fs::path fp(p);
    return (fp.is_absolute() ? fp : dir_ / fp).lexically_normal().string();
  }

  const std::string& file() const { return file_; }
  const fs::path& dir() const { return dir_; }

 private:
  std::string file_;
  fs::path dir_;
};

std::string where(const std::string& path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}

void require_name(const Reader& r, const YAML::Node& node, const std::string& path,
                  std::string& out, std::set<std::string>& seen) {
  out = r.str(node, path);
  if (out.empty()) r.fail(node, path, "must not be empty");
  if (!seen.insert(out).second) r.fail(node, path, fmt::format("duplicate name '{}'", out));
}

Price parse_price(const Reader& r, const YAML::Node& node, const std::string& path) {
  r.check_keys(node, path, {"prompt", "completion"});
  Price p;
  if (node["prompt"]) p.prompt_per_mtok = r.number(node["prompt"], path + ".prompt", 0);
  if (node["completion"])
    p.completion_per_mtok = r.number(node["completion"], path + ".completion", 0);
  return p;
}

std::map<std::string, Price> parse_price_table(const Reader& r, const YAML::Node& node,
                                               const std::string& path) {
  r.require_map(node, path);
  std::map<std::string, Price> out;
  for (const auto& kv : node) {
    const auto model = kv.first.as<std::string>();
    out[model] = parse_price(r, kv.second, path + "." + model);
  }
  return out;
}

void parse_params(const Reader& r, const YAML::Node& node, const std::string& path,
                  providers::GenerationParams& p) {
  r.check_keys(node, path, {"temperature", "max_tokens", "top_p", "seed", "stop"});
  if (node["temperature"]) p.temperature = r.number(node["temperature"], path + ".temperature", 0);
  if (node["max_tokens"]) {
    const auto v = r.count(node["max_tokens"], path + ".max_tokens");
    if (v == 0) r.fail(node["max_tokens"], path + ".max_tokens", "must be at least 1");
    p.max_tokens = static_cast<std::int64_t>(v);
  }
  if (node["top_p"]) {
    const double v = r.number(node["top_p"], path + ".top_p", 0);
    if (v > 1) r.fail(node["top_p"], path + ".top_p", "must be between 0 and 1");
    p.top_p = v;
  }
  if (node["seed"]) p.seed = r.integer(node["seed"], path + ".seed");
  if (const auto stop = node["stop"]) {
    if (stop.IsScalar()) {
      p.stop.push_back(stop.as<std::string>());
    } else if (stop.IsSequence()) {
      for (std::size_t i = 0; i < stop.size(); ++i)
        p.stop.push_back(r.str(stop[i], where(path + ".stop", i)));
    } else {
      r.fail(stop, path + ".stop", "expected a string or a list of strings");
    }
  }
}

MockSpec parse_mock(const Reader& r, const YAML::Node& node, const std::string& path) {
  MockSpec m;
  if (node.IsScalar() && node.as<std::string>() == "true") return m;
  r.check_keys(node, path, {"latency", "rpm", "tpm", "faults", "seed", "answers", "threads"});
  if (node["latency"]) m.latency = r.str(node["latency"], path + ".latency");
  if (node["rpm"]) m.rpm = r.count(node["rpm"], path + ".rpm");
  if (node["tpm"]) m.tpm = r.count(node["tpm"], path + ".tpm");
  if (node["faults"]) m.faults = r.str(node["faults"], path + ".faults");
  if (node["seed"]) m.seed = r.count(node["seed"], path + ".seed");
  if (node["answers"]) m.answers = r.path_of(node["answers"], path + ".answers");
  if (node["threads"])
    m.threads = static_cast<unsigned>(
        std::max<std::uint64_t>(1, r.count(node["threads"], path + ".threads")));
  return m;
}

EndpointConfig parse_endpoint(const Reader& r, const YAML::Node& node, const std::string& path,
                              std::set<std::string>& names) {
  r.check_keys(node, path,
               {"name", "dialect", "base_url", "api_key_env", "api_version", "ca_file",
                "insecure_skip_verify", "headers", "limits", "retries", "timeouts", "mock"});
  EndpointConfig e;
  if (!node["name"]) r.fail(node, path, "missing key 'name'");
  require_name(r, node["name"], path + ".name", e.name, names);
  if (!node["dialect"]) r.fail(node, path, "missing key 'dialect'");
  const auto dialect = r.str(node["dialect"], path + ".dialect");
  const auto d = providers::dialect_from_string(dialect);
  if (!d)
    r.fail(
        node["dialect"], path + ".dialect",
        fmt::format("unknown dialect '{}' (expected openai, azure, anthropic or gemini)", dialect));
  e.dialect = *d;
  if (node["mock"]) e.mock = parse_mock(r, node["mock"], path + ".mock");
  if (node["base_url"]) {
    e.base_url = r.str(node["base_url"], path + ".base_url");
    if (!e.base_url.starts_with("http://") && !e.base_url.starts_with("https://"))
      r.fail(node["base_url"], path + ".base_url", "must start with http:// or https://");
  } else if (!e.mock) {
    r.fail(node, path, "missing key 'base_url' (or 'mock' for the built-in mock provider)");
  }
  if (node["api_key_env"]) e.api_key_env = r.str(node["api_key_env"], path + ".api_key_env");
  if (node["api_version"]) e.api_version = r.str(node["api_version"], path + ".api_version");
  if (node["ca_file"]) e.ca_file = r.path_of(node["ca_file"], path + ".ca_file");
  if (node["insecure_skip_verify"])
    e.insecure_skip_verify =
        r.boolean(node["insecure_skip_verify"], path + ".insecure_skip_verify");
  if (const auto h = node["headers"]) {
    r.require_map(h, path + ".headers");
    for (const auto& kv : h) {
      auto name = kv.first.as<std::string>();
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      e.headers.emplace_back(name, r.str(kv.second, path + ".headers." + name));
    }
  }
  if (const auto l = node["limits"]) {
    const std::string lp = path + ".limits";
    r.check_keys(l, lp, {"concurrency", "rpm", "tpm"});
    if (l["concurrency"]) {
      const auto c = r.count(l["concurrency"], lp + ".concurrency");
      e.limits.concurrency =
          c == 0 ? 64 : static_cast<std::uint32_t>(std::min<std::uint64_t>(c, 65536));
    }
    if (l["rpm"]) e.limits.rpm = r.number(l["rpm"], lp + ".rpm", 0);
    if (l["tpm"]) e.limits.tpm = r.number(l["tpm"], lp + ".tpm", 0);
  }
  if (const auto t = node["timeouts"]) {
    const std::string tp = path + ".timeouts";
    r.check_keys(t, tp, {"connect", "request", "idle"});
    if (t["connect"]) e.timeouts.connect = r.seconds(t["connect"], tp + ".connect");
    if (t["request"]) e.timeouts.request = r.seconds(t["request"], tp + ".request");
    if (t["idle"]) e.timeouts.idle = r.seconds(t["idle"], tp + ".idle");
  }
  if (const auto rt = node["retries"]) {
    const std::string rp = path + ".retries";
    r.check_keys(rt, rp, {"max_attempts", "base_delay", "max_delay", "budget_ratio", "budget_min"});
    if (rt["max_attempts"]) {
      const auto v = r.count(rt["max_attempts"], rp + ".max_attempts");
      if (v == 0) r.fail(rt["max_attempts"], rp + ".max_attempts", "must be at least 1");
      e.retries.max_attempts = static_cast<std::uint32_t>(v);
    }
    if (rt["base_delay"]) e.retries.base_delay = r.seconds(rt["base_delay"], rp + ".base_delay");
    if (rt["max_delay"]) e.retries.max_delay = r.seconds(rt["max_delay"], rp + ".max_delay");
    if (e.retries.max_delay < e.retries.base_delay)
      r.fail(rt, rp, "max_delay must be at least base_delay");
    if (rt["budget_ratio"])
      e.retries.budget_ratio = r.number(rt["budget_ratio"], rp + ".budget_ratio", 0);
    if (rt["budget_min"])
      e.retries.budget_min =
          static_cast<std::uint32_t>(r.count(rt["budget_min"], rp + ".budget_min"));
  }
  return e;
}

}  // namespace

SweepConfig load_sweep(const std::string& path, bool resolve_keys) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw InputError(fmt::format("{}: cannot open", path));
  } catch (const YAML::ParserException& e) {
    throw InputError(
        fmt::format("{}:{}:{}: invalid YAML: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  Reader r(path);
  SweepConfig c;
  c.file = path;
  if (!root.IsMap()) r.fail(root, "(top level)", "expected a mapping of sweep keys");
  r.check_keys(root, "",
               {"name", "dataset", "lexicon", "cache", "output", "endpoints", "models", "prompts",
                "repeats", "budget_usd", "seed", "prices"});
  for (const char* required : {"name", "dataset", "lexicon", "endpoints", "models", "prompts"})
    if (!root[required]) r.fail(root, required, "missing required key");

  c.name = r.str(root["name"], "name");
  if (c.name.empty()) r.fail(root["name"], "name", "must not be empty");
  const auto ds = root["dataset"];
  r.check_keys(ds, "dataset", {"path", "limit", "sample", "seed"});
  if (!ds["path"]) r.fail(ds, "dataset", "missing key 'path'");
  c.dataset.path = r.path_of(ds["path"], "dataset.path");
  if (ds["limit"]) c.dataset.limit = r.count(ds["limit"], "dataset.limit");
  if (ds["sample"]) c.dataset.sample = r.count(ds["sample"], "dataset.sample");
  if (ds["seed"]) c.dataset.seed = r.count(ds["seed"], "dataset.seed");
  c.lexicon = r.path_of(root["lexicon"], "lexicon");
  c.cache_dir = root["cache"] ? r.path_of(root["cache"], "cache")
                              : (r.dir() / ".emosweep" / "cache").lexically_normal().string();
  c.output_dir = root["output"] ? r.path_of(root["output"], "output")
                                : (r.dir() / "runs" / c.name).lexically_normal().string();
  if (root["repeats"]) {
    const auto v = r.count(root["repeats"], "repeats");
    if (v == 0 || v > 1000) r.fail(root["repeats"], "repeats", "must be between 1 and 1000");
    c.repeats = static_cast<std::uint32_t>(v);
  }
  if (root["budget_usd"]) c.budget_usd = r.number(root["budget_usd"], "budget_usd", 0);
  if (root["seed"]) c.seed = r.count(root["seed"], "seed");

  std::map<std::string, Price> prices;
  if (const auto p = root["prices"]) {
    if (p.IsScalar()) {
      const std::string file = r.path_of(p, "prices");
      YAML::Node table;
      try {
        table = YAML::LoadFile(file);
      } catch (const YAML::Exception& e) {
        r.fail(p, "prices", fmt::format("cannot read price file {}: {}", file, e.what()));
      }
      Reader pr(file);
      if (table.IsMap() && table["prices"]) table = table["prices"];
      prices = parse_price_table(pr, table, "prices");
    } else {
      prices = parse_price_table(r, p, "prices");
    }
  }

  std::set<std::string> names;
  const auto eps = root["endpoints"];
  if (!eps.IsSequence() || eps.size() == 0) r.fail(eps, "endpoints", "expected a non-empty list");
  for (std::size_t i = 0; i < eps.size(); ++i)
    c.endpoints.push_back(parse_endpoint(r, eps[i], where("endpoints", i), names));

  names.clear();
  const auto models = root["models"];
  if (!models.IsSequence() || models.size() == 0)
    r.fail(models, "models", "expected a non-empty list");
  for (std::size_t i = 0; i < models.size(); ++i) {
    const auto node = models[i];
    const std::string mp = where("models", i);
    r.check_keys(node, mp, {"name", "endpoint", "model", "params", "system", "price"});
    ModelConfig m;
    if (!node["name"]) r.fail(node, mp, "missing key 'name'");
    require_name(r, node["name"], mp + ".name", m.name, names);
    if (!node["endpoint"]) r.fail(node, mp, "missing key 'endpoint'");
    const auto ep = r.str(node["endpoint"], mp + ".endpoint");
    auto it = std::find_if(c.endpoints.begin(), c.endpoints.end(),
                           [&](const auto& e) { return e.name == ep; });
    if (it == c.endpoints.end()) {
      std::string best;
      std::size_t best_d = 3;
      for (const auto& e : c.endpoints)
        if (auto d = edit_distance(ep, e.name); d < best_d) {
          best_d = d;
          best = e.name;
        }
      r.fail(node["endpoint"], mp + ".endpoint",
             fmt::format("no endpoint named '{}'{}", ep,
                         best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best)));
    }
    m.endpoint = static_cast<std::size_t>(it - c.endpoints.begin());
    m.model = node["model"] ? r.str(node["model"], mp + ".model") : m.name;
    if (node["params"]) parse_params(r, node["params"], mp + ".params", m.params);
    if (node["system"]) m.system = r.str(node["system"], mp + ".system");
    if (node["price"]) {
      m.price = parse_price(r, node["price"], mp + ".price");
    } else if (auto pit = prices.find(m.model); pit != prices.end()) {
      m.price = pit->second;
    } else if (auto nit = prices.find(m.name); nit != prices.end()) {
      m.price = nit->second;
    }
    c.models.push_back(std::move(m));
  }

  names.clear();
  const auto prompts = root["prompts"];
  if (!prompts.IsSequence() || prompts.size() == 0)
    r.fail(prompts, "prompts", "expected a non-empty list");
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto node = prompts[i];
    const std::string pp = where("prompts", i);
    r.check_keys(node, pp,
                 {"name", "template", "shots", "context_words", "parse", "seed", "system"});
    VariantSpec v;
    if (!node["name"]) r.fail(node, pp, "missing key 'name'");
    require_name(r, node["name"], pp + ".name", v.name, names);
    if (!node["template"]) r.fail(node, pp, "missing key 'template'");
    v.template_name = r.str(node["template"], pp + ".template");
    for (const char* opt : {"shots", "context_words", "seed"})
      if (node[opt]) v.options[opt] = std::to_string(r.count(node[opt], pp + "." + opt));
    if (node["parse"]) v.options["parse"] = r.str(node["parse"], pp + ".parse");
    if (node["system"]) v.system = r.str(node["system"], pp + ".system");
    c.prompts.push_back(std::move(v));
  }

  // API keys: every missing variable reported at once, before anything is sent.
  std::vector<std::string> missing;
  YAML::Node first_missing;
  std::string first_path;
  for (std::size_t i = 0; i < c.endpoints.size(); ++i) {
    auto& e = c.endpoints[i];
    if (e.api_key_env.empty()) continue;
    const char* v = std::getenv(e.api_key_env.c_str());
    if (v && *v) {
      e.api_key = v;
    } else if (resolve_keys &&
               std::find(missing.begin(), missing.end(), e.api_key_env) == missing.end()) {
      missing.push_back(e.api_key_env);
      if (first_path.empty()) {
        first_missing = eps[i]["api_key_env"];
        first_path = where("endpoints", i) + ".api_key_env";
      }
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing)
      list += (list.empty() ? "" : ", ") + m;
    r.fail(first_missing, first_path,
           fmt::format("environment variable{} not set: {}", missing.size() > 1 ? "s" : "", list));
  }
  // What the codecs would refuse at request time (control characters in keys or headers, a
  // base_url with a query...) is refused now, before anything is sent.
  for (std::size_t i = 0; i < c.endpoints.size(); ++i) {
    const auto& e = c.endpoints[i];
    providers::EndpointSettings settings;
    settings.dialect = e.dialect;
    settings.base_url = e.mock ? "http://127.0.0.1/" : e.base_url;
    settings.api_key = e.api_key;
    if (!e.api_version.empty()) settings.api_version = e.api_version;
    settings.extra_headers = e.headers;
    const auto node = eps[i];
    try {
      providers::validate_endpoint_settings(settings);
    } catch (const InputError& err) {
      r.fail(node, where("endpoints", i), err.what());
    }
  }
  return c;
}

}  // namespace emosweep::orchestrator
