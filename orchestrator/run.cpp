#include "orchestrator/run.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <cerrno>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "cache/key.hpp"
#include "cache/store.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/json.hpp"
#include "core/lines.hpp"
#include "metrics/eta.hpp"
#include "metrics/metrics.hpp"
#include "metrics/server.hpp"
#include "orchestrator/endpoint_worker.hpp"
#include "orchestrator/push.hpp"
#include "orchestrator/runtime.hpp"
#include "orchestrator/scoring_stage.hpp"
#include "orchestrator/thread_role.hpp"
#include "providers/http_client.hpp"
#include "providers/mock_server.hpp"

namespace emosweep::orchestrator {

namespace detail {

bool SingleFlight::join(const cache::Key& key, const WorkUnit& unit) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = flights_.try_emplace(key);
  if (!inserted) it->second.push_back(unit);
  return inserted;
}

std::vector<WorkUnit> SingleFlight::finish(const cache::Key& key) {
  std::lock_guard lock(mutex_);
  auto it = flights_.find(key);
  if (it == flights_.end()) return {};
  auto followers = std::move(it->second);
  flights_.erase(it);
  return followers;
}

}  // namespace detail

std::string run_id_for(const SweepConfig& config, const Shard& shard) {
  const auto digest =
      hash::sha256(fmt::format("emosweep-run/1\n{}\n{}/{}", config.name, shard.index, shard.count));
  return hash::to_hex(digest.data(), 8);
}

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace detail;

constexpr int kPlannerNice = 5;  // planner threads' nice value above the process's: see run()

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<std::int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// The dialect's conventional base URL on the in-process mock server.
std::string mock_base_url(providers::Dialect d, std::uint16_t port) {
  const std::string origin = fmt::format("http://127.0.0.1:{}", port);
  switch (d) {
    case providers::Dialect::openai:
      return origin + "/v1";
    case providers::Dialect::azure:
    case providers::Dialect::anthropic:
      return origin;
    case providers::Dialect::gemini:
      return origin + "/v1beta";
  }
  return origin;
}

// The signals that stop a run (drain, then exit 130).
sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

class Runner {
 public:
  Runner(const std::string& sweep_file, const RunOptions& options, const TaskFactory& make_task)
      : options_(options) {
    config_ = load_sweep(sweep_file, !options.dry_run);
    if (!options.out_dir.empty()) config_.output_dir = options.out_dir;
    if (!options.cache_dir.empty()) config_.cache_dir = options.cache_dir;
    task_ = make_task(config_);
    for (std::size_t i = 0; i < config_.prompts.size(); ++i)
      variants_.push_back(
          task_->prepare(config_.prompts[i], fmt::format("{}: prompts[{}]", config_.file, i)));
    selection_ = std::make_unique<ItemSelection>(*task_, config_.dataset, options.shard);
    run_id_ = run_id_for(config_, options.shard);
    if (!options.no_cache) {
      fs::create_directories(config_.cache_dir);
      cache::Store::Options so;
      so.read_only = false;
      store_ = cache::Store::open(config_.cache_dir, so);
    }
  }

  int execute() {
    if (options_.dry_run) return dry_run();
    return run();
  }

 private:
  // ---- keys ------------------------------------------------------------------------------
  // The endpoint's identity in cache keys: the in-process mock's port changes on every run,
  // so it is keyed by name instead.
  std::string key_base_url(std::size_t endpoint) const {
    const auto& e = config_.endpoints[endpoint];
    if (!e.mock) return e.base_url;
    std::string name = e.name;
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    return "http://mock.invalid/" + name;
  }

