#include "reports/humaneval.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/unordered/unordered_flat_map.hpp>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/json.hpp"
#include "core/lines.hpp"
#include "core/text.hpp"
#include "express/dataset.hpp"
#include "express/pylist.hpp"
#include "reports/detail/render.hpp"

namespace emosweep::reports {

namespace {

namespace fs = std::filesystem;

// Seeds for the two independent random choices of the export (item sample, option order).
constexpr std::uint64_t kSampleStream = 0x68756d616e657661ull;  // "humaneva"
constexpr std::uint64_t kOrderStream = 0x6f7264657273ull;       // "orders"

struct Candidate {
  std::string item, post, output;
  std::int64_t repeat = 0;
  std::int64_t row = -1;    // dataset row, -1 when absent
  std::size_t ordinal = 0;  // 1-based among the configuration's scored rows (predictions CSV row)
  std::size_t line = 0;     // in results.jsonl
  std::vector<std::string> labels, predicted;
  std::string segment;
  bool found = false;
};

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string file_safe(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

std::vector<std::string> lowered(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const auto& w : words)
    out.push_back(text::python_lower(w));
  return out;
}

// Keeps the n candidates with the smallest (hash, item): a uniform sample without replacement
// that does not depend on the order of the lines. One row per item (its lowest repeat).
class Sampler {
 public:
  Sampler(std::size_t n, std::uint64_t seed) : n_(n), seed_(seed) {}

  void offer(Candidate&& c) {
    const std::pair<std::uint64_t, std::string> key{hash::stable64(c.item, seed_ ^ kSampleStream),
                                                    c.item};
    if (auto it = kept_.find(key); it != kept_.end()) {
      if (c.repeat < it->second.repeat) it->second = std::move(c);
      return;
    }
    if (n_ == 0) return;
    if (kept_.size() == n_ && !(key < std::prev(kept_.end())->first)) return;
    kept_.emplace(key, std::move(c));
    if (kept_.size() > n_) kept_.erase(std::prev(kept_.end()));
  }
  std::map<std::pair<std::uint64_t, std::string>, Candidate>& kept() { return kept_; }

 private:
  std::size_t n_;
  std::uint64_t seed_;
  std::map<std::pair<std::uint64_t, std::string>, Candidate> kept_;
};

[[noreturn]] void fail_line(const std::string& path, std::size_t line, std::string_view what) {
  throw InputError(fmt::format("{}: line {}: {}", path, line, what));
}

std::vector<std::string> string_array(simdjson::dom::element v, const std::string& path,
                                      std::size_t line, std::string_view key) {
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (v.get_array().get(arr) != simdjson::SUCCESS)
    fail_line(path, line, fmt::format("key '{}' must be an array of strings", key));
  for (simdjson::dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS)
      fail_line(path, line, fmt::format("key '{}' must be an array of strings", key));
    out.emplace_back(s);
  }
  return out;
}

std::string_view string_field(simdjson::dom::object obj, std::string_view key,
                              const std::string& path, std::size_t line) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS)
    fail_line(path, line, fmt::format("missing or non-string key '{}'", key));
  return s;
}

// Pass 1: the candidates of one configuration in results.jsonl, sampled.
std::size_t collect_candidates(const ExportOptions& o, const std::string& path, Sampler& sampler) {
  LineReader lines(path);
  simdjson::dom::parser parser;
  std::string buffer;
  std::string_view line;
  std::size_t ordinal = 0, rows = 0, candidates = 0;
  while (lines.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::size_t n = lines.line_number();
    buffer.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    buffer.assign(line.data(), line.size());
    simdjson::dom::object obj;
    if (parser.parse(buffer.data(), buffer.size(), false).get(obj) != simdjson::SUCCESS)
      fail_line(path, n, "not a JSON object");
    if (string_field(obj, "model", path, n) != o.model ||
        string_field(obj, "variant", path, n) != o.variant)
      continue;
    const std::string_view outcome = string_field(obj, "outcome", path, n);
    if (outcome == "failed") continue;
    ++ordinal;
    ++rows;
    if (outcome != "ok") continue;
    Candidate c;
    c.ordinal = ordinal;
    c.line = n;
    c.item = string_field(obj, "item", path, n);
    c.post = string_field(obj, "original_ids", path, n);
    if (obj["repeat"].get_int64().get(c.repeat) != simdjson::SUCCESS)
      fail_line(path, n, "missing or non-integer key 'repeat'");
    std::int64_t row = -1;
    if (obj["row"].get_int64().get(row) == simdjson::SUCCESS) c.row = row;
    simdjson::dom::element v;
    if (obj["labels"].get(v) != simdjson::SUCCESS) fail_line(path, n, "missing key 'labels'");
    c.labels = string_array(v, path, n, "labels");
    if (obj["predicted"].get(v) != simdjson::SUCCESS)
      fail_line(path, n, "missing key 'predicted' (outcome is ok)");
    c.predicted = string_array(v, path, n, "predicted");
    std::string_view output;
    if (obj["output"].get_string().get(output) == simdjson::SUCCESS) c.output = output;
    if (c.predicted.size() != c.labels.size())
      fail_line(path, n, "outcome is ok but 'predicted' and 'labels' differ in length");
    // Identical options give the coders nothing to choose between.
    if (lowered(c.predicted) == lowered(c.labels)) continue;
    ++candidates;
    sampler.offer(std::move(c));
  }
  if (rows == 0)
    throw InputError(
        fmt::format("{}: no scored rows for model '{}' variant '{}'", path, o.model, o.variant));
  return candidates;
}

