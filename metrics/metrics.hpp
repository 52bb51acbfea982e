// Every Prometheus metric emosweep exports, declared in one place (DESIGN.md §4), with typed
// accessors and per-endpoint / per-model / per-variant handles for the hot path.
//
// Ownership: SweepMetrics owns its registry and every metric in it. References and handles it
// returns stay valid for the SweepMetrics' lifetime, so callers resolve them once (e.g. per
// endpoint × model when the plan is built) and afterwards only do atomic updates.
//
// Thread-safety: every member function of every class here may be called from any thread and
// any executor, concurrently. Lookups (model(), variant(), requests(code) the first time a
// code is seen, ...) take a mutex; updates through a resolved reference are atomic adds
// (histogram observations take prometheus-cpp's per-histogram mutex).
//
// Label values are bounded by the API's shape: closed label sets (code, reason, kind, result,
// outcome, metric) are enums, and no accessor takes an item. The open ones (endpoint, model,
// variant: names from the sweep file) pass through a policy that exports a key as "redacted",
// text such as a prompt as "invalid", and caps the number of distinct values per label.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace emosweep::metrics {

namespace detail {
class LabelPolicy;
class ProcessCollector;
class SweepCollectable;
}  // namespace detail

// --- Closed label sets -----------------------------------------------------------------------

// A request's failure below HTTP: the `code` label when there is no status.
enum class TransportError : std::uint8_t { timeout, reset, connect, tls, dns, protocol, other };
inline constexpr std::size_t transport_error_count = 7;
std::string_view to_string(TransportError e);

// The `code` label of emosweep_requests_total: an HTTP status ("200", "429") or a transport
// error class ("timeout", "reset", ...). Statuses outside 100–599 become "invalid_status".
class RequestCode {
 public:
  static RequestCode http(unsigned status);
  static RequestCode transport(TransportError error);
  std::string_view label() const;
  // Dense index in [0, slot_count): used to cache one counter per code.
  std::size_t slot() const { return slot_; }
  static constexpr std::size_t slot_count = 500 + 1 + transport_error_count;
  bool operator==(const RequestCode&) const = default;

 private:
  explicit RequestCode(std::size_t slot) : slot_(slot) {}
  std::size_t slot_;
};

// Why a request was retried (`reason` of emosweep_retries_total).
enum class RetryReason : std::uint8_t {
  rate_limited,  // 429 and kin
  overloaded,    // 503/529 overload
  server_error,  // other 5xx
  timeout,
  connection,    // reset, refused, TLS or DNS failure
  bad_response,  // truncated or unparsable body
  other
};
inline constexpr std::size_t retry_reason_count = 7;
std::string_view to_string(RetryReason r);

// Why an endpoint was stopped (`reason` of emosweep_endpoint_stopped).
enum class StopReason : std::uint8_t { quota, budget, auth, other };
inline constexpr std::size_t stop_reason_count = 4;
std::string_view to_string(StopReason r);

enum class TokenKind : std::uint8_t { prompt, completion };
std::string_view to_string(TokenKind k);

enum class CacheResult : std::uint8_t { hit, miss };
std::string_view to_string(CacheResult r);

// Final state of one model × variant × item × repeat (`outcome` of emosweep_items_done_total).
enum class ItemOutcome : std::uint8_t { ok, invalid, failed };
inline constexpr std::size_t item_outcome_count = 3;
std::string_view to_string(ItemOutcome o);

// The five EXPRESS scores (`metric` of emosweep_score).
enum class ScoreMetric : std::uint8_t { vrate, accl, accv, f1v, accv2 };
inline constexpr std::size_t score_metric_count = 5;
std::string_view to_string(ScoreMetric m);

// --- What the binary exports -----------------------------------------------------------------

struct FamilyInfo {
  std::string_view name;
  std::string_view type;  // "counter", "gauge" or "histogram" (Prometheus' TYPE names)
  std::vector<std::string_view> labels;
  std::string_view help;
};

// Every family the binary can export, emosweep_* first, then the process_* ones.
const std::vector<FamilyInfo>& exported_families();
// Their names.
std::vector<std::string> exported_family_names();
// Every sample name a query may use: the family names plus _bucket, _sum and _count of
// histograms.
std::vector<std::string> exported_sample_names();

// Buckets of emosweep_request_duration_seconds: LLM calls take tens of ms to minutes.
const std::vector<double>& request_duration_buckets();

// --- Handles -----------------------------------------------------------------------------------

// Metrics of one endpoint. Obtained from SweepMetrics::endpoint(); stable address.
class EndpointHandles {
 public:
  prometheus::Gauge& inflight() { return inflight_; }
  prometheus::Counter& rate_limit_wait_seconds() { return rate_limit_wait_; }
  prometheus::Counter& retries(RetryReason r) { return *retries_[static_cast<std::size_t>(r)]; }
  // The endpoint's current concurrency limit (the adaptive 429 controller moves it).
  prometheus::Gauge& concurrency_limit() { return concurrency_limit_; }
  // 1 while the endpoint is stopped for `r`, else 0.
  prometheus::Gauge& stopped(StopReason r) { return *stopped_[static_cast<std::size_t>(r)]; }

