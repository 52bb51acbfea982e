#include "orchestrator/endpoint_worker.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "metrics/metrics.hpp"

namespace emosweep::orchestrator::detail {

namespace asio = boost::asio;
using providers::Outcome;

namespace {

metrics::RequestCode request_code(const providers::HttpResult& http) {
  using E = providers::TransportError;
  using T = metrics::TransportError;
  switch (http.error) {
    case E::none:
      return metrics::RequestCode::http(http.response.status);
    case E::timeout:
      return metrics::RequestCode::transport(T::timeout);
    case E::reset:
      return metrics::RequestCode::transport(T::reset);
    case E::connect:
    case E::proxy:
      return metrics::RequestCode::transport(T::connect);
    case E::tls:
      return metrics::RequestCode::transport(T::tls);
    case E::resolve:
      return metrics::RequestCode::transport(T::dns);
    case E::protocol:
    case E::too_large:
      return metrics::RequestCode::transport(T::protocol);
    case E::cancelled:
      return metrics::RequestCode::transport(T::other);
  }
  return metrics::RequestCode::transport(T::other);
}

metrics::RetryReason retry_reason(const providers::DecodedResponse& d,
                                  const providers::HttpResult& http) {
  using E = providers::TransportError;
  if (d.outcome == Outcome::rate_limited) return metrics::RetryReason::rate_limited;
  if (d.outcome == Outcome::overloaded) return metrics::RetryReason::overloaded;
  if (http.error == E::timeout) return metrics::RetryReason::timeout;
  if (http.error != E::none) return metrics::RetryReason::connection;
  if (http.response.status >= 500) return metrics::RetryReason::server_error;
  if (http.response.status >= 200 && http.response.status < 300)
    return metrics::RetryReason::bad_response;
  return metrics::RetryReason::other;
}

std::uint64_t micros(double usd) {
  return static_cast<std::uint64_t>(usd * 1e6 + 0.5);
}

// Built outside co_await expressions on purpose: GCC 12 mishandles the lifetime of temporaries
// (here a moved-from aggregate holding a unique_ptr) inside co_await operands.
std::unique_ptr<PendingStore> pending_failure(const cache::Key& key,
                                              std::unique_ptr<Completion> c) {
  auto p = std::make_unique<PendingStore>();
  p->key = key;
  p->completion = std::move(c);
  return p;
}

std::unique_ptr<PendingStore> pending_drop(const cache::Key& key) {
  auto p = std::make_unique<PendingStore>();
  p->key = key;
  p->dropped = true;
  return p;
}

// Providers sometimes quote (a masked part of) the key in error messages ("Incorrect API key
// provided: sk-abc***wxyz"); such tokens never reach results or logs.
std::string redact_secrets(std::string text, const std::string& api_key) {
  if (api_key.size() >= 8) {
    for (auto pos = text.find(api_key); pos != std::string::npos; pos = text.find(api_key, pos))
      text.replace(pos, api_key.size(), "[redacted]");
  }
  for (std::size_t pos = 0; (pos = text.find("sk-", pos)) != std::string::npos;) {
    std::size_t end = pos + 3;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '-' || text[end] == '_' || text[end] == '*'))
      ++end;
    if (end - pos >= 8) {
      text.replace(pos, end - pos, "[redacted]");
      pos += 10;
    } else {
      pos = end;
    }
  }
  return text;
}

// One line for results.jsonl: ours first, then the provider's own words (untrusted).
std::string describe(const providers::DecodedResponse& d, const providers::HttpResult& http) {
  std::string out;
  if (http.error != providers::TransportError::none) {
    out = fmt::format("transport error: {} ({})", providers::to_string(http.error), http.detail);
  } else {
    out = fmt::format("HTTP {} {}", d.http_status, providers::to_string(d.outcome));
    if (!d.error_type.empty()) out += fmt::format(" [{}]", d.error_type);
  }
  if (!d.provider_message.empty()) out += ": provider says: " + d.provider_message;
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

}  // namespace

