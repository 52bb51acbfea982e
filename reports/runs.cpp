#include <algorithm>
#include <bit>
#include <filesystem>
#include <numeric>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/error.hpp"
#include "core/lines.hpp"
#include "reports/detail/runs.hpp"

namespace emosweep::reports::detail {

std::uint32_t StringTable::intern(std::string_view s) {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(s);
  ids_.emplace(names_.back(), id);
  return id;
}

namespace {

namespace fs = std::filesystem;

enum class Outcome { ok, invalid, failed };

struct MaskView {
  std::string_view gold, predicted;
  express::EmotionVector gold_vector = 0, predicted_vector = 0;
  unsigned seen = 0;
};

// Views into the parser's buffers: valid until the next line is parsed.
struct RowView {
  std::string_view model, variant, item, post;
  Outcome outcome = Outcome::ok;
  std::int64_t repeat = 0;
  std::vector<std::string_view> labels;
  std::vector<MaskView> masks;
  unsigned seen = 0;
};

enum RowKey : unsigned {
  kModel = 1u << 0,
  kVariant = 1u << 1,
  kRepeat = 1u << 2,
  kItem = 1u << 3,
  kPost = 1u << 4,
  kOutcome = 1u << 5,
  kLabels = 1u << 6,
  kMasks = 1u << 7,
};
enum MaskKey : unsigned {
  kGold = 1u << 0,
  kPredicted = 1u << 1,
  kGoldVector = 1u << 2,
  kPredictedVector = 1u << 3,
};

// Error messages name the file and the line: "PATH: line N: what".
class Where {
 public:
  Where(const std::string& path, std::size_t line) : path_(path), line_(line) {}
  [[noreturn]] void fail(std::string_view what) const {
    throw InputError(fmt::format("{}: line {}: {}", path_, line_, what));
  }

 private:
  const std::string& path_;
  std::size_t line_;
};

std::string_view string_of(simdjson::dom::element v, std::string_view key, const Where& where) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS)
    where.fail(fmt::format("key '{}' must be a string", key));
  return s;
}

express::EmotionVector vector_of(simdjson::dom::element v, std::string_view key, std::size_t mask,
                                 const Where& where) {
  std::string_view s;
  const auto bad = [&] {
    where.fail(fmt::format("masks[{}].{} must be a string of {} characters 0 or 1", mask, key,
                           express::kDimensionCount));
  };
  if (v.get_string().get(s) != simdjson::SUCCESS || s.size() != express::kDimensionCount) bad();
  express::EmotionVector bits = 0;
  for (std::size_t d = 0; d < s.size(); ++d) {
    if (s[d] == '1')
      bits |= static_cast<express::EmotionVector>(1u << d);
    else if (s[d] != '0')
      bad();
  }
  return bits;
}

// The DOM API dispatches to the best SIMD kernel at run time (On-Demand would be compiled for
// the baseline CPU here), and a line is small enough to be parsed whole.
class LineParser {
 public:
  // Parses one results.jsonl line into `row`; throws InputError naming file and line.
  void parse(std::string_view line, const Where& where, RowView& row) {
    buffer_.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    buffer_.assign(line.data(), line.size());
    row.seen = 0;
    row.labels.clear();
    row.masks.clear();
    simdjson::dom::object obj;
    if (parser_.parse(buffer_.data(), buffer_.size(), false).get(obj) != simdjson::SUCCESS)
      where.fail("not a JSON object");
    for (const auto [key, value] : obj) {
      if (key == "model") {
        row.model = string_of(value, "model", where);
        row.seen |= kModel;
      } else if (key == "variant") {
        row.variant = string_of(value, "variant", where);
        row.seen |= kVariant;
      } else if (key == "item") {
        row.item = string_of(value, "item", where);
        row.seen |= kItem;
      } else if (key == "original_ids") {
        row.post = string_of(value, "original_ids", where);
        row.seen |= kPost;
      } else if (key == "repeat") {
        if (value.get_int64().get(row.repeat) != simdjson::SUCCESS || row.repeat < 0)
          where.fail("key 'repeat' must be a non-negative integer");
        row.seen |= kRepeat;
      } else if (key == "outcome") {
        const std::string_view o = string_of(value, "outcome", where);
        if (o == "ok")
          row.outcome = Outcome::ok;
        else if (o == "invalid")
          row.outcome = Outcome::invalid;
        else if (o == "failed")
          row.outcome = Outcome::failed;
        else
          where.fail(fmt::format("key 'outcome' is '{}', expected ok, invalid or failed", o));
        row.seen |= kOutcome;
      } else if (key == "labels") {
        parse_labels(value, where, row);
      } else if (key == "masks") {
        parse_masks(value, where, row);
      }
    }
  }