  // Counts one request in flight until destroyed. Movable, so it can live in a coroutine frame.
  class InflightGuard {
   public:
    explicit InflightGuard(prometheus::Gauge& g) : gauge_(&g) { gauge_->Increment(); }
    InflightGuard(InflightGuard&& o) noexcept : gauge_(std::exchange(o.gauge_, nullptr)) {}
    InflightGuard& operator=(InflightGuard&&) = delete;
    ~InflightGuard() {
      if (gauge_) gauge_->Decrement();
    }

   private:
    prometheus::Gauge* gauge_;
  };
  [[nodiscard]] InflightGuard track_inflight() { return InflightGuard(inflight_); }

  EndpointHandles(prometheus::Gauge& inflight, prometheus::Counter& rate_limit_wait,
                  std::array<prometheus::Counter*, retry_reason_count> retries,
                  prometheus::Gauge& concurrency_limit,
                  std::array<prometheus::Gauge*, stop_reason_count> stopped)
      : inflight_(inflight),
        rate_limit_wait_(rate_limit_wait),
        retries_(retries),
        concurrency_limit_(concurrency_limit),
        stopped_(stopped) {}

 private:
  prometheus::Gauge& inflight_;
  prometheus::Counter& rate_limit_wait_;
  std::array<prometheus::Counter*, retry_reason_count> retries_;
  prometheus::Gauge& concurrency_limit_;
  std::array<prometheus::Gauge*, stop_reason_count> stopped_;
};

// Metrics of one endpoint × model. Obtained from SweepMetrics::model(); stable address.
class ModelHandles {
 public:
  // The series for `code`; created on first use (a mutex), then a lock-free load.
  prometheus::Counter& requests(RequestCode code);
  prometheus::Histogram& request_duration() { return duration_; }
  prometheus::Counter& tokens(TokenKind k) {
    return k == TokenKind::prompt ? prompt_ : completion_;
  }
  // emosweep_cost_usd_total{model}: shared by every endpoint serving this model name.
  prometheus::Counter& cost_usd() { return cost_; }

  ModelHandles(prometheus::Family<prometheus::Counter>& requests_family,
               std::map<std::string, std::string> request_labels, prometheus::Histogram& duration,
               prometheus::Counter& prompt_tokens, prometheus::Counter& completion_tokens,
               prometheus::Counter& cost);

 private:
  prometheus::Family<prometheus::Counter>& requests_family_;
  const std::map<std::string, std::string> request_labels_;  // endpoint, model
  std::array<std::atomic<prometheus::Counter*>, RequestCode::slot_count> by_code_{};
  prometheus::Histogram& duration_;
  prometheus::Counter& prompt_;
  prometheus::Counter& completion_;
  prometheus::Counter& cost_;
};

// Metrics of one model × variant. Obtained from SweepMetrics::variant(); stable address.
class VariantHandles {
 public:
  // Items this process will finish for the pair (items × repeats of its shard).
  prometheus::Gauge& planned() { return planned_; }
  prometheus::Counter& done(ItemOutcome o) { return *done_[static_cast<std::size_t>(o)]; }
  // Counts one finished item and stamps emosweep_last_progress_timestamp_seconds.
  void item_finished(ItemOutcome o);
  // The live score; the series appears on first use so that no 0 is shown before scoring.
  prometheus::Gauge& score(ScoreMetric m);

  VariantHandles(prometheus::Gauge& planned,
                 std::array<prometheus::Counter*, item_outcome_count> done,
                 prometheus::Family<prometheus::Gauge>& score_family,
                 std::map<std::string, std::string> score_labels, prometheus::Gauge& last_progress);

 private:
  prometheus::Gauge& planned_;
  std::array<prometheus::Counter*, item_outcome_count> done_;
  prometheus::Family<prometheus::Gauge>& score_family_;
  const std::map<std::string, std::string> score_labels_;  // model, variant
  std::array<std::atomic<prometheus::Gauge*>, score_metric_count> scores_{};
  prometheus::Gauge& last_progress_;
};

// --- The registry ------------------------------------------------------------------------------

// All of emosweep's metrics plus the process metrics, ready to be scraped or pushed.
// Not copyable or movable: handles point into it.
class SweepMetrics {
 public:
  // Sets emosweep_build_info{version} to 1 and the progress timestamp to now.
  explicit SweepMetrics(std::string_view version);
  ~SweepMetrics();
  SweepMetrics(const SweepMetrics&) = delete;
  SweepMetrics& operator=(const SweepMetrics&) = delete;

