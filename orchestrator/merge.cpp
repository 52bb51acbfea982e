#include "orchestrator/merge.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <simdjson.h>

#include "cache/store.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/json.hpp"
#include "core/lines.hpp"
#include "orchestrator/config.hpp"
#include "orchestrator/plan.hpp"
#include "orchestrator/scoring_stage.hpp"

namespace emosweep::orchestrator {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kFlushBytes = 1 << 20;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One (model, variant) entry of a shard's summary.json: what the merge needs from it.
struct SummaryEntry {
  std::string model, variant;
  std::uint64_t items_planned = 0, rows = 0, failed = 0;
  double price_prompt = 0, price_completion = 0;
};

struct ShardInput {
  std::string dir;  // as given
  std::string run_id, name, status, sweep, cache;
  Shard shard;
  std::vector<SummaryEntry> configs;
  // run.json counters of the shard's own run, summed into the merged run.json.
  std::int64_t started_at_ms = 0;
  std::uint64_t planned = 0, requests_sent = 0, cache_replays = 0, cache_stores = 0,
                rate_limited = 0, retries = 0, dropped = 0;
  double spent_usd = 0;
};

// The summary counters of one (model, variant), rebuilt from rows as ScoringStage::process
// counts them.

std::string file_in(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

simdjson::dom::element parse_json_file(simdjson::dom::parser& parser, const std::string& path) {
  if (!fs::exists(path)) throw InputError(fmt::format("{}: missing", path));
  const std::string text = read_file(path);
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: not valid JSON", path));
  return doc;
}

template <typename T>
T require(simdjson::dom::object o, std::string_view key, const std::string& where) {
  T value{};
  if (o[key].get(value) != simdjson::SUCCESS)
    throw InputError(fmt::format("{}: missing or mistyped '{}'", where, key));
  return value;
}

template <typename T>
T optional_field(simdjson::dom::object o, std::string_view key, T fallback) {
  T value{};
  return o[key].get(value) == simdjson::SUCCESS ? value : fallback;
}

ShardInput read_shard(const std::string& dir) {
  if (!fs::is_directory(dir))
    throw InputError(fmt::format("{}: not a directory (a shard's output directory)", dir));
  ShardInput s;
  s.dir = dir;
  simdjson::dom::parser parser;
  {
    const std::string path = file_in(dir, "run.json");
    simdjson::dom::object run;
    if (parse_json_file(parser, path).get(run) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: not a JSON object", path));
    s.status = std::string(require<std::string_view>(run, "status", path));
    if (s.status == "merged")
      throw InputError(
          fmt::format("{}: already a merged output; merge the shard directories instead", dir));
    if (s.status == "running")
      throw InputError(fmt::format(
          "{}: the shard has not finished (run.json status 'running'); rerun it to complete", dir));
    s.run_id = std::string(require<std::string_view>(run, "run_id", path));
    s.name = std::string(require<std::string_view>(run, "name", path));
    s.sweep = std::string(optional_field<std::string_view>(run, "sweep", ""));
    s.cache = std::string(optional_field<std::string_view>(run, "cache", ""));
    const std::string spec(require<std::string_view>(run, "shard", path));
    try {
      s.shard = parse_shard(spec);
    } catch (const InputError&) {
      throw InputError(fmt::format("{}: 'shard' must be I/N, got '{}'", path, spec));
    }
    s.started_at_ms = optional_field<std::int64_t>(run, "started_at_ms", 0);
    s.planned = optional_field<std::uint64_t>(run, "planned", 0);
    s.requests_sent = optional_field<std::uint64_t>(run, "requests_sent", 0);
    s.cache_replays = optional_field<std::uint64_t>(run, "cache_replays", 0);
    s.cache_stores = optional_field<std::uint64_t>(run, "cache_stores", 0);
    s.rate_limited = optional_field<std::uint64_t>(run, "rate_limited", 0);
    s.retries = optional_field<std::uint64_t>(run, "retries", 0);
    s.dropped = optional_field<std::uint64_t>(run, "dropped", 0);
    s.spent_usd = optional_field<double>(run, "spent_usd", 0.0);
  }
  {
    const std::string path = file_in(dir, "summary.json");
    simdjson::dom::array summary;
    if (parse_json_file(parser, path).get(summary) != simdjson::SUCCESS)
      throw InputError(fmt::format("{}: not a JSON array", path));
    std::size_t i = 0;
    for (simdjson::dom::element e : summary) {
      const std::string where = fmt::format("{}: [{}]", path, i++);
      simdjson::dom::object o;
      if (e.get(o) != simdjson::SUCCESS) throw InputError(fmt::format("{}: not an object", where));
      SummaryEntry c;
      c.model = std::string(require<std::string_view>(o, "model", where));
      c.variant = std::string(require<std::string_view>(o, "variant", where));
      c.items_planned = require<std::uint64_t>(o, "items_planned", where);
      c.rows = require<std::uint64_t>(o, "rows", where);
      c.failed = require<std::uint64_t>(o, "failed", where);
      c.price_prompt = require<double>(o, "price_prompt_per_mtok", where);
      c.price_completion = require<double>(o, "price_completion_per_mtok", where);
      s.configs.push_back(std::move(c));
    }
  }
  if (!fs::is_regular_file(file_in(dir, "results.jsonl")))
    throw InputError(fmt::format("{}: missing", file_in(dir, "results.jsonl")));
  return s;
}

fs::path normalised(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

bool same_path(const std::string& a, const std::string& b) {
  return normalised(a) == normalised(b);
}

// Shards of one sweep: same name, the same model × variant list with the same prices, the
// same N, distinct indices.
void check_compatible(const std::vector<ShardInput>& shards, const std::string& out_dir) {
  const ShardInput& first = shards.front();
  std::map<std::uint32_t, const ShardInput*> seen;
  for (const auto& s : shards) {
    if (same_path(s.dir, out_dir))
      throw InputError(
          fmt::format("{}: the merged output must not be one of the shard directories", s.dir));
    if (s.name != first.name)
      throw InputError(fmt::format("{}: a different sweep: '{}', while {} is '{}'", s.dir, s.name,
                                   first.dir, first.name));
    if (s.configs.size() != first.configs.size())
      throw InputError(
          fmt::format("{}: a different sweep: {} model × variant configs, while {} has {}", s.dir,
                      s.configs.size(), first.dir, first.configs.size()));
    for (std::size_t i = 0; i < s.configs.size(); ++i) {
      const auto &a = s.configs[i], &b = first.configs[i];
      if (a.model != b.model || a.variant != b.variant)
        throw InputError(
            fmt::format("{}: a different sweep: config {} is {}/{}, while {} has {}/{}", s.dir, i,
                        a.model, a.variant, first.dir, b.model, b.variant));
      if (a.price_prompt != b.price_prompt || a.price_completion != b.price_completion)
        throw InputError(fmt::format("{}: a different sweep: the prices of {}/{} differ from {}'s",
                                     s.dir, a.model, a.variant, first.dir));
    }
    if (s.shard.count != first.shard.count)
      throw InputError(fmt::format(
          "{}: shard {}/{}, while {} is {}/{}: shards of different N overlap", s.dir, s.shard.index,
          s.shard.count, first.dir, first.shard.index, first.shard.count));
    auto [it, inserted] = seen.emplace(s.shard.index, &s);
    if (!inserted)
      throw InputError(fmt::format("{}: shard {}/{} again (also {}): shards overlap", s.dir,
                                   s.shard.index, s.shard.count, it->second->dir));
  }
}

// An output file written to a temporary name and renamed into place by commit(); removed
// when abandoned (an error), so that a failed merge leaves earlier outputs as they were.
class OutputFile {
 public:
  explicit OutputFile(std::string path) : path_(std::move(path)), temp_(path_ + ".merging") {
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw std::runtime_error(fmt::format("{}: cannot write: {}", temp_, std::strerror(errno)));
  }
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void append(std::string_view data) {
    buffer_.append(data);
    if (buffer_.size() >= kFlushBytes) flush();
  }
  void commit() {
    flush();
    if (::fsync(fd_) != 0)
      throw std::runtime_error(fmt::format("{}: fsync failed: {}", temp_, std::strerror(errno)));
    ::close(fd_);
    fd_ = -1;
    fs::rename(temp_, path_);
    committed_ = true;
  }

 private:
  void flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(fmt::format("{}: write failed: {}", temp_, std::strerror(errno)));
      }
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }
  std::string path_, temp_;
  int fd_ = -1;
  std::string buffer_;
  bool committed_ = false;
};

// Appends a shard's predictions CSV without its header (checked) to `out`.
void append_predictions(const std::string& path, const std::string& header, OutputFile& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::string chunk(kFlushBytes, '\0');
  std::string head;
  bool header_checked = false;
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw InputError(fmt::format("{}: cannot read: {}", path, std::strerror(err)));
    }
    std::string_view data(chunk.data(), static_cast<std::size_t>(n));
    if (!header_checked) {
      const std::size_t want = std::min(header.size() - head.size(), data.size());
      head.append(data.substr(0, want));
      data.remove_prefix(want);
      if (head.size() == header.size() || n == 0) {
        if (head != header) {
          ::close(fd);
          throw InputError(fmt::format("{}: does not start with the header '{}'", path,
                                       header.substr(0, header.find('\n'))));
        }
        header_checked = true;
      }
    }
    if (n == 0) break;
    if (!data.empty()) out.append(data);
  }
  ::close(fd);
}