 private:
  static void parse_labels(simdjson::dom::element value, const Where& where, RowView& row) {
    simdjson::dom::array arr;
    if (value.get_array().get(arr) != simdjson::SUCCESS)
      where.fail("key 'labels' must be an array of strings");
    for (simdjson::dom::element element : arr) {
      std::string_view s;
      if (element.get_string().get(s) != simdjson::SUCCESS)
        where.fail("key 'labels' must be an array of strings");
      row.labels.push_back(s);
    }
    row.seen |= kLabels;
  }

  static void parse_masks(simdjson::dom::element value, const Where& where, RowView& row) {
    simdjson::dom::array arr;
    if (value.get_array().get(arr) != simdjson::SUCCESS)
      where.fail("key 'masks' must be an array of objects");
    for (simdjson::dom::element element : arr) {
      const std::size_t i = row.masks.size();
      simdjson::dom::object mask;
      if (element.get_object().get(mask) != simdjson::SUCCESS)
        where.fail(fmt::format("masks[{}] must be an object", i));
      MaskView m;
      for (const auto [key, v] : mask) {
        if (key == "gold") {
          m.gold = string_of(v, "gold", where);
          m.seen |= kGold;
        } else if (key == "predicted") {
          m.predicted = string_of(v, "predicted", where);
          m.seen |= kPredicted;
        } else if (key == "gold_vector") {
          m.gold_vector = vector_of(v, "gold_vector", i, where);
          m.seen |= kGoldVector;
        } else if (key == "predicted_vector") {
          m.predicted_vector = vector_of(v, "predicted_vector", i, where);
          m.seen |= kPredictedVector;
        }
      }
      constexpr std::pair<unsigned, std::string_view> required[] = {
          {kGold, "gold"},
          {kPredicted, "predicted"},
          {kGoldVector, "gold_vector"},
          {kPredictedVector, "predicted_vector"}};
      for (const auto& [bit, name] : required)
        if (!(m.seen & bit)) where.fail(fmt::format("masks[{}] has no key '{}'", i, name));
      row.masks.push_back(m);
    }
    row.seen |= kMasks;
  }

  simdjson::dom::parser parser_;
  std::string buffer_;
};