  std::unique_ptr<Job> prepare_job(const WorkUnit& unit, cache::KeyBuilder& key_builder) const {
    auto job = std::make_unique<Job>();
    job->unit = unit;
    const ModelConfig& m = config_.models[unit.model];
    const EndpointConfig& e = config_.endpoints[m.endpoint];
    const Variant& v = *variants_[unit.variant];
    RenderedPrompt p = v.render(*unit.item);
    job->request.model = m.model;
    job->request.system = !p.system.empty() ? std::move(p.system) : m.system;
    job->request.messages = std::move(p.messages);
    job->request.params = m.params;
    cache::RequestIdentity id;
    id.dialect = e.dialect;
    id.base_url = key_base_url(m.endpoint);
    id.api_version = e.api_version;
    id.request = std::move(job->request);  // borrowed for hashing, no copy of the prompt
    id.template_version = std::move(p.template_version);
    id.repeat = unit.repeat;
    job->key = key_builder(id);
    job->request = std::move(id.request);
    job->key_hex = cache::key_to_hex(job->key);
    job->estimated_prompt_tokens = v.estimate_prompt_tokens(*unit.item);
    const std::uint64_t max_tokens = static_cast<std::uint64_t>(
        m.params.max_tokens.value_or(e.dialect == providers::Dialect::anthropic ? 1024 : 256));
    job->estimated_tokens = job->estimated_prompt_tokens + max_tokens;
    if (m.price) {
      const double usd =
          static_cast<double>(job->estimated_prompt_tokens) * m.price->prompt_per_mtok / 1e6 +
          static_cast<double>(max_tokens) * m.price->completion_per_mtok / 1e6;
      job->estimated_cost_micros = static_cast<std::uint64_t>(usd * 1e6 + 0.5);
    }
    return job;
  }

  std::unique_ptr<Completion> replay(const Job& job, const cache::CachedResponse& v) const {
    auto c = std::make_unique<Completion>();
    c->unit = job.unit;
    c->output = v.text;
    c->blocked = v.outcome == "safety_blocked";
    c->finish_reason = v.finish_reason;
    c->prompt_tokens = v.prompt_tokens;
    c->completion_tokens = v.completion_tokens;
    c->latency_ms = v.latency_ms;
    c->attempts = v.attempts;
    c->reused = v.run_id != run_id_;
    c->cost_usd = cost_of(job.unit.model, v.prompt_tokens, v.completion_tokens);
    c->key_hex = job.key_hex;
    return c;
  }

  double cost_of(std::uint32_t model, std::uint64_t prompt, std::uint64_t completion) const {
    const auto& price = config_.models[model].price;
    if (!price) return 0;
    return static_cast<double>(prompt) * price->prompt_per_mtok / 1e6 +
           static_cast<double>(completion) * price->completion_per_mtok / 1e6;
  }

  // ---- dry run -----------------------------------------------------------------------------
  int dry_run() {
    struct Row {
      std::uint64_t requests = 0, cached = 0, prompt_tokens = 0, completion_tokens = 0;
      double cost = 0;
    };
    std::vector<Row> rows(config_.models.size());
    for (std::size_t e = 0; e < config_.endpoints.size(); ++e) {
      EndpointPlan plan(*task_, config_, e, *selection_);
      WorkUnit unit;
      while (plan.next(unit)) {
        auto job = prepare_job(unit, key_builder_);
        Row& r = rows[unit.model];
        ++r.requests;
        if (store_ && store_->contains(job->key)) {
          ++r.cached;
          continue;
        }
        r.prompt_tokens += job->estimated_prompt_tokens;
        r.completion_tokens += job->estimated_tokens - job->estimated_prompt_tokens;
        r.cost += static_cast<double>(job->estimated_cost_micros) / 1e6;
      }
    }
    fmt::print(
        "dry run of {}: {} item(s) selected of {}, {} variant(s), {} repeat(s); nothing is "
        "sent\n\n",
        config_.name, selection_->selected(), selection_->dataset_items(), config_.prompts.size(),
        config_.repeats);
    fmt::print("{:<14} {:<20} {:>9} {:>9} {:>13} {:>14} {:>10} {:>10}\n", "endpoint", "model",
               "requests", "cached", "prompt_tok", "max_compl_tok", "cost_usd", "time");
    double total_cost = 0;
    for (std::size_t e = 0; e < config_.endpoints.size(); ++e) {
      const auto& ep = config_.endpoints[e];
      std::uint64_t ep_requests = 0, ep_tokens = 0;
      for (std::size_t m = 0; m < config_.models.size(); ++m) {
        if (config_.models[m].endpoint != e) continue;
        ep_requests += rows[m].requests - rows[m].cached;
        ep_tokens += rows[m].prompt_tokens + rows[m].completion_tokens;
      }
      double minutes = 0;
      if (ep.limits.rpm > 0)
        minutes = std::max(minutes, static_cast<double>(ep_requests) / ep.limits.rpm);
      if (ep.limits.tpm > 0)
        minutes = std::max(minutes, static_cast<double>(ep_tokens) / ep.limits.tpm);
      const std::string time =
          (ep.limits.rpm > 0 || ep.limits.tpm > 0) ? format_duration(minutes * 60) : "no limit";
      for (std::size_t m = 0; m < config_.models.size(); ++m) {
        if (config_.models[m].endpoint != e) continue;
        const Row& r = rows[m];
        total_cost += r.cost;
        fmt::print(
            "{:<14} {:<20} {:>9} {:>9} {:>13} {:>14} {:>10} {:>10}\n", ep.name,
            config_.models[m].name, r.requests, r.cached, r.prompt_tokens, r.completion_tokens,
            config_.models[m].price ? fmt::format("{:.4f}", r.cost) : std::string("no price"),
            time);
      }
    }
    fmt::print(
        "\nestimated cost of what is not cached: ${:.4f} (completion tokens at max_tokens: an "
        "upper bound)\n",
        total_cost);
    if (config_.budget_usd > 0) fmt::print("budget_usd: {}\n", config_.budget_usd);
    return 0;
  }