// The cache a shard wrote: run.json's path when it exists (shards on one machine), else the
// same name inside the shard directory (Kubernetes: the pod's /data/cache is the merge pod's
// /data/shard-I/cache). Never the destination itself.
std::optional<std::string> shard_cache(const ShardInput& s, const std::string& destination) {
  std::vector<std::string> candidates = {s.cache};
  const std::string base = fs::path(s.cache).filename().string();
  if (!base.empty()) candidates.push_back((fs::path(s.dir) / base).string());
  candidates.push_back((fs::path(s.dir) / "cache").string());
  for (const auto& c : candidates) {
    if (fs::is_directory(c) && !same_path(c, destination)) return c;
  }
  return std::nullopt;
}

std::string merged_run_id(const std::vector<ShardInput>& shards) {
  std::vector<std::string> ids;
  for (const auto& s : shards)
    ids.push_back(s.run_id);
  std::sort(ids.begin(), ids.end());
  std::string text = "emosweep-merge/1";
  for (const auto& id : ids)
    text += "\n" + id;
  const auto digest = hash::sha256(text);
  return hash::to_hex(digest.data(), 8);
}

class Merger {
 public:
  Merger(const MergeOptions& options, const TaskFactory& make_task) : options_(options) {
    if (options.shard_dirs.empty()) throw InputError("merge: no shard directories given");
    if (options.out_dir.empty()) throw InputError("merge: --out is required");
    for (const auto& dir : options.shard_dirs)
      shards_.push_back(read_shard(dir));
    check_compatible(shards_, options.out_dir);
    const ShardInput& first = shards_.front();

    sweep_file_ = !options.sweep_file.empty() ? options.sweep_file : first.sweep;
    if (sweep_file_.empty())
      throw InputError(fmt::format("{}: run.json names no sweep file (pass --sweep FILE)",
                                   file_in(first.dir, "run.json")));
    if (!fs::exists(sweep_file_))
      throw InputError(fmt::format(
          "{}: the sweep file {} is not here (pass --sweep FILE)",
          options.sweep_file.empty() ? file_in(first.dir, "run.json") : std::string("--sweep"),
          sweep_file_));
    config_ = load_sweep(sweep_file_, /*resolve_keys=*/false);
    if (config_.name != first.name)
      throw InputError(fmt::format("{}: sweep '{}', but the shards ran '{}'", sweep_file_,
                                   config_.name, first.name));
    std::size_t i = 0;
    for (const auto& m : config_.models) {
      for (const auto& v : config_.prompts) {
        if (i >= first.configs.size() || first.configs[i].model != m.name ||
            first.configs[i].variant != v.name)
          throw InputError(fmt::format("{}: its models × prompts differ from {}'s summary.json",
                                       sweep_file_, first.dir));
        ++i;
      }
    }
    if (i != first.configs.size())
      throw InputError(fmt::format("{}: its models × prompts differ from {}'s summary.json",
                                   sweep_file_, first.dir));
    task_ = make_task(config_);

    for (std::size_t c = 0; c < first.configs.size(); ++c) {
      index_.emplace(first.configs[c].model + '\x1f' + first.configs[c].variant, c);
      aggregates_.push_back(task_->new_aggregate());
    }
    counters_.resize(first.configs.size());
    for (const auto& s : shards_)
      for (std::size_t c = 0; c < s.configs.size(); ++c)
        counters_[c].items_planned += s.configs[c].items_planned;
  }

