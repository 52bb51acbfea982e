// MockServer: one io_context per worker thread (no locks in Asio's scheduler, connections
// never migrate), the acceptor on the first worker handing sockets out round-robin, one
// coroutine per connection. A request is decided synchronously (routing, parsing, limits,
// faults, the answer) into the connection's reused buffers; only delays and writes suspend.
#include <cmath>
#include <list>
#include <numbers>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/lines.hpp"
#include "providers/mock/answers.hpp"
#include "providers/mock/rate_limiter.hpp"
#include "providers/mock/stats.hpp"
#include "providers/mock/wire.hpp"
#include "providers/mock_server.hpp"

namespace emosweep::providers {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using mock::ErrorKind;

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kSlowPieces = 10;

// A connection as the idle sweeper sees it. Lives in its session's coroutine frame.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  Clock::time_point last_active = Clock::now();
  bool busy = false;  // a request is being answered: never idle
};

// Everything one worker thread owns. Members used by frames living in `ioc` are declared
// before it, so that they outlive the frames the io_context destroys.
struct Worker {
  explicit Worker(std::size_t i) : index(i), ioc(1) {}
  std::size_t index;
  simdjson::dom::parser json;          // used only synchronously, between two suspensions
  std::list<Connection*> connections;  // for the idle sweeper
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;
};

enum class Delivery { normal, drop, slow };

// What to do with the response built in the connection's `out` buffer.
struct Plan {
  std::chrono::nanoseconds delay{0};
  Delivery delivery = Delivery::normal;
  bool keep_alive = true;
  // Before closing, read until the peer closes: closing with unread request bytes would
  // send a reset that can destroy the response before the client reads it.
  bool linger = false;
  std::size_t body_size = 0;  // the body is the tail of `out`
};

