// HttpClient: the request flow (pool lease → connect if needed → exchange → release) and
// its failure handling. The I/O steps are in connection.cpp, the pool's bookkeeping in
// pool.hpp.
#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/intrusive/list.hpp>
#include <memory>
#include <unordered_map>

#include "core/error.hpp"
#include "providers/http/connection.hpp"
#include "providers/http/pool.hpp"
#include "providers/http/proxy.hpp"
#include "providers/http/tls_context.hpp"
#include "providers/http/url.hpp"
#include "providers/http/wire.hpp"
#include "providers/http_client.hpp"

namespace emosweep::providers {

std::string_view to_string(TransportError e) {
  switch (e) {
    case TransportError::none:
      return "none";
    case TransportError::resolve:
      return "resolve";
    case TransportError::connect:
      return "connect";
    case TransportError::tls:
      return "tls";
    case TransportError::timeout:
      return "timeout";
    case TransportError::reset:
      return "reset";
    case TransportError::protocol:
      return "protocol";
    case TransportError::too_large:
      return "too_large";
    case TransportError::cancelled:
      return "cancelled";
    case TransportError::proxy:
      return "proxy";
  }
  return "unknown";
}

namespace http_detail {

using Pool = PoolLedger<Connection>;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

const HttpClientConfig& validated(const HttpClientConfig& config) {
  using std::chrono::milliseconds;
  const auto positive = [](milliseconds d, std::string_view name) {
    if (d <= milliseconds::zero())
      throw InputError(fmt::format("http client: {} must be positive", name));
  };
  positive(config.connect_timeout, "connect_timeout");
  positive(config.request_timeout, "request_timeout");
  positive(config.idle_timeout, "idle_timeout");
  if (config.max_connections == 0)
    throw InputError("http client: max_connections must be at least 1");
  if (config.max_response_bytes == 0)
    throw InputError("http client: max_response_bytes must be at least 1");
  return config;
}

}  // namespace

class ClientCore {
 public:
  ClientCore(asio::any_io_executor executor, HttpClientConfig config)
      : executor_(std::move(executor)),
        config_(validated(config)),
        tls_(make_tls_context(config_)),
        proxy_(config_.proxy ? *config_.proxy : ProxySettings::from_environment()),
        watchdog_(executor_),
        watchdog_tick_(std::clamp<Clock::duration>(config_.request_timeout / 10,
                                                   std::chrono::milliseconds(1),
                                                   std::chrono::milliseconds(100))) {
    if (config_.expect_tls) trust_system_roots_once();
  }

  asio::awaitable<HttpResult> send(const HttpRequest& request);

  void cancel_all() {
    // abort() only cancels waits; the flights unlink themselves when their send() ends.
    for (auto& flight : flights_)
      flight.abort();
  }

  HttpClient::Stats stats;

 private:
  struct Lease {
    std::unique_ptr<Connection> connection;
    bool granted = false;  // false: `failure` says why there is no lease
    Failure failure;
  };

  Pool& pool_for(const Origin& origin) {
    auto& pool = pools_[origin_key(origin)];
    if (!pool) pool = std::make_unique<Pool>(config_.max_connections, config_.idle_timeout);
    return *pool;
  }

  // What a URL resolves to, computed once per distinct URL string.
  struct Route {
    ParsedUrl url;
    const ProxyRoute* proxy = nullptr;  // null: direct
    Pool* pool = nullptr;
    std::string target;  // as sent on the request line
    std::string host;    // the Host header
  };
  static constexpr std::size_t max_cached_routes = 1024;
  Route make_route(const std::string& url);  // throws InputError for a bad URL

  void trust_system_roots_once() {
    if (system_roots_trusted_) return;
    trust_system_roots(tls_);
    system_roots_trusted_ = true;
  }

  // A pooled or new connection at once when the pool has one or room for one (nearly every
  // request: no coroutine frame on that path); otherwise wait_for_lease() waits in line.
  // `now`: the caller's clock reading, for the pool's idle checks.
  static std::optional<Lease> try_lease(Pool& pool, bool fresh_only, Clock::time_point now) {
    auto lease = pool.try_acquire(now, fresh_only);
    if (!lease) return std::nullopt;
    Lease out;
    out.connection = std::move(lease->conn);
    out.granted = true;
    return out;
  }
  asio::awaitable<Lease> wait_for_lease(Pool& pool, Flight& flight, Clock::time_point deadline);