  MergeResult run() {
    fs::create_directories(fs::path(options_.out_dir) / "predictions");
    warn_missing_shards();
    {
      OutputFile results(file_in(options_.out_dir, "results.jsonl"));
      for (const auto& s : shards_)
        merge_results(s, results);
      std::vector<std::unique_ptr<OutputFile>> predictions;
      for (const auto& c : shards_.front().configs) {
        auto out = std::make_unique<OutputFile>(
            (fs::path(options_.out_dir) / "predictions" / predictions_file_name(c.model, c.variant))
                .string());
        const std::string header = task_->predictions_csv_header();
        out->append(header);
        for (const auto& s : shards_)
          append_predictions(
              (fs::path(s.dir) / "predictions" / predictions_file_name(c.model, c.variant))
                  .string(),
              header, *out);
        predictions.push_back(std::move(out));
      }
      // Every input was read without error: replace the outputs.
      results.commit();
      for (auto& p : predictions)
        p->commit();
    }
    write_file_atomic(file_in(options_.out_dir, "summary.json"), summary_json() + "\n");
    merge_caches();
    write_run_json();
    return std::move(result_);
  }

 private:
  void warn(std::string message) { result_.warnings.push_back(std::move(message)); }

  void warn_missing_shards() {
    const std::uint32_t n = shards_.front().shard.count;
    std::set<std::uint32_t> present;
    for (const auto& s : shards_)
      present.insert(s.shard.index);
    std::string missing;
    for (std::uint32_t i = 0; i < n; ++i)
      if (!present.count(i)) missing += fmt::format("{}{}/{}", missing.empty() ? "" : ", ", i, n);
    if (!missing.empty())
      warn(fmt::format("merging {} of {} shards (missing {}): the result covers part of the sweep",
                       present.size(), n, missing));
    for (const auto& s : shards_)
      if (s.status != "finished" && s.status != "finished_with_failures")
        warn(fmt::format("{}: the shard's run ended with status '{}': its items may be incomplete",
                         s.dir, s.status));
  }

