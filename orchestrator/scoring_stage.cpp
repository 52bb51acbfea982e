#include "orchestrator/scoring_stage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "core/json.hpp"
#include "metrics/metrics.hpp"
#include "orchestrator/thread_role.hpp"

namespace emosweep::orchestrator {

namespace {

constexpr std::size_t kFlushBytes = 1 << 20;

int open_truncate(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  return fd;
}

void write_all(int fd, std::string& buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("write failed: {}", std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  buffer.clear();
}

metrics::ScoreMetric score_metric(std::string_view name) {
  if (name == "vrate") return metrics::ScoreMetric::vrate;
  if (name == "accl") return metrics::ScoreMetric::accl;
  if (name == "accv") return metrics::ScoreMetric::accv;
  if (name == "f1v") return metrics::ScoreMetric::f1v;
  return metrics::ScoreMetric::accv2;
}

}  // namespace

std::string predictions_file_name(std::string_view model, std::string_view variant) {
  auto safe = [](std::string_view name) {
    std::string out(name);
    for (char& c : out) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) c = '_';
    }
    return out;
  };
  return safe(model) + "__" + safe(variant) + ".csv";
}

void write_summary_entry(json::Writer& w, std::string_view model, std::string_view variant,
                         const Aggregate& aggregate, const ConfigCounters& k,
                         double price_prompt_per_mtok, double price_completion_per_mtok) {
  w.begin_object();
  w.field("model", model);
  w.field("variant", variant);
  aggregate.write_summary(w);
  w.field("items_planned", k.items_planned);
  w.field("failed", k.failed);
  w.field("requests", k.requests);
  w.field("retries", k.retries);
  w.field("cache_hits", k.cache_hits);
  w.field("prompt_tokens", k.prompt_tokens);
  w.field("completion_tokens", k.completion_tokens);
  w.field("cost_usd",
          static_cast<double>(k.prompt_tokens) * price_prompt_per_mtok / 1e6 +
              static_cast<double>(k.completion_tokens) * price_completion_per_mtok / 1e6);
  // The prices too, so that merged shards recompute the cost exactly.
  w.field("price_prompt_per_mtok", price_prompt_per_mtok);
  w.field("price_completion_per_mtok", price_completion_per_mtok);
  w.end_object();
}

struct ScoringStage::Config {
  std::mutex mutex;  // scorer threads only
  std::unique_ptr<Aggregate> aggregate;
  ConfigCounters counters;
  int predictions_fd = -1;
  std::string predictions_buffer;
  metrics::VariantHandles* handles = nullptr;
  std::string model, variant;
  std::size_t model_index = 0;
};

ScoringStage::ScoringStage(const Task& task, const SweepConfig& config,
                           const std::vector<std::unique_ptr<Variant>>& variants,
                           std::string out_dir, metrics::SweepMetrics* metrics,
                           std::size_t capacity)
    : task_(task),
      config_(config),
      variants_(variants),
      out_dir_(std::move(out_dir)),
      metrics_(metrics),
      queue_(capacity) {
  namespace fs = std::filesystem;
  fs::create_directories(fs::path(out_dir_) / "predictions");
  results_fd_ = open_truncate((fs::path(out_dir_) / "results.jsonl").string());
  for (const auto& m : config_.models) {
    for (const auto& v : config_.prompts) {
      auto c = std::make_unique<Config>();
      c->aggregate = task_.new_aggregate();
      c->model = m.name;
      c->variant = v.name;
      c->model_index = static_cast<std::size_t>(&m - config_.models.data());
      c->predictions_fd = open_truncate(
          (fs::path(out_dir_) / "predictions" / predictions_file_name(m.name, v.name)).string());
      c->predictions_buffer = task_.predictions_csv_header();
      if (metrics_) c->handles = &metrics_->variant(m.name, v.name);
      configs_.push_back(std::move(c));
    }
  }
}