EndpointWorker::EndpointWorker(WorkerContext context, std::size_t endpoint, std::string base_url,
                               asio::io_context& io)
    : ctx_(context),
      config_(context.config->endpoints[endpoint]),
      index_(endpoint),
      io_(io),
      codec_(providers::make_codec(config_.dialect)),
      limiter_(config_.limits.rpm, config_.limits.tpm),
      adaptive_(config_.limits.concurrency),
      retry_budget_(config_.retries),
      random_(0x9e3779b97f4a7c15ULL ^ endpoint),
      capacity_(
          std::max<std::size_t>(64, 2 * static_cast<std::size_t>(config_.limits.concurrency))) {
  json_parser_ = std::make_unique<simdjson::dom::parser>();
  settings_.dialect = config_.dialect;
  settings_.base_url = std::move(base_url);
  settings_.api_key = config_.api_key;
  if (!config_.api_version.empty()) settings_.api_version = config_.api_version;
  settings_.extra_headers = config_.headers;
  providers::HttpClientConfig http;
  http.connect_timeout = config_.timeouts.connect;
  http.request_timeout = config_.timeouts.request;
  http.idle_timeout = config_.timeouts.idle;
  http.max_connections = std::max<std::size_t>(config_.limits.concurrency, 1);
  http.ca_file = config_.ca_file;
  http.insecure_skip_verify = config_.insecure_skip_verify;
  // Plain-http endpoints (local servers, the mock) skip reading the system trust store. The
  // scheme is lower case: the config accepts "http://" and "https://" only.
  http.expect_tls = settings_.base_url.starts_with("https://");
  client_ = std::make_unique<providers::HttpClient>(io_.get_executor(), http);
  if (ctx_.metrics) {
    handles_ = &ctx_.metrics->endpoint(config_.name);
    model_handles_.assign(ctx_.config->models.size(), nullptr);
    handles_->concurrency_limit().Set(adaptive_.limit());
  }
}

EndpointWorker::~EndpointWorker() = default;

providers::HttpClient::Stats EndpointWorker::client_stats() const {
  return client_->stats();
}

void EndpointWorker::submit(std::vector<std::unique_ptr<Job>> jobs) {
  if (jobs.empty()) return;
  outstanding_.fetch_add(jobs.size(), std::memory_order_acq_rel);
  auto batch = std::make_shared<std::vector<std::unique_ptr<Job>>>(std::move(jobs));
  asio::post(io_, [this, batch] {
    for (auto& job : *batch)
      queue_.push_back(std::shared_ptr<Job>(job.release()));
    pump();
  });
}

void EndpointWorker::request_stop() {
  stopping_.store(true, std::memory_order_release);
  asio::post(io_, [this] { pump(); });
}

void EndpointWorker::cancel() {
  stopping_.store(true, std::memory_order_release);
  cancelled_.store(true, std::memory_order_release);
  asio::post(io_, [this] {
    client_->cancel_all();
    pump();
  });
}

void EndpointWorker::stored(std::size_t n) {
  asio::post(io_, [this, n] { finish_jobs(n); });
}

void EndpointWorker::finish_jobs(std::size_t n) {
  running_ -= static_cast<std::uint32_t>(n);
  const std::size_t before = outstanding_.fetch_sub(n, std::memory_order_acq_rel);
  // The planner refills an endpoint in batches: wake it when half the room is free (and when
  // the endpoint drains), not on every answer.
  const std::size_t half = capacity_ / 2, after = before - n;
  if ((before > half && after <= half) || after == 0) ctx_.planner_signal->notify();
  if (after == 0 && ctx_.drained) ctx_.drained->ring();
  pump();
}

void EndpointWorker::pump() {
  // Shutdown: queued jobs were never sent; drop them (a rerun does them).
  while (stopping_.load(std::memory_order_acquire) && !queue_.empty()) {
    auto job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    auto drop = pending_drop(job->key);
    // The slot is released by the writer once it has seen the drop (or here, if that failed).
    asio::co_spawn(io_, hand_off(std::move(drop)), [this](std::exception_ptr e) {
      ctx_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
      if (e) finish_jobs(1);
    });
  }
  while (!queue_.empty() && running_ < adaptive_.limit()) {
    auto job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    // Every normal end of run_job hands a PendingStore to the writer, which releases the slot
    // once the answer is durable; only a coroutine that failed releases it here.
    asio::co_spawn(io_, run_job(std::move(job)), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("endpoint {}: request coroutine failed: {}", config_.name, ex.what());
      }
      finish_jobs(1);
    });
  }
}

