#include "metrics/metrics.hpp"

#include <chrono>
#include <stdexcept>
#include <type_traits>

#include <prometheus/text_serializer.h>

#include "metrics/detail/label_policy.hpp"
#include "metrics/detail/process_collector.hpp"

namespace emosweep::metrics {

namespace detail {

// emosweep_* from the registry, then process_* read at collection time.
class SweepCollectable : public prometheus::Collectable {
 public:
  SweepCollectable(std::shared_ptr<prometheus::Registry> registry,
                   std::shared_ptr<ProcessCollector> process)
      : registry_(std::move(registry)), process_(std::move(process)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto families = registry_->Collect();
    auto process = process_->Collect();
    families.insert(families.end(), std::make_move_iterator(process.begin()),
                    std::make_move_iterator(process.end()));
    return families;
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ProcessCollector> process_;
};

}  // namespace detail

namespace {

using detail::Dimension;
using Labels = std::map<std::string, std::string>;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const FamilyInfo& family_info(std::string_view name) {
  for (const auto& info : exported_families()) {
    if (info.name == name) return info;
  }
  throw std::logic_error("metrics: undeclared family " + std::string(name));
}

// Registers the family declared as `name` in exported_families(): one source for names, help
// texts and types.
template <typename T>
prometheus::Family<T>& register_family(prometheus::Registry& registry, std::string_view name) {
  const FamilyInfo& info = family_info(name);
  auto build = [] {
    if constexpr (std::is_same_v<T, prometheus::Counter>) {
      return prometheus::BuildCounter();
    } else if constexpr (std::is_same_v<T, prometheus::Gauge>) {
      return prometheus::BuildGauge();
    } else {
      static_assert(std::is_same_v<T, prometheus::Histogram>);
      return prometheus::BuildHistogram();
    }
  };
  return build().Name(std::string(info.name)).Help(std::string(info.help)).Register(registry);
}

}  // namespace

// --- Closed label sets -----------------------------------------------------------------------

std::string_view to_string(TransportError e) {
  switch (e) {
    case TransportError::timeout:
      return "timeout";
    case TransportError::reset:
      return "reset";
    case TransportError::connect:
      return "connect";
    case TransportError::tls:
      return "tls";
    case TransportError::dns:
      return "dns";
    case TransportError::protocol:
      return "protocol";
    case TransportError::other:
      break;
  }
  return "other";
}

RequestCode RequestCode::http(unsigned status) {
  if (status < 100 || status > 599) return RequestCode(500);
  return RequestCode(status - 100);
}

RequestCode RequestCode::transport(TransportError error) {
  return RequestCode(501 + static_cast<std::size_t>(error));
}

std::string_view RequestCode::label() const {
  static const std::array<std::string, 500> statuses = [] {
    std::array<std::string, 500> out;
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = std::to_string(100 + i);
    return out;
  }();
  if (slot_ < 500) return statuses[slot_];
  if (slot_ == 500) return "invalid_status";
  return to_string(static_cast<TransportError>(slot_ - 501));
}

std::string_view to_string(RetryReason r) {
  switch (r) {
    case RetryReason::rate_limited:
      return "rate_limited";
    case RetryReason::overloaded:
      return "overloaded";
    case RetryReason::server_error:
      return "server_error";
    case RetryReason::timeout:
      return "timeout";
    case RetryReason::connection:
      return "connection";
    case RetryReason::bad_response:
      return "bad_response";
    case RetryReason::other:
      break;
  }
  return "other";
}

std::string_view to_string(StopReason r) {
  switch (r) {
    case StopReason::quota:
      return "quota";
    case StopReason::budget:
      return "budget";
    case StopReason::auth:
      return "auth";
    case StopReason::other:
      break;
  }
  return "other";
}

std::string_view to_string(TokenKind k) {
  return k == TokenKind::prompt ? "prompt" : "completion";
}

std::string_view to_string(CacheResult r) {
  return r == CacheResult::hit ? "hit" : "miss";
}

std::string_view to_string(ItemOutcome o) {
  switch (o) {
    case ItemOutcome::ok:
      return "ok";
    case ItemOutcome::invalid:
      return "invalid";
    case ItemOutcome::failed:
      break;
  }
  return "failed";
}

std::string_view to_string(ScoreMetric m) {
  switch (m) {
    case ScoreMetric::vrate:
      return "vrate";
    case ScoreMetric::accl:
      return "accl";
    case ScoreMetric::accv:
      return "accv";
    case ScoreMetric::f1v:
      return "f1v";
    case ScoreMetric::accv2:
      break;
  }
  return "accv2";
}

// --- What the binary exports -----------------------------------------------------------------

const std::vector<FamilyInfo>& exported_families() {
  static const std::vector<FamilyInfo> families = {
      {"emosweep_requests_total",
       "counter",
       {"endpoint", "model", "code"},
       "LLM requests sent, by HTTP status or transport error class."},
      {"emosweep_request_duration_seconds",
       "histogram",
       {"endpoint", "model"},
       "Duration of one LLM request attempt, in seconds."},
      {"emosweep_inflight_requests", "gauge", {"endpoint"}, "LLM requests in flight."},
      {"emosweep_retries_total",
       "counter",
       {"endpoint", "reason"},
       "Request attempts retried, by reason."},
      {"emosweep_rate_limit_wait_seconds_total",
       "counter",
       {"endpoint"},
       "Time requests spent waiting for rate limits (token buckets, Retry-After), in seconds."},
      {"emosweep_tokens_total",
       "counter",
       {"endpoint", "model", "kind"},
       "Tokens reported by providers, by kind (prompt, completion)."},
      {"emosweep_cost_usd_total",
       "counter",
       {"model"},
       "Spend from the price table, in US dollars."},
      {"emosweep_cache_lookups_total",
       "counter",
       {"result"},
       "Response cache lookups, by result (hit, miss)."},
      {"emosweep_items_planned",
       "gauge",
       {"model", "variant"},
       "Items (x repeats) this process will finish for the model and variant."},
      {"emosweep_items_done_total",
       "counter",
       {"model", "variant", "outcome"},
       "Items finished, by outcome (ok, invalid, failed)."},
      {"emosweep_score",
       "gauge",
       {"model", "variant", "metric"},
       "Live EXPRESS score of the items scored so far (vrate, accl, accv, f1v, accv2)."},
      {"emosweep_scoring_queue_depth", "gauge", {}, "Responses waiting to be scored."},
      {"emosweep_eta_seconds",
       "gauge",
       {},
       "Estimated seconds until the sweep finishes, from the observed completion rate."},
      {"emosweep_build_info", "gauge", {"version"}, "Always 1; the version is in the label."},
      {"emosweep_budget_usd", "gauge", {}, "The sweep's spending limit, in US dollars."},
      {"emosweep_endpoint_stopped",
       "gauge",
       {"endpoint", "reason"},
       "1 while the endpoint is stopped (quota, budget, auth), else 0."},
      {"emosweep_concurrency_limit",
       "gauge",
       {"endpoint"},
       "Current concurrency limit of the endpoint (adapted on 429s)."},
      {"emosweep_last_progress_timestamp_seconds",
       "gauge",
       {},
       "Unix time of the last finished item (the start time until one finishes)."},
      {"process_cpu_seconds_total",
       "counter",
       {},
       "Total user and system CPU time spent in seconds."},
      {"process_resident_memory_bytes", "gauge", {}, "Resident memory size in bytes."},
      {"process_virtual_memory_bytes", "gauge", {}, "Virtual memory size in bytes."},
      {"process_open_fds", "gauge", {}, "Number of open file descriptors."},
      {"process_max_fds", "gauge", {}, "Maximum number of open file descriptors."},
      {"process_start_time_seconds",
       "gauge",
       {},
       "Start time of the process since unix epoch in seconds."},
  };
  return families;
}

std::vector<std::string> exported_family_names() {
  std::vector<std::string> names;
  for (const auto& f : exported_families())
    names.emplace_back(f.name);
  return names;
}

std::vector<std::string> exported_sample_names() {
  std::vector<std::string> names;
  for (const auto& f : exported_families()) {
    names.emplace_back(f.name);
    if (f.type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        names.push_back(std::string(f.name) + suffix);
      }
    }
  }
  return names;
}

const std::vector<double>& request_duration_buckets() {
  static const std::vector<double> buckets = {0.025, 0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                              5,     10,   20,  30,   60,  120, 300};
  return buckets;
}

// --- Handles -----------------------------------------------------------------------------------

ModelHandles::ModelHandles(prometheus::Family<prometheus::Counter>& requests_family,
                           Labels request_labels, prometheus::Histogram& duration,
                           prometheus::Counter& prompt_tokens,
                           prometheus::Counter& completion_tokens, prometheus::Counter& cost)
    : requests_family_(requests_family),
      request_labels_(std::move(request_labels)),
      duration_(duration),
      prompt_(prompt_tokens),
      completion_(completion_tokens),
      cost_(cost) {}

prometheus::Counter& ModelHandles::requests(RequestCode code) {
  auto& slot = by_code_[code.slot()];
  if (auto* counter = slot.load(std::memory_order_acquire)) return *counter;
  // Family::Add returns the existing series for equal labels, so a race here is harmless.
  Labels labels = request_labels_;
  labels.emplace("code", std::string(code.label()));
  auto* counter = &requests_family_.Add(labels);
  slot.store(counter, std::memory_order_release);
  return *counter;
}

VariantHandles::VariantHandles(prometheus::Gauge& planned,
                               std::array<prometheus::Counter*, item_outcome_count> done,
                               prometheus::Family<prometheus::Gauge>& score_family,
                               Labels score_labels, prometheus::Gauge& last_progress)
    : planned_(planned),
      done_(done),
      score_family_(score_family),
      score_labels_(std::move(score_labels)),
      last_progress_(last_progress) {}

void VariantHandles::item_finished(ItemOutcome o) {
  done(o).Increment();
  last_progress_.Set(unix_now());
}

prometheus::Gauge& VariantHandles::score(ScoreMetric m) {
  auto& slot = scores_[static_cast<std::size_t>(m)];
  if (auto* gauge = slot.load(std::memory_order_acquire)) return *gauge;
  Labels labels = score_labels_;
  labels.emplace("metric", std::string(to_string(m)));
  auto* gauge = &score_family_.Add(labels);
  slot.store(gauge, std::memory_order_release);
  return *gauge;
}

// --- SweepMetrics ------------------------------------------------------------------------------

SweepMetrics::SweepMetrics(std::string_view version)
    : registry_(std::make_shared<prometheus::Registry>()),
      process_(std::make_shared<detail::ProcessCollector>()),
      collectable_(std::make_shared<detail::SweepCollectable>(registry_, process_)),
      labels_(std::make_unique<detail::LabelPolicy>()),
      requests_(register_family<prometheus::Counter>(*registry_, "emosweep_requests_total")),
      request_duration_(
          register_family<prometheus::Histogram>(*registry_, "emosweep_request_duration_seconds")),
      inflight_(register_family<prometheus::Gauge>(*registry_, "emosweep_inflight_requests")),
      retries_(register_family<prometheus::Counter>(*registry_, "emosweep_retries_total")),
      rate_limit_wait_(register_family<prometheus::Counter>(
          *registry_, "emosweep_rate_limit_wait_seconds_total")),
      tokens_(register_family<prometheus::Counter>(*registry_, "emosweep_tokens_total")),
      cost_(register_family<prometheus::Counter>(*registry_, "emosweep_cost_usd_total")),
      cache_lookups_(
          register_family<prometheus::Counter>(*registry_, "emosweep_cache_lookups_total")),
      items_planned_(register_family<prometheus::Gauge>(*registry_, "emosweep_items_planned")),
      items_done_(register_family<prometheus::Counter>(*registry_, "emosweep_items_done_total")),
      score_(register_family<prometheus::Gauge>(*registry_, "emosweep_score")),
      scoring_queue_depth_family_(
          register_family<prometheus::Gauge>(*registry_, "emosweep_scoring_queue_depth")),
      eta_family_(register_family<prometheus::Gauge>(*registry_, "emosweep_eta_seconds")),
      build_info_(register_family<prometheus::Gauge>(*registry_, "emosweep_build_info")),
      budget_family_(register_family<prometheus::Gauge>(*registry_, "emosweep_budget_usd")),
      endpoint_stopped_(
          register_family<prometheus::Gauge>(*registry_, "emosweep_endpoint_stopped")),
      concurrency_limit_(
          register_family<prometheus::Gauge>(*registry_, "emosweep_concurrency_limit")),
      last_progress_family_(register_family<prometheus::Gauge>(
          *registry_, "emosweep_last_progress_timestamp_seconds")),
      cache_hit_(cache_lookups_.Add({{"result", "hit"}})),
      cache_miss_(cache_lookups_.Add({{"result", "miss"}})),
      scoring_queue_depth_(scoring_queue_depth_family_.Add({})),
      last_progress_(last_progress_family_.Add({})) {
  build_info_.Add({{"version", std::string(version)}}).Set(1);
  last_progress_.Set(unix_now());
}

SweepMetrics::~SweepMetrics() = default;

std::shared_ptr<prometheus::Collectable> SweepMetrics::collectable() const {
  return collectable_;
}

std::string SweepMetrics::serialize() const {
  return prometheus::TextSerializer().Serialize(collectable_->Collect());
}

void SweepMetrics::add_secret(std::string_view secret) {
  labels_->add_secret(secret);
}

EndpointHandles& SweepMetrics::endpoint(std::string_view endpoint) {
  std::string name = labels_->sanitise(Dimension::endpoint, endpoint);
  std::lock_guard lock(mutex_);
  if (auto it = endpoints_.find(name); it != endpoints_.end()) return *it->second;
  const Labels labels{{"endpoint", name}};
  std::array<prometheus::Counter*, retry_reason_count> retries{};
  for (std::size_t r = 0; r < retry_reason_count; ++r) {
    Labels l = labels;
    l.emplace("reason", std::string(to_string(static_cast<RetryReason>(r))));
    retries[r] = &retries_.Add(l);
  }
  std::array<prometheus::Gauge*, stop_reason_count> stopped{};
  for (std::size_t r = 0; r < stop_reason_count; ++r) {
    Labels l = labels;
    l.emplace("reason", std::string(to_string(static_cast<StopReason>(r))));
    stopped[r] = &endpoint_stopped_.Add(l);
  }
  auto handles =
      std::make_unique<EndpointHandles>(inflight_.Add(labels), rate_limit_wait_.Add(labels),
                                        retries, concurrency_limit_.Add(labels), stopped);
  return *endpoints_.emplace(std::move(name), std::move(handles)).first->second;
}

ModelHandles& SweepMetrics::model(std::string_view endpoint, std::string_view model) {
  std::string e = labels_->sanitise(Dimension::endpoint, endpoint);
  std::string m = labels_->sanitise(Dimension::model, model);
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(e, m);
  if (auto it = models_.find(key); it != models_.end()) return *it->second;
  const Labels labels{{"endpoint", e}, {"model", m}};
  auto& duration = request_duration_.Add(labels, request_duration_buckets());
  Labels prompt = labels, completion = labels;
  prompt.emplace("kind", std::string(to_string(TokenKind::prompt)));
  completion.emplace("kind", std::string(to_string(TokenKind::completion)));
  auto handles = std::make_unique<ModelHandles>(requests_, labels, duration, tokens_.Add(prompt),
                                                tokens_.Add(completion), cost_.Add({{"model", m}}));
  return *models_.emplace(std::move(key), std::move(handles)).first->second;
}

VariantHandles& SweepMetrics::variant(std::string_view model, std::string_view variant) {
  std::string m = labels_->sanitise(Dimension::model, model);
  std::string v = labels_->sanitise(Dimension::variant, variant);
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(m, v);
  if (auto it = variants_.find(key); it != variants_.end()) return *it->second;
  const Labels labels{{"model", m}, {"variant", v}};
  std::array<prometheus::Counter*, item_outcome_count> done{};
  for (std::size_t o = 0; o < item_outcome_count; ++o) {
    Labels l = labels;
    l.emplace("outcome", std::string(to_string(static_cast<ItemOutcome>(o))));
    done[o] = &items_done_.Add(l);
  }
  auto handles = std::make_unique<VariantHandles>(items_planned_.Add(labels), done, score_, labels,
                                                  last_progress_);
  return *variants_.emplace(std::move(key), std::move(handles)).first->second;
}

prometheus::Counter& SweepMetrics::cost_usd(std::string_view model) {
  return cost_.Add({{"model", labels_->sanitise(Dimension::model, model)}});
}

prometheus::Gauge& SweepMetrics::budget_usd() {
  return budget_family_.Add({});
}

prometheus::Gauge& SweepMetrics::eta_seconds() {
  return eta_family_.Add({});
}

}  // namespace emosweep::metrics