  // The deadline of plain exchanges: one timer for the client, ticking while some flight is
  // watched, instead of a timer armed and cancelled for every step of every request. A flight
  // ends at most one tick (a tenth of request_timeout, at most 100 ms) after its deadline.
  void watch(Flight& flight, Clock::time_point deadline) {
    flight.deadline = deadline;
    flight.watched = true;
    if (!watchdog_armed_) arm_watchdog();
  }
  void arm_watchdog() {
    watchdog_armed_ = true;
    watchdog_.expires_after(watchdog_tick_);
    // The handler may run after the client is gone (cancelled by the timer's destruction, or
    // already queued): it touches nothing unless the client is still alive.
    watchdog_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
      if (ec || alive.expired()) return;
      on_watchdog_tick();
    });
  }
  void on_watchdog_tick() {
    watchdog_armed_ = false;
    const auto now = Clock::now();
    bool watching = false;
    for (auto& flight : flights_) {
      if (!flight.watched || flight.timed_out) continue;
      if (flight.deadline <= now)
        flight.expire();
      else
        watching = true;
    }
    if (watching) arm_watchdog();
  }

  asio::any_io_executor executor_;
  HttpClientConfig config_;
  asio::ssl::context tls_;
  bool system_roots_trusted_ = false;  // see trust_system_roots()
  ProxyPolicy proxy_;
  std::unordered_map<std::string, std::unique_ptr<Pool>> pools_;  // never shrinks: Route points in
  std::unordered_map<std::string, Route> routes_;
  boost::intrusive::list<Flight, boost::intrusive::constant_time_size<false>> flights_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // see arm_watchdog()
  asio::steady_timer watchdog_;
  Clock::duration watchdog_tick_;
  bool watchdog_armed_ = false;
};

asio::awaitable<ClientCore::Lease> ClientCore::wait_for_lease(Pool& pool, Flight& flight,
                                                              Clock::time_point deadline) {
  Lease out;
  // At the cap: wait in line until release() hands us a connection or a slot.
  asio::steady_timer timer(executor_, deadline);
  Pool::Waiter waiter;
  waiter.wake = [&timer] { timer.cancel(); };
  pool.enqueue(waiter);
  flight.timer = &timer;
  auto [ec] = co_await timer.async_wait(use_tuple);
  flight.timer = nullptr;
  if (waiter.handoff && !flight.stopped()) {
    out.connection = std::move(waiter.handoff->conn);
    out.granted = true;
    co_return out;
  }
  pool.abandon(waiter, Clock::now());
  const bool expired = !ec && !flight.stopped();
  out.failure.phase = Phase::connect;
  if (expired) {
    out.failure.ec = beast::error::timeout;
    out.failure.reason = "no pooled connection became free in time";
  } else {
    out.failure.ec = asio::error::operation_aborted;
  }
  co_return out;
}

ClientCore::Route ClientCore::make_route(const std::string& url) {
  Route route;
  route.url = parse_url(url);
  route.proxy = proxy_.route(route.url.origin);
  route.pool = &pool_for(route.url.origin);
  // Plain http through a proxy: absolute-form requests to the proxy (RFC 9112 §3.2.2).
  const bool absolute_form = route.proxy && !route.url.origin.tls;
  route.target = absolute_form ? origin_key(route.url.origin) + route.url.target : route.url.target;
  route.host = host_header(route.url.origin);
  return route;
}