asio::awaitable<bool> EndpointWorker::sleep_until(TimePoint t) {
  // Slices so that a shutdown is noticed within a fraction of a second.
  asio::steady_timer timer(io_);
  while (Clock::now() < t) {
    if (stopping_.load(std::memory_order_acquire)) co_return false;
    timer.expires_at(std::min(t, Clock::now() + std::chrono::milliseconds(200)));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return !stopping_.load(std::memory_order_acquire);
}

bool EndpointWorker::try_hand_off(std::unique_ptr<PendingStore>& pending) {
  pending->endpoint = static_cast<std::uint32_t>(index_);
  return ctx_.writer->try_push(pending);
}

asio::awaitable<void> EndpointWorker::hand_off(std::unique_ptr<PendingStore> pending) {
  // The writer's queue is large; when it is full we wait rather than block the thread.
  asio::steady_timer timer(io_);
  while (!try_hand_off(pending)) {
    timer.expires_after(std::chrono::milliseconds(1));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::unique_ptr<Completion> EndpointWorker::failure(const Job& job, std::string error,
                                                    std::uint32_t attempts) {
  auto c = std::make_unique<Completion>();
  c->unit = job.unit;
  c->failed = true;
  c->error = std::move(error);
  c->attempts = attempts;
  c->key_hex = job.key_hex;
  ctx_.counters->failed.fetch_add(1, std::memory_order_relaxed);
  return c;
}

void EndpointWorker::stop_endpoint(std::string reason) {
  if (stopped_.load()) return;
  spdlog::error("endpoint {} stopped: {}", config_.name, reason);
  stop_reason_ = std::move(reason);
  stopped_.store(true, std::memory_order_release);
  if (handles_) handles_->stopped(metrics::StopReason::quota).Set(1);
}

asio::awaitable<void> EndpointWorker::run_job(std::shared_ptr<Job> job) {
  const ModelConfig& model = ctx_.config->models[job->unit.model];
  metrics::ModelHandles* mh = nullptr;
  if (ctx_.metrics) {
    auto& slot = model_handles_[job->unit.model];
    if (!slot) slot = &ctx_.metrics->model(config_.name, model.name);
    mh = slot;
  }
  AttemptState state;
  bool reserved_budget = false;
  auto release_budget = [&] {
    if (reserved_budget) ctx_.counters->reserved_micros.fetch_sub(job->estimated_cost_micros);
    reserved_budget = false;
  };
  retry_budget_.on_first_attempt();
  const providers::HttpRequest& request = job->http;

  for (;;) {
    if (stopped_.load(std::memory_order_acquire)) {
      auto p = pending_failure(job->key,
                               failure(*job, "endpoint stopped: " + stop_reason_, state.attempts));
      co_await hand_off(std::move(p));
      co_return;
    }
    // Budget: stop issuing when the estimated spend would pass it.
    if (ctx_.budget_micros > 0 && !reserved_budget) {
      const double would =
          static_cast<double>(ctx_.counters->spent_micros.load() +
                              ctx_.counters->reserved_micros.load() + job->estimated_cost_micros);
      if (would > ctx_.budget_micros || ctx_.budget_exhausted->load()) {
        ctx_.budget_exhausted->store(true);
        if (handles_) handles_->stopped(metrics::StopReason::budget).Set(1);
        auto p = pending_failure(
            job->key, failure(*job, fmt::format("budget_usd {} reached", ctx_.config->budget_usd),
                              state.attempts));
        co_await hand_off(std::move(p));
        co_return;
      }
      ctx_.counters->reserved_micros.fetch_add(job->estimated_cost_micros);
      reserved_budget = true;
    }
    // Pacing: wait for this request's RPM and TPM slot.
    const TimePoint now = Clock::now();
    const TimePoint slot = limiter_.reserve(job->estimated_tokens, now);
    if (slot > now) {
      const bool go = co_await sleep_until(slot);
      if (handles_)
        handles_->rate_limit_wait_seconds().Increment(
            std::chrono::duration<double>(Clock::now() - now).count());
      if (!go) break;  // shutting down: not sent
    }
    if (stopping_.load(std::memory_order_acquire)) break;

    ++state.attempts;
    ctx_.counters->requests_sent.fetch_add(1, std::memory_order_relaxed);
    providers::HttpResult http;
    {
      std::optional<metrics::EndpointHandles::InflightGuard> inflight;
      if (handles_) inflight.emplace(handles_->track_inflight());
      http = co_await client_->send_borrowed(request);  // the job outlives the send
    }
    if (http.error == providers::TransportError::cancelled) break;  // hard shutdown: dropped
    // One wall-clock reading per answer: the decoder's "now" (for reset hints) and the time
    // stored with it.
    const auto received_at = std::chrono::system_clock::now();
    providers::DecodedResponse decoded =
        http.ok() ? codec_->decode(http.response, received_at, *json_parser_)
                  : providers::transport_failure(providers::to_string(http.error));
    const double latency_s = std::chrono::duration<double>(http.latency).count();
    if (mh) {
      mh->requests(request_code(http)).Increment();
      mh->request_duration().Observe(latency_s);
    }
    limiter_.learn(decoded.limits, std::max(now, slot) + http.latency);  // when it came
    const Decision decision = decide(decoded.outcome, state, config_.retries, retry_budget_);

    if (decision == Decision::done) {
      // The answer is not needed here any more: its strings move on, copied only where both
      // the cache and the scorer keep one.
      auto& r = decoded.response;
      double cost = 0;
      if (model.price) {
        cost =
            static_cast<double>(r.usage.prompt_tokens) * model.price->prompt_per_mtok / 1e6 +
            static_cast<double>(r.usage.completion_tokens) * model.price->completion_per_mtok / 1e6;
      }
      release_budget();
      ctx_.counters->spent_micros.fetch_add(micros(cost));
      ctx_.counters->responses_ok.fetch_add(1, std::memory_order_relaxed);
      if (r.usage.prompt_tokens > 0)
        limiter_.reconcile(static_cast<std::int64_t>(r.usage.prompt_tokens) -
                           static_cast<std::int64_t>(job->estimated_prompt_tokens));
      adaptive_.on_success();
      if (handles_) handles_->concurrency_limit().Set(adaptive_.limit());
      if (mh) {
        mh->tokens(metrics::TokenKind::prompt)
            .Increment(static_cast<double>(r.usage.prompt_tokens));
        mh->tokens(metrics::TokenKind::completion)
            .Increment(static_cast<double>(r.usage.completion_tokens));
        mh->cost_usd().Increment(cost);
      }
      auto pending = std::make_unique<PendingStore>();
      pending->key = job->key;
      pending->has_value = true;
      auto& v = pending->value;
      v.text = r.text;
      v.finish_reason = r.finish_reason;
      v.request_id = std::move(r.request_id);
      v.run_id = ctx_.run_id;
      v.model = std::move(job->request.model);
      v.dialect = config_.dialect;
      v.outcome = decoded.outcome == Outcome::safety_blocked ? "safety_blocked" : "ok";
      v.prompt_tokens = r.usage.prompt_tokens;
      v.completion_tokens = r.usage.completion_tokens;
      v.latency_ms = latency_s * 1000;
      v.http_status = decoded.http_status;
      v.attempts = state.attempts;
      v.stored_at_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(received_at.time_since_epoch())
              .count();
      auto c = std::make_unique<Completion>();
      c->unit = job->unit;
      c->output = std::move(r.text);
      c->blocked = decoded.outcome == Outcome::safety_blocked;
      c->finish_reason = std::move(r.finish_reason);
      c->prompt_tokens = r.usage.prompt_tokens;
      c->completion_tokens = r.usage.completion_tokens;
      c->latency_ms = v.latency_ms;
      c->attempts = state.attempts;
      c->cost_usd = cost;
      c->key_hex = std::move(job->key_hex);
      pending->completion = std::move(c);
      if (!try_hand_off(pending)) co_await hand_off(std::move(pending));
      co_return;
    }

    if (decision == Decision::retry) {
      const bool throttled =
          decoded.outcome == Outcome::rate_limited || decoded.outcome == Outcome::overloaded;
      if (throttled) {
        ++state.throttled;
        ctx_.counters->rate_limited.fetch_add(1, std::memory_order_relaxed);
        adaptive_.on_overload(Clock::now());
        if (handles_) handles_->concurrency_limit().Set(adaptive_.limit());
      }
      ctx_.counters->retries.fetch_add(1, std::memory_order_relaxed);
      if (handles_) handles_->retries(retry_reason(decoded, http)).Increment();
      const std::uint32_t retry_number = throttled ? std::min<std::uint32_t>(state.throttled, 8)
                                                   : state.attempts - state.throttled;
      const double u = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
      const auto delay =
          backoff_delay(config_.retries, retry_number, u, decoded.limits.retry_after);
      if (!co_await sleep_until(Clock::now() + delay)) break;
      continue;
    }

    // Permanent failure, exhausted attempts or budget, or quota.
    release_budget();
    std::string reason = redact_secrets(describe(decoded, http), config_.api_key);
    if (decision == Decision::stop_endpoint) stop_endpoint("quota exhausted: " + reason);
    if (decision == Decision::fail && decoded.outcome == Outcome::retryable)
      reason = fmt::format("gave up after {} attempts: {}", state.attempts, reason);
    auto p = pending_failure(job->key, failure(*job, reason, state.attempts));
    co_await hand_off(std::move(p));
    co_return;
  }
  // Shutdown before an answer: nothing stored, the unit is simply not done.
  release_budget();
  ctx_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
  auto drop = pending_drop(job->key);
  co_await hand_off(std::move(drop));
}

}  // namespace emosweep::orchestrator::detail