  void merge_results(const ShardInput& s, OutputFile& out) {
    const std::string path = file_in(s.dir, "results.jsonl");
    std::vector<std::uint64_t> rows(s.configs.size()), failed(s.configs.size());
    LineReader reader(path);
    std::string_view line;
    std::string key;
    while (reader.next(line)) {
      if (line.empty()) continue;
      auto where = [&] { return fmt::format("{}: line {}", path, reader.line_number()); };
      simdjson::dom::object row;
      if (parser_.parse(line.data(), line.size()).get(row) != simdjson::SUCCESS)
        throw InputError(fmt::format("{}: not a JSON object", where()));
      const std::string_view model = require<std::string_view>(row, "model", where());
      const std::string_view variant = require<std::string_view>(row, "variant", where());
      const std::string_view item = require<std::string_view>(row, "item", where());
      const std::string_view outcome = require<std::string_view>(row, "outcome", where());
      key.assign(model).push_back('\x1f');
      key.append(variant);
      const auto it = index_.find(key);
      if (it == index_.end())
        throw InputError(fmt::format("{}: {}/{} is not a model × variant of the sweep", where(),
                                     model, variant));
      const std::size_t c = it->second;
      // Shards partition items by this hash: a row of another shard means overlapping inputs.
      if (const auto owner = shard_of(item, s.shard.count); owner != s.shard.index)
        throw InputError(
            fmt::format("{}: item '{}' belongs to shard {}/{}, not {}/{}: shards overlap", where(),
                        item, owner, s.shard.count, s.shard.index, s.shard.count));
      ConfigCounters& k = counters_[c];
      // The same rules as ScoringStage::process: failed rows count only as failed.
      if (outcome == "failed") {
        ++k.failed;
        ++failed[c];
      } else if (outcome == "ok" || outcome == "invalid") {
        try {
          task_->accumulate_row(row, *aggregates_[c]);
        } catch (const InputError& e) {
          throw InputError(fmt::format("{}: {}", where(), e.what()));
        }
        k.prompt_tokens += require<std::uint64_t>(row, "prompt_tokens", where());
        k.completion_tokens += require<std::uint64_t>(row, "completion_tokens", where());
        const std::uint64_t attempts = require<std::uint64_t>(row, "attempts", where());
        if (require<bool>(row, "cached", where())) {
          ++k.cache_hits;
        } else {
          k.requests += attempts;
          k.retries += attempts > 0 ? attempts - 1 : 0;
        }
        ++rows[c];
      } else {
        throw InputError(fmt::format("{}: unknown outcome '{}'", where(), outcome));
      }
      out.append(line);
      out.append("\n");
      ++result_.rows;
    }
    // A duplicated or truncated results file disagrees with the summary written with it.
    for (std::size_t c = 0; c < s.configs.size(); ++c) {
      if (rows[c] != s.configs[c].rows || failed[c] != s.configs[c].failed)
        throw InputError(fmt::format(
            "{}: {} scored and {} failed rows of {}/{}, but summary.json says {} and {}", path,
            rows[c], failed[c], s.configs[c].model, s.configs[c].variant, s.configs[c].rows,
            s.configs[c].failed));
      result_.failed += failed[c];
    }
  }