asio::awaitable<HttpResult> ClientCore::send(const HttpRequest& request) {
  const auto start = Clock::now();
  const auto deadline = start + config_.request_timeout;
  // Entries are never erased, so the reference stays valid while this coroutine is suspended;
  // past the cap (many distinct URLs, unusual) the route is computed for this request only.
  std::optional<Route> uncached;
  const Route* cached = nullptr;
  if (auto it = routes_.find(request.url); it != routes_.end()) {
    cached = &it->second;
  } else if (routes_.size() < max_cached_routes) {
    cached = &routes_.emplace(request.url, make_route(request.url)).first->second;
  } else {
    cached = &uncached.emplace(make_route(request.url));
  }
  const Route& route = *cached;
  const ParsedUrl& url = route.url;
  WireRequest wire_request;
  wire_request.method = request.method;
  wire_request.target = route.target;
  wire_request.host = route.host;
  wire_request.headers = &request.headers;
  wire_request.body = request.body;
  wire_request.user_agent = "emosweep/" EMOSWEEP_VERSION;
  if (route.proxy && !url.origin.tls) wire_request.proxy_authorization = route.proxy->authorization;
  const std::string wire = serialize_request(wire_request);
  const bool head_request = request.method == "HEAD";

  // We check cancellation ourselves after every step, so awaiting must not throw on it; the
  // caller's setting is restored before we return.
  const bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  Flight flight(co_await asio::this_coro::cancellation_state);
  flights_.push_back(flight);

  HttpResult result;
  Pool& pool = *route.pool;
  const ProxyRoute* proxy_route = route.proxy;
  const auto fail = [&](const Failure& failure) {
    result.error = classify(failure.phase, failure.ec, flight.stopped(), proxy_route != nullptr);
    result.detail =
        result.error == TransportError::cancelled
            ? "cancelled"
            : describe(failure, authority(proxy_route ? proxy_route->proxy : url.origin));
  };

  // Clock reads are counted on this path: one at the start, one at the end, more only after a
  // wait, a connect or a retry.
  Clock::time_point finished{};
  for (int attempt = 0;; ++attempt) {
    Lease lease;
    bool waited = false;
    if (auto ready = try_lease(pool, attempt > 0, attempt == 0 ? start : Clock::now())) {
      lease = std::move(*ready);
    } else {
      lease = co_await wait_for_lease(pool, flight, deadline);
      waited = true;
    }
    if (!lease.granted) {
      fail(lease.failure);
      break;
    }
    std::unique_ptr<Connection> connection = std::move(lease.connection);
    const bool reused = connection != nullptr;
    // A lease handed over at the deadline: starting a step that is already late would only
    // race the stream's timer (and might still reach the server).
    if ((waited || attempt > 0) && Clock::now() >= deadline) {
      pool.release(std::move(connection), reused, Clock::now());
      fail(Failure{Phase::connect, beast::error::timeout, "the request deadline passed"});
      break;
    }
    if (!reused) {
      if (url.origin.tls) trust_system_roots_once();  // expect_tls was false
      auto opened =
          co_await open_connection(url.origin, proxy_route, tls_, flight,
                                   std::min(deadline, Clock::now() + config_.connect_timeout));
      if (!opened.connection) {
        pool.release_slot();
        fail(opened.failure);
        break;
      }
      connection = std::move(opened.connection);
      ++stats.connections_opened;
      if (Clock::now() >= deadline) {
        pool.release(std::move(connection), true, Clock::now());
        fail(Failure{Phase::write, beast::error::timeout, "the request deadline passed"});
        break;
      }
    }
    ++stats.requests;
    if (reused) ++stats.reused;
    if (!connection->tls()) watch(flight, deadline);
    auto exchanged = co_await exchange(*connection, wire, head_request, config_.max_response_bytes,
                                       flight, deadline);
    flight.watched = false;
    if (!exchanged.failure.ec) {
      finished = Clock::now();
      pool.release(std::move(connection), exchanged.keep_alive, finished);
      result.response = std::move(exchanged.response);
      result.reused_connection = reused;
      break;
    }
    pool.release(std::move(connection), false, Clock::now());
    // A pooled connection the server had already closed: the request cannot have been
    // processed, since not a byte of a response came back. Re-send once, on a new connection.
    if (reused && attempt == 0 && !exchanged.got_response_bytes && !flight.stopped() &&
        is_closed_connection(exchanged.failure.ec)) {
      ++stats.stale_retries;
      continue;
    }
    fail(exchanged.failure);
    break;
  }

  co_await asio::this_coro::throw_if_cancelled(caller_throws);
  result.latency = (finished != Clock::time_point{} ? finished : Clock::now()) - start;
  co_return result;
}

}  // namespace http_detail

HttpClient::HttpClient(boost::asio::any_io_executor executor, HttpClientConfig config)
    : core_(std::make_unique<http_detail::ClientCore>(std::move(executor), std::move(config))) {}

HttpClient::~HttpClient() = default;

boost::asio::awaitable<HttpResult> HttpClient::send(HttpRequest request) {
  co_return co_await core_->send(request);  // `request` lives in this coroutine's frame
}

boost::asio::awaitable<HttpResult> HttpClient::send_borrowed(const HttpRequest& request) {
  return core_->send(request);
}

void HttpClient::cancel_all() {
  core_->cancel_all();
}

HttpClient::Stats HttpClient::stats() const {
  return core_->stats;
}

}  // namespace emosweep::providers