void require_keys(const RowView& row, const Where& where) {
  constexpr std::pair<unsigned, std::string_view> always[] = {
      {kModel, "model"}, {kVariant, "variant"}, {kOutcome, "outcome"}};
  for (const auto& [bit, name] : always)
    if (!(row.seen & bit)) where.fail(fmt::format("missing key '{}'", name));
  if (row.outcome == Outcome::failed) return;
  constexpr std::pair<unsigned, std::string_view> scored[] = {
      {kRepeat, "repeat"}, {kItem, "item"}, {kPost, "original_ids"}, {kLabels, "labels"}};
  for (const auto& [bit, name] : scored)
    if (!(row.seen & bit)) where.fail(fmt::format("missing key '{}'", name));
  if (row.labels.size() > kMaxMasks)
    where.fail(fmt::format("{} labels; reports support at most {} masks per segment",
                           row.labels.size(), kMaxMasks));
  if (row.outcome == Outcome::ok) {
    if (!(row.seen & kMasks)) where.fail("missing key 'masks' (outcome is ok)");
    if (row.masks.size() != row.labels.size())
      where.fail(fmt::format("outcome is ok but 'masks' has {} entries for {} labels",
                             row.masks.size(), row.labels.size()));
  }
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

void item_key(std::string& out, std::string_view item, std::int64_t repeat) {
  out.assign(item);
  out.push_back('\x1f');
  out += std::to_string(repeat);
}

class RunLoader {
 public:
  RunLoader(Corpus& corpus, StringTable& posts) : corpus_(corpus), posts_(posts) {}

  void load(std::size_t run) {
    const std::string& path = corpus_.runs[run].results_path;
    configs_.clear();
    LineReader lines(path);
    std::string_view line;
    while (lines.next(line)) {
      if (blank(line)) continue;
      const Where where(path, lines.line_number());
      parser_.parse(line, where, row_);
      require_keys(row_, where);
      ingest(run);
    }
  }

 private:
  ConfigData& config_for(std::size_t run) {
    key_.assign(row_.model);
    key_.push_back('\x1f');
    key_.append(row_.variant);
    if (auto it = configs_.find(key_); it != configs_.end()) return corpus_.configs[it->second];
    configs_.emplace(key_, corpus_.configs.size());
    ConfigData& c = corpus_.configs.emplace_back();
    c.model.assign(row_.model);
    c.variant.assign(row_.variant);
    c.run = run;
    return c;
  }

  void ingest(std::size_t run) {
    ConfigData& config = config_for(run);
    if (row_.outcome == Outcome::failed) {
      ++config.failed;
      return;
    }
    const bool valid = row_.outcome == Outcome::ok;
    ItemRecord record;
    item_key(key_, row_.item, row_.repeat);
    record.item = corpus_.items.intern(key_);
    record.post = posts_.intern(row_.post);
    record.masks = static_cast<std::uint8_t>(row_.labels.size());
    record.valid = valid;
    config.totals.add_segment(row_.labels.size(), valid);
    for (std::size_t i = 0; i < row_.labels.size(); ++i) {
      gold_.label = corpus_.labels.intern(row_.labels[i]);
      if (!valid) {
        config.totals.add_invalid_mask(gold_);
        continue;
      }
      const MaskView& m = row_.masks[i];
      gold_.word.assign(m.gold);
      gold_.vector = m.gold_vector;
      const express::MaskScore s = express::score_mask(gold_, m.predicted, m.predicted_vector);
      config.totals.add_mask(gold_, s);
      record.label_bits |= std::uint64_t{s.label_match} << i;
      record.label_correct += s.label_match;
      record.vector_correct += s.vector_match;
      record.agree = static_cast<std::uint16_t>(record.agree + s.agree);
      // The same integer F1 scaling as express::Accumulator, so sums are exact.
      const unsigned denom = 2u * s.tp + s.fp + s.fn;
      if (denom != 0) record.f1_scaled += express::Accumulator::kF1Scale / denom * (2u * s.tp);
      if (!s.label_match) {
        key_.assign(m.gold);
        key_.push_back('\x1f');
        key_.append(m.predicted);
        config.substitutions.add(key_);
      }
    }
    config.items.push_back(record);
  }

  Corpus& corpus_;
  StringTable& posts_;
  LineParser parser_;
  RowView row_;
  std::string key_;
  express::GoldMask gold_;
  boost::unordered_flat_map<std::string, std::size_t> configs_;
};

std::vector<SummaryEntry> read_summary(const std::string& path) {
  std::vector<SummaryEntry> out;
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: cannot read", path));
  simdjson::dom::parser parser;
  simdjson::dom::array entries;
  if (parser.parse(json).get(entries) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: not a JSON array", path));
  std::size_t index = 0;
  for (simdjson::dom::element e : entries) {
    SummaryEntry entry;
    std::string_view s;
    if (e["model"].get(s) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: entry {}: key 'model' must be a string", path, index));
    entry.model = s;
    if (e["variant"].get(s) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: entry {}: key 'variant' must be a string", path, index));
    entry.variant = s;
    std::int64_t v;
    if (e["rows"].get(v) == simdjson::SUCCESS) entry.rows = v;
    if (e["valid_rows"].get(v) == simdjson::SUCCESS) entry.valid_rows = v;
    if (e["masks"].get(v) == simdjson::SUCCESS) entry.masks = v;
    out.push_back(std::move(entry));
    ++index;
  }
  return out;
}

// Line numbers of every occurrence of (model, variant, item, repeat): only called to explain
// a duplicate, so the file is read a second time rather than keeping line numbers around.
std::vector<std::size_t> find_lines(const std::string& path, std::string_view model,
                                    std::string_view variant, std::string_view key) {
  std::vector<std::size_t> found;
  LineReader lines(path);
  LineParser parser;
  RowView row;
  std::string k;
  std::string_view line;
  while (lines.next(line)) {
    if (blank(line)) continue;
    const Where where(path, lines.line_number());
    parser.parse(line, where, row);
    require_keys(row, where);
    if (row.outcome == Outcome::failed || row.model != model || row.variant != variant) continue;
    item_key(k, row.item, row.repeat);
    if (k == key) found.push_back(lines.line_number());
  }
  return found;
}

void check_duplicates(Corpus& corpus, ConfigData& config) {
  auto& items = config.items;
  items.shrink_to_fit();  // growth slack would otherwise be up to half the records' memory
  std::sort(items.begin(), items.end(),
            [](const ItemRecord& a, const ItemRecord& b) { return a.item < b.item; });
  const auto dup =
      std::adjacent_find(items.begin(), items.end(),
                         [](const ItemRecord& a, const ItemRecord& b) { return a.item == b.item; });
  if (dup == items.end()) return;
  const std::string_view key = corpus.items.name(dup->item);
  const auto sep = key.rfind('\x1f');
  const std::string& path = corpus.runs[config.run].results_path;
  const auto lines = find_lines(path, config.model, config.variant, key);
  const std::string first = lines.empty() ? "?" : std::to_string(lines.front());
  const std::string second = lines.size() < 2 ? "?" : std::to_string(lines[1]);
  throw InputError(fmt::format(
      "{}: line {}: model '{}' variant '{}' item '{}' repeat {} already appeared on line {}", path,
      second, config.model, config.variant, key.substr(0, sep), key.substr(sep + 1), first));
}

std::string base_name(const std::string& dir) {
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/')
    trimmed.pop_back();
  const std::string name = fs::path(trimmed).filename().string();
  return name.empty() ? trimmed : name;
}

void order_configs(Corpus& corpus) {
  std::vector<std::size_t> order;
  std::vector<bool> placed(corpus.configs.size(), false);
  for (std::size_t run = 0; run < corpus.runs.size(); ++run) {
    std::vector<std::size_t> mine;
    for (std::size_t i = 0; i < corpus.configs.size(); ++i)
      if (corpus.configs[i].run == run) mine.push_back(i);
    for (const SummaryEntry& s : corpus.runs[run].summary) {
      const auto it = std::find_if(mine.begin(), mine.end(), [&](std::size_t i) {
        return corpus.configs[i].model == s.model && corpus.configs[i].variant == s.variant;
      });
      if (it == mine.end()) {
        corpus.notes.push_back(fmt::format("{}: model '{}' variant '{}' has no rows in {}",
                                           corpus.runs[run].summary_path, s.model, s.variant,
                                           corpus.runs[run].results_path));
        continue;
      }
      if (placed[*it]) continue;
      placed[*it] = true;
      order.push_back(*it);
      const express::Scores scores = corpus.configs[*it].totals.scores();
      const auto differs = [](std::int64_t expected, std::uint64_t actual) {
        return expected >= 0 && static_cast<std::uint64_t>(expected) != actual;
      };
      if (differs(s.rows, scores.rows) || differs(s.valid_rows, scores.valid_rows) ||
          differs(s.masks, scores.masks)) {
        corpus.notes.push_back(fmt::format(
            "{}: model '{}' variant '{}' says rows {}, valid_rows {}, masks {}, but results.jsonl "
            "has {}, {}, {}; this report follows results.jsonl",
            corpus.runs[run].summary_path, s.model, s.variant, s.rows, s.valid_rows, s.masks,
            scores.rows, scores.valid_rows, scores.masks));
      }
    }
    std::vector<std::size_t> rest;
    for (std::size_t i : mine)
      if (!placed[i]) rest.push_back(i);
    std::sort(rest.begin(), rest.end(), [&](std::size_t a, std::size_t b) {
      const auto& x = corpus.configs[a];
      const auto& y = corpus.configs[b];
      return std::tie(x.model, x.variant) < std::tie(y.model, y.variant);
    });
    for (std::size_t i : rest) {
      placed[i] = true;
      order.push_back(i);
    }
  }
  std::vector<ConfigData> ordered;
  ordered.reserve(order.size());
  for (std::size_t i : order)
    ordered.push_back(std::move(corpus.configs[i]));
  corpus.configs = std::move(ordered);
}

}  // namespace

Corpus read_runs(const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw InputError("no run directory given");
  Corpus corpus;
  std::vector<fs::path> seen;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw InputError(fmt::format("{}: no such run directory", dir));
    const fs::path canonical = fs::weakly_canonical(dir, ec);
    if (std::find(seen.begin(), seen.end(), canonical) != seen.end())
      throw InputError(fmt::format("{}: run directory given twice", dir));
    seen.push_back(canonical);
    RunInfo run;
    run.dir = dir;
    run.label = base_name(dir);
    run.results_path = (fs::path(dir) / "results.jsonl").string();
    run.summary_path = (fs::path(dir) / "summary.json").string();
    if (!fs::is_regular_file(run.results_path, ec))
      throw InputError(fmt::format("{}: no results.jsonl in this run directory", dir));
    corpus.runs.push_back(std::move(run));
  }
  for (auto& run : corpus.runs) {
    const auto same = std::count_if(corpus.runs.begin(), corpus.runs.end(), [&](const RunInfo& r) {
      return base_name(r.dir) == run.label;
    });
    if (same > 1) run.label = run.dir;
  }

  StringTable posts;
  RunLoader loader(corpus, posts);
  for (std::size_t run = 0; run < corpus.runs.size(); ++run) {
    corpus.runs[run].summary = read_summary(corpus.runs[run].summary_path);
    loader.load(run);
  }

  // Posts are ranked by name so that resampling does not depend on the line order.
  std::vector<std::uint32_t> by_name(posts.size());
  std::iota(by_name.begin(), by_name.end(), 0u);
  std::sort(by_name.begin(), by_name.end(),
            [&](std::uint32_t a, std::uint32_t b) { return posts.name(a) < posts.name(b); });
  std::vector<std::uint32_t> rank(posts.size());
  for (std::uint32_t r = 0; r < by_name.size(); ++r)
    rank[by_name[r]] = r;
  corpus.post_count = posts.size();

  order_configs(corpus);
  for (ConfigData& config : corpus.configs) {
    for (ItemRecord& r : config.items)
      r.post = rank[r.post];
    check_duplicates(corpus, config);
  }
  return corpus;
}

}  // namespace emosweep::reports::detail