  // ---- the run -----------------------------------------------------------------------------
  int run() {
    providers::raise_open_file_limit();
    fs::create_directories(config_.output_dir);
    metrics_ = std::make_unique<metrics::SweepMetrics>(EMOSWEEP_VERSION);
    for (const auto& e : config_.endpoints)
      if (!e.api_key.empty()) metrics_->add_secret(e.api_key);
    metrics_server_ = std::make_unique<metrics::MetricsServer>(options_.metrics_addr, *metrics_);
    if (metrics_server_->enabled()) spdlog::info("metrics on {}", metrics_server_->url());
    if (config_.budget_usd > 0) metrics_->budget_usd().Set(config_.budget_usd);
    start_mocks();

    // Blocked in every thread since run_sweep(); the supervisor takes them from a signalfd.
    const sigset_t signals = stop_signals();

    scoring_ = std::make_unique<ScoringStage>(*task_, config_, variants_, config_.output_dir,
                                              metrics_.get());
    for (std::size_t m = 0; m < config_.models.size(); ++m)
      for (std::size_t v = 0; v < config_.prompts.size(); ++v)
        scoring_->set_planned(m * config_.prompts.size() + v,
                              selection_->selected() * config_.repeats);
    planned_total_ =
        selection_->selected() * config_.repeats * config_.models.size() * config_.prompts.size();
    scoring_->start(options_.scorer_threads);

    // Request slots stay taken until the writer has stored the answer, so the writer is woken
    // well before every slot waits on it.
    std::size_t total_concurrency = 0;
    for (const auto& e : config_.endpoints)
      total_concurrency += e.limits.concurrency;
    writer_ = std::make_unique<Channel<PendingStore>>(
        16384, std::clamp<std::size_t>(total_concurrency / 4, 1, 64));
    writer_thread_ = std::thread([this] {
      become_throughput_thread("es-cachewriter");
      run_writer();
    });

    const unsigned io_count = std::max(
        1u,
        std::min<unsigned>(options_.io_threads, static_cast<unsigned>(config_.endpoints.size())));
    for (unsigned i = 0; i < io_count; ++i)
      io_.push_back(std::make_unique<IoThread>());
    WorkerContext ctx;
    ctx.config = &config_;
    ctx.metrics = metrics_.get();
    ctx.counters = &counters_;
    ctx.writer = writer_.get();
    ctx.planner_signal = &planner_signal_;
    ctx.drained = &drained_;
    ctx.run_id = run_id_;
    ctx.budget_micros = config_.budget_usd * 1e6;
    ctx.budget_exhausted = &budget_exhausted_;
    for (std::size_t e = 0; e < config_.endpoints.size(); ++e) {
      auto& io = *io_[e % io_.size()];
      workers_.push_back(std::make_unique<EndpointWorker>(ctx, e, base_url(e), io.context));
    }
    for (auto& io : io_) {
      io->thread = std::thread([&ctx = io->context] {
        name_thread("es-network");  // the default policy: it preempts the others
        ctx.run();
      });
    }

    started_ = std::chrono::steady_clock::now();
    started_ms_ = unix_ms();
    write_run_json("running");
    // Planning (rendering, hashing, cache lookups) is the critical path of a resumed run: one
    // planner per core, sharing the endpoints' lazy plans batch by batch.
    for (std::size_t e = 0; e < config_.endpoints.size(); ++e) {
      auto lane = std::make_unique<PlanLane>();
      lane->plan = std::make_unique<EndpointPlan>(*task_, config_, e, *selection_);
      lanes_.push_back(std::move(lane));
    }
    const unsigned planners = std::clamp(std::thread::hardware_concurrency(), 1u, 2u);
    planners_running_.store(planners);
    for (unsigned i = 0; i < planners; ++i) {
      planner_threads_.emplace_back([this] {
        become_throughput_thread("es-planner");
        // Planners only feed the others (network, cache writer, scorer): when the cores are
        // all busy they should wait, not the threads that drain their queues. A lower weight
        // (nice +5) gives a consumer the core first; without it a cached replay left the
        // scorer a third of a core and the planners sleeping on a full queue.
        errno = 0;
        const int nice = ::getpriority(PRIO_PROCESS, 0);
        if (errno == 0)
          ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()),
                        std::min(nice + kPlannerNice, 19));
        run_planner();
      });
    }

    const int exit_code = supervise(signals);
    return exit_code;
  }

  struct IoThread {
    asio::io_context context{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
    std::thread thread;
  };

  std::string base_url(std::size_t e) const {
    const auto& ep = config_.endpoints[e];
    if (ep.mock) return mock_base_url(ep.dialect, mocks_.at(e)->port());
    return ep.base_url;
  }

  void start_mocks() {
    for (std::size_t e = 0; e < config_.endpoints.size(); ++e) {
      const auto& ep = config_.endpoints[e];
      if (!ep.mock) continue;
      providers::MockOptions o;
      o.host = "127.0.0.1";
      o.port = 0;
      o.threads = ep.mock->threads;
      o.latency = providers::parse_latency(ep.mock->latency);
      o.rpm = ep.mock->rpm;
      o.tpm = ep.mock->tpm;
      o.faults = providers::parse_faults(ep.mock->faults);
      o.seed = ep.mock->seed;
      o.answers_file = ep.mock->answers;
      auto server = std::make_unique<providers::MockServer>(o);
      server->start();
      spdlog::info("endpoint {}: in-process mock provider on 127.0.0.1:{}", ep.name,
                   server->port());
      mocks_[e] = std::move(server);
    }
  }

  // ---- planner thread ------------------------------------------------------------------------
  void push_scoring(std::unique_ptr<Completion> c) {
    while (!scoring_->try_push(c))
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }

  // Scores a flight leader's outcome, and a copy of it for every identical request that waited
  // on it (single flight). Returns how many followers there were.
  std::size_t complete_flight(const cache::Key& key, std::unique_ptr<Completion> leader) {
    const auto followers = single_flight_.finish(key);
    for (const auto& unit : followers) {
      auto copy = std::make_unique<Completion>(*leader);
      copy->unit = unit;
      if (copy->failed) counters_.failed.fetch_add(1, std::memory_order_relaxed);
      copy->cost_usd =
          copy->failed ? 0 : cost_of(unit.model, copy->prompt_tokens, copy->completion_tokens);
      push_scoring(std::move(copy));
    }
    push_scoring(std::move(leader));
    return followers.size();
  }

  void run_planner() {
    try {
      plan_all();
    } catch (const std::exception& e) {
      spdlog::error("planner: {}", e.what());
      set_fatal(e.what());
    }
    if (planners_running_.fetch_sub(1) == 1) {
      planner_done_.store(true);
      drained_.ring();  // the endpoints may have drained already
    }
    planner_signal_.notify();  // another planner may wait for progress that will not come
  }

  void plan_all() {
    constexpr std::size_t kBatch = 64;
    cache::KeyBuilder key_builder;  // one hashing context per planner thread
    std::vector<WorkUnit> units;
    std::vector<std::unique_ptr<Job>> batch;
    std::vector<cache::Key> keys;
    std::vector<std::optional<cache::CachedResponse>> found;
    std::vector<std::unique_ptr<Job>> misses;
    for (;;) {
      if (stopping_.load()) return;
      const std::uint32_t epoch = planner_signal_.epoch();
      bool progressed = false, remaining = false;
      for (std::size_t e = 0; e < lanes_.size(); ++e) {
        PlanLane& lane = *lanes_[e];
        if (lane.exhausted.load()) continue;
        remaining = true;
        EndpointWorker& worker = *workers_[e];
        const bool fail_rest = worker.stopped() || budget_exhausted_.load();
        if (!fail_rest && worker.outstanding() >= worker.capacity()) continue;
        units.clear();
        {
          std::lock_guard lock(lane.mutex);
          WorkUnit unit;
          while (units.size() < kBatch && lane.plan->next(unit))
            units.push_back(std::move(unit));
        }
        if (units.empty()) {
          lane.exhausted.store(true);
          progressed = true;  // the next round sees whether anything remains
          continue;
        }
        batch.clear();
        for (const auto& u : units)
          batch.push_back(prepare_job(u, key_builder));
        progressed = true;
        found.clear();
        if (store_) {
          keys.clear();
          for (const auto& j : batch)
            keys.push_back(j->key);
          store_->multi_get(keys, found);
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
          auto& job = batch[i];
          if (store_ && found[i]) {
            metrics_->cache_lookups(metrics::CacheResult::hit).Increment();
            counters_.cache_replays.fetch_add(1, std::memory_order_relaxed);
            push_scoring(replay(*job, *found[i]));
            continue;
          }
          if (store_) metrics_->cache_lookups(metrics::CacheResult::miss).Increment();
          if (worker.stopped() || budget_exhausted_.load()) {
            auto c = std::make_unique<Completion>();
            c->unit = job->unit;
            c->failed = true;
            c->error = worker.stopped() ? "endpoint stopped: " + worker.stop_reason()
                                        : fmt::format("budget_usd {} reached", config_.budget_usd);
            c->key_hex = job->key_hex;
            counters_.failed.fetch_add(1, std::memory_order_relaxed);
            push_scoring(std::move(c));
            continue;
          }
          if (!single_flight_.join(job->key, job->unit)) continue;  // an identical request leads
          misses.push_back(std::move(job));
        }
        // A second look for the new leaders: an identical request may have been answered and
        // stored between the lookup above and the join (the writer stores before it finishes a
        // flight), and must not be sent again.
        if (store_ && !misses.empty()) {
          keys.clear();
          for (const auto& j : misses)
            keys.push_back(j->key);
          store_->multi_get(keys, found);
          std::size_t kept = 0;
          for (std::size_t i = 0; i < misses.size(); ++i) {
            if (!found[i]) {
              misses[kept++] = std::move(misses[i]);
              continue;
            }
            const Job& job = *misses[i];
            const std::size_t followers = complete_flight(job.key, replay(job, *found[i]));
            counters_.cache_replays.fetch_add(1 + followers, std::memory_order_relaxed);
          }
          misses.resize(kept);
        }
        // Encoding happens here, off the network thread; the prompt is no longer needed.
        for (auto& job : misses) {
          job->http = worker.encode(job->request);
          job->request.messages.clear();
          job->request.system.clear();
        }
        worker.submit(std::move(misses));
        misses.clear();
      }
      if (!remaining) return;
      if (!progressed) planner_signal_.wait(epoch);
    }
  }

  // ---- cache writer thread ---------------------------------------------------------------------
  // Durability: every batch goes to RocksDB's write-ahead log before anything in it is counted
  // done, so a crash or kill -9 of emosweep loses nothing stored. The log is also fsynced,
  // within a quarter of a second (the supervisor's tick) or at least once a second under load,
  // and at the end: a power loss can lose at most that last fraction of a second, and a fast
  // sweep does not pay an fsync per batch.
  void sync_wal() {
    if (!store_ || !unsynced_.exchange(false)) return;
    try {
      store_->sync_wal();
    } catch (const std::exception& e) {
      spdlog::error("cache: {}", e.what());
      set_fatal(e.what());
    }
  }

  void run_writer() {
    std::vector<std::unique_ptr<PendingStore>> batch;
    std::vector<std::pair<cache::Key, cache::CachedResponse>> entries;
    std::vector<std::size_t> released;
    auto last_sync = std::chrono::steady_clock::now();
    while (auto first = writer_->pop_wait()) {
      batch.clear();
      batch.push_back(std::move(first));
      while (batch.size() < 256)
        if (auto next = writer_->try_pop())
          batch.push_back(std::move(next));
        else
          break;
      entries.clear();
      for (auto& p : batch)  // the value is encoded once and not needed afterwards
        if (p->has_value) entries.emplace_back(p->key, std::move(p->value));
      if (store_ && !entries.empty()) {
        try {
          store_->write_batch(entries, /*sync=*/false);
          unsynced_.store(true);
          counters_.cache_stores.fetch_add(entries.size(), std::memory_order_relaxed);
        } catch (const std::exception& e) {
          spdlog::error("cache write failed: {} (results are still written)", e.what());
          set_fatal(e.what());
        }
      }
      for (auto& p : batch) {
        if (p->dropped || !p->completion) {
          single_flight_.finish(p->key);  // its followers are not done either: a rerun does them
          continue;
        }
        complete_flight(p->key, std::move(p->completion));
      }
      // Only now, with the answers in the WAL, do their requests stop counting as in flight.
      released.assign(workers_.size(), 0);
      for (const auto& p : batch)
        ++released[p->endpoint];
      for (std::size_t e = 0; e < released.size(); ++e)
        if (released[e] > 0) workers_[e]->stored(released[e]);
      if (std::chrono::steady_clock::now() - last_sync >= std::chrono::seconds(1)) {
        sync_wal();
        last_sync = std::chrono::steady_clock::now();
      }
    }
    sync_wal();
  }

  void set_fatal(std::string what) {
    std::lock_guard lock(fatal_mutex_);
    if (fatal_.empty()) fatal_ = std::move(what);
  }
  bool has_fatal() {
    std::lock_guard lock(fatal_mutex_);
    return !fatal_.empty();
  }

  // ---- supervision: progress, signals, shutdown -------------------------------------------
  bool work_finished() const {
    if (!planner_done_.load()) return false;
    for (const auto& w : workers_)
      if (w->outstanding() > 0) return false;
    return true;
  }

  int supervise(const sigset_t& signals) {
    const bool tty =
        options_.progress == RunOptions::Progress::line ||
        (options_.progress == RunOptions::Progress::automatic && ::isatty(STDERR_FILENO));
    const bool quiet = options_.progress == RunOptions::Progress::none;
    auto last_print = std::chrono::steady_clock::now();
    auto last_json = last_print;
    std::optional<std::chrono::steady_clock::time_point> grace_deadline;
    bool cancelled = false;
    metrics::EtaEstimator eta(std::chrono::minutes(2));
    // Signals arrive on a descriptor so that one poll waits for them, for the doorbell (the
    // work may be over: checked at once) and for the next tick (WAL sync, progress, run.json).
    const int signal_fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) throw std::runtime_error(fmt::format("signalfd: {}", std::strerror(errno)));
    constexpr auto kTick = std::chrono::milliseconds(250);
    auto next_tick = std::chrono::steady_clock::now() + kTick;
    for (;;) {
      pollfd fds[2] = {{signal_fd, POLLIN, 0}, {drained_.fd(), POLLIN, 0}};
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(
          next_tick - std::chrono::steady_clock::now());
      int sig = 0;
      if (::poll(fds, drained_.fd() >= 0 ? 2 : 1,
                 static_cast<int>(std::max<long>(0, wait.count()))) > 0) {
        signalfd_siginfo info{};
        if ((fds[0].revents & POLLIN) && ::read(signal_fd, &info, sizeof info) == sizeof info)
          sig = static_cast<int>(info.ssi_signo);
        if (fds[1].revents & POLLIN) drained_.clear();
      }
      if (sig == SIGINT || sig == SIGTERM) {
        if (interrupted_.exchange(true)) {
          // A second signal: leave at once. Everything stored is already durable (WAL).
          fmt::print(stderr, "\nemosweep: second signal, exiting now\n");
          std::_Exit(130);
        }
        fmt::print(stderr,
                   "\nemosweep: stopping (drain up to {}s; press Ctrl-C again to exit now)\n",
                   std::chrono::duration_cast<std::chrono::seconds>(options_.grace_period).count());
        stopping_.store(true);
        planner_signal_.notify();
        for (auto& w : workers_)
          w->request_stop();
        grace_deadline = std::chrono::steady_clock::now() + options_.grace_period;
      }
      const auto now = std::chrono::steady_clock::now();
      // A doorbell between ticks only checks whether the work is over: an endpoint that drains
      // after every answer (concurrency 1) must not cost a WAL sync per request.
      if (now >= next_tick || sig != 0) {
        next_tick = now + kTick;
        sync_wal();
        eta.observe(now, scoring_->scored(), planned_total_);
        if (auto s = eta.eta_seconds()) metrics_->eta_seconds().Set(*s);
        metrics_->scoring_queue_depth().Set(static_cast<double>(scoring_->depth()));
        if (!quiet &&
            (now - last_print >= (tty ? std::chrono::seconds(1) : std::chrono::seconds(10)))) {
          print_progress(tty, eta.eta_seconds());
          last_print = now;
        }
        if (now - last_json >= std::chrono::seconds(5)) {
          write_run_json("running");
          last_json = now;
        }
        if (grace_deadline && !cancelled && now >= *grace_deadline) {
          for (auto& w : workers_)
            w->cancel();
          cancelled = true;
        }
      }
      if (work_finished()) break;
    }
    ::close(signal_fd);
    for (auto& t : planner_threads_)
      if (t.joinable()) t.join();
    for (auto& io : io_)
      io->guard.reset();
    for (auto& io : io_) {
      if (io->thread.joinable()) io->thread.join();
    }
    writer_->close();
    writer_thread_.join();
    scoring_->finish();
    if (!quiet) {
      print_progress(tty, 0.0);
      if (tty) fmt::print(stderr, "\n");
    }

    const bool interrupted = interrupted_.load();
    write_file_atomic((fs::path(config_.output_dir) / "summary.json").string(),
                      scoring_->summary_json() + "\n");
    const std::uint64_t failed = scoring_->failed_items();
    const bool fatal = has_fatal();
    const char* status = interrupted
                             ? "interrupted"
                             : (fatal ? "error" : (failed ? "finished_with_failures" : "finished"));
    write_run_json(status);
    fmt::print("\n{}", scoring_->leaderboard());
    fmt::print(
        "\n{} item(s) scored, {} failed; {} request(s) sent, {} replayed from the cache; outputs "
        "in {}\n",
        scoring_->scored(), failed, counters_.requests_sent.load(), counters_.cache_replays.load(),
        config_.output_dir);
    for (const auto& w : workers_)
      if (w->stopped()) fmt::print(stderr, "emosweep: endpoint stopped: {}\n", w->stop_reason());
    if (budget_exhausted_.load())
      fmt::print(stderr, "emosweep: budget_usd {} reached\n", config_.budget_usd);

    if (!options_.pushgateway.empty()) {
      const auto r =
          push_to_gateway(*metrics_, options_.pushgateway, "emosweep", {{"sweep", config_.name}});
      if (!r.ok()) spdlog::warn("push to {} failed: {}", options_.pushgateway, r.describe());
    }
    if (metrics_server_->enabled() && options_.metrics_linger.count() > 0 && !interrupted) {
      spdlog::info("keeping /metrics up for {} s", options_.metrics_linger.count() / 1000);
      sigset_t s = signals;
      timespec t{static_cast<time_t>(options_.metrics_linger.count() / 1000),
                 static_cast<long>(options_.metrics_linger.count() % 1000) * 1'000'000};
      sigtimedwait(&s, nullptr, &t);
    }
    for (auto& [e, m] : mocks_)
      m->stop();
    if (interrupted) return static_cast<int>(ExitCode::interrupted);
    if (fatal) return static_cast<int>(ExitCode::failure);
    return failed > 0 ? static_cast<int>(ExitCode::partial) : 0;
  }

  void print_progress(bool tty, std::optional<double> eta_s) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const std::uint64_t sent = counters_.requests_sent.load();
    const std::string line = fmt::format(
        "{}: {}/{} done, {:.0f} req/s, {} cached, {} 429s, {} retries, {} failed, ${:.4f} spent, "
        "ETA {}",
        config_.name, scoring_->scored(), planned_total_,
        elapsed > 0 ? static_cast<double>(sent) / elapsed : 0.0, counters_.cache_replays.load(),
        counters_.rate_limited.load(), counters_.retries.load(), counters_.failed.load(),
        static_cast<double>(counters_.spent_micros.load()) / 1e6,
        eta_s ? format_duration(*eta_s) : std::string("?"));
    if (tty) {
      fmt::print(stderr, "\r\x1b[2K{}", line);
    } else {
      fmt::print(stderr, "{}\n", line);
    }
    std::fflush(stderr);
  }

  void write_run_json(std::string_view status) {
    json::Writer w;
    w.begin_object();
    w.field("run_id", run_id_);
    w.field("name", config_.name);
    w.field("sweep", fs::absolute(config_.file).string());
    w.field("cache", options_.no_cache ? std::string() : fs::absolute(config_.cache_dir).string());
    w.field("status", status);
    w.field("pid", static_cast<std::int64_t>(::getpid()));
    w.field("shard", fmt::format("{}/{}", options_.shard.index, options_.shard.count));
    w.field("started_at_ms", started_ms_);
    w.field("updated_at_ms", unix_ms());
    w.field("planned", planned_total_);
    w.field("done", scoring_ ? scoring_->scored() : 0);
    w.field("failed", counters_.failed.load());
    w.field("requests_sent", counters_.requests_sent.load());
    w.field("cache_replays", counters_.cache_replays.load());
    w.field("cache_stores", counters_.cache_stores.load());
    w.field("rate_limited", counters_.rate_limited.load());
    w.field("retries", counters_.retries.load());
    w.field("dropped", counters_.dropped.load());
    w.field("spent_usd", static_cast<double>(counters_.spent_micros.load()) / 1e6);
    w.end_object();
    try {
      write_file_atomic((fs::path(config_.output_dir) / "run.json").string(), w.str() + "\n");
    } catch (const std::exception& e) {
      spdlog::warn("{}", e.what());
    }
  }

  RunOptions options_;
  SweepConfig config_;
  std::unique_ptr<Task> task_;
  std::vector<std::unique_ptr<Variant>> variants_;
  std::unique_ptr<ItemSelection> selection_;
  std::string run_id_;
  std::unique_ptr<cache::Store> store_;
  // The dry run's hashing context (each planner thread has its own).
  cache::KeyBuilder key_builder_;
  // An endpoint's lazy plan, shared by the planner threads: each takes a batch at a time.
  struct PlanLane {
    std::unique_ptr<EndpointPlan> plan;
    std::mutex mutex;
    std::atomic<bool> exhausted{false};
  };
  std::vector<std::unique_ptr<PlanLane>> lanes_;
  std::atomic<unsigned> planners_running_{0};
  std::unique_ptr<metrics::SweepMetrics> metrics_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  std::map<std::size_t, std::unique_ptr<providers::MockServer>> mocks_;
  std::unique_ptr<ScoringStage> scoring_;
  std::unique_ptr<Channel<PendingStore>> writer_;
  std::thread writer_thread_;
  std::vector<std::thread> planner_threads_;
  std::vector<std::unique_ptr<IoThread>> io_;
  std::vector<std::unique_ptr<EndpointWorker>> workers_;
  SingleFlight single_flight_;
  Signal planner_signal_;
  Doorbell drained_;
  RunCounters counters_;
  std::atomic<bool> planner_done_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> budget_exhausted_{false};
  std::atomic<bool> unsynced_{false};  // written to the WAL since the last fsync
  std::mutex fatal_mutex_;
  std::string fatal_;
  std::uint64_t planned_total_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::int64_t started_ms_ = 0;
};

}  // namespace

int run_sweep(const std::string& sweep_file, const RunOptions& options,
              const TaskFactory& make_task) {
  // SIGINT and SIGTERM are blocked before any thread exists (RocksDB's background threads
  // start when the cache opens, the metrics server's with the run), so that every thread
  // inherits the mask: a process-directed signal is then left pending for the supervisor's
  // signalfd instead of going to a thread that does not block it, whose default action would
  // end the process without the drain.
  const sigset_t signals = stop_signals();
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};
  Runner runner(sweep_file, options, make_task);
  // A dry run only reads: Ctrl-C ends it at once, as for any other command.
  if (options.dry_run) pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return runner.execute();
}

}  // namespace emosweep::orchestrator