ScoringStage::~ScoringStage() {
  if (!threads_.empty()) finish();
  if (results_fd_ >= 0) ::close(results_fd_);
  for (auto& c : configs_)
    if (c->predictions_fd >= 0) ::close(c->predictions_fd);
}

void ScoringStage::set_planned(std::size_t config_index, std::uint64_t items) {
  configs_[config_index]->counters.items_planned = items;
  if (configs_[config_index]->handles)
    configs_[config_index]->handles->planned().Set(static_cast<double>(items));
}

void ScoringStage::start(unsigned threads) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    threads_.emplace_back([this] {
      become_throughput_thread("es-scorer");
      run_scorer();
    });
  }
}

bool ScoringStage::try_push(std::unique_ptr<Completion>& completion) {
  return queue_.try_push(completion);
}

void ScoringStage::run_scorer() {
  while (auto c = queue_.pop_wait()) {
    process(*c);
    scored_.fetch_add(1, std::memory_order_relaxed);
  }
}

void ScoringStage::process(Completion& c) {
  const std::size_t index = c.unit.model * config_.prompts.size() + c.unit.variant;
  Config& cfg = *configs_[index];
  const Item& item = *c.unit.item;
  std::string line;
  line.reserve(1024);
  json::Writer row(&line);
  row.begin_object();
  row.field("model", cfg.model);
  row.field("variant", cfg.variant);
  row.field("repeat", c.unit.repeat);
  row.field("item", item.id);
  row.field("original_ids", item.group);
  row.field("row", static_cast<std::uint64_t>(item.row));
  std::string csv;
  metrics::ItemOutcome outcome;
  {
    std::lock_guard lock(cfg.mutex);
    if (c.failed) {
      outcome = metrics::ItemOutcome::failed;
      ++cfg.counters.failed;
      row.field("outcome", "failed");
      row.key("output").null();
      row.field("valid", false);
      row.field("error", c.error);
    } else {
      // The task writes its keys after `outcome`, which we only know after scoring: write the
      // task's keys into a separate object and splice.
      std::string task_keys;
      json::Writer tw(&task_keys);
      tw.begin_object();
      // A safety block has no text: it is scored as the paper's own marker of an unusable
      // answer, and flagged.
      const std::string_view scored =
          c.blocked ? std::string_view("invalid output") : std::string_view(c.output);
      const RowOutcome r = variants_[c.unit.variant]->score(item, scored, *cfg.aggregate, tw, csv);
      tw.end_object();
      outcome = r == RowOutcome::ok ? metrics::ItemOutcome::ok : metrics::ItemOutcome::invalid;
      row.field("outcome", r == RowOutcome::ok ? "ok" : "invalid");
      // Splice the task's keys (drop its braces) into our object.
      if (task_keys.size() > 2) {
        line.push_back(',');
        line.append(task_keys, 1, task_keys.size() - 2);
      }
      cfg.counters.prompt_tokens += c.prompt_tokens;
      cfg.counters.completion_tokens += c.completion_tokens;
      if (c.reused) {
        ++cfg.counters.cache_hits;
      } else {
        cfg.counters.requests += c.attempts;
        cfg.counters.retries += c.attempts > 0 ? c.attempts - 1 : 0;
      }
      cfg.predictions_buffer += csv;
      if (cfg.predictions_buffer.size() >= kFlushBytes)
        write_all(cfg.predictions_fd, cfg.predictions_buffer);
      // The live score: every 32 rows is live enough for a dashboard and keeps the gauges off
      // the per-item cost; finish() publishes the final values.
      if (cfg.handles && (cfg.aggregate->rows() & 31) == 1) publish_scores(cfg);
    }
  }
  if (c.blocked) row.field("blocked", true);
  row.field("cached", c.reused);
  row.field("attempts", c.attempts);
  row.field("latency_ms", c.latency_ms);
  row.field("prompt_tokens", c.prompt_tokens);
  row.field("completion_tokens", c.completion_tokens);
  row.field("cost_usd", c.cost_usd);
  row.field("finish_reason", c.finish_reason);
  row.field("key", c.key_hex);
  row.end_object();
  line.push_back('\n');
  if (cfg.handles) cfg.handles->item_finished(outcome);
  if (metrics_) metrics_->scoring_queue_depth().Set(static_cast<double>(depth()));
  std::lock_guard lock(out_mutex_);
  results_buffer_ += line;
  if (results_buffer_.size() >= kFlushBytes) write_all(results_fd_, results_buffer_);
}