// A deterministic draw in [0, 1) from a 64-bit hash.
double unit(std::uint64_t h) {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void append_hex(std::string& out, std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4)
    out.push_back(kHex[(v >> shift) & 0xF]);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The value of `name` in a query string ("a=1&b=2"), undecoded; nullopt when absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    const auto eq = item.find('=');
    if (item.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

struct Route {
  enum class Kind { chat, health, stats, stats_reset, not_found } kind = Kind::not_found;
  Dialect dialect = Dialect::openai;  // the API (also the error shape when not found)
  std::string_view path_model;        // gemini model, azure deployment
  http::verb method = http::verb::post;
};

Route route(std::string_view target) {
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
  Route r;
  if (path == "/health") {
    r.kind = Route::Kind::health;
    r.method = http::verb::get;
  } else if (path == "/stats") {
    r.kind = Route::Kind::stats;
    r.method = http::verb::get;
  } else if (path == "/stats/reset") {
    r.kind = Route::Kind::stats_reset;
  } else if (ends_with(path, "/chat/completions")) {
    constexpr std::string_view kAzure = "/openai/deployments/";
    if (path.starts_with(kAzure)) {
      r.dialect = Dialect::azure;
      r.path_model = path.substr(kAzure.size(), path.size() - kAzure.size() - 17);
      // Azure answers 404 without an api-version, and for an empty deployment.
      const bool has_version = !query_param(query, "api-version").value_or("").empty();
      if (r.path_model.empty() || r.path_model.find('/') != std::string_view::npos || !has_version)
        return r;
    }
    r.kind = Route::Kind::chat;
  } else if (ends_with(path, "/v1/messages")) {
    r.dialect = Dialect::anthropic;
    r.kind = Route::Kind::chat;
  } else if (ends_with(path, ":generateContent")) {
    r.dialect = Dialect::gemini;
    const auto models = path.rfind("/models/");
    if (models != std::string_view::npos) {
      r.path_model = path.substr(models + 8, path.size() - models - 8 - 16);
      if (!r.path_model.empty() && r.path_model.find('/') == std::string_view::npos)
        r.kind = Route::Kind::chat;
    }
  } else if (path.starts_with("/v1beta") || path.find(":generateContent") != path.npos ||
             path.find(":streamGenerateContent") != path.npos) {
    r.dialect = Dialect::gemini;
  } else if (path.starts_with("/v1/messages") || path.starts_with("/v1/complete")) {
    r.dialect = Dialect::anthropic;
  }
  return r;
}

bool dialect_served(MockDialects served, Dialect d) {
  switch (served) {
    case MockDialects::all:
      return true;
    case MockDialects::openai:
      return d == Dialect::openai || d == Dialect::azure;
    case MockDialects::anthropic:
      return d == Dialect::anthropic;
    case MockDialects::gemini:
      return d == Dialect::gemini;
  }
  return false;
}

bool has_bearer(std::string_view authorization) {
  return authorization.size() > 7 && authorization.substr(0, 7) == "Bearer ";
}

}  // namespace

struct MockServer::Impl {
  explicit Impl(MockOptions o)
      : options(std::move(o)),
        requests_limit(options.rpm, window_ns(options)),
        tokens_limit(options.tpm, window_ns(options)),
        epoch(Clock::now()) {
    validate(options);
    if (!options.answers_file.empty()) answers = mock::AnswerBook::load(options.answers_file);
    if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
    stats = std::make_unique<mock::Stats>(options.threads);
  }

  // (The limiter clamps an invalid window; validate() then rejects it.)
  static std::int64_t window_ns(const MockOptions& o) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(o.rate_window).count();
  }

  MockOptions options;
  mock::AnswerBook answers;
  mock::MinuteLimiter requests_limit;
  mock::MinuteLimiter tokens_limit;
  Clock::time_point epoch;
  std::unique_ptr<mock::Stats> stats;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;  // on workers[0]
  std::atomic<std::uint16_t> bound_port{0};
  bool started = false;
  bool stopped = false;

  // --- responses ---------------------------------------------------------------------------

  static Plan finish(std::string& out, const std::string& body, bool keep_alive, unsigned version) {
    mock::finish_response(out, body, keep_alive, version);
    Plan p;
    p.keep_alive = keep_alive;
    p.body_size = body.size();
    return p;
  }

  Plan error_reply(Worker& w, Dialect d, ErrorKind kind, std::string_view message,
                   const http::request<http::string_body>& req, std::string& out, std::string& body,
                   bool keep_alive, std::string_view allow = "POST") {
    body.clear();
    mock::write_error_body(body, d, kind, message);
    const unsigned status = mock::error_status(d, kind);
    stats->count_status(w.index, status);
    out.clear();
    mock::begin_response(out, req.version(), status);
    mock::append_header(out, "content-type", mock::content_type(d));
    if (kind == ErrorKind::method_not_allowed) mock::append_header(out, "allow", allow);
    return finish(out, body, keep_alive, req.version());
  }

  // An answer to a request Beast could not parse (or that was too large): then the
  // connection is closed, since where the next request starts is unknown.
  Plan http_error_reply(Worker& w, beast::error_code ec, std::string& out, std::string& body) {
    const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
    stats->count_request(w.index);
    body.clear();
    const ErrorKind kind = too_large ? ErrorKind::too_large : ErrorKind::bad_request;
    mock::write_error_body(
        body, Dialect::openai, kind,
        too_large ? "Request exceeds the maximum allowed size." : "Malformed HTTP request.");
    const unsigned status = too_large ? 413 : 400;
    stats->count_status(w.index, status);
    out.clear();
    mock::begin_response(out, 11, status);
    mock::append_header(out, "content-type", "application/json");
    Plan p = finish(out, body, false, 11);
    p.linger = true;
    return p;
  }

  Plan json_reply(std::string_view json, const http::request<http::string_body>& req,
                  std::string& out) {
    out.clear();
    mock::begin_response(out, req.version(), 200);
    mock::append_header(out, "content-type", "application/json");
    mock::finish_response(out, json, req.keep_alive(), req.version());
    Plan p;
    p.keep_alive = req.keep_alive();
    p.body_size = json.size();
    return p;
  }

  Plan handle(Worker& w, http::request<http::string_body>& req, std::string& out,
              std::string& body) {
    const Route r = route(req.target());
    const bool keep_alive = req.keep_alive();
    // Admin endpoints are not counted: tests read the counters through them.
    if (r.kind == Route::Kind::health || r.kind == Route::Kind::stats ||
        r.kind == Route::Kind::stats_reset) {
      if (req.method() != r.method) {
        stats->count_request(w.index);
        return error_reply(w, Dialect::openai, ErrorKind::method_not_allowed, {}, req, out, body,
                           keep_alive, r.method == http::verb::get ? "GET" : "POST");
      }
      if (r.kind == Route::Kind::health) return json_reply(R"({"status":"ok"})", req, out);
      if (r.kind == Route::Kind::stats_reset) {
        reset();
        return json_reply(R"({"reset":true})", req, out);
      }
      const auto qmark = req.target().find('?');
      const auto summary = qmark == std::string_view::npos
                               ? std::nullopt
                               : query_param(req.target().substr(qmark + 1), "summary");
      const std::string json = stats->to_json(summary && *summary != "0" && *summary != "false");
      return json_reply(json, req, out);
    }
    stats->count_request(w.index);
    if (r.kind == Route::Kind::not_found || !dialect_served(options.dialects, r.dialect)) {
      const std::string message =
          r.dialect == Dialect::gemini ? std::string("Requested entity was not found.")
          : r.dialect == Dialect::anthropic
              ? std::string("Not Found")
              : fmt::format("Invalid URL ({} {})", std::string_view(req.method_string()),
                            std::string_view(req.target().substr(0, req.target().find('?'))));
      return error_reply(w, r.dialect, ErrorKind::not_found, message, req, out, body, keep_alive);
    }
    if (req.method() != http::verb::post) {
      const std::string message =
          r.dialect == Dialect::openai || r.dialect == Dialect::azure
              ? fmt::format("Invalid method for URL ({} {})", std::string_view(req.method_string()),
                            std::string_view(req.target().substr(0, req.target().find('?'))))
              : std::string();
      return error_reply(w, r.dialect, ErrorKind::method_not_allowed, message, req, out, body,
                         keep_alive);
    }
    if (options.require_key && !has_key(r.dialect, req))
      return error_reply(w, r.dialect, ErrorKind::unauthorized, {}, req, out, body, keep_alive);
    if (r.dialect == Dialect::anthropic && req["anthropic-version"].empty())
      return error_reply(w, r.dialect, ErrorKind::bad_request,
                         "anthropic-version: header is required", req, out, body, keep_alive);
    return chat(w, r, req, out, body);
  }

  static bool has_key(Dialect d, const http::request<http::string_body>& req) {
    switch (d) {
      case Dialect::openai:
        return has_bearer(req[http::field::authorization]);
      case Dialect::azure:
        return !req["api-key"].empty() || has_bearer(req[http::field::authorization]);
      case Dialect::anthropic:
        return !req["x-api-key"].empty();
      case Dialect::gemini: {
        if (!req["x-goog-api-key"].empty()) return true;
        const auto qmark = req.target().find('?');
        return qmark != std::string_view::npos &&
               !query_param(req.target().substr(qmark + 1), "key").value_or("").empty();
      }
    }
    return false;
  }

  Plan chat(Worker& w, const Route& r, http::request<http::string_body>& req, std::string& out,
            std::string& body) {
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    std::string& request_body = req.body();
    request_body.reserve(request_body.size() + simdjson::SIMDJSON_PADDING);
    mock::ChatCall call;
    if (auto error = mock::parse_chat_request(r.dialect, r.path_model, request_body, w.json, call))
      return error_reply(w, r.dialect, ErrorKind::bad_request, *error, req, out, body, keep_alive);

    const hash::Sha256 key = mock::prompt_key(call.model, call.last_user);
    const std::uint64_t attempt = stats->count_prompt(key);
    const std::uint64_t draw =
        hash::stable64(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
                       mix(options.seed) ^ mix(attempt + 0x51ED));

    // Rate limits: both must admit the request; a refused request takes nothing.
    const std::int64_t now_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - epoch).count();
    const std::uint64_t prompt_tokens = mock::approx_tokens(call.prompt_code_points);
    const std::uint64_t max_tokens = call.max_tokens.value_or(options.default_max_tokens);
    const std::uint64_t token_cost = prompt_tokens + max_tokens;
    auto req_state = requests_limit.acquire(now_ns, 1);
    mock::MinuteLimiter::Result tok_state;
    if (req_state.allowed) {
      tok_state = tokens_limit.acquire(now_ns, token_cost);
      if (!tok_state.allowed) {
        requests_limit.refund(1);
        req_state = requests_limit.state(now_ns);
      }
    } else {
      tok_state = tokens_limit.state(now_ns);
    }
    const auto sys_now = std::chrono::system_clock::now();
    const mock::LimitView req_view{requests_limit.enabled(), requests_limit.limit(),
                                   req_state.remaining, req_state.reset_ns};
    const mock::LimitView tok_view{tokens_limit.enabled(), tokens_limit.limit(),
                                   tok_state.remaining, tok_state.reset_ns};

    std::string request_id;
    append_hex(request_id, mix(draw ^ 0xA5A5));
    append_hex(request_id, mix(draw ^ 0x5A5A));

    const auto begin = [&](unsigned status) {
      out.clear();
      mock::begin_response(out, version, status);
      mock::append_header(out, "content-type", mock::content_type(r.dialect));
      if (r.dialect == Dialect::openai || r.dialect == Dialect::azure)
        mock::append_header(out, "x-request-id", "req_" + request_id);
      else if (r.dialect == Dialect::anthropic)
        mock::append_header(out, "request-id", "req_" + request_id);
      mock::append_rate_limit_headers(out, r.dialect, req_view, tok_view, sys_now);
      stats->count_status(w.index, status);
    };

    if (!req_state.allowed || !tok_state.allowed) {
      stats->count_rate_limited(w.index);
      const bool by_requests = !req_state.allowed;
      const auto& refused = by_requests ? req_state : tok_state;
      const auto& limiter = by_requests ? requests_limit : tokens_limit;
      const std::uint64_t limit = limiter.limit();
      // What the bucket holds when full: the limit itself under the default one-minute window.
      const std::uint64_t capacity = limiter.capacity();
      const std::uint64_t cost = by_requests ? 1 : token_cost;
      std::string message;
      if (r.dialect == Dialect::openai || r.dialect == Dialect::azure) {
        message = fmt::format(
            "Rate limit reached for {} in organization org-emosweep-mock on {}: Limit {}, Used "
            "{}, Requested {}. Please try again in {}. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            call.model, by_requests ? "requests per min (RPM)" : "tokens per min (TPM)", limit,
            capacity - std::min(capacity, refused.remaining), cost,
            mock::go_duration(refused.retry_after_ns));
      } else if (r.dialect == Dialect::anthropic) {
        message = fmt::format(
            "This request would exceed the rate limit for your organization of {} {} per "
            "minute. For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You "
            "can see the response headers for current usage. Please reduce the prompt length or "
            "the maximum tokens requested, or try again later.",
            limit, by_requests ? "requests" : "tokens");
      }
      body.clear();
      mock::write_error_body(body, r.dialect, ErrorKind::rate_limited, message,
                             mock::retry_after_seconds(refused.retry_after_ns),
                             by_requests ? "requests" : "tokens");
      begin(429);
      mock::append_retry_after(out, r.dialect, refused.retry_after_ns);
      return finish(out, body, keep_alive, version);
    }

    Plan plan;
    plan.delay = latency(draw);
    const std::optional<FaultKind> fault = pick_fault(draw);
    if (fault) stats->count_fault(w.index, *fault);
    const auto fail = [&](ErrorKind kind) {
      body.clear();
      mock::write_error_body(body, r.dialect, kind, {}, kind == ErrorKind::rate_limited ? 1 : 0);
      begin(mock::error_status(r.dialect, kind));
      if (kind == ErrorKind::rate_limited) mock::append_retry_after(out, r.dialect, 1'000'000'000);
      Plan p = finish(out, body, keep_alive, version);
      p.delay = plan.delay;
      return p;
    };
    if (fault) {
      switch (*fault) {
        case FaultKind::http500:
          return fail(ErrorKind::server_error);
        case FaultKind::http502:
          return fail(ErrorKind::bad_gateway);
        case FaultKind::http503:
          return fail(ErrorKind::unavailable);
        case FaultKind::http504:
          return fail(ErrorKind::gateway_timeout);
        case FaultKind::http529:
          return fail(ErrorKind::overloaded);
        case FaultKind::http429:
          return fail(ErrorKind::rate_limited);
        case FaultKind::quota:
          return fail(ErrorKind::quota);
        case FaultKind::drop:
          plan.delivery = Delivery::drop;
          break;
        case FaultKind::slow:
          plan.delivery = Delivery::slow;
          break;
        case FaultKind::malformed:
        case FaultKind::safety:
          break;
      }
    }

    // The answer.
    std::string generated;
    const std::string* found = answers.find(call.model, call.last_user);
    if (!found)
      generated = mock::pseudo_prediction(mock::prompt_key_prefix(key),
                                          mock::count_masks(call.last_user), options.seed);
    std::string_view text = found ? std::string_view(*found) : std::string_view(generated);
    std::uint64_t completion_tokens = mock::approx_tokens(text);
    bool finished = true;
    if (completion_tokens > max_tokens) {  // cut like a model that ran out of tokens
      finished = false;
      completion_tokens = max_tokens;
      std::uint64_t keep = max_tokens * 4;
      std::size_t cut = 0;
      for (; cut < text.size(); ++cut) {
        if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) {
          if (keep == 0) break;
          --keep;
        }
      }
      text = text.substr(0, cut);
    }
    std::string id;
    switch (r.dialect) {
      case Dialect::openai:
      case Dialect::azure:
        id = "chatcmpl-";
        break;
      case Dialect::anthropic:
        id = "msg_";
        break;
      case Dialect::gemini:
        break;
    }
    id += request_id.substr(0, 24);
    mock::Completion completion;
    completion.id = id;
    completion.created =
        std::chrono::duration_cast<std::chrono::seconds>(sys_now.time_since_epoch()).count();
    completion.model = call.model;
    completion.text = text;
    completion.finished = finished;
    completion.prompt_tokens = prompt_tokens;
    completion.completion_tokens = completion_tokens;
    body.clear();
    if (fault == FaultKind::safety)  // gemini: a blocked prompt or a blocked candidate, by draw
      mock::write_refusal_body(body, r.dialect, completion, (mix(draw ^ 0x5AFE) & 1) != 0);
    else
      mock::write_success_body(body, r.dialect, completion);
    if (fault == FaultKind::malformed) body.resize(body.size() / 2);  // cut mid-value: not JSON
    begin(200);
    const Plan framed = finish(out, body, keep_alive, version);
    plan.keep_alive = framed.keep_alive && plan.delivery != Delivery::drop;
    plan.body_size = framed.body_size;
    return plan;
  }

  std::optional<FaultKind> pick_fault(std::uint64_t draw) const {
    const double u = unit(mix(draw ^ 0xFA17));
    double cumulative = 0;
    for (std::size_t k = 0; k < kFaultKindCount; ++k) {
      cumulative += options.faults.rate[k];
      if (options.faults.rate[k] > 0 && u < cumulative) return static_cast<FaultKind>(k);
    }
    return std::nullopt;
  }

  std::chrono::nanoseconds latency(std::uint64_t draw) const {
    const LatencyModel& m = options.latency;
    double ms = 0;
    switch (m.kind) {
      case LatencyModel::Kind::none:
        return {};
      case LatencyModel::Kind::fixed:
        ms = m.first_ms;
        break;
      case LatencyModel::Kind::uniform:
        ms = m.first_ms + unit(mix(draw ^ 0x1A7)) * (m.second - m.first_ms);
        break;
      case LatencyModel::Kind::lognormal: {
        // Box-Muller: one standard normal from two uniform draws.
        const double u1 = 1.0 - unit(mix(draw ^ 0x1A8));  // (0, 1]
        const double u2 = unit(mix(draw ^ 0x1A9));
        const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
        ms = std::min(m.first_ms * std::exp(m.second * z), 600000.0);
        break;
      }
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>(ms * 1e6));
  }

  void reset() {
    stats->reset();
    requests_limit.reset();
    tokens_limit.reset();
  }

  // --- I/O -------------------------------------------------------------------------------

  asio::awaitable<void> session(Worker& w, tcp::socket socket) {
    Connection conn(std::move(socket));
    const auto registered = w.connections.insert(w.connections.end(), &conn);
    struct Unregister {
      Worker& w;
      std::list<Connection*>::iterator it;
      ~Unregister() { w.connections.erase(it); }
    } unregister{w, registered};
    stats->count_connection(w.index);

    beast::flat_buffer buffer;
    std::string out, body;  // reused for every response on this connection
    asio::steady_timer timer(conn.socket.get_executor());
    for (;;) {
      conn.busy = false;
      conn.last_active = Clock::now();
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      auto [ec, read] = co_await http::async_read(conn.socket, buffer, parser, use_nothrow);
      conn.busy = true;
      Plan plan;
      if (ec) {
        if (ec.category() != http::make_error_code(http::error::bad_method).category() ||
            ec == http::error::end_of_stream || ec == http::error::partial_message)
          break;  // the peer went away, or we closed an idle connection
        plan = http_error_reply(w, ec, out, body);
      } else {
        plan = handle(w, parser.get(), out, body);
      }
      if (plan.delay.count() > 0) {
        timer.expires_after(plan.delay);
        co_await timer.async_wait(use_nothrow);
      }
      const std::size_t head = out.size() - plan.body_size;
      if (plan.delivery == Delivery::normal) {
        auto [wec, n] = co_await asio::async_write(conn.socket, asio::buffer(out), use_nothrow);
        if (wec) break;
      } else if (plan.delivery == Delivery::drop) {
        co_await asio::async_write(conn.socket, asio::buffer(out.data(), head + plan.body_size / 2),
                                   use_nothrow);
        break;
      } else {
        auto [wec, n] =
            co_await asio::async_write(conn.socket, asio::buffer(out.data(), head), use_nothrow);
        if (wec) break;
        const std::size_t piece =
            std::max<std::size_t>(1, (plan.body_size + kSlowPieces - 1) / kSlowPieces);
        const auto pause = options.slow_body / kSlowPieces;
        bool failed = false;
        for (std::size_t at = head; at < out.size() && !failed; at += piece) {
          timer.expires_after(pause);
          co_await timer.async_wait(use_nothrow);
          auto [pec, m] = co_await asio::async_write(
              conn.socket, asio::buffer(out.data() + at, std::min(piece, out.size() - at)),
              use_nothrow);
          failed = static_cast<bool>(pec);
        }
        if (failed) break;
      }
      if (plan.linger) {
        beast::error_code ignored;
        conn.socket.shutdown(tcp::socket::shutdown_send, ignored);
        conn.busy = false;  // the idle sweeper bounds the wait
        conn.last_active = Clock::now();
        char sink[4096];
        for (;;) {
          auto [rec, m] = co_await conn.socket.async_read_some(asio::buffer(sink), use_nothrow);
          if (rec) break;
        }
        break;
      }
      if (!plan.keep_alive) break;
    }
    beast::error_code ignored;
    conn.socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn.socket.close(ignored);
  }

  asio::awaitable<void> accept_loop() {
    std::size_t next = 0;
    asio::steady_timer backoff(acceptor->get_executor());
    for (;;) {
      Worker& target = *workers[next++ % workers.size()];
      tcp::socket socket(target.ioc);
      auto [ec] = co_await acceptor->async_accept(socket, use_nothrow);
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) {  // e.g. out of file descriptors: wait a little rather than spin
        backoff.expires_after(std::chrono::milliseconds(10));
        co_await backoff.async_wait(use_nothrow);
        continue;
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(target.ioc, session(target, std::move(socket)), asio::detached);
    }
  }

  // Closes keep-alive connections idle for longer than options.idle_timeout.
  asio::awaitable<void> sweep_idle(Worker& w) {
    asio::steady_timer timer(w.ioc);
    const auto period =
        std::min<Clock::duration>(options.idle_timeout / 2, std::chrono::seconds(5));
    for (;;) {
      timer.expires_after(period);
      auto [ec] = co_await timer.async_wait(use_nothrow);
      if (ec) co_return;
      const auto now = Clock::now();
      for (Connection* c : w.connections) {
        if (!c->busy && now - c->last_active > options.idle_timeout) {
          beast::error_code ignored;
          c->socket.close(ignored);  // its pending read completes with an error
        }
      }
    }
  }

  void start() {
    if (started) throw std::logic_error("MockServer::start() called twice");
    started = true;
    const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec)
      throw InputError(
          fmt::format("--listen: '{}' is not an IP address (or localhost)", options.host));
    for (std::size_t i = 0; i < options.threads; ++i)
      workers.push_back(std::make_unique<Worker>(i));
    const tcp::endpoint endpoint(address, options.port);
    acceptor.emplace(workers[0]->ioc);
    const auto fail = [&](const char* what) {
      return InputError(fmt::format("--listen {}:{}: cannot {}: {}", options.host, options.port,
                                    what, ec.message()));
    };
    acceptor->open(endpoint.protocol(), ec);
    if (ec) throw fail("open a socket");
    acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (ec) throw fail("set options");
    acceptor->bind(endpoint, ec);
    if (ec) throw fail("bind");
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw fail("listen");
    bound_port = acceptor->local_endpoint().port();
    if (!options.port_file.empty()) {
      try {
        write_file_atomic(options.port_file, fmt::format("{}\n", bound_port.load()));
      } catch (const std::exception& e) {
        throw InputError(fmt::format("--port-file: {}", e.what()));
      }
    }

    asio::co_spawn(workers[0]->ioc, accept_loop(), asio::detached);
    for (auto& w : workers) {
      w->guard.emplace(w->ioc.get_executor());
      asio::co_spawn(w->ioc, sweep_idle(*w), asio::detached);
      w->thread = std::thread([ioc = &w->ioc] { ioc->run(); });
    }
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    for (auto& w : workers)
      w->ioc.stop();
    for (auto& w : workers)
      if (w->thread.joinable()) w->thread.join();
    // Pending operations own the coroutine frames; destroying an io_context destroys them.
    // The acceptor goes first (its io_context must outlive it) and then the first worker,
    // whose accept frame may hold a socket of another worker's io_context.
    if (acceptor) {
      beast::error_code ignored;
      acceptor->close(ignored);
      acceptor.reset();
    }
    for (auto& w : workers)
      w.reset();
    workers.clear();
  }
};

MockServer::MockServer(MockOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

MockServer::~MockServer() {
  stop();
}

void MockServer::start() {
  impl_->start();
}

std::uint16_t MockServer::port() const {
  return impl_->bound_port.load();
}

void MockServer::stop() {
  impl_->stop();
}

std::string MockServer::stats_json(bool summary) const {
  return impl_->stats->to_json(summary);
}

void MockServer::reset_stats() {
  impl_->reset();
}

const MockOptions& MockServer::options() const {
  return impl_->options;
}

}  // namespace emosweep::providers