  // The emosweep_* families (the process_* ones are collected separately, at scrape time).
  prometheus::Registry& registry() { return *registry_; }
  // Everything exported (emosweep_* and process_*), for an Exposer or a push gateway. The
  // pointer keeps the collection alive; it holds no reference back to this object's handles.
  std::shared_ptr<prometheus::Collectable> collectable() const;
  // The text exposition format of collectable(), as a scrape would return it.
  std::string serialize() const;

  // Label values containing `secret` (e.g. an API key) are exported as "redacted". Keys are
  // held in memory only. Values shorter than 8 bytes are ignored (too short to match safely).
  void add_secret(std::string_view secret);

  // Handles: resolved once, then cheap. Names are the sweep's endpoint, model and prompt names.
  EndpointHandles& endpoint(std::string_view endpoint);
  ModelHandles& model(std::string_view endpoint, std::string_view model);
  VariantHandles& variant(std::string_view model, std::string_view variant);

  // Typed accessors (each is a handle lookup; cache the result on hot paths).
  prometheus::Counter& requests(std::string_view endpoint, std::string_view model,
                                RequestCode code) {
    return this->model(endpoint, model).requests(code);
  }
  prometheus::Histogram& request_duration(std::string_view endpoint, std::string_view model) {
    return this->model(endpoint, model).request_duration();
  }
  prometheus::Counter& tokens(std::string_view endpoint, std::string_view model, TokenKind k) {
    return this->model(endpoint, model).tokens(k);
  }
  prometheus::Counter& cost_usd(std::string_view model);
  prometheus::Gauge& inflight(std::string_view endpoint) {
    return this->endpoint(endpoint).inflight();
  }
  prometheus::Counter& retries(std::string_view endpoint, RetryReason r) {
    return this->endpoint(endpoint).retries(r);
  }
  prometheus::Counter& rate_limit_wait_seconds(std::string_view endpoint) {
    return this->endpoint(endpoint).rate_limit_wait_seconds();
  }
  prometheus::Gauge& endpoint_stopped(std::string_view endpoint, StopReason r) {
    return this->endpoint(endpoint).stopped(r);
  }
  prometheus::Gauge& items_planned(std::string_view model, std::string_view variant) {
    return this->variant(model, variant).planned();
  }
  prometheus::Counter& items_done(std::string_view model, std::string_view variant, ItemOutcome o) {
    return this->variant(model, variant).done(o);
  }
  prometheus::Gauge& score(std::string_view model, std::string_view variant, ScoreMetric m) {
    return this->variant(model, variant).score(m);
  }

  // Process-wide series (no labels, or closed ones).
  prometheus::Counter& cache_lookups(CacheResult r) {
    return r == CacheResult::hit ? cache_hit_ : cache_miss_;
  }
  prometheus::Gauge& scoring_queue_depth() { return scoring_queue_depth_; }
  // emosweep_eta_seconds: created on first use, so no "0 s left" shows before an estimate.
  prometheus::Gauge& eta_seconds();
  // emosweep_budget_usd: created on first use, so a sweep without a budget exports none and
  // the budget alert stays silent.
  prometheus::Gauge& budget_usd();
  // Wall-clock time (Unix seconds) of the last finished item; the stall alert watches it.
  prometheus::Gauge& last_progress_timestamp() { return last_progress_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<detail::ProcessCollector> process_;
  std::shared_ptr<detail::SweepCollectable> collectable_;
  std::unique_ptr<detail::LabelPolicy> labels_;

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_duration_;
  prometheus::Family<prometheus::Gauge>& inflight_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& rate_limit_wait_;
  prometheus::Family<prometheus::Counter>& tokens_;
  prometheus::Family<prometheus::Counter>& cost_;
  prometheus::Family<prometheus::Counter>& cache_lookups_;
  prometheus::Family<prometheus::Gauge>& items_planned_;
  prometheus::Family<prometheus::Counter>& items_done_;
  prometheus::Family<prometheus::Gauge>& score_;
  prometheus::Family<prometheus::Gauge>& scoring_queue_depth_family_;
  prometheus::Family<prometheus::Gauge>& eta_family_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& budget_family_;
  prometheus::Family<prometheus::Gauge>& endpoint_stopped_;
  prometheus::Family<prometheus::Gauge>& concurrency_limit_;
  prometheus::Family<prometheus::Gauge>& last_progress_family_;

  prometheus::Counter& cache_hit_;
  prometheus::Counter& cache_miss_;
  prometheus::Gauge& scoring_queue_depth_;
  prometheus::Gauge& last_progress_;

  std::mutex mutex_;  // guards the handle maps
  std::map<std::string, std::unique_ptr<EndpointHandles>, std::less<>> endpoints_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ModelHandles>> models_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<VariantHandles>> variants_;
};

}  // namespace emosweep::metrics