void ScoringStage::publish_scores(Config& cfg) {
  for (const auto& [name, value] : cfg.aggregate->headline())
    cfg.handles->score(score_metric(name)).Set(value);
}

void ScoringStage::finish() {
  queue_.close();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  // Anything pushed after the scorers left (none in a correct shutdown) is scored here.
  while (auto c = queue_.try_pop()) {
    process(*c);
    scored_.fetch_add(1);
  }
  std::lock_guard lock(out_mutex_);
  write_all(results_fd_, results_buffer_);
  ::fsync(results_fd_);
  for (auto& cfg : configs_) {
    write_all(cfg->predictions_fd, cfg->predictions_buffer);
    ::fsync(cfg->predictions_fd);
    if (cfg->handles && cfg->aggregate->rows() > 0) publish_scores(*cfg);
  }
}

// From the token totals, so that the figure does not depend on the order answers came in.
double ScoringStage::cost_of(const Config& cfg) const {
  const auto& price = config_.models[cfg.model_index].price;
  if (!price) return 0;
  return static_cast<double>(cfg.counters.prompt_tokens) * price->prompt_per_mtok / 1e6 +
         static_cast<double>(cfg.counters.completion_tokens) * price->completion_per_mtok / 1e6;
}

std::string ScoringStage::summary_json() const {
  json::Writer w;
  w.begin_array();
  for (const auto& cfg : configs_) {
    const auto& price = config_.models[cfg->model_index].price;
    write_summary_entry(w, cfg->model, cfg->variant, *cfg->aggregate, cfg->counters,
                        price ? price->prompt_per_mtok : 0.0,
                        price ? price->completion_per_mtok : 0.0);
  }
  w.end_array();
  return w.take();
}

std::string ScoringStage::leaderboard() const {
  std::size_t mw = 5, vw = 7;
  for (const auto& cfg : configs_) {
    mw = std::max(mw, cfg->model.size());
    vw = std::max(vw, cfg->variant.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>7}", "model", mw, "variant", vw, "rows");
  std::vector<std::string> names;
  if (!configs_.empty())
    for (const auto& [name, v] : configs_.front()->aggregate->headline())
      names.push_back(name);
  for (const auto& n : names)
    out += fmt::format("  {:>7}", n);
  out += fmt::format("  {:>6}  {:>9}\n", "failed", "cost_usd");
  for (const auto& cfg : configs_) {
    out += fmt::format("{:<{}}  {:<{}}  {:>7}", cfg->model, mw, cfg->variant, vw,
                       cfg->aggregate->rows());
    for (const auto& [name, v] : cfg->aggregate->headline())
      out += fmt::format("  {:>7.4f}", v);
    out += fmt::format("  {:>6}  {:>9.4f}\n", cfg->counters.failed, cost_of(*cfg));
  }
  return out;
}

const Aggregate& ScoringStage::aggregate(std::size_t config_index) const {
  return *configs_[config_index]->aggregate;
}

const ConfigCounters& ScoringStage::counters(std::size_t config_index) const {
  return configs_[config_index]->counters;
}

std::uint64_t ScoringStage::failed_items() const {
  std::uint64_t n = 0;
  for (const auto& c : configs_)
    n += c->counters.failed;
  return n;
}

}  // namespace emosweep::orchestrator
