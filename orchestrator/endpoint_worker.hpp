// One endpoint on its network thread: a coroutine per request, paced by the endpoint's RPM
// and TPM limits, bounded by the adaptive concurrency limit, retried with jittered backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "orchestrator/config.hpp"
#include "orchestrator/limits.hpp"
#include "orchestrator/retry.hpp"
#include "orchestrator/runtime.hpp"
#include "providers/dialect.hpp"
#include "providers/http_client.hpp"

namespace emosweep::metrics {
class SweepMetrics;
class EndpointHandles;
class ModelHandles;
}  // namespace emosweep::metrics

namespace simdjson::dom {
class parser;
}  // namespace simdjson::dom

namespace emosweep::orchestrator::detail {

// What the worker needs from the run (owned by the runner, outlives every worker).
struct WorkerContext {
  const SweepConfig* config = nullptr;
  metrics::SweepMetrics* metrics = nullptr;
  RunCounters* counters = nullptr;
  Channel<PendingStore>* writer = nullptr;
  Signal* planner_signal = nullptr;
  Doorbell* drained = nullptr;  // rung when the worker has nothing outstanding
  std::string run_id;
  double budget_micros = 0;  // 0: none
  std::atomic<bool>* budget_exhausted = nullptr;
};

// Thread-safety: submit(), outstanding(), stopped() and the stop requests may be called from
// any thread; everything else runs on the worker's io_context thread.
class EndpointWorker {
 public:
  EndpointWorker(WorkerContext context, std::size_t endpoint, std::string base_url,
                 boost::asio::io_context& io);
  ~EndpointWorker();

  // Hands jobs to the network thread (from the planner): one post per batch, so the network
  // thread is woken once, not once per job.
  void submit(std::vector<std::unique_ptr<Job>> jobs);
  // Jobs submitted and not finished yet.
  std::size_t outstanding() const { return outstanding_.load(std::memory_order_acquire); }
  // The planner keeps at most this many jobs outstanding (memory is bounded by it).
  std::size_t capacity() const { return capacity_; }
  // Stopped for good (quota exhausted): the planner fails the endpoint's remaining units.
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  const std::string& stop_reason() const { return stop_reason_; }

  // The cache writer made `n` of this endpoint's answers durable (or dropped them): their
  // concurrency slots are free. Any thread.
  void stored(std::size_t n);

  // First stage of a shutdown: start nothing new; queued and waiting jobs are dropped; requests
  // on the wire may finish.
  void request_stop();
  // Second stage: abort requests on the wire.
  void cancel();

  providers::HttpClient::Stats client_stats() const;
  // The wire form of a request for this endpoint. Thread-safe (the codec and the settings are
  // immutable): the planner encodes off the network thread.
  providers::HttpRequest encode(const providers::ChatRequest& request) const {
    return codec_->encode(request, settings_);
  }

 private:
  void pump();
  boost::asio::awaitable<void> run_job(std::shared_ptr<Job> job);
  boost::asio::awaitable<bool> sleep_until(TimePoint t);
  // Hands `pending` to the cache writer at once; false (and `pending` kept) when its queue is
  // full. The answer path calls it first: no coroutine frame unless it has to wait.
  bool try_hand_off(std::unique_ptr<PendingStore>& pending);
  // try_hand_off() until it succeeds, waiting a millisecond between tries.
  boost::asio::awaitable<void> hand_off(std::unique_ptr<PendingStore> pending);
  void finish_jobs(std::size_t n);
  std::unique_ptr<Completion> failure(const Job& job, std::string error, std::uint32_t attempts);
  void stop_endpoint(std::string reason);

  WorkerContext ctx_;
  const EndpointConfig& config_;
  std::size_t index_;
  boost::asio::io_context& io_;
  std::unique_ptr<providers::DialectCodec> codec_;
  providers::EndpointSettings settings_;
  std::unique_ptr<providers::HttpClient> client_;
  EndpointLimiter limiter_;
  AdaptiveConcurrency adaptive_;
  RetryBudget retry_budget_;
  std::mt19937_64 random_;
  metrics::EndpointHandles* handles_ = nullptr;
  // Per model (by index; null: not made yet), so that a request does not look its series up
  // by name (label sanitising, a lock, a map): io thread only.
  std::vector<metrics::ModelHandles*> model_handles_;
  std::unique_ptr<simdjson::dom::parser> json_parser_;  // reused by every decode: io thread only

  std::deque<std::shared_ptr<Job>> queue_;  // io thread only
  std::uint32_t running_ = 0;               // io thread only
  std::size_t capacity_;
  std::atomic<std::size_t> outstanding_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> stopped_{false};
  std::string stop_reason_;  // written once before stopped_ is set
};

}  // namespace emosweep::orchestrator::detail