void segments_from_dataset(const std::string& dataset, std::vector<Candidate*>& chosen) {
  std::map<std::int64_t, Candidate*> by_row;
  for (Candidate* c : chosen) {
    if (c->row < 0)
      throw InputError(fmt::format("results.jsonl line {}: no key 'row' to find the segment in {}",
                                   c->line, dataset));
    by_row[c->row] = c;
  }
  express::DatasetReader reader(dataset);
  express::Segment seg;
  while (reader.next(seg)) {
    auto it = by_row.find(static_cast<std::int64_t>(seg.row));
    if (it == by_row.end()) continue;
    Candidate& c = *it->second;
    if (seg.index != c.item || lowered(seg.labels) != lowered(c.labels))
      throw InputError(fmt::format(
          "{}: row {}: index '{}' labels [{}] do not match results.jsonl line {} (item '{}' labels "
          "[{}]); is this the run's dataset?",
          dataset, seg.row, seg.index, join_words(seg.labels), c.line, c.item,
          join_words(c.labels)));
    c.segment = std::move(seg.text);
    c.found = true;
  }
}

void segments_from_predictions(const std::string& csv_path, std::vector<Candidate*>& chosen) {
  std::error_code ec;
  if (!fs::is_regular_file(csv_path, ec))
    throw InputError(fmt::format("{}: not found; pass --dataset with the run's dataset", csv_path));
  std::map<std::size_t, Candidate*> by_ordinal;
  for (Candidate* c : chosen)
    by_ordinal[c->ordinal] = c;
  csv::Reader reader(csv_path);
  const std::size_t segment = reader.require_column("segment");
  const std::size_t labels = reader.require_column("labels");
  const auto output = reader.column("output");
  std::vector<std::string> words;
  while (reader.next()) {
    auto it = by_ordinal.find(reader.row());
    if (it == by_ordinal.end()) continue;
    Candidate& c = *it->second;
    std::string err;
    const bool parsed = express::parse_python_list(reader.field(labels), words, &err);
    const bool same = parsed && lowered(words) == lowered(c.labels) &&
                      (!output || reader.field(*output) == c.output);
    if (!same)
      throw InputError(fmt::format(
          "{}: does not line up with results.jsonl line {} (labels or output differ); pass "
          "--dataset with the run's dataset",
          reader.where(), c.line));
    c.segment.assign(reader.field(segment));
    c.found = true;
  }
}

}  // namespace

std::string default_key_path(std::string_view sheet) {
  std::string s(sheet);
  if (s.size() >= 4 && text::iequals_ascii(std::string_view(s).substr(s.size() - 4), ".csv"))
    s.resize(s.size() - 4);
  return s + ".key.csv";
}