  // The same writer as the run's summary.json, so that the bytes are equal.
  std::string summary_json() const {
    json::Writer w;
    w.begin_array();
    const auto& configs = shards_.front().configs;
    for (std::size_t c = 0; c < configs.size(); ++c)
      write_summary_entry(w, configs[c].model, configs[c].variant, *aggregates_[c], counters_[c],
                          configs[c].price_prompt, configs[c].price_completion);
    w.end_array();
    return w.take();
  }

  void merge_caches() {
    const std::string destination =
        fs::absolute(options_.cache_dir.empty() ? (fs::path(options_.out_dir) / "cache").string()
                                                : options_.cache_dir)
            .lexically_normal()
            .string();
    result_.cache_dir = destination;
    std::vector<std::string> sources;
    for (const auto& s : shards_) {
      if (s.cache.empty()) {
        warn(fmt::format("{}: the shard ran without a cache (--no-cache): nothing to copy", s.dir));
        continue;
      }
      const auto found = shard_cache(s, destination);
      if (!found) {
        if (same_path(s.cache, destination)) continue;  // it wrote into the destination itself
        warn(fmt::format("{}: its cache {} is missing: not copied", s.dir, s.cache));
        continue;
      }
      const bool duplicate =
          std::any_of(sources.begin(), sources.end(),
                      [&](const std::string& other) { return same_path(other, *found); });
      if (!duplicate) sources.push_back(*found);
    }
    fs::create_directories(destination);
    auto store = cache::Store::open(destination);
    for (const auto& source : sources) {
      cache::Store::Options o;
      o.read_only = true;
      auto from = cache::Store::open(source, o);
      result_.cache_entries_copied += store->copy_from(*from);
    }
  }

  void write_run_json() {
    const std::int64_t now = unix_ms();
    json::Writer w;
    w.begin_object();
    w.field("run_id", merged_run_id(shards_));
    w.field("name", config_.name);
    w.field("sweep", fs::absolute(sweep_file_).string());
    w.field("cache", result_.cache_dir);
    w.field("status", "merged");
    std::int64_t started = 0;
    std::uint64_t planned = 0, requests = 0, replays = 0, stores = 0, rate_limited = 0, retries = 0,
                  dropped = 0;
    double spent = 0;
    for (const auto& s : shards_) {
      if (s.started_at_ms > 0 && (started == 0 || s.started_at_ms < started))
        started = s.started_at_ms;
      planned += s.planned;
      requests += s.requests_sent;
      replays += s.cache_replays;
      stores += s.cache_stores;
      rate_limited += s.rate_limited;
      retries += s.retries;
      dropped += s.dropped;
      spent += s.spent_usd;
    }
    w.key("shards").begin_array();
    for (const auto& s : shards_) {
      w.begin_object();
      w.field("dir", fs::absolute(s.dir).lexically_normal().string());
      w.field("run_id", s.run_id);
      w.field("shard", fmt::format("{}/{}", s.shard.index, s.shard.count));
      w.field("status", s.status);
      w.end_object();
    }
    w.end_array();
    w.field("started_at_ms", started);
    w.field("updated_at_ms", now);
    w.field("merged_at_ms", now);
    w.field("planned", planned);
    w.field("done", result_.rows);
    w.field("failed", result_.failed);
    w.field("requests_sent", requests);
    w.field("cache_replays", replays);
    w.field("cache_stores", stores);
    w.field("rate_limited", rate_limited);
    w.field("retries", retries);
    w.field("dropped", dropped);
    w.field("spent_usd", spent);
    w.field("cache_entries_copied", result_.cache_entries_copied);
    w.key("warnings").begin_array();
    for (const auto& m : result_.warnings)
      w.value(m);
    w.end_array();
    w.end_object();
    write_file_atomic(file_in(options_.out_dir, "run.json"), w.str() + "\n");
  }

  const MergeOptions& options_;
  std::vector<ShardInput> shards_;
  std::string sweep_file_;
  SweepConfig config_;
  std::unique_ptr<Task> task_;
  std::map<std::string, std::size_t> index_;  // "model\x1fvariant" -> config index
  std::vector<std::unique_ptr<Aggregate>> aggregates_;
  std::vector<ConfigCounters> counters_;
  simdjson::dom::parser parser_;
  MergeResult result_;
};

}  // namespace

MergeResult merge_runs(const MergeOptions& options, const TaskFactory& make_task) {
  Merger merger(options, make_task);
  return merger.run();
}

}  // namespace emosweep::orchestrator