ExportResult export_sheet(const ExportOptions& o) {
  if (o.out.empty()) throw InputError("--out: the sheet's path is required");
  std::error_code ec;
  if (!fs::is_directory(o.run_dir, ec))
    throw InputError(fmt::format("{}: no such run directory", o.run_dir));
  const std::string results = (fs::path(o.run_dir) / "results.jsonl").string();
  ExportResult result;
  result.sheet_path = o.out;
  result.key_path = o.key_out.empty() ? default_key_path(o.out) : o.key_out;
  if (result.key_path == result.sheet_path)
    throw InputError(fmt::format("--key-out: {} is the sheet itself", result.key_path));

  Sampler sampler(o.n, o.seed);
  result.candidates = collect_candidates(o, results, sampler);
  std::vector<Candidate*> chosen;
  for (auto& [key, c] : sampler.kept())
    chosen.push_back(&c);
  if (!chosen.empty()) {
    if (!o.dataset.empty()) {
      segments_from_dataset(o.dataset, chosen);
    } else {
      segments_from_predictions((fs::path(o.run_dir) / "predictions" /
                                 (file_safe(o.model) + "__" + file_safe(o.variant) + ".csv"))
                                    .string(),
                                chosen);
    }
  }
  std::string sheet, key;
  csv::append_record(sheet, {"id", "segment", "option_1", "option_2", "choice"});
  csv::append_record(key, {"id", "item", "repeat", "original_ids", "row", "model", "variant",
                           "model_option", "self_disclosed", "prediction"});
  std::size_t id = 0;
  for (Candidate* c : chosen) {
    if (!c->found)
      throw InputError(fmt::format("results.jsonl line {}: item '{}' has no segment text in {}",
                                   c->line, c->item,
                                   o.dataset.empty() ? "the predictions CSV" : o.dataset));
    const std::string ids = std::to_string(++id);
    const bool model_first = (hash::stable64(c->item, o.seed ^ kOrderStream) & 1u) == 0;
    const std::string gold = join_words(c->labels), prediction = join_words(c->predicted);
    csv::append_record(sheet, {ids, c->segment, model_first ? prediction : gold,
                               model_first ? gold : prediction, ""});
    csv::append_record(key, {ids, c->item, std::to_string(c->repeat), c->post,
                             c->row < 0 ? std::string() : std::to_string(c->row), o.model,
                             o.variant, model_first ? "1" : "2", gold, prediction});
  }
  result.rows = id;
  write_file_atomic(result.key_path, key);
  write_file_atomic(result.sheet_path, sheet);
  return result;
}

namespace {

struct KeyEntry {
  int model_option = 1;
  std::size_t index = 0;
};

std::optional<int> parse_choice(std::string_view raw) {
  const std::string v = text::python_lower(text::python_strip(raw));
  if (v.empty()) return std::nullopt;
  if (v == "1" || v == "option 1" || v == "option_1" || v == "option1") return 1;
  if (v == "2" || v == "option 2" || v == "option_2" || v == "option2") return 2;
  if (v == "both") return 3;
  if (v == "neither") return 4;
  return 0;
}

std::string coder_name(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (name.size() > 4 &&
      text::iequals_ascii(std::string_view(name).substr(name.size() - 4), ".csv"))
    name.resize(name.size() - 4);
  return name;
}

}  // namespace

HumanEvalResult import_sheets(const ImportOptions& o) {
  if (o.sheets.empty()) throw InputError("no sheet given");
  if (o.resamples == 0) throw InputError("--resamples: must be at least 1");
  if (!(o.alpha > 0 && o.alpha < 1))
    throw InputError(fmt::format("--alpha: {} is not between 0 and 1", o.alpha));
  HumanEvalResult r;
  r.options = o;
  const double confidence = 1 - o.alpha;

  boost::unordered_flat_map<std::string, KeyEntry> key;
  {
    csv::Reader reader(o.key);
    const std::size_t id = reader.require_column("id");
    const std::size_t option = reader.require_column("model_option");
    const auto model = reader.column("model");
    const auto variant = reader.column("variant");
    while (reader.next()) {
      const std::string_view opt = text::python_strip(reader.field(option));
      if (opt != "1" && opt != "2")
        throw InputError(fmt::format("{}: column 'model_option' is '{}', expected 1 or 2",
                                     reader.where(), reader.field(option)));
      const std::string ids(text::python_strip(reader.field(id)));
      if (!key.emplace(ids, KeyEntry{opt == "1" ? 1 : 2, key.size()}).second)
        throw InputError(fmt::format("{}: id '{}' appears twice", reader.where(), ids));
      if (model && variant) {
        std::string config = fmt::format("{} · {}", reader.field(*model), reader.field(*variant));
        if (std::find(r.configurations.begin(), r.configurations.end(), config) ==
            r.configurations.end())
          r.configurations.push_back(std::move(config));
      }
    }
  }
  r.key_items = key.size();

  // choices[item][coder]: -1 blank or absent, else a Choice.
  const std::size_t coders = o.sheets.size();
  std::vector<std::vector<std::int8_t>> choices(key.size(), std::vector<std::int8_t>(coders, -1));
  for (std::size_t k = 0; k < coders; ++k) {
    const std::string& path = o.sheets[k];
    CoderResult& coder = r.coders.emplace_back();
    coder.sheet = path;
    coder.name = coder_name(path);
    std::vector<bool> seen(key.size(), false);
    csv::Reader reader(path);
    const std::size_t id = reader.require_column("id");
    const std::size_t choice = reader.require_column("choice");
    while (reader.next()) {
      const std::string ids(text::python_strip(reader.field(id)));
      auto it = key.find(ids);
      if (it == key.end())
        throw InputError(
            fmt::format("{}: id '{}' is not in the key {}", reader.where(), ids, o.key));
      if (seen[it->second.index])
        throw InputError(fmt::format("{}: id '{}' appears twice", reader.where(), ids));
      seen[it->second.index] = true;
      const auto c = parse_choice(reader.field(choice));
      if (!c) {
        ++coder.blank;
        continue;
      }
      if (*c == 0)
        throw InputError(fmt::format("{}: column 'choice' is '{}', expected 1, 2, both or neither",
                                     reader.where(), reader.field(choice)));
      Choice unblinded;
      if (*c == 3)
        unblinded = Choice::both;
      else if (*c == 4)
        unblinded = Choice::neither;
      else
        unblinded = *c == it->second.model_option ? Choice::model : Choice::self_disclosed;
      choices[it->second.index][k] = static_cast<std::int8_t>(unblinded);
    }
  }
  for (auto& c : r.coders) {
    const auto same = std::count_if(r.coders.begin(), r.coders.end(), [&](const CoderResult& x) {
      return coder_name(x.sheet) == c.name;
    });
    if (same > 1) c.name = c.sheet;
  }

  // Per coder: Wilson intervals (a coder's judgments of different items are independent).
  for (std::size_t k = 0; k < coders; ++k) {
    CoderResult& coder = r.coders[k];
    for (const auto& item : choices)
      if (item[k] >= 0) {
        ++coder.counts[static_cast<std::size_t>(item[k])];
        ++coder.judged;
      }
    for (std::size_t j = 0; j < kChoiceCount; ++j)
      coder.rates[j] = wilson_interval(coder.counts[j], coder.judged, confidence);
    coder.model_preferred =
        wilson_interval(coder.counts[0], coder.counts[0] + coder.counts[1], confidence);
  }

  // Pooled: items are the resampling unit.
  std::vector<std::array<std::uint32_t, kChoiceCount>> per_item;
  for (const auto& item : choices) {
    std::array<std::uint32_t, kChoiceCount> counts{};
    std::uint32_t n = 0;
    for (std::int8_t c : item)
      if (c >= 0) {
        ++counts[static_cast<std::size_t>(c)];
        ++n;
      }
    if (n == 0) continue;
    per_item.push_back(counts);
    r.judgments += n;
    for (std::size_t j = 0; j < kChoiceCount; ++j)
      r.counts[j] += counts[j];
  }
  r.items_judged = per_item.size();
  const BootstrapOptions bo{o.resamples, o.seed, confidence, o.threads};
  std::vector<RatioCluster> clusters(per_item.size());
  for (std::size_t j = 0; j < kChoiceCount; ++j) {
    for (std::size_t i = 0; i < per_item.size(); ++i) {
      const auto& c = per_item[i];
      clusters[i] = {static_cast<double>(c[j]), static_cast<double>(c[0] + c[1] + c[2] + c[3])};
    }
    r.rates[j] = bootstrap_ratio(clusters, bo);
  }
  for (std::size_t i = 0; i < per_item.size(); ++i)
    clusters[i] = {static_cast<double>(per_item[i][0]),
                   static_cast<double>(per_item[i][0] + per_item[i][1])};
  r.model_preferred = bootstrap_ratio(clusters, bo);

  // Agreement on the unblinded categories.
  double sum = 0;
  for (std::size_t a = 0; a < coders; ++a)
    for (std::size_t b = a + 1; b < coders; ++b) {
      PairAgreement p{a, b, 0, 0, 0};
      for (const auto& item : choices)
        if (item[a] >= 0 && item[b] >= 0) {
          ++p.items;
          p.agreed += item[a] == item[b];
        }
      p.rate = p.items == 0 ? 0.0 : static_cast<double>(p.agreed) / static_cast<double>(p.items);
      sum += p.rate;
      r.agreement.push_back(p);
    }
  if (!r.agreement.empty()) r.mean_agreement = sum / static_cast<double>(r.agreement.size());
  if (coders >= 2) {
    std::vector<std::vector<std::uint32_t>> table;
    for (const auto& item : choices) {
      if (std::any_of(item.begin(), item.end(), [](std::int8_t c) { return c < 0; })) continue;
      std::vector<std::uint32_t> row(kChoiceCount, 0);
      for (std::int8_t c : item)
        ++row[static_cast<std::size_t>(c)];
      table.push_back(std::move(row));
    }
    if (!table.empty()) r.kappa = fleiss_kappa(table);
  }
  return r;
}

namespace {

const char* choice_label(std::size_t j) {
  static constexpr const char* labels[] = {"model's prediction preferred",
                                           "self-disclosed labels preferred", "both fit",
                                           "neither fits"};
  return labels[j];
}

std::string estimate_cell(const Estimate& e) {
  return fmt::format("{} {}", detail::fixed(e.value), detail::interval(e.low, e.high));
}

std::string humaneval_markdown(const HumanEvalResult& r) {
  const std::string level = fmt::format("{:g}%", 100 * (1 - r.options.alpha));
  std::string out = "# Human evaluation\n\n";
  out += fmt::format("Key: `{}` ({} items", detail::escape_markdown(r.options.key), r.key_items);
  for (const auto& c : r.configurations)
    out += "; " + detail::escape_markdown(c);
  out += fmt::format("). Coders: {}. Judgments: {} on {} items.\n\n", r.coders.size(), r.judgments,
                     r.items_judged);
  out += fmt::format(
      "Pooled intervals: {} percentile bootstrap over items ({} resamples, seed {}); per-coder "
      "intervals: Wilson score.\n\n",
      level, r.options.resamples, r.options.seed);
  detail::Table pooled;
  pooled.header = {"Choice", "Judgments", fmt::format("Rate [{} CI]", level)};
  for (std::size_t j = 0; j < kChoiceCount; ++j)
    pooled.rows.push_back(
        {choice_label(j), std::to_string(r.counts[j]), estimate_cell(r.rates[j])});
  pooled.rows.push_back({"model preferred over self-disclosed (decisive judgments)",
                         std::to_string(r.counts[0] + r.counts[1]),
                         estimate_cell(r.model_preferred)});
  out += "## Preferences (all coders)\n\n" + detail::to_markdown(pooled) + "\n";

  detail::Table per;
  per.header = {"Coder",          "Judged", "Blank",   "model",
                "self-disclosed", "both",   "neither", "model vs self-disclosed"};
  for (const auto& c : r.coders) {
    std::vector<std::string> row = {c.name, std::to_string(c.judged), std::to_string(c.blank)};
    for (const auto& e : c.rates)
      row.push_back(estimate_cell(e));
    row.push_back(estimate_cell(c.model_preferred));
    per.rows.push_back(std::move(row));
  }
  out += "## Per coder\n\n" + detail::to_markdown(per) + "\n";

  out += "## Agreement\n\n";
  if (r.agreement.empty()) {
    out += "One coder only: no agreement to measure.\n";
    return out;
  }
  detail::Table agree;
  agree.header = {"Coder A", "Coder B", "Items", "Agreed", "Raw agreement"};
  agree.text_columns = 2;
  for (const auto& p : r.agreement)
    agree.rows.push_back({r.coders[p.a].name, r.coders[p.b].name, std::to_string(p.items),
                          std::to_string(p.agreed), detail::fixed(p.rate)});
  out += detail::to_markdown(agree) + "\n";
  out += fmt::format("Mean pairwise raw agreement: {}.\n\n", detail::fixed(r.mean_agreement));
  if (r.kappa) {
    out += fmt::format(
        "Fleiss' kappa: {} over {} items judged by all {} coders (categories: model, "
        "self-disclosed, both, neither; observed agreement {}, chance agreement {}).\n",
        detail::fixed(r.kappa->kappa), r.kappa->subjects, r.kappa->raters,
        detail::fixed(r.kappa->observed), detail::fixed(r.kappa->expected));
  } else {
    out += "Fleiss' kappa: no item was judged by every coder.\n";
  }
  return out;
}

void write_estimate(json::Writer& w, const Estimate& e) {
  w.begin_object().field("value", e.value).field("low", e.low).field("high", e.high).end_object();
}

std::string humaneval_json(const HumanEvalResult& r) {
  json::Writer w;
  w.begin_object();
  w.field("key", r.options.key).field("key_items", r.key_items);
  w.key("configurations").begin_array();
  for (const auto& c : r.configurations)
    w.value(c);
  w.end_array();
  w.key("bootstrap").begin_object().field("resamples", r.options.resamples);
  w.field("seed", r.options.seed).field("unit", "item").field("confidence", 1 - r.options.alpha);
  w.end_object();
  w.field("judgments", r.judgments).field("items_judged", r.items_judged);
  w.key("pooled").begin_object();
  for (std::size_t j = 0; j < kChoiceCount; ++j) {
    w.key(kChoiceNames[j]).begin_object().field("count", r.counts[j]).key("rate");
    write_estimate(w, r.rates[j]);
    w.end_object();
  }
  w.key("model_preferred");
  write_estimate(w, r.model_preferred);
  w.end_object();
  w.key("coders").begin_array();
  for (const auto& c : r.coders) {
    w.begin_object().field("name", c.name).field("sheet", c.sheet).field("judged", c.judged);
    w.field("blank", c.blank);
    for (std::size_t j = 0; j < kChoiceCount; ++j) {
      w.key(kChoiceNames[j]).begin_object().field("count", c.counts[j]).key("rate");
      write_estimate(w, c.rates[j]);
      w.end_object();
    }
    w.key("model_preferred");
    write_estimate(w, c.model_preferred);
    w.end_object();
  }
  w.end_array();
  w.key("agreement").begin_object();
  w.key("pairs").begin_array();
  for (const auto& p : r.agreement) {
    w.begin_object().field("a", r.coders[p.a].name).field("b", r.coders[p.b].name);
    w.field("items", p.items).field("agreed", p.agreed).field("rate", p.rate).end_object();
  }
  w.end_array();
  w.field("mean_pairwise", r.mean_agreement);
  if (r.kappa) {
    w.key("fleiss_kappa").begin_object().field("kappa", r.kappa->kappa);
    w.field("observed", r.kappa->observed).field("expected", r.kappa->expected);
    w.field("items", r.kappa->subjects).field("coders", r.kappa->raters).end_object();
  } else {
    w.key("fleiss_kappa").null();
  }
  w.end_object();
  w.end_object();
  return w.take() + "\n";
}

std::string humaneval_csv(const HumanEvalResult& r) {
  std::string out;
  csv::append_record(out,
                     {"section", "coder", "coder_b", "name", "value", "ci_low", "ci_high", "n"});
  const auto num = [](double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); };
  const auto estimate = [&](std::string_view section, std::string_view coder, std::string_view name,
                            const Estimate& e, std::uint64_t n) {
    csv::append_record(
        out, {section, coder, "", name, num(e.value), num(e.low), num(e.high), std::to_string(n)});
  };
  for (std::size_t j = 0; j < kChoiceCount; ++j)
    estimate("pooled", "", kChoiceNames[j], r.rates[j], r.judgments);
  estimate("pooled", "", "model_preferred", r.model_preferred, r.counts[0] + r.counts[1]);
  for (const auto& c : r.coders) {
    for (std::size_t j = 0; j < kChoiceCount; ++j)
      estimate("coder", c.name, kChoiceNames[j], c.rates[j], c.judged);
    estimate("coder", c.name, "model_preferred", c.model_preferred, c.counts[0] + c.counts[1]);
  }
  for (const auto& p : r.agreement)
    csv::append_record(out, {"agreement", r.coders[p.a].name, r.coders[p.b].name, "raw",
                             num(p.rate), "", "", std::to_string(p.items)});
  if (r.kappa)
    csv::append_record(out, {"agreement", "", "", "fleiss_kappa", num(r.kappa->kappa), "", "",
                             std::to_string(r.kappa->subjects)});
  return out;
}

}  // namespace

std::string render_humaneval(const HumanEvalResult& result, Format format) {
  switch (format) {
    case Format::markdown:
      return humaneval_markdown(result);
    case Format::json:
      return humaneval_json(result);
    case Format::csv:
      return humaneval_csv(result);
    case Format::html:
      break;
  }
  throw InputError("--format: humaneval import writes md, csv or json");
}

}  // namespace emosweep::reports
